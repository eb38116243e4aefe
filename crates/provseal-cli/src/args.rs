//! clap definitions: the command-line contract of DESIGN.md §3.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// The PKCS#11 module used when a `pkcs11:` URI names none (Debian's SoftHSM2).
pub const DEFAULT_PKCS11_MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";

/// `provseal --version`: the version and the date of the Sigstore trusted-root snapshot inside
/// (and of the built-in signing config, when keyless signing is built in).
#[cfg(feature = "keyless")]
const LONG_VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    "\nSigstore production trusted root snapshot: 2025-10-21 (refresh: see docs/sigstore.md; override with --trusted-root)",
    "\nSigstore public signing config (keyless): built in, services valid from 2025-07-04 (override with --signing-config)"
);
/// `provseal --version`: the version and the date of the Sigstore trusted-root snapshot inside.
#[cfg(not(feature = "keyless"))]
const LONG_VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    "\nSigstore production trusted root snapshot: 2025-10-21 (refresh: see docs/sigstore.md; override with --trusted-root)",
    "\nkeyless signing: not built in (feature `keyless`)"
);

/// provseal: record, sign and verify build provenance (in-toto, SLSA, DSSE, Sigstore).
#[derive(Debug, Parser)]
#[command(name = "provseal", version, long_version = LONG_VERSION, about, max_term_width = 100)]
pub struct Cli {
    /// Print only errors and data: no notes, no progress.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Manage signing keys.
    #[command(
        after_help = "Example:\n  provseal key generate --out ci   # writes ci.key (0600) and ci.pub"
    )]
    Key {
        /// Key operation.
        #[command(subcommand)]
        command: KeyCommand,
    },
    /// Hash artifacts, record the source, and write signed SLSA provenance for them.
    #[command(
        after_help = "Example:\n  provseal attest --key env://PROVSEAL_KEY --subject 'dist/*'   # writes provenance.intoto.jsonl"
    )]
    Attest(AttestArgs),
    /// Snapshot the dependencies, run a build command, and write signed provenance for its products.
    #[command(
        after_help = "Example:\n  provseal run --key env://PROVSEAL_KEY --subject 'dist/*' -- python -m build"
    )]
    Run(RunArgs),
    /// Print the dependency snapshot `run` would record (no build, no signature).
    #[command(after_help = "Example:\n  provseal materials --python .venv --json")]
    Materials(MaterialsArgs),
    /// Verify artifacts against their attestations.
    #[command(
        after_help = "Examples:\n  provseal verify dist/*.whl --attestation provenance.intoto.jsonl --key ci.pub\n  provseal verify tool.tar.gz --attestation tool.sigstore.json \\\n    --certificate-identity https://github.com/org/repo/.github/workflows/release.yml@refs/tags/v1.0 \\\n    --certificate-oidc-issuer https://token.actions.githubusercontent.com\n  provseal verify dist/* --attestation-dir attestations/ --policy policy.toml --json"
    )]
    Verify(Box<VerifyArgs>),
    /// Show what an attestation says (without verifying it).
    #[command(
        after_help = "Examples:\n  provseal inspect provenance.intoto.jsonl\n  provseal inspect provenance.intoto.jsonl --materials"
    )]
    Inspect(InspectArgs),
    /// Verify one Sigstore bundle (the sigstore-conformance client protocol; exit code only).
    #[command(
        after_help = "Example:\n  provseal verify-bundle --bundle a.sigstore.json --certificate-identity ID --certificate-oidc-issuer URL a.tar.gz"
    )]
    VerifyBundle(VerifyBundleArgs),
    /// Write a detached signature of a file (minisign `.minisig`, raw, or keyless: a Sigstore bundle).
    #[command(
        after_help = "Example:\n  provseal sign-blob dist/tool-1.0.tar.gz --key env://PROVSEAL_KEY   # writes dist/tool-1.0.tar.gz.minisig"
    )]
    SignBlob(SignBlobArgs),
    /// Policy files.
    #[command(after_help = "Example:\n  provseal policy check policy.toml")]
    Policy {
        /// Policy operation.
        #[command(subcommand)]
        command: PolicyCommand,
    },
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish) on stdout.
    #[command(
        after_help = "Example:\n  provseal completions bash > ~/.local/share/bash-completion/completions/provseal"
    )]
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) on stdout.
    #[command(after_help = "Example:\n  provseal man > ~/.local/share/man/man1/provseal.1")]
    Man,
    /// Verify a detached signature of a file (minisign `.minisig`, raw, or a Sigstore bundle).
    #[command(
        after_help = "Example:\n  provseal verify-blob dist/tool-1.0.tar.gz --signature dist/tool-1.0.tar.gz.minisig --key ci.pub"
    )]
    VerifyBlob(VerifyBlobArgs),
    /// The audit index: ingest verified attestations, query them.
    Index(IndexArgs),
}

/// `provseal verify-bundle`: exactly the arguments the sigstore-conformance suite passes.
#[derive(Debug, Args)]
pub struct VerifyBundleArgs {
    /// The bundle.
    #[arg(long, value_name = "B", visible_alias = "attestation")]
    pub bundle: String,
    /// The expected certificate identity.
    #[arg(long, value_name = "I")]
    pub certificate_identity: Option<String>,
    /// The expected OIDC issuer.
    #[arg(long, value_name = "U")]
    pub certificate_oidc_issuer: Option<String>,
    /// A public key (PEM) for key-signed bundles.
    #[arg(long, value_name = "K")]
    pub key: Option<String>,
    /// The trusted root (default: the production snapshot).
    #[arg(long, value_name = "F")]
    pub trusted_root: Option<String>,
    /// The artifact file, or `sha256:HEX`.
    #[arg(value_name = "FILE_OR_DIGEST")]
    pub artifact: String,
}

/// Policy operations.
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Lint a policy: every diagnostic at once, with line and column; exit 2 on errors.
    #[command(after_help = "Example:\n  provseal policy check policy.toml --json")]
    Check {
        /// The policy file.
        file: PathBuf,
        /// Print the diagnostics as JSON on stdout.
        #[arg(long)]
        json: bool,
    },
}

/// Detached signature formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum BlobFormat {
    /// minisign `.minisig` (Ed25519, prehashed), verifiable with `minisign -V`.
    Minisign,
    /// minisign legacy (non-prehashed) signature.
    MinisignLegacy,
    /// The raw signature bytes (Ed25519; ECDSA ASN.1 DER), verifiable with openssl.
    Raw,
}

/// `provseal sign-blob`.
#[derive(Debug, Args)]
pub struct SignBlobArgs {
    /// The file to sign.
    pub file: PathBuf,
    /// Key options.
    #[command(flatten, next_help_heading = "Keys")]
    pub signing: SigningArgs,
    /// Signature format.
    #[arg(long, value_enum, default_value = "minisign")]
    pub format: BlobFormat,
    /// Trusted comment (minisign; default: timestamp and file name).
    #[arg(long, value_name = "TEXT")]
    pub trusted_comment: Option<String>,
    /// Output (default FILE.minisig or FILE.sig; FILE.sigstore.json with --keyless).
    #[arg(long, value_name = "SIG")]
    pub out: Option<PathBuf>,
    /// Replace the output file if it exists.
    #[arg(long)]
    pub force: bool,
}

/// `provseal verify-blob`.
#[derive(Debug, Args)]
pub struct VerifyBlobArgs {
    /// The signed file.
    pub file: PathBuf,
    /// The signature (`.minisig` text, or raw bytes).
    #[arg(
        long,
        value_name = "SIG",
        required_unless_present = "bundle",
        conflicts_with = "bundle"
    )]
    pub signature: Option<PathBuf>,
    /// The public key: SPKI PEM, or a minisign public key file.
    #[arg(long, value_name = "PUB", required_unless_present = "bundle")]
    pub key: Option<PathBuf>,
    /// A Sigstore bundle holding a message signature of the file (`sign-blob --keyless`,
    /// `cosign sign-blob --bundle`); checked with the identity flags, or `--key`.
    #[arg(long, value_name = "B")]
    pub bundle: Option<PathBuf>,
    /// Sigstore identity options (with --bundle).
    #[command(flatten)]
    pub identity: IdentityArgs,
}

/// Key operations.
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Generate a key pair: PREFIX.key (PKCS#8 PEM, mode 0600) and PREFIX.pub (SPKI PEM).
    #[command(
        after_help = "Example:\n  provseal key generate --algorithm ecdsa-p256 --passphrase-env KEY_PASSPHRASE --out ci"
    )]
    Generate(KeyGenerateArgs),
    /// Export a public key in another format (minisign).
    #[command(
        after_help = "Example:\n  provseal key export ci.pub --format minisign --out ci.minisign.pub"
    )]
    Export(KeyExportArgs),
}

/// Public key export formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    /// The file `minisign -G` writes (`untrusted comment` line + base64 key).
    Minisign,
}

/// `provseal key export`.
#[derive(Debug, Args)]
pub struct KeyExportArgs {
    /// The public key (SPKI PEM).
    pub key: PathBuf,
    /// Output format.
    #[arg(long, value_enum)]
    pub format: ExportFormat,
    /// Output file (default: stdout).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Key algorithms.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Algorithm {
    /// Ed25519.
    Ed25519,
    /// ECDSA over NIST P-256 with SHA-256.
    EcdsaP256,
}

/// `provseal key generate`.
#[derive(Debug, Args)]
pub struct KeyGenerateArgs {
    /// Key algorithm.
    #[arg(long, value_enum, default_value = "ed25519")]
    pub algorithm: Algorithm,
    /// Encrypt the private key with the passphrase in this environment variable.
    #[arg(long, value_name = "VAR")]
    pub passphrase_env: Option<String>,
    /// Output prefix: writes PREFIX.key and PREFIX.pub (never over existing files).
    #[arg(long, value_name = "PREFIX")]
    pub out: PathBuf,
}

/// Key and signing options shared by `attest` and `run`.
#[derive(Debug, Args)]
pub struct SigningArgs {
    /// Signing key: a PEM file, `env://VAR` (PEM or base64 DER in a CI secret), or a `pkcs11:` URI.
    #[arg(long, value_name = "KEYREF", required_unless_present = "keyless")]
    pub key: Option<String>,
    /// Keyless options (`--keyless`: the CI's identity instead of a key).
    #[command(flatten)]
    pub keyless: KeylessArgs,
    /// Environment variable holding the passphrase of an encrypted key (cosign keys also read
    /// `COSIGN_PASSWORD`).
    #[arg(long, value_name = "VAR")]
    pub passphrase_env: Option<String>,
    /// Environment variable holding the PIN of a PKCS#11 token (else the URI's pin-value /
    /// pin-source).
    #[arg(long, value_name = "VAR")]
    pub pin_env: Option<String>,
    /// PKCS#11 module used when a `pkcs11:` URI has no `module-path`.
    #[arg(
        long,
        value_name = "PATH",
        env = "PROVSEAL_PKCS11_MODULE",
        default_value = DEFAULT_PKCS11_MODULE
    )]
    pub pkcs11_module: PathBuf,
}

/// Keyless signing: a Fulcio certificate for the CI's identity, a log entry, a timestamp.
#[derive(Debug, Args, Default)]
pub struct KeylessArgs {
    /// Sign with the CI's OIDC identity (Fulcio certificate + Rekor entry; bundle v0.3)
    /// instead of a key.
    #[arg(long, conflicts_with = "key")]
    pub keyless: bool,
    /// The identity token: the JWT itself, `@FILE`, or `env://VAR` (default: SIGSTORE_ID_TOKEN,
    /// then the CI platform's own token: GitHub Actions, GitLab, Buildkite, CircleCI).
    #[arg(long, value_name = "VALUE|@FILE|env://VAR", requires = "keyless")]
    pub identity_token: Option<String>,
    /// Sigstore signing config v0.2 naming Fulcio, Rekor and the TSA (default: the public
    /// Sigstore instance, built in).
    #[arg(long, value_name = "FILE", requires = "keyless")]
    pub signing_config: Option<PathBuf>,
    /// Use the signing config's Rekor log of this API version (1, or 2 with a TSA).
    #[arg(long, value_name = "1|2", requires = "keyless")]
    pub rekor_version: Option<u32>,
    /// Show where the identity token was looked for, and the services used.
    #[arg(short = 'v', long)]
    pub verbose: bool,
}

/// Where the dependency snapshot looks (shared by `run` and `materials`).
#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// Python interpreter or virtual environment to record (default: $VIRTUAL_ENV, else ./.venv).
    #[arg(long, value_name = "PATH")]
    pub python: Option<PathBuf>,
    /// Also record this lockfile, or every lockfile matching this glob over paths relative to
    /// the work-tree root (`'**'`: the whole work tree, git-ignored files excluded). By default
    /// only the lockfiles of the working directory and its ancestors are recorded.
    #[arg(long = "lockfile", value_name = "PATH|GLOB")]
    pub lockfiles: Vec<String>,
    /// Never record lockfiles matching this glob (or this path).
    #[arg(long = "exclude", value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Also record this environment variable (names that look secret are refused).
    #[arg(long = "env", value_name = "NAME")]
    pub env: Vec<String>,
}

/// `provseal run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Key options.
    #[command(flatten, next_help_heading = "Keys")]
    pub signing: SigningArgs,
    /// Subjects and provenance options.
    #[command(flatten)]
    pub subject: SubjectArgs,
    /// Output options.
    #[command(flatten, next_help_heading = "Output")]
    pub output: OutputArgs,
    /// Snapshot options.
    #[command(flatten)]
    pub snapshot: SnapshotArgs,
    /// Exit 1 and write nothing when the dependencies or the source changed during the build.
    #[arg(long)]
    pub fail_on_drift: bool,
    /// Also write a CycloneDX 1.6 JSON SBOM of the snapshot here (its digest is signed).
    #[arg(long, value_name = "FILE")]
    pub sbom: Option<PathBuf>,
    /// The build command.
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<String>,
}

/// `provseal materials`.
#[derive(Debug, Args)]
pub struct MaterialsArgs {
    /// Snapshot options.
    #[command(flatten)]
    pub snapshot: SnapshotArgs,
    /// Print the snapshot as JSON.
    #[arg(long)]
    pub json: bool,
}

/// What is attested (shared by `attest` and `run`).
#[derive(Debug, Args)]
pub struct SubjectArgs {
    /// Artifacts to attest: paths or glob patterns relative to the working directory (for
    /// `run`, matched after the build).
    #[arg(long = "subject", value_name = "PATH|GLOB", required = true)]
    pub subjects: Vec<String>,
    /// Let `**` patterns descend into symlinked directories (a link back to an ancestor is an
    /// error). By default they are not followed.
    #[arg(long)]
    pub follow_symlinks: bool,
    /// `runDetails.builder.id` to record.
    #[arg(long, value_name = "URI", default_value = provseal_attest::DEFAULT_BUILDER_ID)]
    pub builder_id: String,
    /// Digest algorithms for the subjects, comma separated (sha256, sha384, sha512).
    #[arg(
        long,
        value_name = "ALGS",
        value_delimiter = ',',
        default_value = "sha256"
    )]
    pub digest: Vec<String>,
}

/// Attestation formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// DSSE envelopes, one per line (`.intoto.jsonl`).
    IntotoJsonl,
    /// Key-signed Sigstore bundle v0.3 (`.sigstore.json`).
    SigstoreBundle,
}

/// Where and in which shape attestations are written (shared by `attest` and `run`).
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Output file (default, whatever the number of subjects: provenance.intoto.jsonl in the
    /// working directory; provenance.sigstore.json with --format sigstore-bundle).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["batch", "per_subject"])]
    pub out: Option<PathBuf>,
    /// Batch shape: one statement per artifact, ONE signature over their Merkle root; writes an
    /// entry file per artifact (ARTIFACT.provseal.json) into DIR.
    #[arg(long, value_name = "DIR", conflicts_with = "per_subject")]
    pub batch: Option<PathBuf>,
    /// Per-artifact shape: one signed statement per artifact (one subject each, the PEP 740
    /// shape), written beside it as ARTIFACT.intoto.jsonl (or .sigstore.json).
    #[arg(long)]
    pub per_subject: bool,
    /// Attestation format (batch entries have their own format).
    #[arg(long, value_enum, default_value = "intoto-jsonl")]
    pub format: OutputFormat,
    /// Replace output files that exist.
    #[arg(long)]
    pub force: bool,
    /// Print a JSON summary on stdout.
    #[arg(long)]
    pub json: bool,
}

/// `provseal attest`.
#[derive(Debug, Args)]
pub struct AttestArgs {
    /// Key options.
    #[command(flatten, next_help_heading = "Keys")]
    pub signing: SigningArgs,
    /// Subjects and provenance options.
    #[command(flatten)]
    pub subject: SubjectArgs,
    /// Output options.
    #[command(flatten, next_help_heading = "Output")]
    pub output: OutputArgs,
}

/// `provseal verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Artifacts: files, or `sha256:HEX` / `sha512:HEX` when no such file exists, or a git
    /// commit `sha1:HEX` / `gitCommit:HEX` (the subject of a GitHub release attestation).
    #[arg(value_name = "ARTIFACT", required = true)]
    pub artifacts: Vec<String>,
    /// The attestation file (.intoto.jsonl, DSSE envelope, Sigstore bundle, batch entry).
    #[arg(
        long,
        value_name = "FILE",
        visible_alias = "bundle",
        required_unless_present = "attestation_dir"
    )]
    pub attestation: Option<PathBuf>,
    /// Find each artifact's attestation by name in DIR (ARTIFACT.provseal.json,
    /// ARTIFACT.intoto.jsonl, ARTIFACT.sigstore.json, ARTIFACT.publish.attestation,
    /// provenance.intoto.jsonl, multiple.intoto.jsonl, sha256:HEX.jsonl).
    #[arg(long, value_name = "DIR", conflicts_with = "attestation")]
    pub attestation_dir: Option<PathBuf>,
    /// A detached signature over the --attestation file when it is a bare in-toto statement
    /// (`provenance.json`): minisign, raw Ed25519 / ECDSA (as openssl writes it), or a Sigstore
    /// bundle from `cosign sign-blob --bundle`. Default: FILE.minisig, FILE.sig, FILE.sigstore or
    /// FILE.sigstore.json beside it.
    #[arg(long, value_name = "SIG", requires = "attestation")]
    pub signature: Option<PathBuf>,
    /// Trusted public key(s): SPKI PEM, or a minisign public key.
    #[arg(help_heading = "Keys", long = "key", value_name = "PUB")]
    pub keys: Vec<PathBuf>,
    /// Accept a signed VSA whose verificationResult is FAILED as verifying its subjects (by
    /// default it is a definite no, `vsa-failed`).
    #[arg(long)]
    pub allow_failed_vsa: bool,
    /// Required `builder.id`.
    #[arg(help_heading = "Policy", long, value_name = "URI")]
    pub builder_id: Option<String>,
    /// Required source repository (e.g. `github.com/org/repo`). Without --key or certificate
    /// identity flags this selects slsa-verifier's semantics for GitHub-built provenance.
    #[arg(help_heading = "Policy", long, value_name = "URI")]
    pub source_uri: Option<String>,
    /// slsa-verifier: the branch the provenance must record.
    #[arg(help_heading = "slsa-verifier", long, value_name = "BRANCH")]
    pub source_branch: Option<String>,
    /// slsa-verifier: the tag the provenance must record.
    #[arg(help_heading = "slsa-verifier", long, value_name = "TAG")]
    pub source_tag: Option<String>,
    /// slsa-verifier: a semver tag prefix (`v1`, `v1.2`, `v1.2.3`) the recorded tag must match.
    #[arg(help_heading = "slsa-verifier", long, value_name = "TAG")]
    pub source_versioned_tag: Option<String>,
    /// slsa-verifier: a workflow input the build must have had (repeatable).
    #[arg(
        help_heading = "slsa-verifier",
        long = "build-workflow-input",
        value_name = "K=V"
    )]
    pub build_workflow_inputs: Vec<String>,
    /// Print each verified statement on stdout, one JSON line each (verdict lines go to stderr).
    #[arg(help_heading = "Output", long)]
    pub print_provenance: bool,
    /// Policy file (TOML, `docs/policy.md`): trusted signers, builders, sources, materials.
    #[arg(help_heading = "Policy", long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// On success, write a signed SLSA Verification Summary Attestation here.
    #[arg(help_heading = "VSA", long, value_name = "FILE", requires_all = ["vsa_key", "resource_uri"])]
    pub vsa_out: Option<PathBuf>,
    /// The verifier's signing key for --vsa-out (a KEYREF, as for `attest --key`).
    #[arg(help_heading = "VSA", long, value_name = "KEYREF")]
    pub vsa_key: Option<String>,
    /// The attestation is a VSA: check it like slsa-verifier's `verify-vsa` (ARTIFACT is a
    /// subject digest `alg:value` or a file).
    #[arg(help_heading = "VSA", long)]
    pub vsa: bool,
    /// The VSA's `resourceUri` (written with --vsa-out, required with --vsa).
    #[arg(help_heading = "VSA", long, value_name = "URI")]
    pub resource_uri: Option<String>,
    /// --vsa: the verifier id the VSA must name.
    #[arg(help_heading = "VSA", long, value_name = "URI", requires = "vsa")]
    pub verifier_id: Option<String>,
    /// --vsa: a level the VSA must have verified (repeatable).
    #[arg(
        help_heading = "VSA",
        long = "verified-level",
        value_name = "LEVEL",
        requires = "vsa"
    )]
    pub verified_levels: Vec<String>,
    /// --vsa: the key id the VSA's signature must carry.
    #[arg(help_heading = "VSA", long, value_name = "ID", requires = "vsa")]
    pub public_key_id: Option<String>,
    /// Sigstore identity options.
    #[command(flatten, next_help_heading = "Sigstore identity")]
    pub identity: IdentityArgs,
    /// Print the JSON report on stdout.
    #[arg(help_heading = "Output", long)]
    pub json: bool,
}

/// Sigstore (keyless) trust and identity options.
#[derive(Debug, Args, Default)]
pub struct IdentityArgs {
    /// Sigstore trusted root (trusted_root.json, or gh's trusted_root.jsonl); default: the
    /// production snapshot shipped inside provseal.
    #[arg(long, value_name = "FILE")]
    pub trusted_root: Option<PathBuf>,
    /// Use GitHub's artifact-attestation trust root (no public log, no SCT).
    #[arg(long, conflicts_with = "trusted_root")]
    pub github_trust_root: bool,
    /// The certificate's identity (SAN), exactly.
    #[arg(long, value_name = "ID")]
    pub certificate_identity: Option<String>,
    /// The certificate's identity (SAN), an anchored regular expression.
    #[arg(long, value_name = "RE", conflicts_with = "certificate_identity")]
    pub certificate_identity_regexp: Option<String>,
    /// The OIDC issuer, exactly.
    #[arg(long, value_name = "URL")]
    pub certificate_oidc_issuer: Option<String>,
    /// The OIDC issuer, an anchored regular expression.
    #[arg(long, value_name = "RE", conflicts_with = "certificate_oidc_issuer")]
    pub certificate_oidc_issuer_regexp: Option<String>,
    /// Source repository (`org/repo` on GitHub, or a URL): Fulcio extension 1.3.6.1.4.1.57264.1.12.
    #[arg(long, value_name = "ORG/REPO")]
    pub repository: Option<String>,
    /// Source ref (`refs/tags/v1.0`): extension .14.
    #[arg(long = "ref", value_name = "REF")]
    pub git_ref: Option<String>,
    /// The workflow file (`release.yml` or a full Build Config URI): extension .18.
    #[arg(long, value_name = "WORKFLOW")]
    pub workflow: Option<String>,
    /// Source commit: extension .13.
    #[arg(long, value_name = "SHA")]
    pub source_digest: Option<String>,
    /// Build Signer URI (the reusable workflow): extension .9.
    #[arg(long, value_name = "URI")]
    pub build_signer_uri: Option<String>,
    /// Runner environment (`github-hosted` / `self-hosted`): extension .11.
    #[arg(long, value_name = "ENV")]
    pub runner_environment: Option<String>,
    /// Any Fulcio extension by name or OID, exactly: NAME=VALUE (repeatable).
    #[arg(long = "certificate-extension", value_name = "NAME=VALUE")]
    pub extensions: Vec<String>,
}

/// `provseal inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The attestation file.
    pub file: PathBuf,
    /// Every recorded dependency, grouped by lockfile and environment, with version and digest.
    #[arg(long, conflicts_with = "statement")]
    pub materials: bool,
    /// The decoded, signed payload (the in-toto statement), pretty-printed.
    #[arg(long)]
    pub statement: bool,
    /// Print JSON on stdout (the summary with the whole statement; with --materials, the groups;
    /// with --statement, the statements).
    #[arg(long)]
    pub json: bool,
}

/// `provseal index`.
#[derive(Debug, Args)]
pub struct IndexArgs {
    /// The index: a SQLite file, or a `postgres://` URL.
    #[arg(
        long,
        global = true,
        value_name = "PATH|URL",
        env = "PROVSEAL_INDEX_DB",
        default_value = "provseal-index.db",
        hide_env_values = true
    )]
    pub db: String,
    /// What to do.
    #[command(subcommand)]
    pub command: IndexCommand,
}

/// How stored attestations must verify (for `add` and `reverify`).
#[derive(Debug, Args)]
pub struct TrustArgs {
    /// Trusted public key(s) (SPKI PEM).
    #[arg(long = "key", value_name = "PUB")]
    pub keys: Vec<PathBuf>,
    /// A policy every attestation must pass (its trusted keys and identities are trusted).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Sigstore trust and identity.
    #[command(flatten)]
    pub identity: IdentityArgs,
}

/// How to print query results.
#[derive(Debug, Args, Clone, Copy)]
pub struct FormatArgs {
    /// One JSON array on stdout.
    #[arg(long, conflicts_with = "jsonl")]
    pub json: bool,
    /// One JSON object per line on stdout.
    #[arg(long)]
    pub jsonl: bool,
}

/// `provseal index` subcommands.
#[derive(Debug, Subcommand)]
pub enum IndexCommand {
    /// Verify and ingest attestation files and directories (only verified ones enter).
    Add {
        /// Files and directories.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Trust.
        #[command(flatten)]
        trust: TrustArgs,
        /// Files per transaction.
        #[arg(long, default_value_t = 1000, value_name = "N")]
        batch: usize,
        /// Print the ingestion report as JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Query the index.
    Query {
        /// What to look for.
        #[command(subcommand)]
        query: QueryCommand,
    },
    /// The dependency change between two releases (`sha256:HEX` of an artifact or payload, an
    /// artifact file, or a commit prefix).
    Diff {
        /// The earlier release.
        a: String,
        /// The later release.
        b: String,
        /// Print JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Verify every stored attestation again (a rotated key, a stricter policy).
    Reverify {
        /// Trust.
        #[command(flatten)]
        trust: TrustArgs,
        /// Print JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Remove every attestation signed by a key (a compromised key).
    Prune {
        /// The key: a public key file (SPKI PEM) or its provseal key id (hex).
        #[arg(long, value_name = "K")]
        signer: String,
    },
    /// Write every stored envelope to DIR (`PAYLOAD_DIGEST.intoto.jsonl`, …).
    Export {
        /// The directory.
        dir: PathBuf,
    },
}

/// `provseal index query` subcommands.
#[derive(Debug, Subcommand)]
pub enum QueryCommand {
    /// Builds with a dependency matching a purl, with an optional version or range
    /// (`pkg:pypi/xz@>=5.6.0,<5.6.2`).
    Package {
        /// The package pattern.
        purl: String,
        /// Output.
        #[command(flatten)]
        format: FormatArgs,
    },
    /// Attestations for an artifact (a file, or `sha256:HEX`).
    Artifact {
        /// The artifact.
        artifact: String,
        /// Output.
        #[command(flatten)]
        format: FormatArgs,
    },
    /// Builds from a commit (hex prefix, at least 4 digits).
    Commit {
        /// The prefix.
        prefix: String,
        /// Output.
        #[command(flatten)]
        format: FormatArgs,
    },
    /// Attestations by a signer.
    Signer {
        /// Certificate identity (SAN).
        #[arg(long, requires = "issuer", conflicts_with = "key")]
        identity: Option<String>,
        /// Certificate OIDC issuer.
        #[arg(long, requires = "identity")]
        issuer: Option<String>,
        /// A public key file (SPKI PEM) or its provseal key id (hex).
        #[arg(long, value_name = "K", required_unless_present = "identity")]
        key: Option<String>,
        /// Output.
        #[command(flatten)]
        format: FormatArgs,
    },
    /// Every indexed build that fails a policy today.
    Policy {
        /// The policy file.
        policy: PathBuf,
        /// Output.
        #[command(flatten)]
        format: FormatArgs,
    },
}

#[cfg(test)]
mod tests {
    /// `--version` names the built-in signing config by the date of its newest service.
    #[cfg(feature = "keyless")]
    #[test]
    fn version_shows_the_built_in_signing_config_date() {
        let date = provseal_keyless::builtin_signing_config_date().unwrap_or_default();
        assert!(
            super::LONG_VERSION.contains(&format!("services valid from {date} ")),
            "{} vs {date}",
            super::LONG_VERSION
        );
    }
}

//! clap definitions: the command-line contract of DESIGN.md §3.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// provseal: record, sign and verify build provenance (in-toto, SLSA, DSSE, Sigstore).
#[derive(Debug, Parser)]
#[command(name = "provseal", version, about, max_term_width = 100)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Manage signing keys.
    Key {
        /// Key operation.
        #[command(subcommand)]
        command: KeyCommand,
    },
    /// Hash artifacts, record the source, and write signed SLSA provenance for them.
    Attest(AttestArgs),
    /// Snapshot the dependencies, run a build command, and write signed provenance for its products.
    Run(RunArgs),
    /// Print the dependency snapshot `run` would record (no build, no signature).
    Materials(MaterialsArgs),
    /// Verify artifacts against their attestations.
    Verify(VerifyArgs),
    /// Show what an attestation says (without verifying it).
    Inspect(InspectArgs),
    /// Write a detached signature of a file (minisign `.minisig`, or raw).
    SignBlob(SignBlobArgs),
    /// Verify a detached signature (minisign `.minisig`, or raw) of a file.
    VerifyBlob(VerifyBlobArgs),
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
    #[command(flatten)]
    pub signing: SigningArgs,
    /// Signature format.
    #[arg(long, value_enum, default_value = "minisign")]
    pub format: BlobFormat,
    /// Trusted comment (minisign; default: timestamp and file name).
    #[arg(long, value_name = "TEXT")]
    pub trusted_comment: Option<String>,
    /// Output (default FILE.minisig or FILE.sig).
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
    #[arg(long, value_name = "SIG")]
    pub signature: PathBuf,
    /// The public key: SPKI PEM, or a minisign public key file.
    #[arg(long, value_name = "PUB")]
    pub key: PathBuf,
}

/// Key operations.
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Generate a key pair: PREFIX.key (PKCS#8 PEM, mode 0600) and PREFIX.pub (SPKI PEM).
    Generate(KeyGenerateArgs),
    /// Export a public key in another format (minisign).
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
    #[arg(long, value_name = "KEYREF")]
    pub key: String,
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
        default_value = "/usr/lib/softhsm/libsofthsm2.so"
    )]
    pub pkcs11_module: PathBuf,
}

/// Where the dependency snapshot looks (shared by `run` and `materials`).
#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// Python interpreter or virtual environment to record (default: $VIRTUAL_ENV, else ./.venv).
    #[arg(long, value_name = "PATH")]
    pub python: Option<PathBuf>,
    /// A lockfile to record in addition to those found in the source tree.
    #[arg(long = "lockfile", value_name = "PATH")]
    pub lockfiles: Vec<PathBuf>,
    /// Also record this environment variable (names that look secret are refused).
    #[arg(long = "env", value_name = "NAME")]
    pub env: Vec<String>,
}

/// `provseal run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Key options.
    #[command(flatten)]
    pub signing: SigningArgs,
    /// Build products to attest (paths or globs, matched after the build).
    #[arg(long = "subject", value_name = "GLOB", required = true)]
    pub subjects: Vec<String>,
    /// `runDetails.builder.id` to record.
    #[arg(long, value_name = "URI", default_value = provseal_attest::DEFAULT_BUILDER_ID)]
    pub builder_id: String,
    /// Digest algorithms for the subjects, comma separated.
    #[arg(
        long,
        value_name = "ALGS",
        value_delimiter = ',',
        default_value = "sha256"
    )]
    pub digest: Vec<String>,
    /// Output file (default as for `attest`).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Replace the output files if they exist.
    #[arg(long)]
    pub force: bool,
    /// Print a JSON summary on stdout.
    #[arg(long)]
    pub json: bool,
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

/// `provseal attest`.
#[derive(Debug, Args)]
pub struct AttestArgs {
    /// Key options.
    #[command(flatten)]
    pub signing: SigningArgs,
    /// Artifacts to attest: paths or glob patterns, relative to the working directory.
    #[arg(long = "subject", value_name = "PATH|GLOB", required = true)]
    pub subjects: Vec<String>,
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
    /// Output file (default: SUBJECT.intoto.jsonl for one subject, multiple.intoto.jsonl for several).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Replace the output file if it exists.
    #[arg(long)]
    pub force: bool,
    /// Print a JSON summary on stdout.
    #[arg(long)]
    pub json: bool,
}

/// `provseal verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Artifacts: files, or `sha256:HEX` / `sha512:HEX` when no such file exists.
    #[arg(value_name = "ARTIFACT", required = true)]
    pub artifacts: Vec<String>,
    /// The attestation file (.intoto.jsonl, a DSSE envelope, …).
    #[arg(long, value_name = "FILE")]
    pub attestation: PathBuf,
    /// Trusted public key(s) (SPKI PEM).
    #[arg(long = "key", value_name = "PUB")]
    pub keys: Vec<PathBuf>,
    /// Required `builder.id`.
    #[arg(long, value_name = "URI")]
    pub builder_id: Option<String>,
    /// Required source repository (e.g. `github.com/org/repo`).
    #[arg(long, value_name = "URI")]
    pub source_uri: Option<String>,
    /// Print the JSON report on stdout.
    #[arg(long)]
    pub json: bool,
}

/// `provseal inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The attestation file.
    pub file: PathBuf,
    /// Print JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

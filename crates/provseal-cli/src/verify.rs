//! `provseal verify`.

use crate::exit::{Classify, ExitStatus};
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use anyhow::{anyhow, Context};
use provseal_crypto::hash::HashAlgorithm;
use provseal_model::DigestSet;
use provseal_verify::policy::Policy;
use provseal_verify::report::{KeepResults, Tally};
use provseal_verify::{
    Artifact, ArtifactVerdict, DocResult, SigstoreTrust, VerifyError, VerifyOptions,
    MAX_ATTESTATION_BYTES,
};

use crate::args::{IdentityArgs, VerifyArgs};
use crate::progress::{Hashing, Stdout};
use crate::{keys, output, Failure, WithHint};
use provseal_crypto::hash::HashProgress;

/// Reads an attestation file, refusing non-files and files over the size limit.
pub fn read_attestation(path: &Path) -> Result<Vec<u8>, Failure> {
    read_limited(path, "attestation")
}

/// Reads an input file (`what`: attestation, signature), refusing non-files and files over the
/// size limit.
fn read_limited(path: &Path, what: &str) -> Result<Vec<u8>, Failure> {
    let meta = fs_err::metadata(path).with_context(|| format!("cannot read the {what}"))?;
    if !meta.is_file() {
        return Err(anyhow!("{what} `{}` is not a file", path.display()).into());
    }
    if meta.len() > MAX_ATTESTATION_BYTES {
        return Err(anyhow!(
            "{what} `{}` is {} bytes, over the {} byte limit",
            path.display(),
            meta.len(),
            MAX_ATTESTATION_BYTES
        )
        .into());
    }
    Ok(fs_err::read(path).with_context(|| format!("cannot read the {what}"))?)
}

/// An artifact argument: a file, or a digest given as `alg:hex`.
enum ArtifactArg {
    File(PathBuf),
    Digest(DigestSet),
    Bad(String),
}

fn parse_artifact(arg: &str) -> ArtifactArg {
    let path = Path::new(arg);
    match fs_err::metadata(path) {
        Ok(m) if m.is_file() => return ArtifactArg::File(path.to_path_buf()),
        Ok(_) => return ArtifactArg::Bad(format!("`{arg}` is not a file")),
        Err(_) => {}
    }
    if let Some((alg, hex)) = arg.split_once(':') {
        let want = match alg {
            "sha1" | "gitCommit" => Some(40),
            "sha256" => Some(64),
            "sha384" => Some(96),
            "sha512" => Some(128),
            _ => None,
        };
        if let Some(len) = want {
            if hex.len() == len && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                let mut d = DigestSet::new();
                let hex = hex.to_ascii_lowercase();
                if len == 40 {
                    // a git commit id: GitHub release attestations record it as `sha1`, in-toto
                    // resource descriptors as `gitCommit`; either names the same commit
                    d.insert("sha1".to_string(), hex.clone());
                    d.insert("gitCommit".to_string(), hex);
                } else {
                    d.insert(alg.to_string(), hex);
                }
                return ArtifactArg::Digest(d);
            }
            return ArtifactArg::Bad(format!(
                "`{arg}` is neither a file nor a valid {alg} digest ({len} hex digits)"
            ));
        }
    }
    ArtifactArg::Bad(format!("`{arg}`: no such file"))
}

/// The digest algorithms to compute for the artifacts: sha256 plus every SHA-2 algorithm used
/// by a verified subject.
fn needed_algorithms(docs: &[DocResult]) -> Vec<HashAlgorithm> {
    let mut names: BTreeSet<String> = BTreeSet::from(["sha256".to_string()]);
    for v in docs.iter().flatten() {
        for s in &v.statement.subject {
            names.extend(s.digest.iter().map(|(a, _)| a.to_string()));
        }
    }
    names.iter().filter_map(|n| n.parse().ok()).collect()
}

/// How many artifacts are hashed together (their files in parallel) before their verdicts are
/// decided and shown: verdicts stream out a chunk at a time, and memory holds one chunk.
const HASH_CHUNK: usize = 64;

/// The artifacts named by `args`, in order, each with its name: resolved and hashed with `algs`
/// lazily, a chunk at a time, the hashing shown by `progress`; unreadable ones are failures.
fn artifacts(
    args: &[String],
    algs: Vec<HashAlgorithm>,
    progress: std::rc::Rc<Hashing>,
) -> impl Iterator<Item = (&String, Result<Artifact, VerifyError>)> {
    if progress.active() {
        // One bar over every chunk: the total first (sizes as the file system reports them).
        let sizes = args.iter().filter_map(|a| match fs_err::metadata(a) {
            Ok(m) if m.is_file() => Some(m.len()),
            _ => None,
        });
        let (files, bytes) = sizes.fold((0, 0), |(n, b), len| (n + 1, b + len));
        progress.observe(HashProgress::Started { files, bytes });
    }
    args.chunks(HASH_CHUNK)
        .flat_map(move |chunk| chunk.iter().zip(hash_artifacts(chunk, &algs, &progress)))
}

/// The bar for hashing the artifacts of `args` (drawn only on a terminal, for long work).
fn hashing_progress(args: &VerifyArgs) -> Hashing {
    crate::progress::hashing(args.artifacts.len(), Stdout::of(args.json))
}

/// Adds the digests `results`' subjects use that `artifact` lacks (a file hashed with sha256
/// only, whose statement lists sha512 only).
fn complete_digests(mut artifact: Artifact, name: &str, results: &[DocResult]) -> Artifact {
    let missing: Vec<HashAlgorithm> = needed_algorithms(results)
        .into_iter()
        .filter(|a| artifact.digests.get(a.name()).is_none())
        .collect();
    if missing.is_empty() {
        return artifact;
    }
    if let ArtifactArg::File(path) = parse_artifact(name) {
        if let Ok(more) = provseal_crypto::hash::hash_file(&path, &missing) {
            for (alg, hex) in more.iter() {
                artifact.digests.insert(alg, hex);
            }
        }
    }
    artifact
}

/// Resolves and hashes the artifacts with `algs` (files in parallel, with a progress bar when
/// that is long).
fn hash_artifacts(
    args: &[String],
    algs: &[HashAlgorithm],
    progress: &Hashing,
) -> Vec<Result<Artifact, VerifyError>> {
    let parsed: Vec<ArtifactArg> = args.iter().map(|a| parse_artifact(a)).collect();
    let files: Vec<PathBuf> = parsed
        .iter()
        .filter_map(|p| match p {
            ArtifactArg::File(f) => Some(f.clone()),
            _ => None,
        })
        .collect();
    // Hash all files in one parallel pass; on error fall back to one by one to name the culprit.
    // The chunk's own total is left out: the bar counts every chunk against the whole.
    let hashed = provseal_crypto::hash::hash_files_observed(&files, algs, &|e| {
        if !matches!(e, HashProgress::Started { .. }) {
            progress.observe(e)
        }
    });
    let hashed: Vec<Result<DigestSet, String>> = match hashed {
        Ok(sets) => sets.into_iter().map(Ok).collect(),
        Err(_) => files
            .iter()
            .map(|f| provseal_crypto::hash::hash_file(f, algs).map_err(|e| e.to_string()))
            .collect(),
    };
    let mut hashed = hashed.into_iter();
    args.iter()
        .zip(parsed)
        .map(|(name, p)| match p {
            ArtifactArg::File(_) => match hashed.next() {
                Some(Ok(d)) => Ok(Artifact {
                    name: name.clone(),
                    digests: d,
                }),
                Some(Err(reason)) => Err(VerifyError::ArtifactUnreadable { reason }),
                None => Err(VerifyError::ArtifactUnreadable {
                    reason: format!("`{name}` was not hashed"),
                }),
            },
            ArtifactArg::Digest(d) => Ok(Artifact {
                name: name.clone(),
                digests: d,
            }),
            ArtifactArg::Bad(reason) => Err(VerifyError::ArtifactUnreadable { reason }),
        })
        .collect()
}

/// Shows each verdict as it is decided and keeps only what the end of the output needs: the
/// tally (and the `--json` report entries), the first hint, the policy failure lines and, for
/// `--vsa-out`, the subjects. No verdict (nor the statement it holds) outlives its line.
struct VerdictStream<'a> {
    /// Verdict lines go to stderr (stdout carries the JSON report or the provenance).
    lines_to_stderr: bool,
    /// `--print-provenance`: each verified statement on stdout before its line.
    print_provenance: bool,
    policy: Option<(&'a Policy, jiff::Timestamp)>,
    tally: Tally,
    hint: Option<&'static str>,
    policy_lines: Vec<String>,
    /// `--vsa-out`: what the VSA records of the verified artifacts.
    vsa: Option<VsaFacts>,
    /// The hashing bar over every artifact (shared with [`artifacts`]); lines are printed with
    /// it hidden.
    progress: std::rc::Rc<Hashing>,
}

/// What a VSA records of the verdicts: each artifact, the build levels, the attestation files.
#[derive(Default)]
struct VsaFacts {
    subjects: Vec<(String, DigestSet)>,
    levels: BTreeSet<String>,
    files: BTreeSet<String>,
}

impl<'a> VerdictStream<'a> {
    fn new(args: &VerifyArgs, policy: Option<&'a Policy>) -> Self {
        VerdictStream {
            lines_to_stderr: args.json || args.print_provenance,
            print_provenance: args.print_provenance,
            policy: policy.map(|p| (p, jiff::Timestamp::now())),
            tally: Tally::new(if args.json {
                KeepResults::Yes
            } else {
                KeepResults::No
            }),
            hint: None,
            policy_lines: Vec::new(),
            vsa: args.vsa_out.is_some().then(VsaFacts::default),
            progress: std::rc::Rc::new(hashing_progress(args)),
        }
    }

    /// Applies the policy to one verdict and shows it.
    fn show(&mut self, mut v: ArtifactVerdict) -> Result<(), Failure> {
        if let Some((p, now)) = self.policy {
            v.apply_policy(p, now);
        }
        if self.print_provenance {
            if let Ok(verified) = &v.result {
                out!("{}\n", serde_json::to_string(&verified.statement)?);
            }
        }
        let line = v.line();
        self.progress.suspend(|| -> Result<(), Failure> {
            if self.lines_to_stderr {
                crate::output::errln!("{line}");
            } else {
                outln!("{line}");
            }
            Ok(())
        })?;
        self.tally.add(&v);
        if self.hint.is_none() {
            self.hint = v.result.as_ref().err().and_then(crate::exit::verify_hint);
        }
        if let Some(r) = &v.policy {
            for line in r.failure_lines() {
                self.policy_lines
                    .push(format!("  {}: {line}", v.artifact.name));
            }
        }
        if let Some(facts) = &mut self.vsa {
            if let Ok(s) = &v.result {
                facts
                    .levels
                    .insert(provseal_verify::vsa::build_level(s).to_string());
                facts.files.insert(s.origin.path.clone());
            }
            facts.subjects.push((v.artifact.name, v.artifact.digests));
        }
        Ok(())
    }

    /// The summary line, the hint, the `--json` report, the policy failures and the VSA; the exit
    /// status of all the verdicts (0 all verified; 2 if any failed on input; else 1).
    fn finish(self, args: &VerifyArgs, policy: Option<&Policy>) -> Result<ExitStatus, Failure> {
        // The bar's closing line first (the iterators that shared it are gone).
        drop(self.progress);
        let (verified, failed) = (self.tally.verified(), self.tally.failed());
        if verified + failed > 1 {
            note!("{verified} verified, {failed} failed");
        }
        if let Some(hint) = self.hint {
            eprintln!("hint: {hint}");
        }
        let status = ExitStatus::worst([self.tally.worst()]);
        if args.json {
            output::print_json(&self.tally.into_report())?;
        }
        for line in &self.policy_lines {
            eprintln!("{line}");
        }
        if let Some(facts) = self.vsa {
            if failed == 0 {
                write_vsa(args, policy, facts)?;
            } else {
                eprintln!("note: verification failed: no VSA was written");
            }
        }
        Ok(status)
    }
}

/// The GitHub Actions OIDC issuer, assumed when no issuer flag is given.
const GITHUB_ACTIONS_ISSUER: &str = "https://token.actions.githubusercontent.com";

/// The identity of GitHub's release-attestation signer. Its certificate, issued under GitHub's
/// trust root, carries no OIDC issuer, so none is assumed for it.
const GITHUB_RELEASES_IDENTITY: &str = "https://dotcom.releases.github.com";

/// Resolves the Sigstore trust root and identity policy from the flags.
pub fn sigstore_trust(args: &IdentityArgs) -> Result<SigstoreTrust, Failure> {
    use provseal_sigstore::{FulcioField, IdentityPolicy, Matcher, TrustedRoot};
    let (trusted_root, options) = if args.github_trust_root {
        (
            TrustedRoot::github()?,
            provseal_sigstore::VerifyOptions::github(),
        )
    } else {
        let root = match &args.trusted_root {
            Some(p) => TrustedRoot::load(p)?,
            None => TrustedRoot::production()?,
        };
        (root, provseal_sigstore::VerifyOptions::default())
    };
    let mut policy = IdentityPolicy::default();
    let mut any = false;
    if let Some(id) = &args.certificate_identity {
        policy.identity = Some(Matcher::Exact(id.clone()));
        any = true;
    }
    if let Some(re) = &args.certificate_identity_regexp {
        policy.identity = Some(Matcher::regex("certificate-identity", re)?);
        any = true;
    }
    if let Some(i) = &args.certificate_oidc_issuer {
        policy.issuer = Some(Matcher::Exact(i.clone()));
        any = true;
    }
    if let Some(re) = &args.certificate_oidc_issuer_regexp {
        policy.issuer = Some(Matcher::regex("certificate-oidc-issuer", re)?);
        any = true;
    }
    if let Some(r) = &args.repository {
        policy = policy.with_repository(r);
        any = true;
    }
    if let Some(r) = &args.git_ref {
        policy = policy.with_ref(r);
        any = true;
    }
    if let Some(w) = &args.workflow {
        policy = policy.with_workflow(w)?;
        any = true;
    }
    if let Some(d) = &args.source_digest {
        policy = policy.with_source_digest(d);
        any = true;
    }
    if let Some(u) = &args.build_signer_uri {
        policy = policy.with(FulcioField::BuildSignerUri, Matcher::Exact(u.clone()));
        any = true;
    }
    if let Some(e) = &args.runner_environment {
        policy = policy.with(FulcioField::RunnerEnvironment, Matcher::Exact(e.clone()));
        any = true;
    }
    for kv in &args.extensions {
        let (name, value) = kv
            .split_once('=')
            .ok_or_else(|| anyhow!("--certificate-extension `{kv}`: expected NAME=VALUE"))?;
        let field: FulcioField = name.parse()?;
        policy = policy.with(field, Matcher::Exact(value.to_string()));
        any = true;
    }
    let github_release = args.github_trust_root
        && args.certificate_identity.as_deref() == Some(GITHUB_RELEASES_IDENTITY);
    if any && policy.issuer.is_none() && !github_release {
        policy.issuer = Some(Matcher::Exact(GITHUB_ACTIONS_ISSUER.to_string()));
    }
    Ok(SigstoreTrust {
        trusted_root: std::sync::Arc::new(trusted_root),
        identity: any.then_some(policy),
        options,
    })
}

/// Verified documents per attestation file, computed once per file.
type DocCache = HashMap<PathBuf, Rc<Vec<DocResult>>>;

fn docs_of(path: &Path, opts: &VerifyOptions, cache: &mut DocCache) -> Rc<Vec<DocResult>> {
    if let Some(d) = cache.get(path) {
        return d.clone();
    }
    let origin = path.display().to_string();
    let results = match read_attestation(path) {
        Ok(bytes) => match provseal_verify::load_attestations(&bytes, &origin) {
            Ok(docs) => provseal_verify::verify_documents(&docs, opts),
            Err(e) => vec![Err(e)],
        },
        Err(f) => vec![Err(VerifyError::Malformed {
            origin: origin.clone(),
            reason: format!("{:#}", f.error),
            source: None,
        })],
    };
    let rc = Rc::new(results);
    cache.insert(path.to_path_buf(), rc.clone());
    rc
}

/// Loads a policy, printing its diagnostics; errors are a usage failure (exit 2).
pub(crate) fn load_policy(path: &Path) -> Result<Policy, Failure> {
    let (policy, diags) = Policy::check(path);
    for d in &diags {
        eprintln!("{d}");
    }
    match policy {
        Some(p) if !provseal_verify::policy::has_errors(&diags) => Ok(p),
        _ => Err(anyhow!(
            "policy `{}` has errors (see above)",
            path.display()
        ))
        .hint(format!(
            "`provseal policy check {}` lists them",
            path.display()
        )),
    }
}

/// `provseal policy check FILE [--json]`: every diagnostic at once.
pub fn policy_check(path: &Path, json: bool) -> Result<ExitStatus, Failure> {
    let (policy, diags) = Policy::check(path);
    let ok = policy.is_some() && !provseal_verify::policy::has_errors(&diags);
    if json {
        output::print_json(&serde_json::json!({
            "policy": path,
            "ok": ok,
            "diagnostics": diags,
        }))?;
    } else {
        for d in &diags {
            eprintln!("{d}");
        }
        if ok {
            outln!("{}: ok ({} warning(s))", path.display(), diags.len());
        }
    }
    Ok(if ok {
        ExitStatus::Success
    } else {
        ExitStatus::Error
    })
}

/// `provseal verify --vsa`: check a Verification Summary Attestation like slsa-verifier's
/// `verify-vsa`.
fn run_vsa_check(
    args: &VerifyArgs,
    keys: &[provseal_crypto::PublicKey],
) -> Result<ExitStatus, Failure> {
    use provseal_verify::vsa::{verify_vsa_bytes, VsaExpectations};
    let file = args
        .attestation
        .as_ref()
        .ok_or_else(|| anyhow!("--vsa needs --attestation FILE"))?;
    if keys.is_empty() {
        return Err(anyhow!("--vsa needs --key (the verifier's public key)").into());
    }
    let bytes = read_attestation(file)?;
    let expected = VsaExpectations {
        subject_digests: args.artifacts.clone(),
        verifier_id: args
            .verifier_id
            .clone()
            .ok_or_else(|| anyhow!("--vsa needs --verifier-id"))?,
        resource_uri: args
            .resource_uri
            .clone()
            .ok_or_else(|| anyhow!("--vsa needs --resource-uri"))?,
        verified_levels: args.verified_levels.clone(),
        public_key_id: args.public_key_id.clone(),
    };
    match verify_vsa_bytes(&bytes, keys, &expected) {
        Ok(v) => {
            outln!(
                "{}: verified VSA: {} by {} (key {})",
                file.display(),
                v.predicate.verification_result,
                v.predicate.verifier.id,
                v.key_id
            );
            Ok(ExitStatus::Success)
        }
        Err(e) if e.exit_status() == ExitStatus::Error => Err(anyhow::Error::new(e).into()),
        Err(e) => {
            outln!(
                "{}: [{}] {}",
                file.display(),
                e.code(),
                provseal_model::one_line(&e)
            );
            Ok(e.exit_status())
        }
    }
}

/// Writes the VSA for the verified artifacts (`--vsa-out`).
fn write_vsa(args: &VerifyArgs, policy: Option<&Policy>, facts: VsaFacts) -> Result<(), Failure> {
    use provseal_verify::vsa::{self, VerificationResult, VsaInput};
    let (Some(out), Some(key)) = (&args.vsa_out, &args.vsa_key) else {
        return Ok(());
    };
    let signer = keys::open_signer(&crate::args::SigningArgs {
        key: Some(key.clone()),
        keyless: crate::args::KeylessArgs::default(),
        passphrase_env: None,
        pin_env: None,
        pkcs11_module: std::path::PathBuf::from(crate::args::DEFAULT_PKCS11_MODULE),
    })?;
    let mut inputs = Vec::new();
    for f in &facts.files {
        let bytes = read_attestation(Path::new(f))?;
        inputs.push(vsa::attestation_descriptor(f, &bytes));
    }
    let (policy_uri, policy_digest) = match policy {
        Some(p) => (p.source.clone(), p.digest.clone()),
        None => ("provseal:command-line-flags".to_string(), DigestSet::new()),
    };
    let statement = vsa::vsa_statement(&VsaInput {
        verifier_id: vsa::PROVSEAL_VERIFIER_ID.to_string(),
        time_verified: jiff::Timestamp::now(),
        subjects: facts.subjects,
        resource_uri: args.resource_uri.clone().unwrap_or_default(),
        policy_uri,
        policy_digest,
        input_attestations: inputs,
        result: VerificationResult::Passed,
        verified_levels: facts.levels.into_iter().collect(),
        dependency_levels: Default::default(),
    })?;
    let envelope = provseal_attest::sign_statement(&statement, signer.as_ref())?;
    let mut line = envelope.to_json();
    line.push('\n');
    provseal_attest::write_atomic(out, line.as_bytes(), provseal_attest::Overwrite::Refuse)?;
    note!(
        "wrote the VSA `{}`, signed by key {}",
        out.display(),
        signer.key_id()
    );
    Ok(())
}

/// Runs `provseal verify`.
pub fn run(args: VerifyArgs) -> Result<ExitStatus, Failure> {
    let mut keys = keys::load_public_keys(&args.keys)?;
    if args.vsa {
        return run_vsa_check(&args, &keys);
    }
    let policy = match &args.policy {
        Some(p) => Some(load_policy(p)?),
        None => None,
    };
    let mut sigstore = sigstore_trust(&args.identity)?;
    if let Some(p) = &policy {
        keys.extend(p.trusted_keys());
        if !p.identity_policies().is_empty() && sigstore.identity.is_none() {
            // Verify the certificate chain; the policy's `signer-trusted` rule decides who.
            sigstore.identity = Some(provseal_sigstore::IdentityPolicy::default());
        }
    }
    if keys.is_empty() && sigstore.identity.is_none() && !slsa_mode(&args, true, &sigstore) {
        return Err(anyhow!(
            "no trusted key or identity given, so there is nothing to check the signature against"
        )).hint(
            "pass --key PUB (the signer's public key), --certificate-identity and --certificate-oidc-issuer for Sigstore bundles, or --policy FILE",
        );
    }
    if slsa_mode(&args, keys.is_empty(), &sigstore) {
        note!(
            "note: no trusted key or identity given; {} selects slsa-verifier mode: GitHub-built \
             provenance whose Sigstore certificate names a trusted builder (to verify with a key, \
             pass --key PUB)",
            slsa_flags(&args).join(", ")
        );
        return run_slsa_verifier(&args, &sigstore);
    }
    let opts = VerifyOptions {
        keys,
        sigstore: Some(sigstore),
        builder_id: args.builder_id.clone(),
        source_uri: args.source_uri.clone(),
        allow_failed_vsa: args.allow_failed_vsa,
    };
    // Made once the attestation is verified: its hashing bar counts from then.
    let mut stream;
    match (&args.attestation, &args.attestation_dir) {
        (Some(file), _) => {
            let bytes = read_attestation(file)?;
            let signature = args
                .signature
                .clone()
                .or_else(|| provseal_verify::detached::signature_for(file, &bytes));
            let results = match signature {
                Some(sig) => vec![verify_detached(file, &bytes, &sig, &opts)?],
                None => {
                    let docs =
                        provseal_verify::load_attestations(&bytes, &file.display().to_string())?;
                    refuse_unsigned(file, &docs)?;
                    provseal_verify::verify_documents(&docs, &opts)
                }
            };
            drop(bytes);
            // Every artifact is checked against the same statements: index their subjects once.
            let lookup = provseal_verify::SubjectLookup::new(&results);
            stream = VerdictStream::new(&args, policy.as_ref());
            for (name, a) in artifacts(
                &args.artifacts,
                needed_algorithms(&results),
                std::rc::Rc::clone(&stream.progress),
            ) {
                stream.show(verdict(a, name, &results, &lookup, &opts))?;
            }
        }
        (None, Some(dir)) => {
            if !dir.is_dir() {
                return Err(anyhow!(
                    "attestation directory `{}` is not a directory",
                    dir.display()
                )
                .into());
            }
            let mut cache = DocCache::new();
            stream = VerdictStream::new(&args, policy.as_ref());
            // sha256 first (it also names `sha256:HEX.jsonl` files); other algorithms only when an
            // artifact's statements use them.
            for (name, a) in artifacts(
                &args.artifacts,
                needed_algorithms(&[]),
                std::rc::Rc::clone(&stream.progress),
            ) {
                let v = match a {
                    Ok(artifact) => {
                        let files =
                            provseal_verify::attestation_candidates(dir, name, &artifact.digests);
                        if files.is_empty() {
                            ArtifactVerdict::new(
                                artifact,
                                Err(VerifyError::ArtifactUnreadable {
                                    reason: format!(
                                        "no attestation for `{name}` in `{}` (looked for ARTIFACT.provseal.json, .intoto.jsonl, .sigstore.json, sha256:HEX.jsonl, multiple.intoto.jsonl)",
                                        dir.display()
                                    ),
                                }),
                            )
                        } else {
                            let results: Vec<DocResult> = files
                                .iter()
                                .flat_map(|f| {
                                    docs_of(f, &opts, &mut cache)
                                        .iter()
                                        .cloned()
                                        .collect::<Vec<_>>()
                                })
                                .collect();
                            let artifact = complete_digests(artifact, name, &results);
                            provseal_verify::verify_artifact(&artifact, &results, &opts)
                        }
                    }
                    Err(e) => unreadable(name, e),
                };
                stream.show(v)?;
            }
        }
        (None, None) => {
            return Err(anyhow!("pass --attestation FILE or --attestation-dir DIR").into())
        }
    }
    stream.finish(&args, policy.as_ref())
}

/// Verifies `statement` (its exact bytes) with the detached signature file `sig`.
fn verify_detached(
    statement: &Path,
    bytes: &[u8],
    sig: &Path,
    opts: &VerifyOptions,
) -> Result<DocResult, Failure> {
    let signature = read_limited(sig, "signature")?;
    Ok(provseal_verify::detached::verify_detached(
        &provseal_verify::detached::DetachedInput {
            statement: bytes,
            statement_origin: &statement.display().to_string(),
            signature: &signature,
            signature_origin: &sig.display().to_string(),
        },
        opts,
    ))
}

/// A bare statement with no signature found beside it is a usage error: nothing vouches for it.
fn refuse_unsigned(file: &Path, docs: &[provseal_verify::LoadedDoc]) -> Result<(), Failure> {
    let unsigned = docs
        .iter()
        .all(|d| matches!(d.doc, provseal_verify::AttestationDoc::UnsignedStatement(_)));
    if !unsigned {
        return Ok(());
    }
    let name = file.display();
    Err(anyhow!("`{name}` is an unsigned in-toto statement: nothing in it is signed")).hint(format!(
        "pass its detached signature with --signature SIG (minisign, raw Ed25519/ECDSA, or a Sigstore bundle), or put it beside the statement as `{name}.minisig`, `.sig`, `.sigstore` or `.sigstore.json` (or with `.json` replaced by one of them)"
    ))
}

fn verdict(
    a: Result<Artifact, VerifyError>,
    name: &str,
    results: &[DocResult],
    lookup: &provseal_verify::SubjectLookup,
    opts: &VerifyOptions,
) -> ArtifactVerdict {
    match a {
        Ok(artifact) => provseal_verify::verify_artifact_indexed(&artifact, results, lookup, opts),
        Err(e) => unreadable(name, e),
    }
}

/// The verdict for an artifact that could not be read or named.
fn unreadable(name: &str, e: VerifyError) -> ArtifactVerdict {
    ArtifactVerdict::new(
        Artifact {
            name: name.to_string(),
            digests: DigestSet::new(),
        },
        Err(e),
    )
}

/// `provseal verify-bundle`: one call into the conformance entry point; the verdict is the exit
/// code (0 verified, 1 a definite no, 2 malformed input), with one line on stderr.
pub fn verify_bundle(args: crate::args::VerifyBundleArgs) -> Result<ExitStatus, Failure> {
    let mut argv: Vec<String> = vec!["--bundle".into(), args.bundle.clone()];
    for (flag, v) in [
        ("--certificate-identity", &args.certificate_identity),
        ("--certificate-oidc-issuer", &args.certificate_oidc_issuer),
        ("--key", &args.key),
        ("--trusted-root", &args.trusted_root),
    ] {
        if let Some(v) = v {
            argv.push(flag.into());
            argv.push(v.clone());
        }
    }
    argv.push(args.artifact.clone());
    match provseal_sigstore::conformance_verify(&argv) {
        Ok(v) => {
            note!(
                "{}: verified ({})",
                args.bundle,
                v.identity()
                    .and_then(|i| i.san.clone())
                    .unwrap_or_else(|| "key".into())
            );
            Ok(ExitStatus::Success)
        }
        Err(e) => {
            eprintln!("error[{}]: {}", e.code(), provseal_model::one_line(&e));
            Ok(e.exit_status())
        }
    }
}

/// slsa-verifier semantics apply when one of its source flags is given and no other signer
/// (`--key`, certificate identity flags) is.
fn slsa_mode(args: &VerifyArgs, no_keys: bool, sigstore: &SigstoreTrust) -> bool {
    !slsa_flags(args).is_empty() && no_keys && sigstore.identity.is_none()
}

/// The slsa-verifier flags given, in backticks.
fn slsa_flags(args: &VerifyArgs) -> Vec<&'static str> {
    [
        ("`--source-uri`", args.source_uri.is_some()),
        ("`--source-branch`", args.source_branch.is_some()),
        ("`--source-tag`", args.source_tag.is_some()),
        (
            "`--source-versioned-tag`",
            args.source_versioned_tag.is_some(),
        ),
        (
            "`--build-workflow-input`",
            !args.build_workflow_inputs.is_empty(),
        ),
    ]
    .into_iter()
    .filter_map(|(flag, given)| given.then_some(flag))
    .collect()
}

/// `provseal verify` with slsa-verifier's semantics: the builder from the certificate among the
/// trusted GitHub builders, the source, branch, tag and workflow inputs from the provenance.
fn run_slsa_verifier(args: &VerifyArgs, sigstore: &SigstoreTrust) -> Result<ExitStatus, Failure> {
    use provseal_verify::slsa_verifier::{self, BuilderRefPolicy, SlsaVerifierOptions};
    let Some(source_uri) = args.source_uri.clone() else {
        return Err(anyhow!("slsa-verifier mode needs --source-uri")).hint(
            "pass --source-uri github.com/ORG/REPO, or --key / --certificate-identity for other signers",
        );
    };
    let mut inputs = std::collections::BTreeMap::new();
    for kv in &args.build_workflow_inputs {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| anyhow!("--build-workflow-input `{kv}`: expected K=V"))?;
        inputs.insert(k.to_string(), v.to_string());
    }
    let opts = SlsaVerifierOptions {
        source_uri,
        source_branch: args.source_branch.clone(),
        source_tag: args.source_tag.clone(),
        source_versioned_tag: args.source_versioned_tag.clone(),
        builder_id: args.builder_id.clone(),
        build_workflow_inputs: inputs,
        trusted_root: Some(&sigstore.trusted_root),
        // slsa-verifier's own switch for its test builders
        builder_refs: if std::env::var_os("SLSA_VERIFIER_TESTING").is_some() {
            BuilderRefPolicy::Testing
        } else {
            BuilderRefPolicy::Release
        },
        ..Default::default()
    };
    let mut stream = VerdictStream::new(args, None);
    // This mode prints the signed statement bytes themselves, and writes no VSA.
    stream.print_provenance = false;
    stream.vsa = None;
    for (name, a) in artifacts(
        &args.artifacts,
        needed_algorithms(&[]),
        std::rc::Rc::clone(&stream.progress),
    ) {
        let artifact = match a {
            Ok(a) => a,
            Err(e) => {
                stream.show(unreadable(name, e))?;
                continue;
            }
        };
        let files = match (&args.attestation, &args.attestation_dir) {
            (Some(f), _) => vec![f.clone()],
            (None, Some(dir)) => {
                provseal_verify::attestation_candidates(dir, name, &artifact.digests)
            }
            (None, None) => Vec::new(),
        };
        let Some(file) = files.first() else {
            stream.show(ArtifactVerdict::new(
                artifact,
                Err(VerifyError::ArtifactUnreadable {
                    reason: format!("no provenance found for `{name}`"),
                }),
            ))?;
            continue;
        };
        let origin = file.display().to_string();
        let result = match read_attestation(file) {
            Err(f) => Err(VerifyError::Malformed {
                origin: origin.clone(),
                reason: format!("{:#}", f.error),
                source: None,
            }),
            Ok(bytes) => match slsa_verifier::verify(
                &bytes,
                &origin,
                std::slice::from_ref(&artifact.digests),
                &opts,
            ) {
                Ok(v) => {
                    if args.print_provenance {
                        out!("{}\n", String::from_utf8_lossy(&v.statement_bytes));
                    }
                    Ok(std::sync::Arc::new(v.to_verified_statement(&origin)))
                }
                Err(e) => Err(VerifyError::SlsaVerifier {
                    code: e.code(),
                    class: e.class(),
                    message: format!("`{origin}`: {}", provseal_model::one_line(&e)),
                }),
            },
        };
        stream.show(ArtifactVerdict::new(artifact, result))?;
    }
    stream.finish(args, None)
}

//! `provseal verify`: flags resolved into a [`VerifyRequest`], one call to
//! [`provseal_verify::session::verify`], each verdict printed as the session decides it, then
//! the summary, the `--json` report and the VSA.

use crate::exit::{Classify, ExitStatus};
use std::ops::ControlFlow;
use std::path::Path;

use anyhow::anyhow;
use provseal_crypto::hash::HashProgress;
use provseal_verify::policy::Policy;
use provseal_verify::report::KeepResults;
use provseal_verify::session::{
    self, Attestations, Check, VerifyObserver, VerifyRequest, VsaRecord, VsaSettings,
};
use provseal_verify::{ArtifactVerdict, InputKind, SigstoreTrust, VerifyOptions};

use crate::args::{IdentityArgs, VerifyArgs};
use crate::progress::{Hashing, Stdout};
use crate::{keys, output, Failure, WithHint};

/// Reads an attestation file, refusing non-files and files over the size limit.
pub fn read_attestation(path: &Path) -> Result<Vec<u8>, Failure> {
    Ok(provseal_verify::read_input(path, InputKind::Attestation)?)
}

/// Prints each verdict as the session decides it, and keeps what the end of the output needs:
/// the first hint and the policy failure lines. No verdict outlives its line.
struct Printer {
    /// Verdict lines go to stderr (stdout carries the JSON report or the provenance).
    lines_to_stderr: bool,
    /// `--print-provenance`: each verified statement on stdout before its line.
    print_provenance: bool,
    /// `--json` (the bar is drawn only when stdout is not the report).
    json: bool,
    hint: Option<&'static str>,
    policy_lines: Vec<String>,
    /// The hashing bar over every artifact; lines are printed with it hidden.
    progress: Option<Hashing>,
    /// Why printing stopped the verification.
    failure: Option<Failure>,
}

impl Printer {
    fn new(args: &VerifyArgs) -> Self {
        Printer {
            lines_to_stderr: args.json || args.print_provenance,
            print_provenance: args.print_provenance,
            json: args.json,
            hint: None,
            policy_lines: Vec::new(),
            progress: None,
            failure: None,
        }
    }

    fn show(&mut self, v: &ArtifactVerdict, statement_bytes: Option<&[u8]>) -> Result<(), Failure> {
        if self.print_provenance {
            match (statement_bytes, &v.result) {
                (Some(bytes), _) => out!("{}\n", String::from_utf8_lossy(bytes)),
                (None, Ok(verified)) => out!("{}\n", serde_json::to_string(&verified.statement)?),
                (None, Err(_)) => {}
            }
        }
        let line = v.line();
        let print = || -> Result<(), Failure> {
            if self.lines_to_stderr {
                crate::output::errln!("{line}");
            } else {
                outln!("{line}");
            }
            Ok(())
        };
        match &self.progress {
            Some(bar) => bar.suspend(print)?,
            None => print()?,
        }
        if self.hint.is_none() {
            self.hint = v.result.as_ref().err().and_then(crate::exit::verify_hint);
        }
        if let Some(r) = &v.policy {
            for line in r.failure_lines() {
                self.policy_lines
                    .push(format!("  {}: {line}", v.artifact.name));
            }
        }
        Ok(())
    }
}

impl VerifyObserver for Printer {
    fn hashing_starts(&mut self, artifacts: usize) -> bool {
        let bar = crate::progress::hashing(artifacts, Stdout::of(self.json));
        let active = bar.active();
        self.progress = Some(bar);
        active
    }

    fn hash_progress(&self, progress: HashProgress) {
        if let Some(bar) = &self.progress {
            bar.observe(progress);
        }
    }

    fn verdict(&mut self, v: &ArtifactVerdict, statement_bytes: Option<&[u8]>) -> ControlFlow<()> {
        match self.show(v, statement_bytes) {
            Ok(()) => ControlFlow::Continue(()),
            Err(f) => {
                self.failure = Some(f);
                ControlFlow::Break(())
            }
        }
    }
}

/// Runs the session, then prints the summary line, the hint, the `--json` report, the policy
/// failures and writes the VSA; the exit status of all the verdicts (0 all verified; 2 if any
/// failed on input; else 1).
fn run_session(
    args: &VerifyArgs,
    request: &VerifyRequest<'_>,
    policy: Option<&Policy>,
) -> Result<ExitStatus, Failure> {
    let mut printer = Printer::new(args);
    let outcome = session::verify(request, &mut printer);
    if let Some(f) = printer.failure.take() {
        return Err(f);
    }
    let outcome = outcome?;
    // The bar's closing line first.
    drop(printer.progress.take());
    let tally = outcome.tally;
    let (verified, failed) = (tally.verified(), tally.failed());
    if verified + failed > 1 {
        note!("{verified} verified, {failed} failed");
    }
    if let Some(hint) = printer.hint {
        eprintln!("hint: {hint}");
    }
    let status = ExitStatus::worst([tally.worst()]);
    if args.json {
        output::print_json(&tally.into_report())?;
    }
    for line in &printer.policy_lines {
        eprintln!("{line}");
    }
    if let Some(record) = outcome.vsa {
        if failed == 0 {
            write_vsa(args, policy, record)?;
        } else {
            eprintln!("note: verification failed: no VSA was written");
        }
    }
    Ok(status)
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
fn write_vsa(args: &VerifyArgs, policy: Option<&Policy>, record: VsaRecord) -> Result<(), Failure> {
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
    let envelope = record.sign(&VsaSettings {
        policy,
        resource_uri: args.resource_uri.as_deref().unwrap_or_default(),
        time_verified: jiff::Timestamp::now(),
        signer: signer.as_ref(),
    })?;
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
    let attestations = match (&args.attestation, &args.attestation_dir) {
        (Some(file), _) => Attestations::File {
            path: file.clone(),
            signature: args.signature.clone(),
        },
        (None, Some(dir)) => Attestations::Dir(dir.clone()),
        (None, None) => {
            return Err(anyhow!("pass --attestation FILE or --attestation-dir DIR").into())
        }
    };
    if slsa_mode(&args, keys.is_empty(), &sigstore) {
        note!(
            "note: no trusted key or identity given; {} selects slsa-verifier mode: GitHub-built \
             provenance whose Sigstore certificate names a trusted builder (to verify with a key, \
             pass --key PUB)",
            slsa_flags(&args).join(", ")
        );
        return run_slsa_verifier(&args, &sigstore, &attestations);
    }
    let opts = VerifyOptions {
        keys,
        sigstore: Some(sigstore),
        builder_id: args.builder_id.clone(),
        source_uri: args.source_uri.clone(),
        allow_failed_vsa: args.allow_failed_vsa,
    };
    let request = VerifyRequest {
        artifacts: &args.artifacts,
        attestations: &attestations,
        check: Check::Documents {
            options: &opts,
            policy: policy.as_ref(),
            now: jiff::Timestamp::now(),
        },
        keep_results: keep_results(&args),
        record_vsa: args.vsa_out.is_some(),
    };
    run_session(&args, &request, policy.as_ref())
}

/// `--json` keeps every verdict's report entry.
fn keep_results(args: &VerifyArgs) -> KeepResults {
    if args.json {
        KeepResults::Yes
    } else {
        KeepResults::No
    }
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
fn run_slsa_verifier(
    args: &VerifyArgs,
    sigstore: &SigstoreTrust,
    attestations: &Attestations,
) -> Result<ExitStatus, Failure> {
    use provseal_verify::slsa_verifier::{BuilderRefPolicy, SlsaVerifierOptions};
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
    // This mode prints the signed statement bytes themselves, applies no policy, writes no VSA.
    let request = VerifyRequest {
        artifacts: &args.artifacts,
        attestations,
        check: Check::SlsaVerifier(&opts),
        keep_results: keep_results(args),
        record_vsa: false,
    };
    run_session(args, &request, None)
}

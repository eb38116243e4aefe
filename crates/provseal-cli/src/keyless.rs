//! `--keyless`: resolve the flags and the CI environment into a [`KeylessSigner`], plug it into
//! the producer pipeline as a [`BundleSigner`], and show who signed. The work is
//! provseal-keyless's; it is compiled in with the default `keyless` feature, the only one that
//! brings an HTTP stack.

use provseal_attest::{BundleSigner, Producer};
use provseal_keyless::{
    acquire_token, choose_services, CiEnvironment, Http, HttpOptions, KeylessError, KeylessSigner,
    SignedBundle, SigningConfigSource, TokenArg, TokenSources,
};
use provseal_sigstore::{FulcioField, SignerIdentity};

use crate::args::{KeylessArgs, OutputArgs};
use crate::Failure;

/// The keyless producer: a Fulcio certificate, a log entry and a bundle per signature, the
/// identity printed each time.
struct KeylessProducer(KeylessSigner);

impl BundleSigner for KeylessProducer {
    fn sign_statement(
        &self,
        statement: &[u8],
    ) -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>> {
        let signed = self.0.sign_statement(statement, jiff::Timestamp::now())?;
        print_identity(&signed, &self.0);
        Ok(signed.json)
    }

    /// The Fulcio certificate is requested in the background while the subjects are hashed.
    fn prepare(&self) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        Ok(self.0.prefetch_certificate(jiff::Timestamp::now())?)
    }
}

/// Opens the keyless producer (token fetched and checked, services chosen) before any work, with
/// the `provseal attest --keyless …` command that signs the same `subjects` into the same
/// `output` again, for when signing fails after the build.
pub fn open_producer(
    args: &KeylessArgs,
    subjects: &[String],
    output: &OutputArgs,
) -> Result<(Producer, String), Failure> {
    let signer = open(args)?;
    let mut out = String::new();
    if let Some(dir) = &output.batch {
        out.push_str(&format!(" --batch {}", dir.display()));
    } else if output.per_subject {
        out.push_str(" --per-subject");
    } else if let Some(o) = &output.out {
        out.push_str(&format!(" --out {}", o.display()));
    }
    Ok((
        Producer::Keyless(Box::new(KeylessProducer(signer))),
        resign_command(args, subjects, &out),
    ))
}

/// Gets and checks the identity token and chooses the services — before any build.
pub fn open(args: &KeylessArgs) -> Result<KeylessSigner, Failure> {
    let lookup = |name: &str| std::env::var(name).ok();
    let sources = TokenSources {
        argument: args
            .identity_token
            .as_deref()
            .map(|a| TokenArg::parse(a, lookup)),
        environment: CiEnvironment::from_lookup(lookup),
    };
    let source = match &args.signing_config {
        Some(p) => SigningConfigSource::File(p.clone()),
        None => SigningConfigSource::BuiltIn,
    };
    if args.verbose {
        eprintln!("identity token sources, first found wins:");
        for (i, s) in sources.order().iter().enumerate() {
            eprintln!("  {}. {s}", i + 1);
        }
    }
    let services = choose_services(&source, args.rekor_version).map_err(failure)?;
    let http = Http::new(&HttpOptions::default()).map_err(failure)?;
    let token = acquire_token(&sources, &http, jiff::Timestamp::now()).map_err(failure)?;
    eprintln!(
        "keyless: identity token from {} (issuer {}, subject {}, expires {})",
        token.source, token.issuer, token.subject, token.expires
    );
    if args.verbose {
        eprintln!(
            "keyless: signing config {}: Fulcio {}, Rekor v{} {}, TSA {}",
            services.origin,
            services.fulcio,
            services.rekor_version,
            services.rekor,
            services.tsa.as_deref().unwrap_or("none")
        );
    }
    Ok(KeylessSigner::new(token, services, http).with_sources(sources))
}

/// A keyless error as a failure: exit 2, the hint from its type (`exit::keyless_hint`).
pub fn failure(e: KeylessError) -> Failure {
    Failure::from(e)
}

/// A signing failure after a successful build: nothing is written, the products are untouched,
/// and `resign` is the command that signs them again.
pub fn failure_after_build(e: Box<dyn std::error::Error + Send + Sync>, resign: &str) -> Failure {
    let mut f = match e.downcast::<KeylessError>() {
        Ok(e) => failure(*e),
        Err(e) => Failure::from(anyhow::Error::from_boxed(e)),
    };
    f.hint = Some(format!(
        "nothing was written; the build products are untouched. Sign them again with:\n  {resign}"
    ));
    f
}

/// Prints the identity Fulcio certified (from the certificate, not the token).
pub fn print_identity(signed: &SignedBundle, signer: &KeylessSigner) {
    let services = signer.services();
    match SignerIdentity::from_certificate_der(&signed.certificate_der) {
        Ok(id) => {
            eprintln!(
                "keyless: signed as {} (issuer {})",
                id.san.as_deref().unwrap_or("?"),
                id.issuer.as_deref().unwrap_or("?")
            );
            for (label, field) in [
                ("repository", FulcioField::SourceRepositoryUri),
                ("ref", FulcioField::SourceRepositoryRef),
                ("commit", FulcioField::SourceRepositoryDigest),
                ("workflow", FulcioField::BuildConfigUri),
                ("run", FulcioField::RunInvocationUri),
            ] {
                if let Some(v) = id.get(field) {
                    eprintln!("  {label:<10} {v}");
                }
            }
        }
        Err(e) => eprintln!(
            "warning: cannot read the signing certificate's identity: {}",
            provseal_model::one_line(&e)
        ),
    }
    eprintln!(
        "  logged in  Rekor v{} {}{}",
        services.rekor_version,
        services.rekor,
        services
            .tsa
            .as_deref()
            .map(|t| format!("; timestamped by {t}"))
            .unwrap_or_default()
    );
}

/// The `provseal attest --keyless …` command that signs `subjects` again with these settings.
pub fn resign_command(args: &KeylessArgs, subjects: &[String], output: &str) -> String {
    let mut cmd = String::from("provseal attest --keyless");
    if let Some(t) = &args.identity_token {
        // The token itself never appears; a file or variable reference may.
        if t.starts_with('@') || t.starts_with("env://") {
            cmd.push_str(&format!(" --identity-token {t}"));
        }
    }
    if let Some(p) = &args.signing_config {
        cmd.push_str(&format!(" --signing-config {}", p.display()));
    }
    if let Some(v) = args.rekor_version {
        cmd.push_str(&format!(" --rekor-version {v}"));
    }
    for s in subjects {
        cmd.push_str(&format!(" --subject '{s}'"));
    }
    cmd.push_str(output);
    cmd
}

//! Benchmark helper: verify one bundle N times in one process (parse + full offline
//! verification each time), as `provseal verify` does for N attestations.
//!
//! `cargo run --release -p provseal-sigstore --example verify_many -- TRUSTED_ROOT BUNDLE
//! ARTIFACT IDENTITY ISSUER N`

use std::time::Instant;

use provseal_sigstore::{
    verify_bundle, verify_many, ArtifactInput, BundleJob, BundleSigner, IdentityPolicy,
    TrustedRoot, VerifyOptions,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [root, bundle, artifact, identity, issuer, n] = args.as_slice() else {
        return Err("usage: verify_many TRUSTED_ROOT BUNDLE ARTIFACT IDENTITY ISSUER N".into());
    };
    let n: usize = n.parse()?;
    let start = Instant::now();
    let trust = TrustedRoot::load(std::path::Path::new(root))?;
    let bundle_bytes = std::fs::read(bundle)?;
    let artifact_bytes = std::fs::read(artifact)?;
    let policy = IdentityPolicy::exact(identity, issuer);
    let loaded = start.elapsed();
    let t = Instant::now();
    for _ in 0..n {
        verify_bundle(
            &bundle_bytes,
            bundle,
            &ArtifactInput::Bytes(&artifact_bytes),
            &trust,
            BundleSigner::Identity(&policy),
            &VerifyOptions::default(),
        )?;
    }
    let took = t.elapsed();
    let jobs: Vec<BundleJob<'_>> = (0..n)
        .map(|_| BundleJob {
            bundle: &bundle_bytes,
            source_name: bundle,
            artifact: Some(ArtifactInput::Bytes(&artifact_bytes)),
        })
        .collect();
    let t = Instant::now();
    let results = verify_many(
        &jobs,
        &trust,
        BundleSigner::Identity(&policy),
        &VerifyOptions::default(),
    );
    let par = t.elapsed();
    if let Some(Err(e)) = results.into_iter().find(Result::is_err) {
        return Err(e.into());
    }
    println!(
        "verify_many (rayon, {} threads): {n} bundles in {:.1} ms",
        rayon_threads(),
        par.as_secs_f64() * 1e3
    );
    println!(
        "trust root load {:.2} ms; {n} bundles verified in {:.1} ms ({:.3} ms/bundle)",
        loaded.as_secs_f64() * 1e3,
        took.as_secs_f64() * 1e3,
        took.as_secs_f64() * 1e3 / n.max(1) as f64
    );
    Ok(())
}

fn rayon_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

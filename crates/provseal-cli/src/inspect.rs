//! `provseal inspect`: what an attestation says, without verifying it. The summary is
//! [`provseal_verify::inspect::summarize`]'s; this module prints it.

use crate::exit::ExitStatus;
use provseal_verify::inspect::{summarize, Listing, SerializeIter, Summary, HUMAN_SUBJECTS};
use provseal_verify::LoadedDoc;
use serde_json::{json, Value};

use crate::args::InspectArgs;
use crate::{inspect_views, output, verify, Failure};

/// What `inspect` says about a bare statement: nothing is signed, and how to verify it.
const UNSIGNED_NOTE: &str = "NOT SIGNED: nothing vouches for this statement; verify it with its detached signature: `provseal verify ARTIFACT --attestation FILE --signature SIG --key PUB` (or Sigstore identity flags)";

fn print_human(s: &Value) -> Result<(), Failure> {
    let str_of = |k: &str| s.get(k).and_then(Value::as_str).unwrap_or("-").to_string();
    let unsigned = s.get("signed") == Some(&Value::Bool(false));
    if unsigned {
        outln!("{} (unsigned in-toto statement)", str_of("origin"));
        outln!("  {UNSIGNED_NOTE}");
    } else {
        outln!(
            "{} ({}; signature not verified: use `provseal verify`)",
            str_of("origin"),
            str_of("format")
        );
    }
    if let Some(cert) = s.get("certificate") {
        print_certificate(cert)?;
    }
    if let Some(e) = s.get("error").and_then(Value::as_str) {
        outln!("  error:          {e}");
        return Ok(());
    }
    if let Some(d) = s.get("messageDigest").and_then(Value::as_str) {
        outln!("  message signature over {d} (no statement)");
        return Ok(());
    }
    if !unsigned {
        let keys: Vec<&str> = s["keyIds"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        outln!(
            "  signer key id:  {}",
            if keys.is_empty() {
                "(none given)".to_string()
            } else {
                keys.join(", ")
            }
        );
        outln!("  payload type:   {}", str_of("payloadType"));
    }
    outln!("  statement type: {}", str_of("statementType"));
    outln!("  predicate type: {}", str_of("predicateType"));
    let subjects = s["subjects"].as_array().cloned().unwrap_or_default();
    let count = s["subjectCount"]
        .as_u64()
        .map_or(subjects.len(), |n| n as usize);
    outln!("  subjects:       {count}");
    for sub in subjects.iter().take(HUMAN_SUBJECTS) {
        let name = sub["name"]
            .as_str()
            .or_else(|| sub["uri"].as_str())
            .unwrap_or("_");
        let digest = sub["digest"]
            .as_object()
            .and_then(|d| {
                d.iter()
                    .next()
                    .map(|(a, h)| format!("{a}:{}", h.as_str().unwrap_or("")))
            })
            .unwrap_or_default();
        outln!("    {name}  {digest}");
    }
    if count > HUMAN_SUBJECTS {
        outln!("    … {} more", count - HUMAN_SUBJECTS);
    }
    if s.get("builderId").is_some() {
        outln!("  build type:     {}", str_of("buildType"));
        outln!("  builder:        {}", str_of("builderId"));
        match s.get("source") {
            Some(src) => outln!(
                "  source:         {} ({}, {})",
                src["uri"].as_str().unwrap_or("-"),
                src["digest"]
                    .as_object()
                    .and_then(|d| d
                        .iter()
                        .next()
                        .map(|(a, h)| format!("{a} {}", h.as_str().unwrap_or(""))))
                    .unwrap_or_default(),
                src["treeState"]
                    .as_str()
                    .unwrap_or("tree state not recorded")
            ),
            None => outln!("  source:         not recorded"),
        }
        outln!(
            "  materials:      {} resolved dependencies",
            s["materials"].as_u64().unwrap_or(0)
        );
        outln!(
            "  run:            {} → {} ({})",
            str_of("startedOn"),
            str_of("finishedOn"),
            str_of("invocationId")
        );
    }
    Ok(())
}

fn print_certificate(cert: &Value) -> Result<(), Failure> {
    let field = |k: &str| {
        cert.get(k)
            .and_then(Value::as_str)
            .unwrap_or("-")
            .to_owned()
    };
    if let Some(e) = cert.get("error").and_then(Value::as_str) {
        outln!("  certificate:    unreadable: {e}");
        return Ok(());
    }
    outln!("  certificate:    {}", field("san"));
    outln!("  issuer:         {}", field("issuer"));
    let when = |k: &str| {
        cert.get(k)
            .and_then(Value::as_i64)
            .and_then(|t| jiff::Timestamp::from_second(t).ok())
            .map(|t| t.to_string())
            .unwrap_or_else(|| "-".into())
    };
    outln!(
        "  valid:          {} → {}",
        when("notBefore"),
        when("notAfter")
    );
    if let Some(ext) = cert.get("extensions").and_then(Value::as_object) {
        for (name, v) in ext {
            outln!("    {name}: {}", v.as_str().unwrap_or("-"));
        }
    }
    Ok(())
}

/// Runs `provseal inspect`.
pub fn run(args: InspectArgs) -> Result<ExitStatus, Failure> {
    let bytes = verify::read_attestation(&args.file)?;
    let docs = provseal_verify::load_attestations(&bytes, &args.file.display().to_string())?;
    let view = match (args.statement, args.materials) {
        (true, _) => Some(inspect_views::View::Statement),
        (_, true) => Some(inspect_views::View::Materials),
        _ => None,
    };
    if let Some(view) = view {
        let ok = inspect_views::print(&docs, view, args.json)?;
        return Ok(if ok {
            ExitStatus::Success
        } else {
            ExitStatus::Error
        });
    }
    drop(bytes);
    // Each document is summarized, shown and dropped in turn: `--json` writes one array whose
    // elements are serialized as they are made.
    let any_error = std::cell::Cell::new(false);
    let summary = |d: &LoadedDoc, listing| {
        let s = with_note(summarize(d, listing));
        any_error.set(any_error.get() || s.has_error());
        s
    };
    if args.json {
        output::print_json(&SerializeIter(|| {
            docs.iter().map(|d| summary(d, Listing::Whole))
        }))?;
    } else {
        for d in &docs {
            print_human(&summary(d, Listing::First(HUMAN_SUBJECTS)).fields)?;
        }
    }
    Ok(if any_error.get() {
        ExitStatus::Error
    } else {
        ExitStatus::Success
    })
}

/// A bare statement's summary says how to verify it (with this CLI's command and flags).
fn with_note(mut s: Summary) -> Summary {
    if s.fields.get("signed") == Some(&Value::Bool(false)) {
        s.fields["note"] = json!(UNSIGNED_NOTE);
    }
    s
}

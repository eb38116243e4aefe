//! Choosing the services: the signing config (built in, or a file) → one Fulcio, one Rekor (v2,
//! else v1) and, when there is one, a timestamp authority.

use std::path::PathBuf;

use sigstore_sign::rekor::RekorApiVersion;
use sigstore_sign::trust_root::{SigningConfig, SigstoreInstance};
use sigstore_sign::{ConfigError, SigningServices};

use crate::error::{KeylessError, SigningConfigError};

/// Where the signing config comes from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SigningConfigSource {
    /// The public Sigstore instance's signing config built into provseal.
    #[default]
    BuiltIn,
    /// A signing_config v0.2 file (private instances, tests).
    File(PathBuf),
}

impl std::fmt::Display for SigningConfigSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SigningConfigSource::BuiltIn => f.write_str("built-in (public Sigstore)"),
            SigningConfigSource::File(p) => write!(f, "`{}`", p.display()),
        }
    }
}

/// The services one signing operation uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Services {
    /// Fulcio's URL.
    pub fulcio: String,
    /// The transparency log's URL.
    pub rekor: String,
    /// The log's major API version (1 or 2).
    pub rekor_version: u32,
    /// The timestamp authority's URL (required with Rekor v2).
    pub tsa: Option<String>,
    /// Where the choice came from.
    pub origin: SigningConfigSource,
    pub(crate) inner: SigningServices,
}

/// The built-in signing config (sigstore-sign's public-good snapshot).
pub fn builtin_signing_config_json() -> &'static str {
    SigstoreInstance::PublicGood
        .embedded_signing_config_json()
        .unwrap_or_default()
}

/// The date of the built-in signing config: the newest `validFor.start` among its services
/// (`YYYY-MM-DD`), for `--version`.
pub fn builtin_signing_config_date() -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(builtin_signing_config_json()).ok()?;
    let mut newest: Option<String> = None;
    for key in ["caUrls", "oidcUrls", "rekorTlogUrls", "tsaUrls"] {
        for e in value.get(key)?.as_array()? {
            if let Some(start) = e.pointer("/validFor/start").and_then(|s| s.as_str()) {
                let day: String = start.chars().take(10).collect();
                if newest.as_ref().is_none_or(|n| day > *n) {
                    newest = Some(day);
                }
            }
        }
    }
    newest
}

/// Reads the signing config and chooses the services. `rekor_version` forces a log version.
///
/// The choice is sigstore-sign's (`SigningServices::from_signing_config`: newest eligible log,
/// service selectors honoured), except that a config with a Rekor v1 log and no timestamp
/// authority is accepted — sigstore-sign insists on a TSA even where the log's signed entry
/// timestamp already proves the time.
///
/// # Errors
/// [`KeylessError::SigningConfig`] naming the file and what is missing.
pub fn choose_services(
    source: &SigningConfigSource,
    rekor_version: Option<u32>,
) -> Result<Services, KeylessError> {
    let err = |fault| KeylessError::SigningConfig {
        origin: source.to_string(),
        source: fault,
    };
    let text = match source {
        SigningConfigSource::BuiltIn => builtin_signing_config_json().to_owned(),
        SigningConfigSource::File(p) => {
            fs_err::read_to_string(p).map_err(|e| err(SigningConfigError::Read(e)))?
        }
    };
    let config = SigningConfig::from_json(&text).map_err(|e| err(SigningConfigError::Parse(e)))?;
    let forced = match rekor_version {
        None => None,
        Some(v) => Some(
            RekorApiVersion::from_major(v)
                .ok_or_else(|| err(SigningConfigError::RekorVersion(v)))?,
        ),
    };
    let inner = match SigningServices::from_signing_config_with_rekor_version(&config, forced) {
        Ok(s) => s,
        Err(sigstore_sign::Error::Config(ConfigError::MissingService(
            sigstore_sign::Service::Tsa,
        ))) => {
            let fulcio = config
                .fulcio_url()
                .ok_or_else(|| err(SigningConfigError::NoFulcio))?;
            let rekor = config
                .rekor_url(rekor_version)
                .filter(|r| r.major_api_version == 1)
                .ok_or_else(|| err(SigningConfigError::RekorV2WithoutTsa))?;
            SigningServices::new(fulcio.url.clone(), rekor.url.clone())
        }
        Err(e) => return Err(err(SigningConfigError::Services(e))),
    };
    inner
        .validate()
        .map_err(|e| err(SigningConfigError::Services(e)))?;
    Ok(Services {
        fulcio: inner.fulcio_url().to_owned(),
        rekor: inner.rekor_url().to_owned(),
        rekor_version: inner.rekor_api_version().major(),
        tsa: inner.tsa_url().map(str::to_owned),
        origin: source.clone(),
        inner,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &tempfile::TempDir, json: &serde_json::Value) -> SigningConfigSource {
        let p = dir.path().join("signing_config.json");
        std::fs::write(&p, json.to_string()).expect("write");
        SigningConfigSource::File(p)
    }

    fn endpoint(url: &str, v: u32) -> serde_json::Value {
        serde_json::json!({"url": url, "majorApiVersion": v,
            "validFor": {"start": "2024-01-01T00:00:00Z"}})
    }

    const MT: &str = "application/vnd.dev.sigstore.signingconfig.v0.2+json";

    #[test]
    fn builtin_is_public_sigstore_and_has_a_date() {
        let s = choose_services(&SigningConfigSource::BuiltIn, None).expect("built-in");
        assert_eq!(s.fulcio, "https://fulcio.sigstore.dev");
        assert!(s.rekor.starts_with("https://rekor"), "{}", s.rekor);
        let date = builtin_signing_config_date().expect("date");
        assert_eq!(date.len(), 10);
    }

    #[test]
    fn rekor_v2_with_tsa_is_chosen_over_v1() {
        let dir = tempfile::tempdir().expect("tmp");
        let src = write(
            &dir,
            &serde_json::json!({"mediaType": MT,
            "caUrls": [endpoint("http://127.0.0.1:5555", 1)],
            "rekorTlogUrls": [endpoint("http://127.0.0.1:3000", 1), endpoint("http://127.0.0.1:3003", 2)],
            "tsaUrls": [endpoint("http://127.0.0.1:3004/api/v1/timestamp", 1)],
            "rekorTlogConfig": {"selector": "ANY"}, "tsaConfig": {"selector": "ANY"}}),
        );
        let s = choose_services(&src, None).expect("services");
        assert_eq!(
            (s.rekor.as_str(), s.rekor_version),
            ("http://127.0.0.1:3003", 2)
        );
        assert!(s.tsa.is_some());
        let s1 = choose_services(&src, Some(1)).expect("forced v1");
        assert_eq!(s1.rekor_version, 1);
    }

    #[test]
    fn rekor_v1_without_tsa_is_accepted_and_v2_without_tsa_is_not() {
        let dir = tempfile::tempdir().expect("tmp");
        let src = write(
            &dir,
            &serde_json::json!({"mediaType": MT,
            "caUrls": [endpoint("http://127.0.0.1:5555", 1)],
            "rekorTlogUrls": [endpoint("http://127.0.0.1:3000", 1)]}),
        );
        let s = choose_services(&src, None).expect("v1 without TSA");
        assert_eq!((s.rekor_version, s.tsa.as_deref()), (1, None));

        let src = write(
            &dir,
            &serde_json::json!({"mediaType": MT,
            "caUrls": [endpoint("http://127.0.0.1:5555", 1)],
            "rekorTlogUrls": [endpoint("http://127.0.0.1:3003", 2)]}),
        );
        let e = choose_services(&src, None).unwrap_err();
        assert!(
            matches!(
                e,
                KeylessError::SigningConfig {
                    source: SigningConfigError::RekorV2WithoutTsa,
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn bad_files_name_themselves() {
        let dir = tempfile::tempdir().expect("tmp");
        let src = write(
            &dir,
            &serde_json::json!({"mediaType": "application/x-other"}),
        );
        let e = choose_services(&src, None).unwrap_err();
        assert!(e.to_string().contains("signing_config.json"), "{e}");
        let missing = SigningConfigSource::File("/nonexistent/sc.json".into());
        let e = choose_services(&missing, None).unwrap_err();
        assert!(e.to_string().contains("/nonexistent/sc.json"), "{e}");
        let text = provseal_model::one_line(&e);
        assert!(
            text.ends_with("No such file or directory (os error 2)"),
            "{text}"
        );
    }
}

//! The local Sigstore stack (`scripts/sigstore-stack`) as seen from a test, and the Go peer tools.
//!
//! A stack is a directory written by `scripts/sigstore-stack start DIR`; tests find it through
//! `PROVSEAL_SIGSTORE_STACK=DIR`. Without it a test prints that it was skipped — except under
//! `CI=true`, where `.ci/run` always starts one, so a missing stack is a failure.
//!
//! ```no_run
//! use provseal_testsupport::stack::{peer_bin, SigstoreStack};
//! let Some(stack) = SigstoreStack::from_env("keyless_round_trip") else { return };
//! let Some(cosign) = peer_bin("cosign") else { return };
//! let token = stack.token();
//! let other = stack.token_with(&[("job_workflow_ref", "evil/repo/.github/workflows/x.yml@refs/heads/main")]);
//! # let _ = (cosign, token, other);
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::in_ci;
use crate::oidc::Issuer;

/// The SAN of the certificate Fulcio issues for the stack's default token.
pub const DEFAULT_IDENTITY: &str =
    "https://github.com/provseal-test/app/.github/workflows/release.yml@refs/tags/v1.0.0";

/// A running local Sigstore stack: its URLs and trust files.
#[derive(Debug, Clone)]
pub struct SigstoreStack {
    /// The stack directory.
    pub dir: PathBuf,
    /// Fulcio's base URL.
    pub fulcio_url: String,
    /// Rekor v2's base URL.
    pub rekor_url: String,
    /// The timestamp authority's timestamp endpoint (`…/api/v1/timestamp`).
    pub tsa_url: String,
    /// The CT log's (TesseraCT) base URL.
    pub ct_url: String,
    /// The test OIDC issuer URL (`--certificate-oidc-issuer`).
    pub oidc_issuer: String,
    /// GitHub's `ACTIONS_ID_TOKEN_REQUEST_URL`, served by the test issuer.
    pub actions_request_url: String,
    /// GitHub's `ACTIONS_ID_TOKEN_REQUEST_TOKEN` for that endpoint.
    pub actions_request_token: String,
    /// Rekor v1's base URL, when the stack runs one.
    pub rekor_v1_url: Option<String>,
    /// `DIR/trusted_root.json` (cosign `trusted-root create`).
    pub trusted_root: PathBuf,
    /// `DIR/signing_config.json` (signing config v0.2: Fulcio, Rekor v2, TSA).
    pub signing_config: PathBuf,
    /// `DIR/signing_config.rekor-v1.json`, when the stack runs Rekor v1.
    pub signing_config_rekor_v1: Option<PathBuf>,
    /// `DIR/trust_config.json`: a ClientTrustConfig (sigstore-python `--trust-config`).
    pub trust_config: PathBuf,
}

impl SigstoreStack {
    /// The stack named by `PROVSEAL_SIGSTORE_STACK`, or `None` after a skip notice naming
    /// `test_name`. Panics under CI when it is unset, and whenever it names a directory that holds
    /// no started stack.
    pub fn from_env(test_name: &str) -> Option<Self> {
        match std::env::var_os("PROVSEAL_SIGSTORE_STACK") {
            Some(dir) => Some(
                Self::open(Path::new(&dir))
                    .unwrap_or_else(|e| panic!("{test_name}: PROVSEAL_SIGSTORE_STACK: {e}")),
            ),
            None if in_ci() => panic!(
                "{test_name}: PROVSEAL_SIGSTORE_STACK is not set; .ci/run must start a stack \
                 (scripts/sigstore-stack start DIR)"
            ),
            None => {
                eprintln!(
                    "{test_name}: skipped: no local Sigstore stack \
                     (scripts/sigstore-stack start DIR; export PROVSEAL_SIGSTORE_STACK=DIR)"
                );
                None
            }
        }
    }

    /// Reads the stack in `dir` (its `env` file).
    pub fn open(dir: &Path) -> Result<Self, String> {
        let env_path = dir.join("env");
        let text = std::fs::read_to_string(&env_path)
            .map_err(|e| format!("`{}`: {e} (is a stack started there?)", env_path.display()))?;
        let vars = parse_env(&text);
        let get = |name: &str| {
            vars.get(name)
                .cloned()
                .ok_or_else(|| format!("`{}` has no {name}", env_path.display()))
        };
        let optional_file = |name: &str| Some(dir.join(name)).filter(|p| p.is_file());
        Ok(Self {
            dir: dir.to_path_buf(),
            fulcio_url: get("FULCIO_URL")?,
            rekor_url: get("REKOR_URL")?,
            tsa_url: get("TSA_URL")?,
            ct_url: get("CT_URL")?,
            oidc_issuer: get("OIDC_ISSUER")?,
            actions_request_url: get("ACTIONS_ID_TOKEN_REQUEST_URL")?,
            actions_request_token: get("ACTIONS_ID_TOKEN_REQUEST_TOKEN")?,
            rekor_v1_url: vars.get("REKOR_V1_URL").cloned(),
            trusted_root: dir.join("trusted_root.json"),
            signing_config: dir.join("signing_config.json"),
            signing_config_rekor_v1: optional_file("signing_config.rekor-v1.json"),
            trust_config: dir.join("trust_config.json"),
        })
    }

    /// Rekor v1's URL and its signing config (Fulcio + Rekor v1, no TSA), or `None` after a skip
    /// notice when the stack was started without `--rekor-v1`. Panics under CI, where `.ci/run`
    /// starts Rekor v1.
    pub fn rekor_v1(&self, test_name: &str) -> Option<(&str, &Path)> {
        if let (Some(url), Some(sc)) = (&self.rekor_v1_url, &self.signing_config_rekor_v1) {
            return Some((url.as_str(), sc.as_path()));
        }
        if in_ci() {
            panic!(
                "{test_name}: the stack runs no Rekor v1; .ci/run must start it with --rekor-v1"
            );
        }
        eprintln!(
            "{test_name}: skipped: the stack in `{}` runs no Rekor v1 (start it with --rekor-v1)",
            self.dir.display()
        );
        None
    }

    /// The certificate identity (SAN) of [`token`](Self::token)'s certificate.
    pub fn identity(&self) -> &'static str {
        DEFAULT_IDENTITY
    }

    /// A fresh token for the default identity, audience `sigstore`, valid for an hour.
    pub fn token(&self) -> String {
        self.token_with(&[])
    }

    /// A fresh token with claims replaced: `("aud", "x")`, `("exp", "-60")` (expired),
    /// `("job_workflow_ref", …)` (another identity); an empty value removes a claim. See
    /// [`Issuer::mint`].
    pub fn token_with(&self, overrides: &[(&str, &str)]) -> String {
        Issuer::open(&self.dir)
            .and_then(|issuer| issuer.mint(overrides))
            .unwrap_or_else(|e| panic!("minting a test token in `{}`: {e}", self.dir.display()))
    }

    /// The services' own counters (`scripts/sigstore-stack stats DIR`): Fulcio's certificate
    /// requests from its log, the CT and Rekor tree sizes from their checkpoints.
    pub fn stats(&self) -> BTreeMap<String, u64> {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/sigstore-stack");
        let out = std::process::Command::new(&script)
            .arg("stats")
            .arg(&self.dir)
            .output()
            .unwrap_or_else(|e| panic!("running `{}`: {e}", script.display()));
        assert!(
            out.status.success(),
            "`{} stats` failed: {}",
            script.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|line| {
                let (k, v) = line.split_once(' ')?;
                Some((k.to_owned(), v.trim().parse().ok()?))
            })
            .collect()
    }

    /// Writes a ClientTrustConfig (`application/vnd.dev.sigstore.clienttrustconfig.v0.1+json`,
    /// what sigstore-python's `--trust-config` reads) from this stack's trusted root and the given
    /// signing config, to `out`.
    pub fn write_client_trust_config(&self, signing_config: &Path, out: &Path) {
        write_client_trust_config(&self.trusted_root, signing_config, out)
    }
}

/// Writes a ClientTrustConfig combining `trusted_root` and `signing_config` to `out`.
pub fn write_client_trust_config(trusted_root: &Path, signing_config: &Path, out: &Path) {
    let load = |p: &Path| -> serde_json::Value {
        let text =
            std::fs::read_to_string(p).unwrap_or_else(|e| panic!("reading `{}`: {e}", p.display()));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing `{}`: {e}", p.display()))
    };
    let doc = serde_json::json!({
        "mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json",
        "trustedRoot": load(trusted_root),
        "signingConfig": load(signing_config),
    });
    std::fs::write(out, serde_json::to_vec_pretty(&doc).expect("serialise"))
        .unwrap_or_else(|e| panic!("writing `{}`: {e}", out.display()));
}

/// The peer tool `name` in `$PROVSEAL_PEERS/bin` (default `~/.cache/provseal-peers/bin`), as built
/// by `scripts/install-peers`, or `None` after a skip notice. Panics under CI when it is missing.
pub fn peer_bin(name: &str) -> Option<PathBuf> {
    let dir = peers_dir().join("bin");
    let path = dir.join(name);
    if path.is_file() {
        return Some(path);
    }
    if in_ci() {
        panic!(
            "peer tool `{name}` not found in `{}`; .ci/run must run scripts/install-peers",
            dir.display()
        );
    }
    eprintln!(
        "skipped: peer tool `{name}` not found in `{}` (scripts/install-peers {name})",
        dir.display()
    );
    None
}

fn peers_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("PROVSEAL_PEERS") {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    home.join(".cache/provseal-peers")
}

/// Parses the `export NAME='value'` lines `scripts/sigstore-stack` writes.
fn parse_env(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|line| line.trim().strip_prefix("export "))
        .filter_map(|rest| rest.split_once('='))
        .map(|(name, value)| {
            let value = value.trim();
            let value = value
                .strip_prefix('\'')
                .and_then(|v| v.strip_suffix('\''))
                .unwrap_or(value);
            (name.to_owned(), value.to_owned())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_file_lines_are_read_and_comments_ignored() {
        let vars = parse_env(
            "# comment\nexport FULCIO_URL='http://127.0.0.1:1'\nexport X=plain\nnot an export\n",
        );
        assert_eq!(vars["FULCIO_URL"], "http://127.0.0.1:1");
        assert_eq!(vars["X"], "plain");
        assert_eq!(vars.len(), 2);
    }

    #[test]
    fn a_directory_without_a_stack_is_an_error_naming_it() {
        let tmp = tempfile::tempdir().unwrap();
        let err = SigstoreStack::open(tmp.path()).unwrap_err();
        assert!(err.contains("env"), "{err}");
    }

    /// Against a running stack: the issuer answers discovery, JWKS and the Actions endpoint, and
    /// a minted token names the stack's issuer.
    #[test]
    fn the_running_stack_serves_discovery_jwks_and_actions_tokens() {
        let Some(stack) = SigstoreStack::from_env("the_running_stack_serves_discovery") else {
            return;
        };
        let get = |url: &str, auth: Option<&str>| -> (u16, String) {
            let mut cmd = std::process::Command::new("curl");
            cmd.args(["-sS", "-w", "\n%{http_code}", url]);
            if let Some(a) = auth {
                cmd.args(["-H", &format!("Authorization: bearer {a}")]);
            }
            let out = cmd.output().expect("curl runs");
            let text = String::from_utf8(out.stdout).unwrap();
            let (body, code) = text.rsplit_once('\n').unwrap();
            (code.parse().unwrap(), body.to_owned())
        };
        let (code, body) = get(
            &format!("{}/.well-known/openid-configuration", stack.oidc_issuer),
            None,
        );
        assert_eq!(code, 200);
        let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(doc["issuer"], stack.oidc_issuer.as_str());
        let (code, _) = get(doc["jwks_uri"].as_str().unwrap(), None);
        assert_eq!(code, 200);
        let url = format!("{}&audience=sigstore", stack.actions_request_url);
        assert_eq!(get(&url, Some("wrong")).0, 401);
        let (code, body) = get(&url, Some(&stack.actions_request_token));
        assert_eq!(code, 200);
        let jwt: serde_json::Value = serde_json::from_str(&body).unwrap();
        let claims = claims_of(jwt["value"].as_str().unwrap());
        assert_eq!(claims["aud"], "sigstore");
        assert_eq!(claims["iss"], stack.oidc_issuer.as_str());
        assert_eq!(claims_of(&stack.token_with(&[("aud", "x")]))["aud"], "x");
    }

    fn claims_of(jwt: &str) -> serde_json::Value {
        use base64::Engine as _;
        let part = jwt.split('.').nth(1).unwrap();
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(part)
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }
}

//! Environment variables recorded in a snapshot: an allow-list of non-secret CI variables
//! ([`ALLOWED`]) plus names the user asks for (`--env NAME`) — never the whole environment.
//!
//! A name that looks like it holds a secret (it contains one of [`SECRET_PATTERNS`],
//! case-insensitively: `GITHUB_TOKEN`, `AWS_SECRET_ACCESS_KEY`, `NPM_AUTH`, …) is refused even
//! when asked for ([`MaterialsError::SecretEnvRefused`]; its value is never read into the error).
//! Values that are URLs lose any `user:password@` part (`CI_REPOSITORY_URL`-style values carry
//! job tokens there).
//!
//! ```
//! use std::collections::BTreeMap;
//! use provseal_materials::env_vars::select;
//! let env: BTreeMap<String, String> = [("CI", "true"), ("GITHUB_TOKEN", "ghs_x"), ("HOME", "/root")]
//!     .into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
//! let (vars, _) = select(&env, &[]).unwrap();
//! assert_eq!(vars.keys().collect::<Vec<_>>(), ["CI"]);
//! assert!(select(&env, &["GITHUB_TOKEN".to_string()]).is_err());
//! ```

use std::collections::BTreeMap;

use crate::git::strip_credentials;
use crate::{MaterialsError, Warning};

/// Variables recorded whenever they are set: CI identity, never secrets.
pub const ALLOWED: &[&str] = &[
    "CI",
    "SOURCE_DATE_EPOCH",
    // GitHub Actions
    "GITHUB_ACTIONS",
    "GITHUB_SERVER_URL",
    "GITHUB_REPOSITORY",
    "GITHUB_REPOSITORY_ID",
    "GITHUB_REPOSITORY_OWNER",
    "GITHUB_REPOSITORY_OWNER_ID",
    "GITHUB_REF",
    "GITHUB_REF_NAME",
    "GITHUB_REF_TYPE",
    "GITHUB_HEAD_REF",
    "GITHUB_BASE_REF",
    "GITHUB_SHA",
    "GITHUB_WORKFLOW",
    "GITHUB_WORKFLOW_REF",
    "GITHUB_WORKFLOW_SHA",
    "GITHUB_JOB",
    "GITHUB_RUN_ID",
    "GITHUB_RUN_NUMBER",
    "GITHUB_RUN_ATTEMPT",
    "GITHUB_ACTOR",
    "GITHUB_ACTOR_ID",
    "GITHUB_TRIGGERING_ACTOR",
    "GITHUB_EVENT_NAME",
    "RUNNER_OS",
    "RUNNER_ARCH",
    "RUNNER_NAME",
    "RUNNER_ENVIRONMENT",
    // GitLab CI
    "GITLAB_CI",
    "CI_SERVER_URL",
    "CI_SERVER_HOST",
    "CI_PROJECT_ID",
    "CI_PROJECT_PATH",
    "CI_PROJECT_URL",
    "CI_COMMIT_SHA",
    "CI_COMMIT_REF_NAME",
    "CI_COMMIT_BRANCH",
    "CI_COMMIT_TAG",
    "CI_PIPELINE_ID",
    "CI_PIPELINE_IID",
    "CI_PIPELINE_SOURCE",
    "CI_PIPELINE_URL",
    "CI_JOB_ID",
    "CI_JOB_NAME",
    "CI_JOB_URL",
    "CI_CONFIG_PATH",
    "CI_RUNNER_ID",
    "GITLAB_USER_LOGIN",
];

/// Substrings (upper case) that mark a variable name as secret.
pub const SECRET_PATTERNS: &[&str] = &[
    "TOKEN",
    "KEY",
    "SECRET",
    "PASSWORD",
    "PASSWD",
    "PASSPHRASE",
    "PWD",
    "CREDENTIAL",
    "AUTH",
    "PRIVATE",
    "SESSION",
    "COOKIE",
    "SIGNING",
    "CERT",
    "DSN",
    "JWT",
    "BEARER",
];

/// Whether `name` looks like it holds a secret (case-insensitive substring match).
pub fn is_secret_name(name: &str) -> bool {
    let up = name.to_ascii_uppercase();
    SECRET_PATTERNS.iter().any(|p| up.contains(p))
}

/// Picks the recorded variables from `env`: every [`ALLOWED`] name that is set, plus `extra`.
/// An `extra` name that looks secret is an error; one that is not set gives a warning.
pub fn select(
    env: &BTreeMap<String, String>,
    extra: &[String],
) -> Result<(BTreeMap<String, String>, Vec<Warning>), MaterialsError> {
    if let Some(bad) = extra.iter().find(|n| is_secret_name(n)) {
        return Err(MaterialsError::SecretEnvRefused { name: bad.clone() });
    }
    let mut out = BTreeMap::new();
    let mut warnings = Vec::new();
    for name in ALLOWED
        .iter()
        .copied()
        .chain(extra.iter().map(String::as_str))
    {
        if is_secret_name(name) {
            continue; // defence in depth: never even for the allow-list
        }
        match env.get(name) {
            Some(v) => {
                out.insert(name.to_string(), sanitize(v));
            }
            None if extra.iter().any(|e| e == name) => warnings.push(Warning {
                code: crate::diag::WarningCode::EnvVarUnset,
                subject: name.to_string(),
                message: "requested but not set; not recorded".into(),
            }),
            None => {}
        }
    }
    Ok((out, warnings))
}

/// Strips user information from URL-like values.
fn sanitize(v: &str) -> String {
    if v.contains("://") && v.contains('@') {
        strip_credentials(v)
    } else {
        v.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names() {
        for n in [
            "GITHUB_TOKEN",
            "aws_secret_access_key",
            "AWS_ACCESS_KEY_ID",
            "NPM_AUTH",
            "DB_PASSWORD",
            "MY_PASSWD",
            "GPG_PRIVATE",
            "SESSION_ID",
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
            "PROVSEAL_KEY",
            "SENTRY_DSN",
        ] {
            assert!(is_secret_name(n), "{n}");
        }
        for n in ALLOWED {
            assert!(!is_secret_name(n), "{n}");
        }
    }

    #[test]
    fn selection() {
        let env: BTreeMap<String, String> = [
            ("CI", "true"),
            ("GITHUB_SHA", "abc"),
            ("HOME", "/root"),
            ("MY_VAR", "1"),
            (
                "CI_PROJECT_URL",
                "https://gitlab-ci-token:s3cr3t@gitlab.com/o/r",
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let (vars, w) = select(&env, &["MY_VAR".into(), "UNSET_ONE".into()]).unwrap();
        assert_eq!(
            vars.into_iter().collect::<Vec<_>>(),
            [
                ("CI".to_string(), "true".to_string()),
                ("CI_PROJECT_URL".into(), "https://gitlab.com/o/r".into()),
                ("GITHUB_SHA".into(), "abc".into()),
                ("MY_VAR".into(), "1".into()),
            ]
        );
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].subject, "UNSET_ONE");
        let err = select(&env, &["AWS_SECRET_ACCESS_KEY".into()]).unwrap_err();
        assert!(
            matches!(&err, MaterialsError::SecretEnvRefused { name } if name == "AWS_SECRET_ACCESS_KEY")
        );
    }
}

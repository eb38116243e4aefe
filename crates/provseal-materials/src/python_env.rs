//! Installed Python distributions of a virtual environment or interpreter, read from the
//! `*.dist-info` / `*.egg-info` metadata directly — pip is never run.
//!
//! Which environment: `CollectContext::python` (`--python PATH`: a venv directory, a
//! site-packages directory, or an interpreter), else `VIRTUAL_ENV` from `CollectContext::env`,
//! else `<root>/.venv`; none of them → nothing is collected.
//!
//! How its import path is found:
//! - A venv (a directory with `pyvenv.cfg`, or an interpreter inside one) is read from its layout
//!   (`lib/python3.X/site-packages`, `lib64/…`, `Lib/site-packages`) without running anything,
//!   unless its `pyvenv.cfg` says `include-system-site-packages = true`: then, as for an
//!   interpreter outside any venv, the interpreter is run **once** with
//!   `-c 'import sys,json;print(json.dumps(…sys.path…))'` to get its `sys.path` (without `-I`,
//!   so `PYTHONPATH` and the user site count as they do for `pip list`; the empty
//!   current-directory entry is dropped, as for the `pip` script).
//! - Directories named by `.pth` files in a site directory are appended the way `site.py` does
//!   (sorted `.pth` files, `import` lines skipped), so editable installs that add a source
//!   directory are seen as pip sees them.
//!
//! What is listed — the same set as `pip list --format=json`: every `*.dist-info` and
//! `*.egg-info` (directory or file) on the path, in path order, the first occurrence of each
//! normalised name winning (pip does the same), plus `.egg-link` targets. A metadata directory
//! without a usable `Name`/`Version` is skipped with a [`Warning`] (pip skips it too).
//!
//! Per distribution: normalised name, version, `INSTALLER`, the sha256 of `RECORD`, and from
//! PEP 610 `direct_url.json` whether it is editable and its direct URL (credentials stripped).
//!
//! ```no_run
//! use provseal_materials::{python_env, CollectContext};
//! let ctx = CollectContext { root: ".".into(), ..Default::default() };
//! if let Some(env) = python_env::locate(&ctx)? {
//!     let (dists, _warnings) = python_env::installed_distributions(&env);
//!     for d in dists {
//!         println!("{} {}", d.name, d.version);
//!     }
//! }
//! # Ok::<(), provseal_materials::MaterialsError>(())
//! ```

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use provseal_model::ResourceDescriptor;
use serde_json::{Map, Value};

use crate::discover::{display_name, sha256_hex};
use crate::git::strip_credentials;
use crate::purl::{normalize_pypi_name, package_url_with_qualifiers};
use crate::{CollectContext, Collected, Collector, MaterialsError, Warning};

/// Largest metadata file read (bytes).
const MAX_META: u64 = 16 * 1024 * 1024;

/// How the Python environment to inspect was chosen (see [`locate`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum PythonSelection {
    /// The interpreter or environment the caller asked for ([`crate::CollectContext::python`]).
    #[serde(rename = "requested")]
    Requested,
    /// The `VIRTUAL_ENV` variable.
    #[serde(rename = "VIRTUAL_ENV")]
    VirtualEnv,
    /// `.venv` at the work-tree root.
    #[serde(rename = ".venv")]
    DotVenv,
}

/// A located Python environment.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PythonEnv {
    /// The venv directory or interpreter the environment was found from.
    pub location: PathBuf,
    /// How it was chosen.
    pub selected_by: PythonSelection,
    /// The directories searched for distributions, in import order.
    pub paths: Vec<PathBuf>,
    /// Whether the interpreter was run to get `sys.path`.
    pub ran_interpreter: bool,
}

/// One installed distribution.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InstalledDist {
    /// The name as its metadata spells it.
    pub raw_name: String,
    /// PEP 503-normalised name.
    pub name: String,
    /// Version from the metadata.
    pub version: String,
    /// `INSTALLER` contents (`pip`, `uv`, …).
    pub installer: Option<String>,
    /// sha256 (hex) of `RECORD`, when present.
    pub record_sha256: Option<String>,
    /// PEP 610: installed in editable mode.
    pub editable: bool,
    /// PEP 610 URL (credentials stripped), with `@commit` for VCS installs.
    pub direct_url: Option<String>,
    /// Whether `direct_url` is a VCS URL.
    pub vcs: bool,
    /// The metadata directory or file name (`requests-2.32.3.dist-info`).
    pub metadata_dir: String,
}

impl InstalledDist {
    /// As a `ResourceDescriptor`: purl (with `vcs_url` / `download_url` for non-local direct
    /// URLs), `digest.sha256` of `RECORD`, annotations.
    pub fn to_resource_descriptor(&self, env_name: &str) -> ResourceDescriptor {
        let mut q = Vec::new();
        if let Some(u) = self.direct_url.as_deref() {
            if self.vcs {
                q.push(("vcs_url", u));
            } else if !u.starts_with("file:") {
                q.push(("download_url", u));
            }
        }
        let uri = package_url_with_qualifiers("pypi", None, &self.name, Some(&self.version), &q);
        let mut ann = Map::new();
        ann.insert(
            provseal_model::vocab::annotation::PYTHON_ENV.into(),
            env_name.into(),
        );
        ann.insert("distInfo".into(), self.metadata_dir.clone().into());
        if let Some(i) = &self.installer {
            ann.insert("installer".into(), i.clone().into());
        }
        if self.record_sha256.is_some() {
            ann.insert("digestOf".into(), "RECORD".into());
        }
        if self.editable {
            ann.insert("editable".into(), true.into());
        }
        if let Some(u) = &self.direct_url {
            ann.insert("directUrl".into(), u.clone().into());
        }
        ResourceDescriptor {
            uri: Some(uri),
            digest: self
                .record_sha256
                .iter()
                .map(|h| ("sha256", h.as_str()))
                .collect(),
            annotations: ann,
            ..Default::default()
        }
    }
}

/// The Python environment collector (`python-env`).
#[derive(Debug, Clone, Copy, Default)]
pub struct PythonEnvCollector;

impl Collector for PythonEnvCollector {
    fn name(&self) -> &'static str {
        "python-env"
    }

    fn collect(&self, ctx: &CollectContext) -> Result<Collected, MaterialsError> {
        let mut out = Collected::default();
        let env = match locate(ctx) {
            Ok(Some(env)) => env,
            Ok(None) => return Ok(out),
            Err(e) if ctx.python.is_none() => {
                // VIRTUAL_ENV pointing nowhere is worth a warning, not a failed snapshot.
                out.warnings.push(Warning {
                    code: crate::diag::WarningCode::PythonEnvUnreadable,
                    subject: "VIRTUAL_ENV".into(),
                    message: provseal_model::one_line(&e),
                });
                return Ok(out);
            }
            Err(e) => return Err(e),
        };
        let env_name = display_name(&ctx.root, &env.location);
        let (dists, warnings) = installed_distributions(&env);
        out.warnings.extend(warnings);
        out.materials
            .extend(dists.iter().map(|d| d.to_resource_descriptor(&env_name)));
        Ok(out)
    }
}

/// Finds the environment to inspect (see the module docs); `Ok(None)` when there is none.
pub fn locate(ctx: &CollectContext) -> Result<Option<PythonEnv>, MaterialsError> {
    if let Some(p) = &ctx.python {
        let p = if p.is_absolute() {
            p.clone()
        } else {
            ctx.root.join(p)
        };
        return from_path(&p, PythonSelection::Requested).map(Some);
    }
    if let Some(v) = ctx.env.get("VIRTUAL_ENV").filter(|v| !v.is_empty()) {
        return from_path(Path::new(v), PythonSelection::VirtualEnv).map(Some);
    }
    let dot = ctx.root.join(".venv");
    if dot.join("pyvenv.cfg").is_file() {
        return from_path(&dot, PythonSelection::DotVenv).map(Some);
    }
    Ok(None)
}

fn env_err(path: &Path, reason: impl Into<String>) -> MaterialsError {
    MaterialsError::PythonEnv {
        path: path.to_path_buf(),
        reason: reason.into(),
        source: None,
    }
}

/// [`env_err`] with the error that stopped the inspection as the cause.
fn env_err_by(
    path: &Path,
    reason: &str,
    source: impl std::error::Error + Send + Sync + 'static,
) -> MaterialsError {
    MaterialsError::PythonEnv {
        path: path.to_path_buf(),
        reason: reason.to_owned(),
        source: Some(provseal_model::Cause::new(source)),
    }
}

fn from_path(p: &Path, selected_by: PythonSelection) -> Result<PythonEnv, MaterialsError> {
    let meta = std::fs::metadata(p).map_err(|e| env_err_by(p, "", e))?;
    if meta.is_dir() {
        if p.join("pyvenv.cfg").is_file() {
            return venv_env(p, p, selected_by);
        }
        // A site-packages directory itself.
        if p.file_name()
            .is_some_and(|n| n == "site-packages" || n == "dist-packages")
        {
            let paths = with_pth_dirs(vec![p.to_path_buf()]);
            return Ok(PythonEnv {
                location: p.to_path_buf(),
                selected_by,
                paths,
                ran_interpreter: false,
            });
        }
        return Err(env_err(
            p,
            "not a virtual environment (no `pyvenv.cfg`), site-packages directory or interpreter",
        ));
    }
    // An interpreter: inside a venv (`<venv>/bin/python`, `<venv>/Scripts/python.exe`)?
    if let Some(venv) = p.parent().and_then(Path::parent) {
        if venv.join("pyvenv.cfg").is_file() {
            return venv_env(venv, p, selected_by);
        }
    }
    let paths = with_pth_dirs(interpreter_sys_path(p)?);
    Ok(PythonEnv {
        location: p.to_path_buf(),
        selected_by,
        paths,
        ran_interpreter: true,
    })
}

fn venv_env(
    venv: &Path,
    location: &Path,
    selected_by: PythonSelection,
) -> Result<PythonEnv, MaterialsError> {
    let cfg = fs_err::read_to_string(venv.join("pyvenv.cfg")).unwrap_or_default();
    let system_site = cfg.lines().any(|l| {
        l.split_once('=').is_some_and(|(k, v)| {
            k.trim()
                .eq_ignore_ascii_case("include-system-site-packages")
                && v.trim().eq_ignore_ascii_case("true")
        })
    });
    if system_site {
        let py = venv_interpreter(venv)
            .ok_or_else(|| env_err(venv, "no interpreter found in `bin/` or `Scripts/`"))?;
        let paths = with_pth_dirs(interpreter_sys_path(&py)?);
        return Ok(PythonEnv {
            location: location.to_path_buf(),
            selected_by,
            paths,
            ran_interpreter: true,
        });
    }
    let mut dirs = Vec::new();
    for lib in ["lib", "lib64"] {
        if let Ok(rd) = std::fs::read_dir(venv.join(lib)) {
            let mut subs: Vec<PathBuf> = rd
                .filter_map(Result::ok)
                .map(|e| e.path().join("site-packages"))
                .filter(|p| p.is_dir())
                .collect();
            subs.sort();
            dirs.extend(subs);
        }
    }
    let win = venv.join("Lib").join("site-packages");
    if win.is_dir() {
        dirs.push(win);
    }
    // lib64 is usually a symlink to lib: keep each real directory once.
    let mut seen = BTreeSet::new();
    dirs.retain(|d| seen.insert(std::fs::canonicalize(d).unwrap_or_else(|_| d.clone())));
    if dirs.is_empty() {
        return Err(env_err(
            venv,
            "virtual environment has no site-packages directory",
        ));
    }
    Ok(PythonEnv {
        location: location.to_path_buf(),
        selected_by,
        paths: with_pth_dirs(dirs),
        ran_interpreter: false,
    })
}

fn venv_interpreter(venv: &Path) -> Option<PathBuf> {
    ["bin/python", "bin/python3", "Scripts/python.exe"]
        .iter()
        .map(|r| venv.join(r))
        .find(|p| p.is_file())
}

/// Runs the interpreter once for its `sys.path` (existing directories only; the empty
/// current-directory entry dropped).
fn interpreter_sys_path(py: &Path) -> Result<Vec<PathBuf>, MaterialsError> {
    let out = Command::new(py)
        .args([
            "-c",
            "import sys,json;print(json.dumps([p for p in sys.path if p]))",
        ])
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| env_err_by(py, "cannot run the interpreter", e))?;
    if !out.status.success() {
        return Err(env_err(
            py,
            format!(
                "interpreter exited with {}: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        ));
    }
    let list: Vec<String> = serde_json::from_slice(&out.stdout)
        .map_err(|e| env_err_by(py, "unexpected `sys.path` output", e))?;
    Ok(list
        .into_iter()
        .map(PathBuf::from)
        .filter(|p| p.is_dir())
        .collect())
}

/// Appends the directories `.pth` files name (as `site.addpackage` does), without duplicates.
fn with_pth_dirs(dirs: Vec<PathBuf>) -> Vec<PathBuf> {
    let mut out = dirs.clone();
    let mut seen: BTreeSet<PathBuf> = dirs
        .iter()
        .map(|d| std::fs::canonicalize(d).unwrap_or_else(|_| d.clone()))
        .collect();
    for dir in &dirs {
        let Ok(rd) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut pths: Vec<PathBuf> = rd
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "pth"))
            .collect();
        pths.sort();
        for pth in pths {
            let Ok(bytes) = read_limited(&pth, MAX_META) else {
                continue;
            };
            for line in String::from_utf8_lossy(&bytes).lines() {
                let line = line.trim_end();
                if line.is_empty()
                    || line.starts_with('#')
                    || line.starts_with("import ")
                    || line.starts_with("import\t")
                {
                    continue;
                }
                let p = dir.join(line);
                if p.is_dir() {
                    let c = std::fs::canonicalize(&p).unwrap_or_else(|_| p.clone());
                    if seen.insert(c) {
                        out.push(p);
                    }
                }
            }
        }
    }
    out
}

/// Lists the distributions on the environment's path, first occurrence of each name winning.
pub fn installed_distributions(env: &PythonEnv) -> (Vec<InstalledDist>, Vec<Warning>) {
    let mut dists: Vec<InstalledDist> = Vec::new();
    let mut warnings = Vec::new();
    let mut names = BTreeSet::new();
    for dir in &env.paths {
        let Ok(rd) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut entries: Vec<PathBuf> = rd.filter_map(Result::ok).map(|e| e.path()).collect();
        entries.sort();
        let mut candidates: Vec<PathBuf> = Vec::new();
        for e in entries {
            let Some(fname) = e.file_name().map(|n| n.to_string_lossy().to_lowercase()) else {
                continue;
            };
            if fname.ends_with(".dist-info") || fname.ends_with(".egg-info") {
                candidates.push(e);
            } else if fname.ends_with(".egg-link") {
                candidates.extend(egg_link_targets(&e));
            }
        }
        for meta in candidates {
            match read_dist(&meta) {
                Ok(d) => {
                    if names.insert(d.name.clone()) {
                        dists.push(d);
                    }
                }
                Err(reason) => warnings.push(Warning {
                    code: crate::diag::WarningCode::PythonDistUnreadable,
                    subject: meta.display().to_string(),
                    message: format!("{reason}; skipped (pip skips it too)"),
                }),
            }
        }
    }
    dists.sort_by(|a, b| a.name.cmp(&b.name));
    (dists, warnings)
}

/// The `*.egg-info` directories in the project directory an `.egg-link` file names.
fn egg_link_targets(link: &Path) -> Vec<PathBuf> {
    let Ok(bytes) = read_limited(link, 64 * 1024) else {
        return Vec::new();
    };
    let text = String::from_utf8_lossy(&bytes);
    let Some(first) = text.lines().next().map(str::trim).filter(|l| !l.is_empty()) else {
        return Vec::new();
    };
    let dir = link.parent().unwrap_or(Path::new(".")).join(first);
    let Ok(rd) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = rd
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "egg-info"))
        .collect();
    v.sort();
    v
}

fn read_limited(path: &Path, max: u64) -> std::io::Result<Vec<u8>> {
    let f = std::fs::File::open(path)?;
    let mut buf = Vec::new();
    f.take(max).read_to_end(&mut buf)?;
    Ok(buf)
}

/// Reads one metadata directory (or egg-info file).
fn read_dist(meta: &Path) -> Result<InstalledDist, String> {
    let fname = meta
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let is_dir = meta.is_dir();
    let metadata_file = if is_dir {
        if fname.to_lowercase().ends_with(".dist-info") {
            meta.join("METADATA")
        } else {
            meta.join("PKG-INFO")
        }
    } else {
        meta.to_path_buf()
    };
    let (name, version) = read_name_version(&metadata_file)?;
    let name = name.ok_or_else(|| format!("`{}` has no `Name`", metadata_file.display()))?;
    let version =
        version.ok_or_else(|| format!("`{}` has no `Version`", metadata_file.display()))?;
    let mut d = InstalledDist {
        name: normalize_pypi_name(&name),
        raw_name: name,
        version,
        installer: None,
        record_sha256: None,
        editable: false,
        direct_url: None,
        vcs: false,
        metadata_dir: fname,
    };
    if !is_dir {
        return Ok(d);
    }
    d.installer = read_limited(&meta.join("INSTALLER"), 4096)
        .ok()
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .filter(|s| !s.is_empty());
    let record = meta.join("RECORD");
    if record.is_file() {
        let bytes = read_limited(&record, MAX_META)
            .map_err(|e| format!("cannot read `{}`: {e}", record.display()))?;
        d.record_sha256 = Some(sha256_hex(&bytes));
    }
    let du = meta.join("direct_url.json");
    if du.is_file() {
        if let Ok(bytes) = read_limited(&du, MAX_META) {
            if let Ok(v) = serde_json::from_slice::<Value>(&bytes) {
                let url = v.get("url").and_then(Value::as_str).map(strip_credentials);
                d.editable = v
                    .pointer("/dir_info/editable")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                if let Some(vcs) = v.get("vcs_info") {
                    let kind = vcs.get("vcs").and_then(Value::as_str).unwrap_or("git");
                    let commit = vcs.get("commit_id").and_then(Value::as_str).unwrap_or("");
                    d.vcs = true;
                    d.direct_url = url.map(|u| format!("{kind}+{u}@{commit}"));
                } else {
                    d.direct_url = url;
                }
            }
        }
    }
    Ok(d)
}

/// `Name` and `Version` from the RFC 822 header block of `METADATA`/`PKG-INFO`.
fn read_name_version(path: &Path) -> Result<(Option<String>, Option<String>), String> {
    let f =
        std::fs::File::open(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    if !f.metadata().is_ok_and(|m| m.is_file()) {
        return Err(format!("`{}` is not a file", path.display()));
    }
    let mut reader = BufReader::new(f.take(MAX_META));
    let mut name = None;
    let mut version = None;
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        if n == 0 {
            break;
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            break; // end of headers
        }
        if let Some((k, v)) = text.split_once(':') {
            let v = v.trim();
            if k.eq_ignore_ascii_case("Name") && name.is_none() && !v.is_empty() {
                name = Some(v.to_string());
            } else if k.eq_ignore_ascii_case("Version") && version.is_none() && !v.is_empty() {
                version = Some(v.to_string());
            }
        }
        if name.is_some() && version.is_some() {
            break;
        }
    }
    Ok((name, version))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_headers() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("METADATA");
        std::fs::write(
            &p,
            "Metadata-Version: 2.1\r\nName: Foo.Bar\r\nVersion: 1.0\r\n\r\nName: ignored\n",
        )
        .unwrap();
        assert_eq!(
            read_name_version(&p).unwrap(),
            (Some("Foo.Bar".into()), Some("1.0".into()))
        );
        std::fs::write(&p, "Name: x\n\nVersion: 1\n").unwrap();
        assert_eq!(read_name_version(&p).unwrap(), (Some("x".into()), None));
    }
}

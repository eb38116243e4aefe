//! `provseal materials`, and the snapshot settings shared with `run`.

use crate::exit::ExitStatus;
use std::path::{Path, PathBuf};

use provseal_materials::snapshot::Snapshot;
use provseal_materials::CollectContext;

use crate::args::{MaterialsArgs, SnapshotArgs};
use crate::{output, Failure};

/// Resolves the snapshot settings: the source root (the git work tree root, else `cwd`), the
/// Python environment, named lockfiles, and the process environment (the library picks only the
/// allow-listed variables from it).
pub fn collect_context(cwd: &Path, args: &SnapshotArgs) -> Result<CollectContext, Failure> {
    // The root only (one `git rev-parse`): the snapshot reads the full source state itself.
    let root = provseal_materials::git::work_tree_root(cwd)?.unwrap_or_else(|| cwd.to_path_buf());
    let absolute = |p: &PathBuf| {
        if p.is_absolute() {
            p.clone()
        } else {
            cwd.join(p)
        }
    };
    // A path is made absolute from the working directory; a glob stays relative to the root.
    let is_glob = |s: &str| s.contains(['*', '?', '[', '{']);
    let mut lockfiles = Vec::new();
    for l in &args.lockfiles {
        if is_glob(l) {
            lockfiles.push(l.clone());
            continue;
        }
        let p = absolute(&PathBuf::from(l));
        let meta =
            fs_err::metadata(&p).map_err(|e| anyhow::anyhow!("--lockfile `{l}`: {}", e.kind()))?;
        if !meta.is_file() {
            return Err(anyhow::anyhow!("--lockfile `{l}` is not a file").into());
        }
        lockfiles.push(p.to_string_lossy().into_owned());
    }
    let exclude = args
        .exclude
        .iter()
        .map(|e| {
            if is_glob(e) {
                e.clone()
            } else {
                absolute(&PathBuf::from(e)).to_string_lossy().into_owned()
            }
        })
        .collect();
    if let Some(p) = &args.python {
        if !absolute(p).exists() {
            return Err(anyhow::anyhow!(
                "--python `{}`: no such interpreter or environment",
                p.display()
            )
            .into());
        }
    }
    Ok(CollectContext {
        root,
        python: args.python.as_ref().map(absolute),
        cwd: cwd.to_path_buf(),
        discovery: provseal_materials::DiscoveryOptions { lockfiles, exclude },
        env: std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect(),
        extra_env: args.env.clone(),
        unborn: provseal_materials::UnbornHead::Error,
    })
}

/// Prints the snapshot's warnings on stderr, and a hint naming the lockfiles found deeper
/// that were not recorded.
pub fn print_warnings(s: &Snapshot) {
    for w in &s.warnings {
        eprintln!("warning[{}]: `{}`: {}", w.code, w.subject, w.message);
    }
    // The names are relative to the work-tree root; the flag takes a path from here.
    let from_here = |name: &String| -> String {
        let root = s.source.as_ref().map(|src| src.root.clone());
        match (root, std::env::current_dir()) {
            (Some(root), Ok(cwd)) => {
                let p = root.join(name);
                let cwd = std::fs::canonicalize(&cwd).unwrap_or(cwd);
                p.strip_prefix(&cwd)
                    .map(|r| r.display().to_string())
                    .unwrap_or_else(|_| name.clone())
            }
            _ => name.clone(),
        }
    };
    if let Some(first) = s.unrecorded_lockfiles.first().map(from_here) {
        let shown: Vec<_> = s
            .unrecorded_lockfiles
            .iter()
            .take(10)
            .map(|l| format!("`{l}`"))
            .collect();
        let more = s.unrecorded_lockfiles.len().saturating_sub(shown.len());
        eprintln!(
            "hint: {} lockfile(s) below the working directory were not recorded: {}{}; add one with `--lockfile {first}`, or all with `--lockfile '**'`",
            s.unrecorded_lockfiles.len(),
            shown.join(", "),
            if more > 0 { format!(" and {more} more") } else { String::new() }
        );
    }
}

/// Runs `provseal materials`.
pub fn run(args: MaterialsArgs) -> Result<ExitStatus, Failure> {
    let cwd = std::env::current_dir()?;
    let mut ctx = collect_context(&cwd, &args.snapshot)?;
    // The snapshot alone works before the first commit; `attest`/`run` keep the error.
    ctx.unborn = provseal_materials::UnbornHead::Warn;
    let snap = provseal_materials::snapshot::snapshot_default(&ctx)?;
    print_warnings(&snap);
    if args.json {
        output::print_json(&snap)?;
    } else {
        match &snap.source {
            Some(s) => outln!(
                "source: {} {} ({})",
                s.remote_url.as_deref().unwrap_or("(no remote)"),
                s.commit,
                if s.tree_state.is_clean() {
                    "clean"
                } else {
                    "dirty"
                }
            ),
            None => outln!("source: not a git work tree"),
        }
        for m in &snap.materials {
            let id = m.uri.as_deref().or(m.name.as_deref()).unwrap_or("-");
            let digest = m
                .digest
                .iter()
                .next()
                .map(|(a, h)| format!("{a}:{}", h.get(..16).unwrap_or(h)))
                .unwrap_or_default();
            outln!("{id}  {digest}");
        }
        outln!(
            "{} materials, {} environment variables recorded, {} warnings",
            snap.materials.len(),
            snap.env_vars.len(),
            snap.warnings.len()
        );
    }
    Ok(ExitStatus::Success)
}

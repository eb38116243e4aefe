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
    for l in &args.lockfiles {
        let meta = fs_err::metadata(absolute(l))
            .map_err(|e| anyhow::anyhow!("--lockfile `{}`: {}", l.display(), e.kind()))?;
        if !meta.is_file() {
            return Err(anyhow::anyhow!("--lockfile `{}` is not a file", l.display()).into());
        }
    }
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
        lockfiles: args.lockfiles.iter().map(absolute).collect(),
        env: std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect(),
        extra_env: args.env.clone(),
    })
}

/// Prints the snapshot's warnings on stderr.
pub fn print_warnings(s: &Snapshot) {
    for w in &s.warnings {
        eprintln!("warning[{}]: `{}`: {}", w.code, w.subject, w.message);
    }
}

/// Runs `provseal materials`.
pub fn run(args: MaterialsArgs) -> Result<ExitStatus, Failure> {
    let cwd = std::env::current_dir()?;
    let ctx = collect_context(&cwd, &args.snapshot)?;
    let snap = provseal_materials::snapshot::snapshot_default(&ctx)?;
    print_warnings(&snap);
    if args.json {
        output::print_json(&snap)?;
    } else {
        match &snap.source {
            Some(s) => println!(
                "source: {} {} ({})",
                s.remote_url.as_deref().unwrap_or("(no remote)"),
                s.commit,
                if s.tree_state.is_clean() {
                    "clean"
                } else {
                    "dirty"
                }
            ),
            None => println!("source: not a git work tree"),
        }
        for m in &snap.materials {
            let id = m.uri.as_deref().or(m.name.as_deref()).unwrap_or("-");
            let digest = m
                .digest
                .iter()
                .next()
                .map(|(a, h)| format!("{a}:{}", h.get(..16).unwrap_or(h)))
                .unwrap_or_default();
            println!("{id}  {digest}");
        }
        println!(
            "{} materials, {} environment variables recorded, {} warnings",
            snap.materials.len(),
            snap.env_vars.len(),
            snap.warnings.len()
        );
    }
    Ok(ExitStatus::Success)
}

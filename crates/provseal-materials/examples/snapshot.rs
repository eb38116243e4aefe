//! Prints the installed-distribution snapshot of a Python environment as JSON (the
//! `python-env` collector alone), or with `--full` the whole default snapshot of the current
//! directory. Used by `bench/materials-python-env.sh`.
//!
//! ```text
//! cargo run --release -p provseal-materials --example snapshot -- --python .venv
//! cargo run --release -p provseal-materials --example snapshot -- --full
//! ```

use std::io::Write;
use std::path::PathBuf;

use provseal_materials::python_env::PythonEnvCollector;
use provseal_materials::{snapshot_default, CollectContext, Collector};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut ctx = CollectContext {
        root: std::env::current_dir()?,
        env: std::env::vars().collect(),
        ..Default::default()
    };
    let mut full = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--python" => ctx.python = args.next().map(PathBuf::from),
            "--full" => full = true,
            other => return Err(format!("unknown argument `{other}`").into()),
        }
    }
    let json = if full {
        serde_json::to_vec_pretty(&snapshot_default(&ctx)?)?
    } else {
        let got = PythonEnvCollector.collect(&ctx)?;
        serde_json::to_vec(&serde_json::json!({
            "materials": got.materials,
            "warnings": got.warnings,
        }))?
    };
    let mut out = std::io::stdout().lock();
    out.write_all(&json)?;
    out.write_all(b"\n")?;
    Ok(())
}

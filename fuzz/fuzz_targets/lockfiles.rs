//! Every lockfile parser (npm, yarn, pnpm, Cargo, Go, requirements) parses or errors.
#![no_main]

use std::path::Path;

use provseal_materials::{cargo, golang, node, python_lock};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let p = Path::new("fuzz.lock");
    let _ = node::parse_package_lock(data, p, "fuzz");
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = node::parse_yarn_lock(text, p, "fuzz");
        let _ = node::parse_pnpm_lock(text, p, "fuzz");
        let _ = cargo::parse_cargo_lock_str(text, p, "fuzz");
        let _ = golang::parse_go_mod(text, p);
        let _ = golang::parse_go_sum_str(text, p, "fuzz", None);
        let _ = python_lock::parse_requirements_str(text);
    }
});

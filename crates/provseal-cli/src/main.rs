//! The `provseal` command line.
fn main() {}

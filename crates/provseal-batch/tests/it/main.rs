//! Integration tests of provseal-batch.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod oracle;

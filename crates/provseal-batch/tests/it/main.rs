//! Integration tests of provseal-batch.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod batch;
mod docs;
mod oracle;
mod support;
mod write;

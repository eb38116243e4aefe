//! provseal-batch: one signature for many statements.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod error;
pub mod merkle;

pub use error::BatchError;

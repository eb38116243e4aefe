//! The data model of provseal: in-toto Statement v1 (and v0.1 on input), SLSA Provenance v1
//! (and v0.2 on input), `ResourceDescriptor`, `DigestSet`, the DSSE envelope and its PAE, strict
//! JSON parsing and RFC 8785 canonical JSON.
//!
//! It exists so that every other crate reads and writes these formats one way, with the same
//! validation as the in-toto Go reference, and so that outside JSON is parsed strictly: a
//! duplicate key, trailing data or invalid UTF-8 is an error, never a silent choice. No I/O, no
//! cryptography (signing and verifying live in `provseal-crypto`).
//!
//! ```
//! use provseal_model::{dsse, DigestSet, ResourceDescriptor, Statement, IN_TOTO_PAYLOAD_TYPE};
//! use provseal_model::slsa::provenance_v1_from;
//!
//! let digest: DigestSet = [("sha256", "ab".repeat(32))].into_iter().collect();
//! let predicate = serde_json::json!({
//!     "buildDefinition": {"buildType": "https://example.com/build/v1", "externalParameters": {}},
//!     "runDetails": {"builder": {"id": "https://example.com/builder"}}
//! });
//! let statement = Statement::new(
//!     vec![ResourceDescriptor::named("app.tar.gz", digest.clone())],
//!     provseal_model::SLSA_PROVENANCE_V1,
//!     predicate,
//! );
//! let payload = statement.to_json_vec()?;
//! let envelope = dsse::Envelope::new(IN_TOTO_PAYLOAD_TYPE, payload);
//! // A signer signs `envelope.pae()`; a verifier checks it before reading the payload:
//! let read = Statement::parse(&envelope.payload)?;
//! assert!(read.subject[0].digest.matches(&digest));
//! let provenance = provenance_v1_from(&read.predicate_type, read.predicate.as_ref().unwrap())?;
//! assert_eq!(provenance.run_details.builder.id, "https://example.com/builder");
//! # Ok::<(), provseal_model::ModelError>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

/// Implements `Serialize` and `Deserialize` for a struct whose serde derive uses
/// `#[serde(remote = "Self")]`, accepting only a JSON object on input (serde's derive would also
/// accept the struct's fields as an array, which no format we read allows).
macro_rules! object_only {
    ($t:ty, $what:literal) => {
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                <$t>::serialize(self, s)
            }
        }

        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct ObjectVisitor;
                impl<'de> serde::de::Visitor<'de> for ObjectVisitor {
                    type Value = $t;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str(concat!("a JSON object (", $what, ")"))
                    }
                    fn visit_map<A: serde::de::MapAccess<'de>>(
                        self,
                        map: A,
                    ) -> Result<$t, A::Error> {
                        <$t>::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    }
                }
                d.deserialize_map(ObjectVisitor)
            }
        }
    };
}

mod b64;
mod descriptor;
mod digest;
pub mod dsse;
mod error;
pub mod json;
mod outline;
pub mod purl;
pub mod slsa;
mod stable_ids;
mod statement;
pub mod vocab;

pub use descriptor::ResourceDescriptor;
pub use digest::DigestSet;
pub use error::{
    colon, one_line, shown_texts, Base64Error, CanonicalizeError, Cause, ModelError, TimestampError,
};
pub use outline::StatementOutline;
#[doc(hidden)]
pub use serde as __serde;
pub use statement::Statement;

/// `_type` of an in-toto Statement v1.
pub const STATEMENT_V1: &str = "https://in-toto.io/Statement/v1";
/// `_type` of an in-toto Statement v0.1 (accepted on input only).
pub const STATEMENT_V01: &str = "https://in-toto.io/Statement/v0.1";
/// `predicateType` of SLSA Provenance v1.
pub const SLSA_PROVENANCE_V1: &str = "https://slsa.dev/provenance/v1";
/// `predicateType` of SLSA Provenance v0.2 (accepted on input only, mapped to v1).
pub const SLSA_PROVENANCE_V02: &str = "https://slsa.dev/provenance/v0.2";
/// DSSE `payloadType` of an in-toto statement.
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

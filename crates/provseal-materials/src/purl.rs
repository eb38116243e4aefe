//! Package URLs: the shared module of `provseal-model` (re-exported so the collectors' paths
//! stay short). See [`provseal_model::purl`].

pub use provseal_model::purl::*;

//! The store's typed errors. The API server maps each to a Kubernetes `Status`.

use crate::types::{KeyValue, Revision};

/// Everything a store operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("key {key} not found")]
    NotFound { key: String },

    #[error("key {key} already exists")]
    AlreadyExists { key: String, current: Option<Box<KeyValue>> },

    /// A compare-and-swap found another `mod_revision` than the caller expected.
    #[error("conflict on key {key}: expected mod revision {expected}, found {}", current.mod_revision)]
    Conflict { key: String, expected: Revision, current: Box<KeyValue> },

    /// The requested revision is older than the compacted revision.
    #[error("revision {requested} has been compacted (history starts at {compacted})")]
    Compacted { requested: Revision, compacted: Revision },

    #[error("revision {requested} is in the future (current revision is {current})")]
    FutureRevision { requested: Revision, current: Revision },

    #[error("entry for key {key} is {size} bytes, over the limit of {limit} bytes")]
    TooLarge { key: String, size: usize, limit: usize },

    #[error("invalid key {key:?}: {reason}")]
    InvalidKey { key: String, reason: &'static str },

    /// The backend cannot be reached or refused to work; nothing was written.
    #[error("store unavailable: {message}")]
    Unavailable {
        message: String,
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },

    /// A write was sent but its outcome is unknown (the connection broke before the answer).
    /// It may or may not have been applied; the store never retries it.
    #[error("outcome of the write to {key} is unknown: {message}")]
    Indeterminate {
        key: String,
        message: String,
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },

    /// The on-disk data is damaged or is not a berth store.
    #[error("store at {path} is unusable: {message}")]
    Corrupt { path: String, message: String },

    /// A bug or an unexpected answer from the backend.
    #[error("internal store error: {message}")]
    Internal {
        message: String,
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
}

impl StoreError {
    pub(crate) fn unavailable(
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        StoreError::Unavailable { message: message.into(), source: Some(Box::new(source)) }
    }

    pub(crate) fn internal(
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        StoreError::Internal { message: message.into(), source: Some(Box::new(source)) }
    }

    /// Whether the same call may succeed if tried again later unchanged.
    pub fn is_retryable(&self) -> bool {
        matches!(self, StoreError::Unavailable { .. })
    }
}

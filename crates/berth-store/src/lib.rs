//! berth's cluster store: a durable, revisioned, watchable key-value store with etcd's semantics.
//!
//! Every API object lives here under a key such as `/registry/pods/default/web-0`. Start at the
//! [`Store`] trait: one global revision increases with every write; each key carries its
//! `create_revision`, `mod_revision` and `version`; updates and deletes are compare-and-swap on the
//! expected `mod_revision`; a watch delivers every change under a prefix, in order, from any
//! revision that has not been compacted.
//!
//! Three backends implement it and pass one conformance suite (`tests/conformance.rs`):
//! [`sqlite::SqliteStore`] (the embedded default, group-committed and fsynced),
//! [`etcd::EtcdStore`] (a real etcd v3 cluster for several servers) and
//! [`memory::MemoryStore`] (for unit tests). [`open`] picks one from a datastore endpoint.

pub mod error;
pub mod etcd;
mod hub;
pub mod memory;
pub mod sqlite;
mod types;

use std::pin::Pin;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use futures_core::Stream;

pub use error::StoreError;
pub use types::{Event, EventKind, KeyValue, ListOptions, ListResult, Revision, prefix_end};

/// The largest key plus value one write may carry, like etcd's default `--max-request-bytes`.
pub const MAX_ENTRY_BYTES: usize = 1536 * 1024;

/// A stream of watch events. It ends only when dropped or after an error item.
pub type WatchStream = Pin<Box<dyn Stream<Item = Result<Event, StoreError>> + Send>>;

/// The store contract every backend implements. See the crate docs for the model.
#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug {
    /// The current value of `key`, or [`StoreError::NotFound`].
    async fn get(&self, key: &str) -> Result<KeyValue, StoreError>;

    /// Keys under `opts.prefix` in key order, at the current revision or at `opts.revision`.
    async fn list(&self, opts: &ListOptions) -> Result<ListResult, StoreError>;

    /// Creates `key`; fails with [`StoreError::AlreadyExists`] if it is present.
    async fn create(&self, key: &str, value: Bytes) -> Result<KeyValue, StoreError>;

    /// Replaces `key` if its `mod_revision` is still `expected`; otherwise
    /// [`StoreError::Conflict`] carrying the current value, or [`StoreError::NotFound`].
    async fn update(
        &self,
        key: &str,
        value: Bytes,
        expected: Revision,
    ) -> Result<KeyValue, StoreError>;

    /// Deletes `key` (only if its `mod_revision` is `expected`, when given) and returns the value
    /// it had.
    async fn delete(&self, key: &str, expected: Option<Revision>) -> Result<KeyValue, StoreError>;

    /// Every change under `prefix` with a revision of at least `from`, in revision order, then
    /// live changes. `from == 0` means "changes after now". A `from` below the compacted revision
    /// yields [`StoreError::Compacted`].
    async fn watch(&self, prefix: &str, from: Revision) -> Result<WatchStream, StoreError>;

    /// The revision of the last committed write.
    async fn current_revision(&self) -> Result<Revision, StoreError>;

    /// Whether [`Store::current_revision`] is answered in this process, without a round trip:
    /// then a cache that waits for that revision serves a consistent read more cheaply than
    /// the store itself.
    fn local_revision(&self) -> bool {
        false
    }

    /// Discards history older than `revision`: reads and watches at earlier revisions then fail
    /// with [`StoreError::Compacted`]. The state as of `revision` (every key's newest value at
    /// that point) stays readable.
    async fn compact(&self, revision: Revision) -> Result<(), StoreError>;
}

/// Opens the store an endpoint names: empty for sqlite in `data_dir`, `etcd://h:p,h:p[/prefix]`
/// or `http://h:p,…` for etcd, `memory://` for a throwaway store.
pub async fn open(
    endpoint: &str,
    data_dir: &std::path::Path,
) -> Result<Arc<dyn Store>, StoreError> {
    if endpoint.is_empty() || endpoint.starts_with("sqlite://") {
        let path = match endpoint.strip_prefix("sqlite://") {
            Some(p) if !p.is_empty() => std::path::PathBuf::from(p),
            _ => data_dir.join("db").join("state.db"),
        };
        let store = sqlite::SqliteStore::open(&path, sqlite::SqliteOptions::default()).await?;
        return Ok(Arc::new(store));
    }
    if endpoint == "memory://" {
        return Ok(Arc::new(memory::MemoryStore::new()));
    }
    let config = etcd::EtcdConfig::from_endpoint(endpoint)?;
    Ok(Arc::new(etcd::EtcdStore::connect(config).await?))
}

/// Checks the parts of a write that every backend refuses alike.
pub(crate) fn check_entry(key: &str, value: &[u8]) -> Result<(), StoreError> {
    if key.is_empty() {
        return Err(StoreError::InvalidKey { key: key.to_owned(), reason: "empty key" });
    }
    let size = key.len() + value.len();
    if size > MAX_ENTRY_BYTES {
        return Err(StoreError::TooLarge { key: truncate_key(key), size, limit: MAX_ENTRY_BYTES });
    }
    Ok(())
}

/// Keys in error messages are cut so that a huge bad key does not make a huge message.
pub(crate) fn truncate_key(key: &str) -> String {
    const SHOWN: usize = 256;
    if key.len() <= SHOWN {
        return key.to_owned();
    }
    let mut end = SHOWN;
    while !key.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &key[..end])
}

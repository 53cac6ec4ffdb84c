//! The values the store hands out: key-values with their revisions, list pages, watch events.

use bytes::Bytes;

/// A point in the store's history. Revision 0 is "before the first write".
pub type Revision = i64;

/// One key with its value and etcd's per-key revisions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyValue {
    pub key: String,
    pub value: Bytes,
    /// The revision of the write that created this key (since it last did not exist).
    pub create_revision: Revision,
    /// The revision of the last write to this key.
    pub mod_revision: Revision,
    /// How many writes this key has seen since it was created (1 after the create).
    pub version: i64,
}

/// What a `list` reads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListOptions {
    /// Every key that starts with this string.
    pub prefix: String,
    /// Start at this key (inclusive) instead of at the prefix; used to continue a paged list.
    pub start: Option<String>,
    /// At most this many keys; `None` for all.
    pub limit: Option<usize>,
    /// Read as of this revision instead of the current one.
    pub revision: Option<Revision>,
}

impl ListOptions {
    /// All keys under `prefix` at the current revision.
    pub fn prefix(prefix: impl Into<String>) -> Self {
        Self { prefix: prefix.into(), ..Self::default() }
    }

    /// The first key this list may return.
    pub fn start_key(&self) -> &str {
        match &self.start {
            Some(start) if start.as_str() > self.prefix.as_str() => start,
            _ => &self.prefix,
        }
    }
}

/// One page of a list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListResult {
    pub kvs: Vec<KeyValue>,
    /// The revision the page was read at; pass it back to read the next page consistently.
    pub revision: Revision,
    /// Whether keys remain after the last one returned.
    pub more: bool,
}

impl ListResult {
    /// The `start` for the next page, when there is one.
    pub fn continue_key(&self) -> Option<String> {
        if !self.more {
            return None;
        }
        self.kvs.last().map(|kv| format!("{}\0", kv.key))
    }
}

/// What happened to a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    Create,
    Update,
    Delete,
}

/// One change seen by a watch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub kind: EventKind,
    /// The key after the change. For a delete: the key, an empty value, `mod_revision` = the
    /// revision of the delete, and zero `create_revision` and `version`.
    pub kv: KeyValue,
    /// The key before the change (absent for a create).
    pub prev: Option<KeyValue>,
}

impl Event {
    /// The revision at which this change was committed.
    pub fn revision(&self) -> Revision {
        self.kv.mod_revision
    }

    pub(crate) fn deleted(key: String, revision: Revision, prev: KeyValue) -> Self {
        Event {
            kind: EventKind::Delete,
            kv: KeyValue {
                key,
                value: Bytes::new(),
                create_revision: 0,
                mod_revision: revision,
                version: 0,
            },
            prev: Some(prev),
        }
    }

    pub(crate) fn put(kv: KeyValue, prev: Option<KeyValue>) -> Self {
        let kind = if prev.is_some() { EventKind::Update } else { EventKind::Create };
        Event { kind, kv, prev }
    }
}

/// The first key after every key that starts with `prefix` (etcd's range end), or `None` when no
/// such key exists (the prefix is empty or all 0xff bytes).
pub fn prefix_end(prefix: &str) -> Option<Vec<u8>> {
    let mut end = prefix.as_bytes().to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

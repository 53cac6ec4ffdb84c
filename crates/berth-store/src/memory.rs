//! An in-memory store with the full contract, for unit tests of the components above the store.
//!
//! Nothing is durable. History is a vector of events; a read at an older revision undoes the
//! events after it, newest first.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use bytes::Bytes;

use crate::hub::{History, Hub};
use crate::{
    Event, EventKind, KeyValue, ListOptions, ListResult, Revision, Store, StoreError, WatchStream,
    check_entry,
};

/// The in-memory backend.
#[derive(Debug, Clone)]
pub struct MemoryStore {
    state: Arc<Mutex<State>>,
    hub: Arc<Hub>,
}

#[derive(Debug, Default)]
struct State {
    revision: Revision,
    compacted: Revision,
    current: BTreeMap<String, KeyValue>,
    /// Every event with a revision of at least `compacted`, in order.
    log: Vec<Event>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryStore {
    pub fn new() -> Self {
        MemoryStore { state: Arc::default(), hub: Arc::new(Hub::new(0)) }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A poisoned lock only means another test thread panicked; the data is still whole.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Applies one write under the lock and broadcasts it; returns the new value (for a delete,
    /// the value it removed).
    fn commit(&self, state: &mut State, event: Event) -> KeyValue {
        state.revision = event.revision();
        let result = if event.kind == EventKind::Delete {
            state.current.remove(&event.kv.key);
            event.prev.clone().unwrap_or_else(|| event.kv.clone())
        } else {
            state.current.insert(event.kv.key.clone(), event.kv.clone());
            event.kv.clone()
        };
        state.log.push(event.clone());
        self.hub.publish([event]);
        result
    }
}

impl State {
    fn check_revision(&self, revision: Revision) -> Result<(), StoreError> {
        if revision < self.compacted {
            return Err(StoreError::Compacted { requested: revision, compacted: self.compacted });
        }
        if revision > self.revision {
            return Err(StoreError::FutureRevision { requested: revision, current: self.revision });
        }
        Ok(())
    }

    /// The keys under `prefix` as they were at `revision`.
    fn snapshot_at(&self, revision: Revision) -> BTreeMap<String, KeyValue> {
        let mut keys = self.current.clone();
        for event in self.log.iter().rev().take_while(|e| e.revision() > revision) {
            match &event.prev {
                Some(prev) => keys.insert(prev.key.clone(), prev.clone()),
                None => keys.remove(&event.kv.key),
            };
        }
        keys
    }
}

#[async_trait]
impl Store for MemoryStore {
    async fn get(&self, key: &str) -> Result<KeyValue, StoreError> {
        let state = self.lock();
        state.current.get(key).cloned().ok_or_else(|| StoreError::NotFound { key: key.to_owned() })
    }

    async fn list(&self, opts: &ListOptions) -> Result<ListResult, StoreError> {
        let state = self.lock();
        let revision = opts.revision.filter(|r| *r > 0).unwrap_or(state.revision);
        state.check_revision(revision)?;
        let snapshot;
        let keys = if revision == state.revision {
            &state.current
        } else {
            snapshot = state.snapshot_at(revision);
            &snapshot
        };
        let limit = opts.limit.filter(|l| *l > 0).unwrap_or(usize::MAX);
        let mut matching = keys
            .range::<str, _>((Bound::Included(opts.start_key()), Bound::Unbounded))
            .take_while(|(key, _)| key.starts_with(&opts.prefix))
            .map(|(_, kv)| kv.clone());
        let kvs: Vec<KeyValue> = matching.by_ref().take(limit).collect();
        let more = matching.next().is_some();
        Ok(ListResult { kvs, revision, more })
    }

    async fn create(&self, key: &str, value: Bytes) -> Result<KeyValue, StoreError> {
        check_entry(key, &value)?;
        let mut state = self.lock();
        if let Some(current) = state.current.get(key) {
            let current = Some(Box::new(current.clone()));
            return Err(StoreError::AlreadyExists { key: key.to_owned(), current });
        }
        let revision = state.revision + 1;
        let kv = KeyValue {
            key: key.to_owned(),
            value,
            create_revision: revision,
            mod_revision: revision,
            version: 1,
        };
        Ok(self.commit(&mut state, Event::put(kv, None)))
    }

    async fn update(
        &self,
        key: &str,
        value: Bytes,
        expected: Revision,
    ) -> Result<KeyValue, StoreError> {
        check_entry(key, &value)?;
        let mut state = self.lock();
        let prev = current_matching(&state, key, Some(expected))?;
        let revision = state.revision + 1;
        let kv = KeyValue {
            key: key.to_owned(),
            value,
            create_revision: prev.create_revision,
            mod_revision: revision,
            version: prev.version + 1,
        };
        Ok(self.commit(&mut state, Event::put(kv, Some(prev))))
    }

    async fn delete(&self, key: &str, expected: Option<Revision>) -> Result<KeyValue, StoreError> {
        let mut state = self.lock();
        let prev = current_matching(&state, key, expected)?;
        let revision = state.revision + 1;
        Ok(self.commit(&mut state, Event::deleted(key.to_owned(), revision, prev)))
    }

    async fn watch(&self, prefix: &str, from: Revision) -> Result<WatchStream, StoreError> {
        let history = Arc::new(MemoryHistory(self.state.clone()));
        self.hub.watch(history, prefix, from).await
    }

    fn local_revision(&self) -> bool {
        true
    }

    async fn current_revision(&self) -> Result<Revision, StoreError> {
        Ok(self.lock().revision)
    }

    async fn compact(&self, revision: Revision) -> Result<(), StoreError> {
        let mut state = self.lock();
        state.check_revision(revision)?;
        state.log.retain(|event| event.revision() >= revision);
        state.compacted = revision;
        Ok(())
    }
}

/// The current value of `key`, checked against the caller's expected `mod_revision`.
fn current_matching(
    state: &State,
    key: &str,
    expected: Option<Revision>,
) -> Result<KeyValue, StoreError> {
    let current =
        state.current.get(key).ok_or_else(|| StoreError::NotFound { key: key.to_owned() })?;
    match expected {
        Some(expected) if expected != current.mod_revision => Err(StoreError::Conflict {
            key: key.to_owned(),
            expected,
            current: Box::new(current.clone()),
        }),
        _ => Ok(current.clone()),
    }
}

struct MemoryHistory(Arc<Mutex<State>>);

#[async_trait]
impl History for MemoryHistory {
    async fn events(
        &self,
        prefix: &str,
        from: Revision,
        to: Revision,
        limit: usize,
    ) -> Result<Vec<Event>, StoreError> {
        let state = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if from < state.compacted {
            return Err(StoreError::Compacted { requested: from, compacted: state.compacted });
        }
        let start = state.log.partition_point(|e| e.revision() < from);
        Ok(state.log[start..]
            .iter()
            .take_while(|e| e.revision() <= to)
            .filter(|e| e.kv.key.starts_with(prefix))
            .take(limit)
            .cloned()
            .collect())
    }
}

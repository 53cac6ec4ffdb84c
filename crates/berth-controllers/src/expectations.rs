//! Expectations: the creates and deletes a controller issued that its cache has not shown yet.
//!
//! A reconciler reads its caches, which lag its own writes by a watch event. Without this it would
//! see "2 of 3 pods" again right after creating the third and create a fourth. Before writing, a
//! controller records what it expects ([`Expectations::expect`]); the watch handlers mark each
//! observed create or delete ([`Expectations::observed_create`] / `observed_delete`); the
//! reconciler acts only when [`Expectations::satisfied`]. Expectations also expire after a
//! timeout (Kubernetes: 5 minutes) so that a lost event cannot stall a controller for ever. This
//! is cache bookkeeping, not state: after a restart the caches start fresh and so does this.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Outstanding creates and deletes per controller key (`namespace/name`).
#[derive(Debug, Default)]
pub struct Expectations {
    pending: Mutex<HashMap<String, Pending>>,
}

#[derive(Debug, Clone, Copy)]
struct Pending {
    creates: i64,
    deletes: i64,
    since: Instant,
}

/// How long an unmet expectation holds a controller back.
pub const TIMEOUT: Duration = Duration::from_secs(300);

impl Expectations {
    pub fn new() -> Expectations {
        Expectations::default()
    }

    /// Records that `creates` creates and `deletes` deletes are about to be issued for `key`.
    pub fn expect(&self, key: &str, creates: i64, deletes: i64) {
        let mut pending = self.lock();
        pending.insert(key.to_owned(), Pending { creates, deletes, since: Instant::now() });
    }

    /// A create for `key` will not be observed (it failed): lower the count.
    pub fn create_failed(&self, key: &str) {
        self.adjust(key, -1, 0);
    }

    /// A delete for `key` will not be observed (it failed or the pod was already gone).
    pub fn delete_failed(&self, key: &str) {
        self.adjust(key, 0, -1);
    }

    /// The cache showed one of `key`'s creates.
    pub fn observed_create(&self, key: &str) {
        self.adjust(key, -1, 0);
    }

    /// The cache showed one of `key`'s deletes.
    pub fn observed_delete(&self, key: &str) {
        self.adjust(key, 0, -1);
    }

    /// True when nothing is outstanding for `key` (or what is has timed out).
    pub fn satisfied(&self, key: &str) -> bool {
        match self.lock().get(key) {
            None => true,
            Some(p) => (p.creates <= 0 && p.deletes <= 0) || p.since.elapsed() > TIMEOUT,
        }
    }

    /// Forgets `key` (its controller object was deleted).
    pub fn forget(&self, key: &str) {
        self.lock().remove(key);
    }

    fn adjust(&self, key: &str, creates: i64, deletes: i64) {
        if let Some(p) = self.lock().get_mut(key) {
            p.creates += creates;
            p.deletes += deletes;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Pending>> {
        self.pending.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn satisfied_once_every_expected_write_was_observed() {
        let e = Expectations::new();
        assert!(e.satisfied("ns/a"));
        e.expect("ns/a", 2, 1);
        e.observed_create("ns/a");
        assert!(!e.satisfied("ns/a"));
        e.create_failed("ns/a");
        assert!(!e.satisfied("ns/a"));
        e.observed_delete("ns/a");
        assert!(e.satisfied("ns/a"));
        e.observed_create("ns/other");
        assert!(e.satisfied("ns/other"));
    }
}

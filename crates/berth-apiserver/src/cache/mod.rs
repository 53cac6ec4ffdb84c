//! The watch cache: every object under `/registry/` in memory, fed by one store watch, so that
//! LIST and WATCH do not go to the store.
//!
//! Start at [`Cache::start`]: one paged list of the whole registry at a single revision, then a
//! watch from the revision after it. Each object is kept as the JSON a client receives (with its
//! `resourceVersion`) plus a small "view" (name, namespace, labels and the fields a field
//! selector may name) to match selectors without parsing the object. A window of recent events
//! lets watches resume from a resourceVersion without the store.
//!
//! Consistency: a read that must be current first asks the store for its revision and waits
//! until the cache has applied every event up to it ([`Cache::wait_for`]), so a client never
//! lists an older state than a write it saw acknowledged. When the cache cannot answer (a
//! revision older than its window, an exact revision, a continue token), callers read the store.

use std::collections::{BTreeMap, VecDeque};
use std::ops::Bound;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use berth_store::{EventKind, ListOptions, Revision, Store, StoreError};
use futures_util::StreamExt;
use serde_json::Value;
use tokio::sync::{broadcast, watch};

use crate::objects;

mod view;

pub use view::View;

/// Recent events kept for watches that resume from a resourceVersion.
const WINDOW: usize = 10_000;
/// Events queued for live watchers before a slow one is sent back to the window.
const BROADCAST: usize = 16_384;
/// Keys per page of the initial list.
const PAGE: usize = 1000;

/// One object as the cache holds it.
#[derive(Debug)]
pub struct Entry {
    pub key: String,
    pub revision: Revision,
    /// The object's JSON, `resourceVersion` included (shared, never copied per request).
    pub raw: bytes::Bytes,
    /// What selectors look at: metadata name, namespace and labels, and selectable fields.
    pub view: view::View,
}

impl Entry {
    fn from_kv(kv: &berth_store::KeyValue, paths: &view::Paths) -> Option<Entry> {
        let raw = match objects::raw_with_revision(kv) {
            Some(raw) => raw,
            None => objects::decode(kv).ok()?.object.to_string().into_bytes(),
        };
        let view = view::View::pick(&raw, paths)?;
        Some(Entry { key: kv.key.clone(), revision: kv.mod_revision, view, raw: raw.into() })
    }

    /// The whole object, parsed.
    pub fn object(&self) -> Option<Value> {
        serde_json::from_slice(&self.raw).ok()
    }

    /// The object with another `resourceVersion` (a DELETED event carries the deletion's).
    pub fn object_at(&self, revision: Revision) -> Option<Value> {
        let mut object = self.object()?;
        objects::set_resource_version(&mut object, revision);
        Some(object)
    }
}

/// A change, as watchers see it.
#[derive(Debug)]
pub struct CacheEvent {
    pub revision: Revision,
    pub key: String,
    pub kind: EventKind,
    pub now: Option<Arc<Entry>>,
    pub before: Option<Arc<Entry>>,
}

#[derive(Debug)]
struct State {
    /// Every event up to this revision is applied.
    revision: Revision,
    objects: BTreeMap<String, Arc<Entry>>,
    window: VecDeque<Arc<CacheEvent>>,
    /// The window holds every event after this revision.
    oldest: Revision,
    /// Live events. Replaced on every reload, which closes the streams of watchers that were
    /// following the old contents (they watch again, from the window or the store).
    events: broadcast::Sender<Arc<CacheEvent>>,
}

impl State {
    fn new(revision: Revision, objects: BTreeMap<String, Arc<Entry>>) -> Self {
        let (events, _) = broadcast::channel(BROADCAST);
        State { revision, objects, window: VecDeque::new(), oldest: revision, events }
    }
}

/// The cache of one store.
#[derive(Debug)]
pub struct Cache {
    store: Arc<dyn Store>,
    state: RwLock<State>,
    applied: watch::Sender<Revision>,
    /// What each resource's selector views keep, by `<group>/<resource>`.
    paths: RwLock<std::collections::HashMap<String, Arc<view::Paths>>>,
}

/// Why the cache cannot serve a watch.
#[derive(Debug, PartialEq, Eq)]
pub enum Unserved {
    /// The revision is older than the window: the store may still have it.
    TooOld,
}

/// A cache watch: the events after `from` from the window, then live ones.
#[derive(Debug)]
pub struct CacheWatch {
    pub replay: Vec<Arc<CacheEvent>>,
    pub live: broadcast::Receiver<Arc<CacheEvent>>,
    /// Events at or below this revision are in `replay` (or older): skip them when live.
    pub through: Revision,
}

/// One page of a cached list.
#[derive(Debug)]
pub struct CachedList {
    pub entries: Vec<Arc<Entry>>,
    pub revision: Revision,
    /// The key to continue from (at `revision`, through the store), when more remain.
    pub next: Option<String>,
    /// How many objects remain after this page, when every object was kept.
    pub remaining: Option<usize>,
}

impl Cache {
    /// Lists the registry, starts following it, and returns once the cache is complete.
    pub async fn start(store: Arc<dyn Store>) -> Result<Arc<Cache>, StoreError> {
        let (applied, _) = watch::channel(0);
        let cache = Arc::new(Cache {
            store,
            state: RwLock::new(State::new(0, BTreeMap::new())),
            applied,
            paths: RwLock::default(),
        });
        let revision = cache.load().await?;
        let follower = cache.clone();
        tokio::spawn(async move { follower.follow(revision).await });
        Ok(cache)
    }

    /// Replaces the contents with a fresh list; returns the revision it was read at.
    async fn load(&self) -> Result<Revision, StoreError> {
        let mut objects = BTreeMap::new();
        let mut options = ListOptions { limit: Some(PAGE), ..ListOptions::prefix("/registry/") };
        let revision = loop {
            let page = self.store.list(&options).await?;
            for kv in &page.kvs {
                if let Some(entry) = Entry::from_kv(kv, &self.paths_for(&kv.key)) {
                    objects.insert(kv.key.clone(), Arc::new(entry));
                }
            }
            options.revision = Some(page.revision);
            match page.continue_key() {
                Some(next) => options.start = Some(next),
                None => break page.revision,
            }
        };
        if let Ok(mut state) = self.state.write() {
            *state = State::new(revision, objects);
        }
        self.applied.send_replace(revision);
        Ok(revision)
    }

    /// Applies the store's events forever; after a broken watch, lists again.
    async fn follow(self: Arc<Self>, mut revision: Revision) {
        loop {
            match self.store.watch("/registry/", revision + 1).await {
                Ok(mut stream) => {
                    while let Some(item) = stream.next().await {
                        match item {
                            Ok(event) => revision = self.apply(event),
                            Err(error) => {
                                tracing::warn!(%error, "watch cache: the store watch ended");
                                break;
                            }
                        }
                    }
                }
                Err(error) => tracing::warn!(%error, "watch cache: cannot watch the store"),
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
            // Whatever happened in between is in a fresh list; live watchers start over.
            match self.load().await {
                Ok(fresh) => revision = fresh,
                Err(error) => tracing::warn!(%error, "watch cache: cannot list the store"),
            }
        }
    }

    fn apply(&self, event: berth_store::Event) -> Revision {
        let revision = event.revision();
        let key = event.kv.key.clone();
        let Ok(mut state) = self.state.write() else { return revision };
        let before = state.objects.get(&key).cloned();
        let now = match event.kind {
            EventKind::Delete => {
                state.objects.remove(&key);
                None
            }
            EventKind::Create | EventKind::Update => {
                let entry = Entry::from_kv(&event.kv, &self.paths_for(&key)).map(Arc::new);
                match &entry {
                    Some(entry) => state.objects.insert(key.clone(), entry.clone()),
                    None => state.objects.remove(&key),
                };
                entry
            }
        };
        let change = Arc::new(CacheEvent { revision, key, kind: event.kind, now, before });
        state.window.push_back(change.clone());
        while state.window.len() > WINDOW {
            if let Some(old) = state.window.pop_front() {
                state.oldest = old.revision;
            }
        }
        state.revision = revision;
        // Sent under the lock, so that a new watcher sees each event once: in its replay or
        // live.
        let _ = state.events.send(change);
        drop(state);
        self.applied.send_replace(revision);
        revision
    }

    /// The selector paths for the resource a key belongs to.
    fn paths_for(&self, key: &str) -> Arc<view::Paths> {
        let mut parts = key.trim_start_matches("/registry/").split('/');
        let group = parts.next().unwrap_or_default();
        let resource = parts.next().unwrap_or_default();
        let name = format!("{group}/{resource}");
        if let Some(paths) = self.paths.read().ok().and_then(|p| p.get(&name).cloned()) {
            return paths;
        }
        let group = if group == "core" { "" } else { group };
        let paths = Arc::new(view::Paths::for_resource(group, resource));
        if let Ok(mut all) = self.paths.write() {
            all.insert(name, paths.clone());
        }
        paths
    }

    /// The revision every applied event has reached.
    pub fn revision(&self) -> Revision {
        *self.applied.borrow()
    }

    /// Waits until the cache has applied `revision`; false after `timeout`.
    pub async fn wait_for(&self, revision: Revision, timeout: Duration) -> bool {
        let mut applied = self.applied.subscribe();
        tokio::time::timeout(timeout, applied.wait_for(|r| *r >= revision))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// Waits until the cache holds every write the store has acknowledged.
    pub async fn wait_current(&self, timeout: Duration) -> bool {
        match self.store.current_revision().await {
            Ok(revision) => self.wait_for(revision, timeout).await,
            Err(_) => false,
        }
    }

    /// One object, if the cache has applied it.
    pub fn get(&self, key: &str) -> Option<Arc<Entry>> {
        self.state.read().ok()?.objects.get(key).cloned()
    }

    /// Objects under `prefix` from `start`, matching `keep` (`None`: all of them, and then a
    /// page also counts what remains after it), at most `limit`.
    pub fn list(
        &self,
        prefix: &str,
        start: Option<&str>,
        limit: Option<usize>,
        keep: Option<&dyn Fn(&Entry) -> bool>,
    ) -> CachedList {
        let Ok(state) = self.state.read() else {
            return CachedList { entries: Vec::new(), revision: 0, next: None, remaining: None };
        };
        let from = start.filter(|s| *s > prefix).unwrap_or(prefix).to_owned();
        let mut entries = Vec::new();
        let mut next = None;
        let range = state.objects.range::<String, _>((Bound::Included(&from), Bound::Unbounded));
        let mut range = range.take_while(|(key, _)| key.starts_with(prefix));
        for (key, entry) in range.by_ref() {
            if limit.is_some_and(|l| entries.len() >= l) {
                next = Some(key.clone());
                break;
            }
            if keep.is_none_or(|keep| keep(entry)) {
                entries.push(entry.clone());
            }
        }
        // Counting walks the rest of the range: only for a page of everything, the one case
        // that reports it.
        let remaining = (next.is_some() && keep.is_none()).then(|| 1 + range.count());
        CachedList { entries, revision: state.revision, next, remaining }
    }

    /// A watch from after `from`, when the window still holds it.
    pub fn watch(&self, prefix: &str, from: Revision) -> Result<CacheWatch, Unserved> {
        let Ok(state) = self.state.read() else { return Err(Unserved::TooOld) };
        if from < state.oldest {
            return Err(Unserved::TooOld);
        }
        let live = state.events.subscribe();
        let replay = state
            .window
            .iter()
            .filter(|e| e.revision > from && e.key.starts_with(prefix))
            .cloned()
            .collect();
        Ok(CacheWatch { replay, live, through: state.revision.max(from) })
    }

    /// The window's events after `from` under `prefix`, for a watcher that fell behind.
    pub fn since(&self, prefix: &str, from: Revision) -> Result<Vec<Arc<CacheEvent>>, Unserved> {
        let Ok(state) = self.state.read() else { return Err(Unserved::TooOld) };
        if from < state.oldest {
            return Err(Unserved::TooOld);
        }
        Ok(state
            .window
            .iter()
            .filter(|e| e.revision > from && e.key.starts_with(prefix))
            .cloned()
            .collect())
    }

    /// A snapshot of every object under `prefix` and the revision it is at, for a watch that
    /// starts with the current state.
    pub fn snapshot(&self, prefix: &str) -> (Vec<Arc<Entry>>, CacheWatch) {
        let state = match self.state.read() {
            Ok(state) => state,
            Err(poisoned) => poisoned.into_inner(),
        };
        let live = state.events.subscribe();
        let entries = state
            .objects
            .range::<str, _>((Bound::Included(prefix), Bound::Unbounded))
            .take_while(|(key, _)| key.starts_with(prefix))
            .map(|(_, e)| e.clone())
            .collect();
        (entries, CacheWatch { replay: Vec::new(), live, through: state.revision })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use berth_store::memory::MemoryStore;
    use bytes::Bytes;

    fn pod(name: &str, app: &str) -> Bytes {
        let object = serde_json::json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "default", "labels": {"app": app}},
            "spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "i"}]}});
        Bytes::from(object.to_string())
    }

    const PODS: &str = "/registry/core/pods/default/";

    #[tokio::test]
    async fn follows_the_store_and_lists_in_key_order() {
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        store.create(&format!("{PODS}b"), pod("b", "x")).await.expect("create");
        let cache = Cache::start(store.clone()).await.expect("start");
        let a = store.create(&format!("{PODS}a"), pod("a", "y")).await.expect("create");
        store.create(&format!("{PODS}c"), pod("c", "x")).await.expect("create");
        assert!(cache.wait_current(Duration::from_secs(5)).await);
        let all = cache.list(PODS, None, None, None);
        let names: Vec<&str> = all.entries.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(names, [format!("{PODS}a"), format!("{PODS}b"), format!("{PODS}c")]);
        // The stored JSON carries its resourceVersion; the view what selectors read.
        let first = all.entries[0].object().expect("json");
        assert_eq!(first["metadata"]["resourceVersion"], a.mod_revision.to_string());
        assert_eq!(all.entries[0].view.field("spec.nodeName"), "n1");
        let page = cache.list(PODS, None, Some(2), None);
        assert_eq!(
            (page.entries.len(), page.next.as_deref(), page.remaining),
            (2, Some(&*format!("{PODS}c")), Some(1))
        );
        let x = cache.list(PODS, None, None, Some(&|e| e.view.label("app") == Some("x")));
        assert_eq!(x.entries.len(), 2);
    }

    #[tokio::test]
    async fn watches_replay_the_window_then_follow() {
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        let cache = Cache::start(store.clone()).await.expect("start");
        let a = store.create(&format!("{PODS}a"), pod("a", "x")).await.expect("create");
        let a2 =
            store.update(&format!("{PODS}a"), pod("a", "y"), a.mod_revision).await.expect("update");
        assert!(cache.wait_for(a2.mod_revision, Duration::from_secs(5)).await);
        let mut watch = cache.watch(PODS, a.mod_revision - 1).expect("in the window");
        let kinds: Vec<EventKind> = watch.replay.iter().map(|e| e.kind).collect();
        assert_eq!(kinds, [EventKind::Create, EventKind::Update]);
        let update = &watch.replay[1];
        assert_eq!(update.before.as_ref().map(|b| b.revision), Some(a.mod_revision));
        store.delete(&format!("{PODS}a"), None).await.expect("delete");
        let live = tokio::time::timeout(Duration::from_secs(5), watch.live.recv())
            .await
            .expect("event")
            .expect("open");
        assert_eq!(live.kind, EventKind::Delete);
        assert!(live.revision > watch.through);
        assert!(cache.get(&format!("{PODS}a")).is_none());
    }

    #[tokio::test]
    async fn a_revision_older_than_the_window_is_not_served() {
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        store.create("/registry/core/pods/default/early", pod("early", "x")).await.expect("create");
        let cache = Cache::start(store.clone()).await.expect("start");
        // The cache started after revision 1: history before it is the store's to replay.
        assert_eq!(cache.watch(PODS, 0).map(|_| ()), Err(Unserved::TooOld));
        assert!(cache.watch(PODS, cache.revision()).is_ok());
        assert!(!cache.wait_for(cache.revision() + 10, Duration::from_millis(50)).await);
    }
}

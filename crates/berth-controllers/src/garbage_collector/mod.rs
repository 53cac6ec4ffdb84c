//! The garbage collector: deletes objects whose owners are gone, and carries out foreground
//! and orphan deletion of owners.
//!
//! Start at [`run`]: discovery finds every listable, watchable, deletable kind (again every
//! 30 s, for new CRDs); one metadata-only watch per kind feeds the dependents [`graph`], which
//! says which objects to look at; a deduplicating [`queue`] hands those to workers that act in
//! [`act`]. Nothing is ever deleted on the graph's word alone: a dependent is read live, and so
//! is each owner the graph does not know, before it goes (`propagationPolicy=Background`, or
//! Foreground when an owner waits on it, with a uid precondition).

mod act;
mod graph;
mod queue;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream::{BoxStream, SelectAll};
use kube::api::DynamicObject;
use kube::core::PartialObjectMeta;
use kube::discovery::{Discovery, Scope, verbs};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, ResourceExt};

use crate::replicaset::Retries;
use crate::{Context, Error};

use graph::{Graph, Kind, Node};
use queue::Queue;

/// How often discovery runs again to pick up new kinds (CRDs).
const REDISCOVER: Duration = Duration::from_secs(30);
/// Concurrent workers acting on the queue.
const WORKERS: usize = 16;

/// What the watch loop and the workers share.
struct Shared {
    ctx: Arc<Context>,
    graph: Mutex<Graph>,
    /// Watched kinds by (group, kind), to read owners live.
    kinds: Mutex<HashMap<(String, String), Arc<Kind>>>,
    queue: Queue,
    retries: Retries,
}

impl Shared {
    fn graph(&self) -> std::sync::MutexGuard<'_, Graph> {
        self.graph.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn kind(&self, api_version: &str, kind: &str) -> Option<Arc<Kind>> {
        let group = api_version.rsplit_once('/').map(|(g, _)| g).unwrap_or_default();
        let kinds = self.kinds.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        kinds.get(&(group.to_owned(), kind.to_owned())).cloned()
    }
}

type Events = BoxStream<
    'static,
    (Arc<Kind>, Result<watcher::Event<PartialObjectMeta<DynamicObject>>, watcher::Error>),
>;

/// Runs the collector until the process ends.
pub async fn run(ctx: Arc<Context>) -> Result<(), Error> {
    let shared = Arc::new(Shared {
        ctx: ctx.clone(),
        graph: Mutex::new(Graph::default()),
        kinds: Mutex::new(HashMap::new()),
        queue: Queue::default(),
        retries: Retries::default(),
    });
    let mut watches: SelectAll<Events> = SelectAll::new();
    let mut unsynced: HashSet<String> = HashSet::new();
    let mut relisting: HashMap<String, HashSet<String>> = HashMap::new();
    discover(&shared, &mut watches, &mut unsynced).await;
    let mut workers_started = false;
    let mut rediscover = tokio::time::interval(REDISCOVER);
    rediscover.tick().await;
    loop {
        tokio::select! {
            Some((kind, event)) = watches.next() => {
                match event {
                    Ok(event) => apply(&shared, &kind, event, &mut relisting, &mut unsynced),
                    Err(error) => tracing::debug!(%error, resource = kind.resource.plural, "garbage collector watch"),
                }
                if !workers_started && unsynced.is_empty() {
                    workers_started = true;
                    tracing::debug!(objects = shared.graph().len(), "garbage collector synced");
                    for _ in 0..WORKERS {
                        tokio::spawn(act::work(shared.clone()));
                    }
                }
            }
            _ = rediscover.tick() => discover(&shared, &mut watches, &mut unsynced).await,
        }
    }
}

/// Starts a watch for every kind discovery shows that is not watched yet.
async fn discover(
    shared: &Arc<Shared>,
    watches: &mut SelectAll<Events>,
    unsynced: &mut HashSet<String>,
) {
    let discovery = match Discovery::new(shared.ctx.client.clone()).run().await {
        Ok(discovery) => discovery,
        Err(error) => {
            tracing::warn!(%error, "garbage collector discovery failed");
            return;
        }
    };
    for group in discovery.groups() {
        for (resource, capabilities) in group.recommended_resources() {
            let usable = [verbs::LIST, verbs::WATCH, verbs::DELETE, verbs::GET, verbs::PATCH]
                .iter()
                .all(|v| capabilities.supports_operation(v));
            if !usable || resource.kind == "Event" {
                continue;
            }
            let key = (resource.group.clone(), resource.kind.clone());
            let kind =
                Arc::new(Kind { namespaced: capabilities.scope == Scope::Namespaced, resource });
            {
                let mut kinds =
                    shared.kinds.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                if kinds.contains_key(&key) {
                    continue;
                }
                kinds.insert(key, kind.clone());
            }
            unsynced.insert(kind.resource.plural.clone() + "." + &kind.resource.group);
            let api: Api<PartialObjectMeta<DynamicObject>> =
                Api::all_with(shared.ctx.client.clone(), &kind.resource);
            let tagged = kind.clone();
            let stream = watcher(api, watcher::Config::default())
                .default_backoff()
                .map(move |event| (tagged.clone(), event))
                .boxed();
            watches.push(stream);
        }
    }
}

fn node_of(kind: &Arc<Kind>, object: &PartialObjectMeta<DynamicObject>) -> Option<(String, Node)> {
    let uid = object.uid()?;
    let node = Node {
        kind: kind.clone(),
        namespace: object.namespace(),
        name: object.name_any(),
        owners: object.owner_references().to_vec(),
        deleting: object.metadata.deletion_timestamp.is_some(),
        finalizers: object.finalizers().to_vec(),
    };
    Some((uid, node))
}

/// Applies one watch event to the graph and queues what it concerns.
fn apply(
    shared: &Shared,
    kind: &Arc<Kind>,
    event: watcher::Event<PartialObjectMeta<DynamicObject>>,
    relisting: &mut HashMap<String, HashSet<String>>,
    unsynced: &mut HashSet<String>,
) {
    let id = kind.resource.plural.clone() + "." + &kind.resource.group;
    let visit = match event {
        watcher::Event::Init => {
            relisting.insert(id, HashSet::new());
            Vec::new()
        }
        watcher::Event::InitApply(object) | watcher::Event::Apply(object) => {
            let Some((uid, node)) = node_of(kind, &object) else { return };
            if let Some(seen) = relisting.get_mut(&id) {
                seen.insert(uid.clone());
            }
            shared.graph().upsert(&uid, node)
        }
        watcher::Event::Delete(object) => match object.uid() {
            Some(uid) => shared.graph().remove(&uid),
            None => Vec::new(),
        },
        watcher::Event::InitDone => {
            unsynced.remove(&id);
            let seen = relisting.remove(&id).unwrap_or_default();
            let mut graph = shared.graph();
            let gone: Vec<String> =
                graph.uids_of(kind).into_iter().filter(|u| !seen.contains(u)).collect();
            gone.iter().flat_map(|uid| graph.remove(uid)).collect()
        }
    };
    for uid in visit {
        shared.queue.push(uid);
    }
}

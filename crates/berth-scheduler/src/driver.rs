//! The scheduler's event loop: one task owns the [`Snapshot`] and the [`Queue`], fed by
//! watches (nodes, pods, namespaces, and claims, volumes and storage classes kept in
//! reflector caches for [`crate::volumes`]), and spawns bindings (up to
//! [`crate::Config::parallel_binds`] at once) whose outcomes come back into the same loop.
//!
//! A pod we bound is "assumed" ([`Assumed`]): it is placed in the snapshot at once, so the next
//! pods see its requests, and stays there until the watch shows it bound, the binding fails,
//! or the assumption expires. Pending pods nominated by preemption hold their room on the
//! nominated node. Bound pods that finish or go away, and nodes, namespaces, claims, volumes
//! and classes that change, send unschedulable pods back to the queue.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use k8s_openapi::api::core::v1::{Namespace, Node, PersistentVolume, PersistentVolumeClaim, Pod};
use k8s_openapi::api::storage::v1::StorageClass;
use kube::api::Api;
use kube::runtime::watcher::{self, Event, watcher};
use kube::runtime::{WatchStreamExt, reflector};
use tokio::task::JoinSet;

use crate::assumed::Assumed;
use crate::plan::{self, NodeInfo, PodInfo, Snapshot};
use crate::queue::{Queue, Timings};
use crate::recorder::{PodRef, Recorder};
use crate::volumes::{self, Stores};
use crate::{Config, Error};

/// How often assumptions are checked for expiry.
const EXPIRY_SWEEP: Duration = Duration::from_secs(1);

/// Pods scheduled per turn of the loop before it looks at the watches again.
const BATCH: usize = 64;

/// What a spawned write reports back.
#[derive(Debug)]
enum Outcome {
    Bound { key: String, pod: PodRef, node: String, result: Result<(), kube::Error> },
    Preempted,
}

pub struct Driver {
    client: kube::Client,
    config: Config,
    leadership: berth_leader::Leadership,
    snapshot: Snapshot,
    queue: Queue,
    assumed: Assumed,
    volumes: Stores,
    /// The writers of [`Driver::volumes`], taken when the watches start.
    writers: Option<(
        reflector::store::Writer<PersistentVolumeClaim>,
        reflector::store::Writer<PersistentVolume>,
        reflector::store::Writer<StorageClass>,
    )>,
    next_sweep: Instant,
    recorder: Recorder,
    writes: JoinSet<Outcome>,
    /// Keys seen since a watch (re)started its list; `None` once the list is done.
    relist_nodes: Option<HashSet<String>>,
    relist_pods: Option<HashSet<String>>,
}

impl std::fmt::Debug for Driver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Driver")
            .field("scheduler", &self.config.scheduler_name)
            .field("nodes", &self.snapshot.nodes().len())
            .field("queued", &self.queue.len())
            .field("assumed", &self.assumed.len())
            .finish_non_exhaustive()
    }
}

fn key_of(pod: &Pod) -> String {
    format!(
        "{}/{}",
        pod.metadata.namespace.as_deref().unwrap_or_default(),
        pod.metadata.name.as_deref().unwrap_or_default()
    )
}

fn is_terminal(pod: &Pod) -> bool {
    matches!(pod.status.as_ref().and_then(|s| s.phase.as_deref()), Some("Succeeded" | "Failed"))
}

/// Whether the pod's PodScheduled condition already carries this failure.
fn condition_says(pod: &Pod, message: &str) -> bool {
    pod.status.as_ref().and_then(|s| s.conditions.as_ref()).is_some_and(|conditions| {
        conditions.iter().any(|c| {
            c.type_ == "PodScheduled"
                && c.status == "False"
                && c.message.as_deref() == Some(message)
        })
    })
}

/// The fields of a node whose change can make a pod fit.
fn node_changed(old: &NodeInfo, new: &NodeInfo) -> bool {
    old.labels != new.labels
        || old.taints != new.taints
        || old.unschedulable != new.unschedulable
        || old.allocatable != new.allocatable
        || old.allocatable_pods != new.allocatable_pods
        || old.ready != new.ready
}

impl Driver {
    pub fn new(
        client: kube::Client,
        config: Config,
        leadership: berth_leader::Leadership,
    ) -> Driver {
        let mut snapshot = Snapshot::new();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        snapshot.seed(nanos);
        snapshot.percentage_of_nodes_to_score = config.percentage_of_nodes_to_score;
        let timings = Timings {
            initial_backoff: config.initial_backoff,
            max_backoff: config.max_backoff,
            unschedulable_timeout: config.unschedulable_timeout,
        };
        let (claims, claim_writer) = reflector::store();
        let (volumes, volume_writer) = reflector::store();
        let (classes, class_writer) = reflector::store();
        Driver {
            recorder: Recorder::spawn(client.clone(), &config, leadership.clone()),
            client,
            assumed: Assumed::new(config.assumed_ttl),
            config,
            leadership,
            snapshot,
            queue: Queue::new(timings),
            volumes: Stores { claims, volumes, classes },
            writers: Some((claim_writer, volume_writer, class_writer)),
            next_sweep: Instant::now() + EXPIRY_SWEEP,
            writes: JoinSet::new(),
            relist_nodes: Some(HashSet::new()),
            relist_pods: Some(HashSet::new()),
        }
    }

    /// Runs until a watch ends (they retry with backoff on errors, so in practice forever).
    pub async fn run(mut self) -> Result<(), Error> {
        let nodes = watcher(Api::<Node>::all(self.client.clone()), watcher::Config::default())
            .default_backoff();
        let pods = watcher(Api::<Pod>::all(self.client.clone()), watcher::Config::default())
            .default_backoff();
        let (mut nodes, mut pods) = (std::pin::pin!(nodes), std::pin::pin!(pods));
        let namespaces =
            watcher(Api::<Namespace>::all(self.client.clone()), watcher::Config::default())
                .default_backoff();
        let mut namespaces = std::pin::pin!(namespaces);
        let Some((claim_writer, volume_writer, class_writer)) = self.writers.take() else {
            return Err(Error::WatchEnded("volume"));
        };
        let claims = reflector(
            claim_writer,
            watcher(Api::<PersistentVolumeClaim>::all(self.client.clone()), Default::default()),
        )
        .default_backoff();
        let volumes = reflector(
            volume_writer,
            watcher(Api::<PersistentVolume>::all(self.client.clone()), Default::default()),
        )
        .default_backoff();
        let classes = reflector(
            class_writer,
            watcher(Api::<StorageClass>::all(self.client.clone()), Default::default()),
        )
        .default_backoff();
        let (mut claims, mut volumes, mut classes) =
            (std::pin::pin!(claims), std::pin::pin!(volumes), std::pin::pin!(classes));
        loop {
            let now = Instant::now();
            if now >= self.next_sweep {
                self.expire_assumed(now);
                self.next_sweep = now + EXPIRY_SWEEP;
            }
            let synced = self.relist_nodes.is_none() && self.relist_pods.is_none();
            let room = self.writes.len() < self.config.parallel_binds.max(1);
            let ready =
                self.queue.has_active() || self.queue.next_wakeup().is_some_and(|t| t <= now);
            // Without room or before the lists are in, a finished write or an event wakes us.
            let wake = match self.queue.next_wakeup() {
                Some(at) if synced && room => at.max(now + Duration::from_millis(1)),
                _ => now + Duration::from_secs(5),
            };
            tokio::select! {
                event = nodes.next() => match event {
                    Some(Ok(event)) => self.on_node(event),
                    Some(Err(error)) => tracing::warn!(%error, "node watch"),
                    None => return Err(Error::WatchEnded("node")),
                },
                event = pods.next() => match event {
                    Some(Ok(event)) => self.on_pod(event),
                    Some(Err(error)) => tracing::warn!(%error, "pod watch"),
                    None => return Err(Error::WatchEnded("pod")),
                },
                event = namespaces.next() => match event {
                    Some(Ok(event)) => self.on_namespace(event),
                    Some(Err(error)) => tracing::warn!(%error, "namespace watch"),
                    None => return Err(Error::WatchEnded("namespace")),
                },
                event = claims.next() => self.on_volume_event(event, "persistentvolumeclaim")?,
                event = volumes.next() => self.on_volume_event(event, "persistentvolume")?,
                event = classes.next() => self.on_volume_event(event, "storageclass")?,
                Some(done) = self.writes.join_next(), if !self.writes.is_empty() => match done {
                    Ok(outcome) => self.on_outcome(outcome),
                    Err(error) => tracing::warn!(%error, "a scheduler write task failed"),
                },
                () = std::future::ready(()), if synced && room && ready => self.schedule_batch(now),
                () = tokio::time::sleep_until(wake.min(self.next_sweep).into()) => {}
            }
        }
    }

    fn on_node(&mut self, event: Event<Node>) {
        match event {
            Event::Init => self.relist_nodes = Some(HashSet::new()),
            Event::InitApply(node) | Event::Apply(node) => {
                let info = NodeInfo::from_node(&node);
                if let Some(seen) = self.relist_nodes.as_mut() {
                    seen.insert(info.name.clone());
                }
                let changed =
                    self.snapshot.node(&info.name).is_none_or(|old| node_changed(old, &info));
                self.snapshot.set_node(info);
                if changed {
                    self.queue.move_all(Instant::now());
                }
            }
            Event::Delete(node) => {
                self.snapshot.remove_node(node.metadata.name.as_deref().unwrap_or_default())
            }
            Event::InitDone => {
                let seen = self.relist_nodes.take().unwrap_or_default();
                let gone: Vec<String> = self
                    .snapshot
                    .nodes()
                    .iter()
                    .map(|n| n.name.clone())
                    .filter(|n| !seen.contains(n))
                    .collect();
                for name in gone {
                    self.snapshot.remove_node(&name);
                }
            }
        }
    }

    fn on_pod(&mut self, event: Event<Pod>) {
        match event {
            Event::Init => self.relist_pods = Some(HashSet::new()),
            Event::InitApply(pod) | Event::Apply(pod) => {
                if let Some(seen) = self.relist_pods.as_mut() {
                    seen.insert(key_of(&pod));
                }
                self.apply_pod(pod);
            }
            Event::Delete(pod) => self.forget_pod(&key_of(&pod)),
            Event::InitDone => {
                let seen = self.relist_pods.take().unwrap_or_default();
                let placed = self.snapshot.placed_keys().chain(self.queue.keys());
                let gone: Vec<String> = placed
                    .filter(|k| !seen.contains(*k) && !self.assumed.contains(k))
                    .cloned()
                    .collect();
                for key in gone {
                    self.forget_pod(&key);
                }
            }
        }
    }

    fn apply_pod(&mut self, pod: Pod) {
        let key = key_of(&pod);
        let spec = pod.spec.as_ref();
        let bound = spec.and_then(|s| s.node_name.as_deref()).is_some_and(|n| !n.is_empty());
        if bound {
            self.queue.remove(&key);
            self.assumed.forget(&key);
            self.snapshot.unnominate(&key);
            if is_terminal(&pod) {
                self.forget_pod(&key);
            } else {
                self.snapshot.add_pod(Arc::new(PodInfo::from_pod(&pod)));
            }
            return;
        }
        if self.assumed.contains(&key) {
            return; // an update from before our binding
        }
        let ours = spec.and_then(|s| s.scheduler_name.as_deref()).unwrap_or("default-scheduler")
            == self.config.scheduler_name;
        if ours && pod.metadata.deletion_timestamp.is_none() && !is_terminal(&pod) {
            let nominated = pod.status.as_ref().and_then(|s| s.nominated_node_name.as_deref());
            if nominated.is_some_and(|n| !n.is_empty()) {
                self.snapshot.nominate(Arc::new(PodInfo::from_pod(&pod)));
            } else {
                self.snapshot.unnominate(&key);
            }
            self.queue.upsert(Arc::new(pod));
        } else {
            self.snapshot.unnominate(&key);
            self.queue.remove(&key);
        }
    }

    fn forget_pod(&mut self, key: &str) {
        self.queue.remove(key);
        self.assumed.forget(key);
        self.snapshot.unnominate(key);
        let (namespace, name) = key.split_once('/').unwrap_or(("", key));
        if self.snapshot.remove_pod(namespace, name).is_some() {
            self.queue.move_all(Instant::now());
        }
    }

    fn schedule_batch(&mut self, now: Instant) {
        for _ in 0..BATCH {
            if self.writes.len() >= self.config.parallel_binds.max(1) {
                return;
            }
            let Some((key, pod)) = self.queue.pop(now) else { return };
            if !self.leadership.is_leader() {
                self.queue.retry(&key, now);
                return;
            }
            self.schedule_one(key, &pod, now);
        }
    }

    fn schedule_one(&mut self, key: String, pod: &Pod, now: Instant) {
        let mut info = PodInfo::from_pod(pod);
        match volumes::resolve(pod, &self.volumes) {
            Ok(terms) => info.volume_terms = terms,
            Err(message) => info.volume_error = Some(message),
        }
        match plan::schedule(&info, &self.snapshot) {
            Ok(node) => {
                self.snapshot.unnominate(&key);
                self.snapshot.add_pod(Arc::new(PodInfo { node_name: node.clone(), ..info }));
                self.assumed.assume(&key, &node);
                let (client, leadership, pod) =
                    (self.client.clone(), self.leadership.clone(), PodRef::of(pod));
                self.writes.spawn(async move {
                    let result = writes::bind(client, leadership, &pod, &node).await;
                    Outcome::Bound { key, pod, node, result }
                });
            }
            Err(mut error) => {
                match plan::preempt(&info, &self.snapshot, &error) {
                    Ok(preemption) => {
                        let (client, leadership, pod) =
                            (self.client.clone(), self.leadership.clone(), PodRef::of(pod));
                        self.writes.spawn(async move {
                            writes::evict(client, leadership, &pod, preemption).await;
                            Outcome::Preempted
                        });
                    }
                    Err(post) => error.postfilter = Some(post),
                }
                let message = error.to_string();
                tracing::debug!(pod = %key, %message, "unschedulable");
                let set_condition = !condition_says(pod, &message);
                self.recorder.failed(PodRef::of(pod), message, set_condition);
                self.queue.failed(&key, now);
            }
        }
    }

    fn on_outcome(&mut self, outcome: Outcome) {
        let Outcome::Bound { key, pod, node, result } = outcome else { return };
        match result {
            Ok(()) => {
                self.queue.done(&key);
                self.assumed.bound(&key, Instant::now());
                self.recorder.scheduled(pod, node);
            }
            Err(error) => {
                tracing::debug!(pod = %key, %error, "binding failed");
                if self.assumed.forget(&key).is_some() {
                    self.snapshot.remove_pod(&pod.namespace, &pod.name);
                }
                let gone = matches!(&error, kube::Error::Api(status) if status.code == 404 || status.code == 409);
                if gone {
                    self.queue.remove(&key);
                } else {
                    self.queue.retry(&key, Instant::now());
                }
            }
        }
    }

    /// Assumptions whose binding the watch never showed: their pods leave the snapshot.
    fn expire_assumed(&mut self, now: Instant) {
        let expired = self.assumed.expire(now);
        for (key, node) in &expired {
            tracing::warn!(pod = %key, %node, "assumed pod expired: its binding never showed up");
            let (namespace, name) = key.split_once('/').unwrap_or(("", key));
            if self.snapshot.placed_on(namespace, name) == Some(node.as_str()) {
                self.snapshot.remove_pod(namespace, name);
            }
        }
        if !expired.is_empty() {
            self.queue.move_all(now);
        }
    }

    fn on_namespace(&mut self, event: Event<Namespace>) {
        match event {
            Event::InitApply(namespace) | Event::Apply(namespace) => {
                let name = namespace.metadata.name.unwrap_or_default();
                let labels = namespace.metadata.labels.unwrap_or_default();
                if self.snapshot.namespace_labels(&name) != Some(&labels) {
                    self.snapshot.set_namespace_labels(&name, labels);
                    self.queue.move_all(Instant::now());
                }
            }
            Event::Delete(namespace) => {
                self.snapshot.remove_namespace(namespace.metadata.name.as_deref().unwrap_or(""))
            }
            Event::Init | Event::InitDone => {}
        }
    }

    /// A claim, volume or class changed (the reflector has stored it): pods waiting for one
    /// may fit now.
    fn on_volume_event<K>(
        &mut self,
        event: Option<Result<Event<K>, watcher::Error>>,
        what: &'static str,
    ) -> Result<(), Error> {
        match event {
            Some(Ok(Event::Apply(_) | Event::Delete(_) | Event::InitDone)) => {
                self.queue.move_all(Instant::now())
            }
            Some(Ok(_)) => {}
            Some(Err(error)) => tracing::warn!(%error, "{what} watch"),
            None => return Err(Error::WatchEnded(what)),
        }
        Ok(())
    }
}

mod writes;

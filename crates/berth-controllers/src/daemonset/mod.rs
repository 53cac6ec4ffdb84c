//! The DaemonSet controller: one pod on every node the template fits, rolled node by node.
//!
//! Start at [`reconcile`]: it reads nodes, the set's pods and its ControllerRevisions from
//! caches, syncs the revision history ([`crate::controller_revision`]), judges each node with
//! [`nodes::fit`], asks [`plan::plan`] what to create and delete, does that and writes the
//! status. Pods are made with a generated name and pinned to their node by a required node
//! affinity on `metadata.name`; the scheduler binds them. Node changes reconcile every set.
//!
//! Because names are generated, a cache that lags the controller's own creates would make it
//! create twice: [`Pending`] remembers the nodes it created for and the pods it deleted until
//! the cache shows them, and the set waits for that before acting again.

pub(crate) mod nodes;
mod plan;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use k8s_openapi::api::apps::v1::{ControllerRevision, DaemonSet, DaemonSetStatus};
use k8s_openapi::api::core::v1::{Node, Pod};
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams, Preconditions};
use kube::runtime::controller::Action;
use kube::runtime::reflector::{ObjectRef, Store};

use crate::controller_revision::{self, HASH_LABEL, Owner};
use crate::{Context, Error, cache, pods};
use plan::{Daemon, Place, Update};

const GENERATION_LABEL: &str = "pod-template-generation";
/// How long an unobserved create or delete holds a set back.
const PENDING_TIMEOUT: Duration = Duration::from_secs(60);

struct State {
    ctx: Arc<Context>,
    nodes: Store<Node>,
    pods: Store<Pod>,
    revisions: Store<ControllerRevision>,
    pending: Mutex<HashMap<String, Pending>>,
}

/// Writes for one set that its cache has not shown yet.
#[derive(Debug, Default)]
struct Pending {
    /// Nodes a new pod was created for.
    creates: HashMap<String, Instant>,
    /// Pods (by uid) deleted.
    deletes: HashMap<String, Instant>,
}

/// Runs the DaemonSet controller until its watches end.
pub async fn run(ctx: Arc<Context>) -> Result<(), Error> {
    let client = ctx.client.clone();
    let (sets, set_events) = cache::watch::<DaemonSet>(Api::all(client.clone()));
    let (node_store, node_events) = cache::watch::<Node>(Api::all(client.clone()));
    let (pod_store, pod_events) = cache::watch::<Pod>(Api::all(client.clone()));
    let (revisions, revision_events) = cache::watch::<ControllerRevision>(Api::all(client));
    let all_sets = sets.clone();
    let every_set = node_events.flat_map(move |_| {
        let keys: Vec<_> =
            all_sets.state().iter().map(|s| Some(ObjectRef::from_obj(&**s))).collect();
        futures_util::stream::iter(keys)
    });
    let queue = futures_util::stream::select_all([
        set_events.map(|s| Some(ObjectRef::from_obj(&s))).boxed(),
        every_set.boxed(),
        pod_events.map(|p| cache::owner::<DaemonSet, _>(&p)).boxed(),
        revision_events.map(|r| cache::owner::<DaemonSet, _>(&r)).boxed(),
    ]);
    let state = Arc::new(State {
        ctx,
        nodes: node_store,
        pods: pod_store,
        revisions,
        pending: Mutex::default(),
    });
    cache::reconcile_queue("daemonset", sets, queue, state, reconcile).await
}

async fn reconcile(set: Arc<DaemonSet>, state: Arc<State>) -> Result<Action, Error> {
    if !cache::is_ready(&state.nodes)
        || !cache::is_ready(&state.pods)
        || !cache::is_ready(&state.revisions)
    {
        return Ok(Action::requeue(Duration::from_millis(500)));
    }
    let ctx = &state.ctx;
    let meta = &set.metadata;
    let (Some(namespace), Some(name), Some(uid)) = (&meta.namespace, &meta.name, &meta.uid) else {
        return Err(Error::Invalid("a daemonset without namespace, name or uid".into()));
    };
    let key = format!("{namespace}/{name}");
    let Some(spec) = set.spec.as_ref() else { return Ok(Action::await_change()) };
    if meta.deletion_timestamp.is_some() {
        state.lock().remove(&key);
        return Ok(Action::await_change());
    }
    let reference = pods::controller_ref("apps/v1", "DaemonSet", name, uid);
    let owner = Owner {
        namespace: namespace.clone(),
        name: name.clone(),
        reference: reference.clone(),
        labels: spec.selector.match_labels.clone().unwrap_or_default(),
    };
    let history = controller_revision::owned(state.revisions.state().iter().map(|r| &**r), &owner);
    let status = set.status.clone().unwrap_or_default();
    let revisions = controller_revision::sync(
        ctx,
        &owner,
        history,
        &spec.template,
        status.collision_count.unwrap_or(0),
        None,
    )
    .await?;
    let hash = controller_revision::hash_of(&revisions.update);

    let all_pods = state.pods.state();
    let mut mine: Vec<&Pod> = all_pods
        .iter()
        .map(|p| &**p)
        .filter(|p| p.metadata.namespace.as_deref() == Some(namespace))
        .filter(|p| pods::controller_uid(&p.metadata) == Some(uid))
        .collect();
    mine.sort_by_key(|p| p.metadata.creation_timestamp.as_ref().map(|t| t.0));
    let now = Timestamp::now();
    let min_ready = spec.min_ready_seconds.unwrap_or(0);
    let daemon = |pod: &Pod| Daemon {
        name: pod.metadata.name.clone().unwrap_or_default(),
        updated: pod.metadata.labels.as_ref().and_then(|l| l.get(HASH_LABEL)) == Some(&hash),
        terminating: pod.metadata.deletion_timestamp.is_some(),
        failed: pods::is_terminal(pod),
        ready: pods::phase(pod) == "Running" && pods::is_ready(pod),
        available: pods::phase(pod) == "Running" && pods::is_available(pod, min_ready, now),
    };
    let template_spec = spec.template.spec.clone().unwrap_or_default();
    let all_nodes = state.nodes.state();
    let mut places: BTreeMap<String, Place> = all_nodes
        .iter()
        .filter_map(|n| {
            let fit = nodes::fit(n, &template_spec);
            Some((n.metadata.name.clone()?, Place { fit, pods: Vec::new() }))
        })
        .collect();
    let mut orphans = Vec::new();
    for pod in &mine {
        match nodes::target_node(pod).and_then(|n| places.get_mut(n)) {
            Some(place) => place.pods.push(daemon(pod)),
            None => orphans.push(daemon(pod)),
        }
    }

    let settled = state.settle(&key, &places, &mine);
    if settled {
        let desired = places.values().filter(|p| p.fit.should_run).count() as i32;
        let plan = plan::plan(&places, &orphans, update_policy(&set, desired));
        execute(&state, &set, &key, &hash, &reference, &plan, &mine).await?;
    }

    let new_status = status_of(&set, &places, revisions.collision_count);
    if set.status.as_ref() != Some(&new_status) {
        ctx.ensure_leader()?;
        let api: Api<DaemonSet> = Api::namespaced(ctx.client.clone(), namespace);
        let patch = Patch::Merge(serde_json::json!({ "status": new_status }));
        api.patch_status(name, &PatchParams::default(), &patch)
            .await
            .map_err(|e| Error::api(format!("updating the status of daemonset {name}"), e))?;
    }
    let mut live: BTreeSet<String> = revisions.update.metadata.name.clone().into_iter().collect();
    let hashes: BTreeSet<&String> =
        mine.iter().filter_map(|p| p.metadata.labels.as_ref()?.get(HASH_LABEL)).collect();
    let history = controller_revision::owned(state.revisions.state().iter().map(|r| &**r), &owner);
    live.extend(
        history
            .iter()
            .filter(|r| hashes.contains(&controller_revision::hash_of(r)))
            .filter_map(|r| r.metadata.name.clone()),
    );
    let limit = spec.revision_history_limit.unwrap_or(10).max(0) as usize;
    controller_revision::prune(ctx, namespace, &history, &live, limit).await?;
    Ok(if !settled {
        Action::requeue(Duration::from_secs(2))
    } else if min_ready > 0 {
        Action::requeue(Duration::from_secs(min_ready as u64 + 1))
    } else {
        Action::requeue(Duration::from_secs(300))
    })
}

impl State {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Pending>> {
        self.pending.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Drops what the cache now shows (or what timed out); true when nothing is outstanding.
    fn settle(&self, key: &str, places: &BTreeMap<String, Place>, mine: &[&Pod]) -> bool {
        let mut all = self.lock();
        let Some(pending) = all.get_mut(key) else { return true };
        pending.creates.retain(|node, since| {
            let seen = places
                .get(node)
                .is_some_and(|p| p.pods.iter().any(|d| d.updated && !d.terminating));
            !seen && since.elapsed() < PENDING_TIMEOUT
        });
        pending.deletes.retain(|uid, since| {
            let still = mine.iter().any(|p| {
                p.metadata.uid.as_deref() == Some(uid) && p.metadata.deletion_timestamp.is_none()
            });
            still && since.elapsed() < PENDING_TIMEOUT
        });
        let settled = pending.creates.is_empty() && pending.deletes.is_empty();
        if settled {
            all.remove(key);
        }
        settled
    }
}

fn update_policy(set: &DaemonSet, desired: i32) -> Update {
    let strategy = set.spec.as_ref().and_then(|s| s.update_strategy.as_ref());
    if strategy.and_then(|s| s.type_.as_deref()) == Some("OnDelete") {
        return Update::OnDelete;
    }
    let rolling = strategy.and_then(|s| s.rolling_update.as_ref());
    let max_surge = plan::scaled(rolling.and_then(|r| r.max_surge.as_ref()), desired, 0);
    let max_unavailable =
        plan::scaled(rolling.and_then(|r| r.max_unavailable.as_ref()), desired, 1);
    let max_unavailable = if max_surge == 0 { max_unavailable.max(1) } else { max_unavailable };
    Update::Rolling { max_unavailable, max_surge }
}

async fn execute(
    state: &State,
    set: &DaemonSet,
    key: &str,
    hash: &str,
    reference: &k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference,
    plan: &plan::Plan,
    mine: &[&Pod],
) -> Result<(), Error> {
    let ctx = &state.ctx;
    let namespace = set.metadata.namespace.as_deref().unwrap_or("default");
    let name = set.metadata.name.as_deref().unwrap_or_default();
    let api: Api<Pod> = Api::namespaced(ctx.client.clone(), namespace);
    let template = set.spec.as_ref().map(|s| s.template.clone()).unwrap_or_default();
    for node in &plan.create {
        let mut pod =
            pods::from_template(&template, namespace, &format!("{name}-"), reference.clone());
        let labels = pod.metadata.labels.get_or_insert_with(BTreeMap::new);
        labels.insert(HASH_LABEL.to_owned(), hash.to_owned());
        labels
            .insert(GENERATION_LABEL.to_owned(), set.metadata.generation.unwrap_or(0).to_string());
        nodes::pin_to(pod.spec.get_or_insert_with(Default::default), node);
        ctx.ensure_leader()?;
        state
            .lock()
            .entry(key.to_owned())
            .or_default()
            .creates
            .insert(node.clone(), Instant::now());
        if let Err(e) = api.create(&PostParams::default(), &pod).await {
            if let Some(p) = state.lock().get_mut(key) {
                p.creates.remove(node);
            }
            return Err(Error::api(format!("creating the pod of daemonset {name} on {node}"), e));
        }
        tracing::info!(%namespace, set = %name, %node, "created daemon pod");
    }
    for pod_name in &plan.delete {
        let Some(pod) = mine.iter().find(|p| p.metadata.name.as_deref() == Some(pod_name)) else {
            continue;
        };
        let uid = pod.metadata.uid.clone().unwrap_or_default();
        let params = DeleteParams {
            preconditions: Some(Preconditions { uid: Some(uid.clone()), resource_version: None }),
            ..DeleteParams::default()
        };
        ctx.ensure_leader()?;
        state.lock().entry(key.to_owned()).or_default().deletes.insert(uid.clone(), Instant::now());
        match api.delete(pod_name, &params).await {
            Ok(_) => tracing::info!(%namespace, set = %name, pod = %pod_name, "deleted daemon pod"),
            Err(kube::Error::Api(s)) if s.code == 404 || s.code == 409 => {
                if let Some(p) = state.lock().get_mut(key) {
                    p.deletes.remove(&uid);
                }
            }
            Err(e) => return Err(Error::api(format!("deleting pod {pod_name}"), e)),
        }
    }
    Ok(())
}

fn status_of(
    set: &DaemonSet,
    places: &BTreeMap<String, Place>,
    collision_count: i32,
) -> DaemonSetStatus {
    let mut status = DaemonSetStatus {
        observed_generation: set.metadata.generation,
        collision_count: Some(collision_count),
        ..DaemonSetStatus::default()
    };
    let (mut ready, mut available, mut updated) = (0, 0, 0);
    for place in places.values() {
        let live: Vec<&Daemon> = place.pods.iter().filter(|d| !d.terminating).collect();
        if place.fit.should_run {
            status.desired_number_scheduled += 1;
            if !live.is_empty() {
                status.current_number_scheduled += 1;
                // The pod that counts is the newest one (a surge's new pod).
                let pod = live.iter().find(|d| d.updated).unwrap_or(&live[0]);
                if pod.available {
                    available += 1;
                }
                if pod.updated {
                    updated += 1;
                }
            }
        } else if !live.is_empty() {
            status.number_misscheduled += 1;
        }
        if place.fit.should_run && live.iter().any(|d| d.ready) {
            ready += 1;
        }
    }
    status.number_ready = ready;
    status.number_available = Some(available);
    status.number_unavailable = Some(status.desired_number_scheduled - available);
    status.updated_number_scheduled = Some(updated);
    status
}

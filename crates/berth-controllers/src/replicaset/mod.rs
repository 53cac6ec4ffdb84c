//! The ReplicaSet controller: keeps `spec.replicas` pods running for every ReplicaSet.
//!
//! Start at [`run`]: one pod watch feeds a cache, the expectations (creates and deletes this
//! controller made that the cache has not shown yet) and the triggers of a kube-runtime
//! `Controller` over ReplicaSets. [`reconcile`] claims pods (adopts orphans the selector
//! matches, releases owned pods it no longer matches), creates or deletes pods when the
//! expectations are met ([`manage`]: slow-start batches, surplus ranked by [`plan::pods_to_delete`])
//! and writes the status. The decisions are pure functions in [`plan`].

mod adopt;
mod plan;
mod retry;

pub(crate) use adopt::{Claim, adopt, claim, release};
pub(crate) use retry::Retries;

use std::sync::Arc;
use std::time::Duration;

use futures_util::{StreamExt, TryStreamExt, future};
use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::jiff::Timestamp;
use kube::api::{DeleteParams, PostParams, Preconditions};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, ResourceExt};

use crate::expectations::Expectations;
use crate::{Context, Error, pods};

use plan::Failure;

/// What every reconcile shares.
struct State {
    ctx: Arc<Context>,
    pods: Store<Pod>,
    expectations: Expectations,
    retries: Retries,
}

/// Runs the controller until its watches end.
pub async fn run(ctx: Arc<Context>) -> Result<(), Error> {
    let (pods, writer) = reflector::store();
    let state = Arc::new(State {
        ctx: ctx.clone(),
        pods: pods.clone(),
        expectations: Expectations::new(),
        retries: Retries::default(),
    });
    let observer = state.clone();
    let pod_events = watcher(Api::<Pod>::all(ctx.client.clone()), watcher::Config::default())
        .default_backoff()
        .map_ok(move |event| {
            note(&observer.pods, &observer.expectations, &event);
            event
        })
        .reflect(writer)
        .touched_objects();
    let controller =
        Controller::new(Api::<ReplicaSet>::all(ctx.client.clone()), watcher::Config::default());
    let sets = controller.store();
    controller
        .watches_stream(pod_events, move |pod| sets_for_pod(&sets, &pod))
        .run(reconcile, error_policy, state)
        .for_each(|result| {
            if let Err(error) = result {
                tracing::debug!(%error, "replicaset controller");
            }
            future::ready(())
        })
        .await;
    Ok(())
}

/// `namespace/name`, the expectations key.
fn key_of(namespace: &str, name: &str) -> String {
    format!("{namespace}/{name}")
}

/// The ReplicaSet key a pod's controller reference names, if that controller is a ReplicaSet.
fn owner_key(pod: &Pod) -> Option<String> {
    let owner = pod.owner_references().iter().find(|r| r.controller == Some(true))?;
    (owner.kind == "ReplicaSet" && owner.api_version.starts_with("apps/"))
        .then(|| key_of(&pod.namespace().unwrap_or_default(), &owner.name))
}

/// Marks creates and deletes the cache is about to show (called before the cache applies
/// `event`, so the cache still holds the previous version).
fn note(pods: &Store<Pod>, expectations: &Expectations, event: &watcher::Event<Pod>) {
    match event {
        watcher::Event::Apply(pod) | watcher::Event::InitApply(pod) => {
            let Some(key) = owner_key(pod) else { return };
            match pods.get(&ObjectRef::from_obj(pod)) {
                None => {
                    expectations.observed_create(&key);
                    if pod.metadata.deletion_timestamp.is_some() {
                        expectations.observed_delete(&key);
                    }
                }
                Some(before) => {
                    if before.metadata.deletion_timestamp.is_none()
                        && pod.metadata.deletion_timestamp.is_some()
                    {
                        expectations.observed_delete(&key);
                    }
                }
            }
        }
        watcher::Event::Delete(pod) => {
            let Some(key) = owner_key(pod) else { return };
            match pods.get(&ObjectRef::from_obj(pod)) {
                None => expectations.observed_create(&key),
                Some(before) if before.metadata.deletion_timestamp.is_none() => {
                    expectations.observed_delete(&key);
                }
                Some(_) => {}
            }
        }
        watcher::Event::Init | watcher::Event::InitDone => {}
    }
}

/// The ReplicaSets a pod event concerns: its controller, or for an orphan every ReplicaSet in
/// its namespace whose selector matches (one of them may adopt it).
fn sets_for_pod(sets: &Store<ReplicaSet>, pod: &Pod) -> Vec<ObjectRef<ReplicaSet>> {
    let namespace = pod.namespace().unwrap_or_default();
    if let Some(owner) = pod.owner_references().iter().find(|r| r.controller == Some(true)) {
        if owner.kind == "ReplicaSet" {
            return vec![ObjectRef::new(&owner.name).within(&namespace)];
        }
        return Vec::new();
    }
    sets.state()
        .iter()
        .filter(|rs| rs.namespace().as_deref() == Some(namespace.as_str()))
        .filter(|rs| {
            let selector = rs.spec.as_ref().map(|s| &s.selector);
            pods::selects(selector, pod.metadata.labels.as_ref())
        })
        .map(|rs| ObjectRef::from_obj(rs.as_ref()))
        .collect()
}

fn error_policy(rs: Arc<ReplicaSet>, error: &Error, state: Arc<State>) -> Action {
    let key = key_of(&rs.namespace().unwrap_or_default(), &rs.name_any());
    let wait = state.retries.failed(&key);
    if error.is_conflict() {
        tracing::debug!(replicaset = key, %error, "conflict; retrying");
    } else {
        tracing::warn!(replicaset = key, %error, ?wait, "replicaset sync failed");
    }
    Action::requeue(wait)
}

async fn reconcile(rs: Arc<ReplicaSet>, state: Arc<State>) -> Result<Action, Error> {
    let namespace = rs.namespace().unwrap_or_default();
    let name = rs.name_any();
    let key = key_of(&namespace, &name);
    let action = sync(&rs, &state, &namespace, &name, &key).await?;
    state.retries.succeeded(&key);
    Ok(action)
}

async fn sync(
    rs: &ReplicaSet,
    state: &State,
    namespace: &str,
    name: &str,
    key: &str,
) -> Result<Action, Error> {
    let ctx = &state.ctx;
    crate::cache::ready(&state.pods).await;
    let uid = rs.uid().unwrap_or_default();
    let deleting = rs.metadata.deletion_timestamp.is_some();
    let spec = rs.spec.clone().unwrap_or_default();
    let pod_api: Api<Pod> = Api::namespaced(ctx.client.clone(), namespace);
    let candidates: Vec<Arc<Pod>> = state
        .pods
        .state()
        .into_iter()
        .filter(|p| p.namespace().as_deref() == Some(namespace) && pods::is_active(p))
        .collect();
    let mut owned: Vec<Arc<Pod>> = Vec::new();
    let mut may_adopt = None;
    for pod in candidates {
        let selected = pods::selects(Some(&spec.selector), pod.metadata.labels.as_ref());
        match claim(&uid, deleting, &pod.metadata, selected) {
            Claim::Keep => owned.push(pod),
            Claim::Ignore => {}
            Claim::Release => {
                ctx.ensure_leader()?;
                release(&pod_api, pod.as_ref(), &uid)
                    .await
                    .map_err(|e| Error::api(format!("releasing pod {}", pod.name_any()), e))?;
            }
            Claim::Adopt => {
                if may_adopt.is_none() {
                    may_adopt = Some(still_current(ctx, namespace, name, &uid).await?);
                }
                if may_adopt != Some(true) {
                    continue;
                }
                ctx.ensure_leader()?;
                let owner = pods::controller_ref("apps/v1", "ReplicaSet", name, &uid);
                if let Some(adopted) = adopt(&pod_api, pod.as_ref(), owner)
                    .await
                    .map_err(|e| Error::api(format!("adopting pod {}", pod.name_any()), e))?
                {
                    owned.push(Arc::new(adopted));
                }
            }
        }
    }
    let owned: Vec<&Pod> = owned.iter().map(Arc::as_ref).collect();
    let failure = if !deleting && state.expectations.satisfied(key) {
        manage(state, rs, &pod_api, &owned, key).await?
    } else {
        None
    };
    let now = Timestamp::now();
    let status = plan::status(rs, &owned, failure.as_ref(), now);
    if rs.status.as_ref() != Some(&status) {
        ctx.ensure_leader()?;
        let api: Api<ReplicaSet> = Api::namespaced(ctx.client.clone(), namespace);
        let mut next = rs.clone();
        next.status = Some(status);
        api.replace_status(name, &PostParams::default(), &next)
            .await
            .map_err(|e| Error::api(format!("updating the status of replicaset {key}"), e))?;
    }
    let min_ready = spec.min_ready_seconds.unwrap_or(0);
    Ok(match plan::next_available_in(&owned, min_ready, now) {
        Some(seconds) => Action::requeue(Duration::from_secs(seconds.unsigned_abs())),
        None if failure.is_some() => Action::requeue(Duration::from_secs(10)),
        None => Action::await_change(),
    })
}

/// Reads the ReplicaSet live before adopting: only a current, undeleted controller adopts.
async fn still_current(
    ctx: &Context,
    namespace: &str,
    name: &str,
    uid: &str,
) -> Result<bool, Error> {
    let api: Api<ReplicaSet> = Api::namespaced(ctx.client.clone(), namespace);
    let live = api
        .get_opt(name)
        .await
        .map_err(|e| Error::api(format!("reading replicaset {namespace}/{name}"), e))?;
    Ok(live.is_some_and(|rs| {
        rs.uid().as_deref() == Some(uid) && rs.metadata.deletion_timestamp.is_none()
    }))
}

/// Creates or deletes pods towards `spec.replicas`; returns the failure to report, if any.
async fn manage(
    state: &State,
    rs: &ReplicaSet,
    pod_api: &Api<Pod>,
    owned: &[&Pod],
    key: &str,
) -> Result<Option<Failure>, Error> {
    let desired = rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1).max(0);
    let diff = plan::diff(owned.len(), desired.unsigned_abs() as usize);
    if diff > 0 {
        create(state, rs, pod_api, diff.unsigned_abs() as usize, key).await
    } else if diff < 0 {
        let doomed = plan::pods_to_delete(owned, diff.unsigned_abs() as usize);
        delete(state, pod_api, &doomed, key).await
    } else {
        Ok(None)
    }
}

async fn create(
    state: &State,
    rs: &ReplicaSet,
    pod_api: &Api<Pod>,
    count: usize,
    key: &str,
) -> Result<Option<Failure>, Error> {
    let name = rs.name_any();
    let namespace = rs.namespace().unwrap_or_default();
    let template = rs.spec.as_ref().and_then(|s| s.template.clone()).unwrap_or_default();
    let owner = pods::controller_ref("apps/v1", "ReplicaSet", &name, &rs.uid().unwrap_or_default());
    let pod = pods::from_template(&template, &namespace, &format!("{name}-"), owner);
    state.ctx.ensure_leader()?;
    state.expectations.expect(key, count as i64, 0);
    let params = PostParams::default();
    let mut issued = 0;
    for size in plan::batches(count) {
        if !state.ctx.leadership.is_leader() {
            break;
        }
        let results = future::join_all((0..size).map(|_| pod_api.create(&params, &pod))).await;
        issued += size;
        let mut first_error = None;
        for result in results {
            if let Err(error) = result {
                state.expectations.create_failed(key);
                first_error.get_or_insert(error);
            }
        }
        if let Some(error) = first_error {
            for _ in issued..count {
                state.expectations.create_failed(key);
            }
            tracing::warn!(replicaset = key, %error, "creating pods failed");
            return Ok(Some(Failure { reason: "FailedCreate", message: error.to_string() }));
        }
    }
    for _ in issued..count {
        state.expectations.create_failed(key);
    }
    Ok(None)
}

async fn delete(
    state: &State,
    pod_api: &Api<Pod>,
    doomed: &[&Pod],
    key: &str,
) -> Result<Option<Failure>, Error> {
    state.ctx.ensure_leader()?;
    state.expectations.expect(key, 0, doomed.len() as i64);
    let results = future::join_all(doomed.iter().map(|pod| {
        let params = DeleteParams {
            preconditions: Some(Preconditions { uid: pod.uid(), resource_version: None }),
            ..DeleteParams::default()
        };
        let name = pod.name_any();
        async move { pod_api.delete(&name, &params).await }
    }))
    .await;
    let mut failure = None;
    for result in results {
        match result {
            Ok(_) => {}
            // Already gone: its delete event may have been observed before this expectation
            // was set, so count it now (an extra count only lets the next sync come sooner).
            Err(kube::Error::Api(status)) if status.code == 404 => {
                state.expectations.delete_failed(key);
            }
            Err(error) => {
                state.expectations.delete_failed(key);
                failure
                    .get_or_insert(Failure { reason: "FailedDelete", message: error.to_string() });
            }
        }
    }
    Ok(failure)
}

//! The StatefulSet controller: pods with a stable identity `<set>-<ordinal>`, each with its own
//! claims, brought up, scaled and rolled in ordinal order.
//!
//! Start at [`reconcile`]: it reads the set's pods, claims and ControllerRevisions from caches,
//! syncs the revision history ([`crate::controller_revision`]), asks [`plan::plan`] which
//! ordinals to create or delete now, does that, and writes the status. Pods are created with
//! their exact name, so the API's AlreadyExists is what keeps one identity to one pod (a pod
//! still terminating under that name blocks its successor); no expectations are needed.
//! [`identity`] builds the pods and claims.

mod identity;
mod plan;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use k8s_openapi::api::apps::v1::{ControllerRevision, StatefulSet};
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams, Preconditions};
use kube::runtime::controller::Action;
use kube::runtime::reflector::{ObjectRef, Store};

use crate::controller_revision::{self, HASH_LABEL, Owner};
use crate::{Context, Error, cache, pods};
use plan::{Policy, Slot, Step, Update};

struct State {
    ctx: Arc<Context>,
    pods: Store<Pod>,
    claims: Store<PersistentVolumeClaim>,
    revisions: Store<ControllerRevision>,
}

/// Runs the StatefulSet controller until its watches end.
pub async fn run(ctx: Arc<Context>) -> Result<(), Error> {
    let client = ctx.client.clone();
    let (sets, set_events) = cache::watch::<StatefulSet>(Api::all(client.clone()));
    let (pod_store, pod_events) = cache::watch::<Pod>(Api::all(client.clone()));
    let (claims, claim_events) = cache::watch::<PersistentVolumeClaim>(Api::all(client.clone()));
    let (revisions, revision_events) = cache::watch::<ControllerRevision>(Api::all(client));
    let queue = futures_util::stream::select_all([
        set_events.map(|s| Some(ObjectRef::from_obj(&s))).boxed(),
        pod_events.map(|p| cache::owner::<StatefulSet, _>(&p)).boxed(),
        claim_events.map(|_| None).boxed(),
        revision_events.map(|r| cache::owner::<StatefulSet, _>(&r)).boxed(),
    ]);
    let state = Arc::new(State { ctx, pods: pod_store, claims, revisions });
    cache::reconcile_queue("statefulset", sets, queue, state, reconcile).await
}

async fn reconcile(set: Arc<StatefulSet>, state: Arc<State>) -> Result<Action, Error> {
    if !cache::is_ready(&state.pods)
        || !cache::is_ready(&state.claims)
        || !cache::is_ready(&state.revisions)
    {
        return Ok(Action::requeue(Duration::from_millis(500)));
    }
    let ctx = &state.ctx;
    let meta = &set.metadata;
    let (Some(namespace), Some(name), Some(uid)) = (&meta.namespace, &meta.name, &meta.uid) else {
        return Err(Error::Invalid("a statefulset without namespace, name or uid".into()));
    };
    let Some(spec) = set.spec.as_ref() else { return Ok(Action::await_change()) };
    if meta.deletion_timestamp.is_some() {
        return Ok(Action::await_change());
    }
    let reference = pods::controller_ref("apps/v1", "StatefulSet", name, uid);
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
        history.clone(),
        &spec.template,
        status.collision_count.unwrap_or(0),
        status.current_revision.as_deref(),
    )
    .await?;
    let update_name = revisions.update.metadata.name.clone().unwrap_or_default();
    let current_name = revisions.current.metadata.name.clone().unwrap_or_default();
    let current_template =
        controller_revision::template(&revisions.current).unwrap_or_else(|| spec.template.clone());

    let all_pods = state.pods.state();
    let mine: BTreeMap<i32, &Pod> = all_pods
        .iter()
        .filter(|p| p.metadata.namespace.as_deref() == Some(namespace))
        .filter(|p| pods::controller_uid(&p.metadata) == Some(uid))
        .filter_map(|p| Some((identity::ordinal(name, p.metadata.name.as_deref()?)?, &**p)))
        .collect();
    let now = Timestamp::now();
    let min_ready = spec.min_ready_seconds.unwrap_or(0);
    let slots = mine
        .iter()
        .map(|(&ordinal, pod)| {
            let running_ready = pods::phase(pod) == "Running" && pods::is_ready(pod);
            let hash = pod.metadata.labels.as_ref().and_then(|l| l.get(HASH_LABEL));
            let slot = Slot {
                updated: hash == Some(&update_name),
                terminating: pod.metadata.deletion_timestamp.is_some(),
                finished: pods::is_terminal(pod),
                running_ready,
                available: running_ready && pods::is_available(pod, min_ready, now),
            };
            (ordinal, slot)
        })
        .collect();
    let replicas = spec.replicas.unwrap_or(1);
    let policy = Policy {
        replicas,
        ordered: spec.pod_management_policy.as_deref() != Some("Parallel"),
        update: update_policy(&set, replicas),
    };
    let pods_api: Api<Pod> = Api::namespaced(ctx.client.clone(), namespace);
    for step in plan::plan(&policy, &slots) {
        match step {
            Step::Create { ordinal, updated } => {
                if !ensure_claims(&state, &set, ordinal, &reference).await? {
                    continue;
                }
                let (template, revision) = if updated {
                    (&spec.template, &update_name)
                } else {
                    (&current_template, &current_name)
                };
                let pod = identity::pod(&set, template, revision, ordinal, reference.clone());
                ctx.ensure_leader()?;
                match pods_api.create(&PostParams::default(), &pod).await {
                    Ok(_) => tracing::info!(%namespace, set = %name, ordinal, "created pod"),
                    Err(kube::Error::Api(s)) if s.code == 409 => {}
                    Err(e) => return Err(Error::api(format!("creating pod {name}-{ordinal}"), e)),
                }
            }
            Step::Delete { ordinal } => {
                let Some(pod) = mine.get(&ordinal) else { continue };
                delete_pod(ctx, &pods_api, pod).await?;
            }
        }
    }
    delete_scaled_down_claims(&state, &set, &mine).await?;

    let new_status =
        identity::status(&set, &mine, &current_name, &update_name, revisions.collision_count, now);
    if set.status.as_ref() != Some(&new_status) {
        ctx.ensure_leader()?;
        let sets: Api<StatefulSet> = Api::namespaced(ctx.client.clone(), namespace);
        let patch = Patch::Merge(serde_json::json!({ "status": new_status }));
        sets.patch_status(name, &PatchParams::default(), &patch)
            .await
            .map_err(|e| Error::api(format!("updating the status of statefulset {name}"), e))?;
    }
    let mut live: BTreeSet<String> = [current_name, update_name].into();
    live.extend(mine.values().filter_map(|p| p.metadata.labels.as_ref()?.get(HASH_LABEL).cloned()));
    let limit = spec.revision_history_limit.unwrap_or(10).max(0) as usize;
    let history = controller_revision::owned(state.revisions.state().iter().map(|r| &**r), &owner);
    controller_revision::prune(ctx, namespace, &history, &live, limit).await?;
    Ok(Action::requeue(if min_ready > 0 {
        Duration::from_secs(min_ready as u64 + 1)
    } else {
        Duration::from_secs(300)
    }))
}

fn update_policy(set: &StatefulSet, replicas: i32) -> Update {
    let strategy = set.spec.as_ref().and_then(|s| s.update_strategy.as_ref());
    if strategy.and_then(|s| s.type_.as_deref()) == Some("OnDelete") {
        return Update::OnDelete;
    }
    let rolling = strategy.and_then(|s| s.rolling_update.as_ref());
    let partition = rolling.and_then(|r| r.partition).unwrap_or(0);
    let max_unavailable = match rolling.and_then(|r| r.max_unavailable.as_ref()) {
        None => 1,
        Some(IntOrString::Int(n)) => *n,
        Some(IntOrString::String(s)) => {
            let percent: i64 = s.trim_end_matches('%').parse().unwrap_or(0);
            ((percent * i64::from(replicas) + 99) / 100) as i32
        }
    };
    Update::Rolling { partition, max_unavailable: max_unavailable.max(1) }
}

/// Makes sure the claims of `ordinal` exist; false while one of them is being deleted.
async fn ensure_claims(
    state: &State,
    set: &StatefulSet,
    ordinal: i32,
    owner: &k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference,
) -> Result<bool, Error> {
    let namespace = set.metadata.namespace.as_deref().unwrap_or("default");
    let api: Api<PersistentVolumeClaim> = Api::namespaced(state.ctx.client.clone(), namespace);
    for claim in identity::claims(set, ordinal, owner) {
        let name = claim.metadata.name.clone().unwrap_or_default();
        let key = ObjectRef::new(&name).within(namespace);
        match state.claims.get(&key) {
            Some(existing) if existing.metadata.deletion_timestamp.is_some() => return Ok(false),
            Some(_) => continue,
            None => {}
        }
        state.ctx.ensure_leader()?;
        match api.create(&PostParams::default(), &claim).await {
            Ok(_) => tracing::info!(%namespace, claim = %name, "created claim"),
            Err(kube::Error::Api(s)) if s.code == 409 => {}
            Err(e) => return Err(Error::api(format!("creating claim {name}"), e)),
        }
    }
    Ok(true)
}

/// With `whenScaled: Delete`, deletes the claims of ordinals at or above `replicas` whose pod
/// is gone.
async fn delete_scaled_down_claims(
    state: &State,
    set: &StatefulSet,
    pods: &BTreeMap<i32, &Pod>,
) -> Result<(), Error> {
    let spec = set.spec.as_ref();
    let policy = spec.and_then(|s| s.persistent_volume_claim_retention_policy.as_ref());
    if policy.and_then(|p| p.when_scaled.as_deref()) != Some("Delete") {
        return Ok(());
    }
    let replicas = spec.and_then(|s| s.replicas).unwrap_or(1);
    let namespace = set.metadata.namespace.as_deref().unwrap_or("default");
    let highest = state
        .claims
        .state()
        .iter()
        .filter(|c| c.metadata.namespace.as_deref() == Some(namespace))
        .filter_map(|c| c.metadata.name.as_deref()?.rsplit('-').next()?.parse::<i32>().ok())
        .max()
        .unwrap_or(-1);
    let api: Api<PersistentVolumeClaim> = Api::namespaced(state.ctx.client.clone(), namespace);
    for ordinal in replicas.max(0)..=highest {
        if pods.contains_key(&ordinal) {
            continue;
        }
        for name in identity::claim_names(set, ordinal) {
            let key = ObjectRef::new(&name).within(namespace);
            let Some(claim) = state.claims.get(&key) else { continue };
            if claim.metadata.deletion_timestamp.is_some() {
                continue;
            }
            state.ctx.ensure_leader()?;
            match api.delete(&name, &DeleteParams::default()).await {
                Ok(_) => tracing::info!(%namespace, claim = %name, "deleted scaled-down claim"),
                Err(kube::Error::Api(s)) if s.code == 404 => {}
                Err(e) => return Err(Error::api(format!("deleting claim {name}"), e)),
            }
        }
    }
    Ok(())
}

async fn delete_pod(ctx: &Context, api: &Api<Pod>, pod: &Pod) -> Result<(), Error> {
    let name = pod.metadata.name.clone().unwrap_or_default();
    let params = DeleteParams {
        preconditions: Some(Preconditions {
            uid: pod.metadata.uid.clone(),
            resource_version: None,
        }),
        ..DeleteParams::default()
    };
    ctx.ensure_leader()?;
    match api.delete(&name, &params).await {
        Ok(_) => {
            tracing::info!(pod = %name, "deleted pod");
            Ok(())
        }
        Err(kube::Error::Api(s)) if s.code == 404 || s.code == 409 => Ok(()),
        Err(e) => Err(Error::api(format!("deleting pod {name}"), e)),
    }
}

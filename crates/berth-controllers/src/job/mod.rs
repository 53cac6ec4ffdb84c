//! The job controller: runs a Job's pods to completion.
//!
//! Start at [`reconcile`]: it reads the job and its pods from the caches, asks [`plan::plan`]
//! what to do (pods to create or delete, pods to count, conditions), and writes it. Pods carry
//! the `batch.kubernetes.io/job-tracking` finalizer until the job's status counts them, so a
//! deleted pod is never lost from the counts: a finished pod is first recorded in
//! `status.uncountedTerminatedPods` together with the new counts, then its finalizer is removed,
//! then the record is dropped. Terminal conditions follow 1.32: `FailureTarget` /
//! `SuccessCriteriaMet` first, `Failed` / `Complete` once no pod is left running. A finished job
//! with `ttlSecondsAfterFinished` is deleted (background propagation) when its time is up.

mod plan;
mod write;

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use k8s_openapi::api::batch::v1::{Job, JobCondition};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::jiff::Timestamp;
use kube::runtime::Controller;
use kube::runtime::controller::Action;
use kube::runtime::reflector::Store;
use kube::{Api, ResourceExt};

use crate::{Context, Error, cache};

pub(crate) const TRACKING: &str = "batch.kubernetes.io/job-tracking";
pub(crate) const INDEX: &str = "batch.kubernetes.io/job-completion-index";

/// Names of pods created and deleted that the cache does not show yet, and since when.
type Pending = (BTreeSet<String>, BTreeSet<String>, Instant);

/// The job controller's state: its pod cache and the pods it created that the cache lacks.
struct State {
    ctx: Arc<Context>,
    pods: Store<Pod>,
    /// Per job uid: names of pods created / deleted that the cache does not show yet.
    pending: Mutex<HashMap<String, Pending>>,
}

pub async fn run(ctx: Arc<Context>) -> Result<(), Error> {
    let client = ctx.client.clone();
    let (pods, pod_events) = cache::watch_trigger(Api::<Pod>::all(client.clone()));
    let state = Arc::new(State { ctx, pods, pending: Mutex::new(HashMap::new()) });
    Controller::new(Api::<Job>::all(client), Default::default())
        .owns_stream(pod_events)
        .run(reconcile, error_policy, state)
        .for_each(|_| async {})
        .await;
    Err(Error::Stopped("job"))
}

fn error_policy(_job: Arc<Job>, error: &Error, _state: Arc<State>) -> Action {
    tracing::debug!(%error, "job reconcile failed");
    Action::requeue(Duration::from_secs(if error.is_conflict() { 1 } else { 5 }))
}

async fn reconcile(job: Arc<Job>, state: Arc<State>) -> Result<Action, Error> {
    let uid = job.uid().unwrap_or_default();
    let namespace = job.namespace().unwrap_or_default();
    if job.metadata.deletion_timestamp.is_some() {
        state.lock().remove(&uid);
        return Ok(Action::await_change());
    }
    let pods: Vec<Arc<Pod>> = state
        .pods
        .state()
        .into_iter()
        .filter(|p| p.namespace().as_deref() == Some(&namespace))
        .filter(|p| crate::pods::controller_uid(&p.metadata) == Some(&uid))
        .collect();
    if !state.cache_caught_up(&uid, &pods) {
        return Ok(Action::requeue(Duration::from_millis(500)));
    }
    let now = Timestamp::now();
    if let Some(finished_at) = finished_at(&job) {
        write::release_pods(&state.ctx, &pods).await?;
        return write::expire(&state.ctx, &job, finished_at, now).await;
    }
    let view = view(&job);
    let pod_views: Vec<plan::PodView> = pods.iter().map(|p| pod_view(&job, p)).collect();
    let plan = plan::plan(&view, &pod_views, now);
    let created = write::create_pods(&state.ctx, &job, &plan.create).await?;
    write::delete_pods(&state.ctx, &namespace, &plan.delete).await?;
    state.expect(&uid, created, plan.delete.iter().cloned().collect());
    let still: Vec<String> =
        pod_views.iter().filter(|p| p.tracked && p.uncounted).map(|p| p.uid.clone()).collect();
    let job = write::status(&state.ctx, &job, &view, &plan, &still, now).await?;
    write::release_counted(&state.ctx, &job, &pods).await?;
    if let Some(at) = finished_at(&job) {
        return write::expire(&state.ctx, &job, at, now).await;
    }
    Ok(match plan.deadline_in {
        Some(left) => Action::requeue(Duration::from_secs(left.max(1) as u64)),
        None => Action::requeue(Duration::from_secs(300)),
    })
}

impl State {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Pending>> {
        self.pending.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn expect(&self, uid: &str, created: BTreeSet<String>, deleted: BTreeSet<String>) {
        if !created.is_empty() || !deleted.is_empty() {
            self.lock().insert(uid.to_owned(), (created, deleted, Instant::now()));
        }
    }

    /// Every pod created is in the cache and every pod deleted is gone or going (or it is late).
    fn cache_caught_up(&self, uid: &str, pods: &[Arc<Pod>]) -> bool {
        let mut pending = self.lock();
        let Some((created, deleted, since)) = pending.get(uid) else { return true };
        let seen = |name: &String| pods.iter().find(|p| p.metadata.name.as_ref() == Some(name));
        let done = created.iter().all(|n| seen(n).is_some())
            && deleted
                .iter()
                .all(|n| seen(n).is_none_or(|p| p.metadata.deletion_timestamp.is_some()))
            || since.elapsed() > crate::expectations::TIMEOUT;
        if done {
            pending.remove(uid);
        }
        done
    }
}

/// When the job got its Complete or Failed condition.
fn finished_at(job: &Job) -> Option<Timestamp> {
    let conditions = job.status.as_ref()?.conditions.as_ref()?;
    let done = conditions
        .iter()
        .find(|c| (c.type_ == "Complete" || c.type_ == "Failed") && c.status == "True")?;
    Some(done.last_transition_time.as_ref().map_or(Timestamp::now(), |t| t.0))
}

pub(crate) fn condition<'a>(job: &'a Job, kind: &str) -> Option<&'a JobCondition> {
    job.status.as_ref()?.conditions.as_ref()?.iter().find(|c| c.type_ == kind && c.status == "True")
}

fn view(job: &Job) -> plan::JobView {
    let spec = job.spec.clone().unwrap_or_default();
    let status = job.status.clone().unwrap_or_default();
    let count = |v: Option<i32>| v.unwrap_or(0).max(0) as u32;
    plan::JobView {
        completions: spec.completions.map(|c| c.max(0) as u32),
        parallelism: count(spec.parallelism.or(Some(1))),
        backoff_limit: count(spec.backoff_limit.or(Some(6))),
        active_deadline: spec.active_deadline_seconds,
        suspend: spec.suspend == Some(true),
        indexed: spec.completion_mode.as_deref() == Some("Indexed"),
        succeeded: count(status.succeeded),
        failed: count(status.failed),
        completed_indexes: plan::parse_indexes(status.completed_indexes.as_deref().unwrap_or("")),
        start_time: status.start_time.map(|t| t.0),
        failure_target: condition(job, "FailureTarget")
            .map(|c| c.reason.clone().unwrap_or_default()),
        success_criteria_met: condition(job, "SuccessCriteriaMet").is_some(),
    }
}

fn pod_view(job: &Job, pod: &Pod) -> plan::PodView {
    let uid = pod.uid().unwrap_or_default();
    let uncounted = job.status.as_ref().and_then(|s| s.uncounted_terminated_pods.as_ref());
    let in_list = |list: Option<&Vec<String>>| list.is_some_and(|l| l.contains(&uid));
    plan::PodView {
        name: pod.name_any(),
        phase: crate::pods::phase(pod).to_owned(),
        deleting: pod.metadata.deletion_timestamp.is_some(),
        ready: crate::pods::is_ready(pod),
        tracked: pod.finalizers().iter().any(|f| f == TRACKING),
        uncounted: uncounted
            .is_some_and(|u| in_list(u.succeeded.as_ref()) || in_list(u.failed.as_ref())),
        index: pod.annotations().get(INDEX).and_then(|i| i.parse().ok()),
        uid,
    }
}

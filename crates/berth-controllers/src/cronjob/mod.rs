//! The cronjob controller: starts a Job from a CronJob's template at each schedule time.
//!
//! Start at [`reconcile`]. The schedule comes from `berth_api::cron` (the parser the API server
//! validates with) in `spec.timeZone` (UTC when unset); [`schedule::due`] decides whether a run
//! is due. A job is named `<cronjob>-<minutes since the epoch>` of its schedule time, so that a
//! restarted controller finds it instead of starting it twice. After each pass the cronjob is
//! requeued for exactly its next schedule time. Also: concurrency policies, the starting
//! deadline, history limits and the status (active, lastScheduleTime, lastSuccessfulTime).

mod schedule;

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use k8s_openapi::jiff::Timestamp;
use kube::api::{DeleteParams, PostParams, PropagationPolicy};
use kube::runtime::Controller;
use kube::runtime::controller::Action;
use kube::runtime::reflector::Store;
use kube::{Api, Resource, ResourceExt};

use crate::{Context, Error, cache};

struct State {
    ctx: Arc<Context>,
    jobs: Store<Job>,
}

pub async fn run(ctx: Arc<Context>) -> Result<(), Error> {
    let client = ctx.client.clone();
    let (jobs, job_events) = cache::watch_trigger(Api::<Job>::all(client.clone()));
    let state = Arc::new(State { ctx, jobs });
    Controller::new(Api::<CronJob>::all(client), Default::default())
        .owns_stream(job_events)
        .run(reconcile, error_policy, state)
        .for_each(|_| async {})
        .await;
    Err(Error::Stopped("cronjob"))
}

fn error_policy(_cj: Arc<CronJob>, error: &Error, _state: Arc<State>) -> Action {
    tracing::debug!(%error, "cronjob reconcile failed");
    Action::requeue(Duration::from_secs(if error.is_conflict() { 1 } else { 10 }))
}

fn finished(job: &Job) -> Option<(bool, Timestamp)> {
    let conditions = job.status.as_ref()?.conditions.as_ref()?;
    let c = conditions
        .iter()
        .find(|c| (c.type_ == "Complete" || c.type_ == "Failed") && c.status == "True")?;
    let at = c.last_transition_time.as_ref().map_or(Timestamp::UNIX_EPOCH, |t| t.0);
    Some((c.type_ == "Complete", at))
}

async fn reconcile(cj: Arc<CronJob>, state: Arc<State>) -> Result<Action, Error> {
    if cj.metadata.deletion_timestamp.is_some() {
        return Ok(Action::await_change());
    }
    let ctx = &state.ctx;
    let namespace = cj.namespace().unwrap_or_default();
    let uid = cj.uid().unwrap_or_default();
    let spec = cj.spec.clone().unwrap_or_default();
    let jobs_api: Api<Job> = Api::namespaced(ctx.client.clone(), &namespace);
    let mut children: Vec<Arc<Job>> = state
        .jobs
        .state()
        .into_iter()
        .filter(|j| j.namespace().as_deref() == Some(&namespace))
        .filter(|j| crate::pods::controller_uid(&j.metadata) == Some(&uid))
        .filter(|j| j.metadata.deletion_timestamp.is_none())
        .collect();
    children.sort_by_key(|j| j.metadata.creation_timestamp.as_ref().map(|t| t.0));

    // History limits: the oldest finished jobs beyond the limits go.
    for (ok, limit) in [
        (true, spec.successful_jobs_history_limit.unwrap_or(3)),
        (false, spec.failed_jobs_history_limit.unwrap_or(1)),
    ] {
        let done: Vec<&Arc<Job>> =
            children.iter().filter(|j| finished(j).is_some_and(|f| f.0 == ok)).collect();
        let extra = done.len().saturating_sub(limit.max(0) as usize);
        for job in done.into_iter().take(extra) {
            delete_job(ctx, &jobs_api, &job.name_any()).await?;
        }
    }
    let mut active: Vec<&Arc<Job>> = children.iter().filter(|j| finished(j).is_none()).collect();
    let last_success =
        children.iter().filter_map(|j| finished(j).filter(|f| f.0).map(|f| f.1)).max();

    let mut status = cj.status.clone().unwrap_or_default();
    if let Some(at) = last_success
        && status.last_successful_time.as_ref().is_none_or(|t| t.0 < at)
    {
        status.last_successful_time = Some(Time(at));
    }
    let mut requeue = Action::await_change();
    let mut created = None;
    let parsed = berth_api::cron::Schedule::parse(&spec.schedule)
        .and_then(|s| Ok((s, berth_api::cron::time_zone(spec.time_zone.as_deref())?)));
    match parsed {
        Err(error) => tracing::warn!(cronjob = %cj.name_any(), %error, "unparseable schedule"),
        Ok(_) if spec.suspend == Some(true) => {}
        Ok((schedule, zone)) => {
            let now = Timestamp::now();
            let last = status
                .last_schedule_time
                .as_ref()
                .map(|t| t.0)
                .or_else(|| cj.metadata.creation_timestamp.as_ref().map(|t| t.0))
                .unwrap_or(now);
            let due = schedule::due(&schedule, &zone, last, now, spec.starting_deadline_seconds);
            if due.missed > schedule::MAX_MISSED {
                tracing::warn!(cronjob = %cj.name_any(), "too many missed start times (> 100): set or decrease .spec.startingDeadlineSeconds or check clock skew");
            }
            if let Some(next) = due.next {
                let wait = (next.as_second() - now.as_second()).max(0) as u64;
                requeue = Action::requeue(Duration::from_secs(wait) + Duration::from_millis(200));
            }
            if let Some(at) = due.run {
                let policy = spec.concurrency_policy.as_deref().unwrap_or("Allow");
                let name = schedule::job_name(&cj.name_any(), at);
                let already = children.iter().any(|j| j.name_any() == name);
                if already || (policy == "Forbid" && !active.is_empty()) {
                    // Skipped (Forbid) or done before: counts as handled only when created.
                } else {
                    if policy == "Replace" {
                        for job in active.drain(..) {
                            delete_job(ctx, &jobs_api, &job.name_any()).await?;
                        }
                    }
                    let job = job_for(&cj, &name, at);
                    ctx.ensure_leader()?;
                    match jobs_api.create(&PostParams::default(), &job).await {
                        Ok(_) => {}
                        Err(kube::Error::Api(s)) if s.code == 409 => {}
                        Err(e) => {
                            return Err(Error::api(format!("creating job {namespace}/{name}"), e));
                        }
                    }
                    status.last_schedule_time = Some(Time(at));
                    created = Some(ObjectReference {
                        api_version: Some("batch/v1".into()),
                        kind: Some("Job".into()),
                        name: Some(name),
                        namespace: Some(namespace.clone()),
                        ..ObjectReference::default()
                    });
                }
            }
        }
    }
    let mut refs: Vec<ObjectReference> = active.iter().map(|j| reference(j)).collect();
    refs.extend(created.filter(|c| !refs.iter().any(|r| r.name == c.name)));
    status.active = Some(refs).filter(|r| !r.is_empty());
    if Some(&status) != cj.status.as_ref() {
        ctx.ensure_leader()?;
        let mut next = (*cj).clone();
        next.status = Some(status);
        let api: Api<CronJob> = Api::namespaced(ctx.client.clone(), &namespace);
        api.replace_status(&cj.name_any(), &PostParams::default(), &next).await.map_err(|e| {
            Error::api(format!("updating the status of cronjob {}", cj.name_any()), e)
        })?;
    }
    Ok(requeue)
}

fn reference(job: &Job) -> ObjectReference {
    ObjectReference {
        api_version: Some("batch/v1".into()),
        kind: Some("Job".into()),
        name: job.metadata.name.clone(),
        namespace: job.metadata.namespace.clone(),
        uid: job.metadata.uid.clone(),
        resource_version: job.metadata.resource_version.clone(),
        ..ObjectReference::default()
    }
}

/// The job for schedule time `at`: the template's metadata and spec, owned by the cronjob.
fn job_for(cj: &CronJob, name: &str, at: Timestamp) -> Job {
    let template = cj.spec.as_ref().map(|s| s.job_template.clone()).unwrap_or_default();
    let meta = template.metadata.unwrap_or_default();
    let mut annotations = meta.annotations.unwrap_or_default();
    annotations.insert("batch.kubernetes.io/cronjob-scheduled-timestamp".into(), at.to_string());
    let owner = crate::pods::controller_ref(
        &CronJob::api_version(&()),
        "CronJob",
        &cj.name_any(),
        &cj.uid().unwrap_or_default(),
    );
    Job {
        metadata: ObjectMeta {
            name: Some(name.to_owned()),
            namespace: cj.namespace(),
            labels: meta.labels,
            annotations: Some(annotations),
            owner_references: Some(vec![owner]),
            ..ObjectMeta::default()
        },
        spec: Some(template.spec.unwrap_or_default()),
        status: None,
    }
}

async fn delete_job(ctx: &Context, api: &Api<Job>, name: &str) -> Result<(), Error> {
    ctx.ensure_leader()?;
    let params = DeleteParams {
        propagation_policy: Some(PropagationPolicy::Background),
        ..DeleteParams::default()
    };
    match api.delete(name, &params).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
        Err(e) => Err(Error::api(format!("deleting job {name}"), e)),
    }
}

//! The job controller's writes: pods from the template, deletes, the status with its
//! conditions, the tracking finalizers, and the TTL delete of a finished job.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::batch::v1::{Job, JobCondition, UncountedTerminatedPods};
use k8s_openapi::api::core::v1::{EnvVar, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use kube::api::{DeleteParams, Patch, PatchParams, PostParams, PropagationPolicy};
use kube::runtime::controller::Action;
use kube::{Api, ResourceExt};
use serde_json::json;

use super::plan::{JobView, Plan, format_indexes};
use super::{INDEX, TRACKING};
use crate::{Context, Error};

/// Creates one pod per entry (its completion index when indexed); returns their names.
pub(super) async fn create_pods(
    ctx: &Context,
    job: &Job,
    indexes: &[Option<u32>],
) -> Result<BTreeSet<String>, Error> {
    let mut names = BTreeSet::new();
    if indexes.is_empty() {
        return Ok(names);
    }
    let namespace = job.namespace().unwrap_or_default();
    let api: Api<Pod> = Api::namespaced(ctx.client.clone(), &namespace);
    for index in indexes {
        ctx.ensure_leader()?;
        let pod = job_pod(job, *index);
        let created = api.create(&PostParams::default(), &pod).await.map_err(|e| {
            Error::api(format!("creating a pod for job {namespace}/{}", job.name_any()), e)
        })?;
        names.insert(created.name_any());
    }
    Ok(names)
}

/// A pod of `job`: the template with the job's labels, the tracking finalizer and, when
/// indexed, its completion index (annotation, label, env `JOB_COMPLETION_INDEX`, hostname).
pub(crate) fn job_pod(job: &Job, index: Option<u32>) -> Pod {
    let name = job.name_any();
    let uid = job.uid().unwrap_or_default();
    let template = job.spec.as_ref().map(|s| s.template.clone()).unwrap_or_default();
    let prefix = match index {
        Some(i) => format!("{name}-{i}-"),
        None => format!("{name}-"),
    };
    let owner = crate::pods::controller_ref("batch/v1", "Job", &name, &uid);
    let mut pod =
        crate::pods::from_template(&template, &job.namespace().unwrap_or_default(), &prefix, owner);
    let labels = pod.labels_mut();
    for (key, value) in [
        ("batch.kubernetes.io/controller-uid", &uid),
        ("controller-uid", &uid),
        ("batch.kubernetes.io/job-name", &name),
        ("job-name", &name),
    ] {
        labels.entry(key.to_owned()).or_insert_with(|| value.clone());
    }
    pod.finalizers_mut().push(TRACKING.to_owned());
    if let Some(index) = index {
        pod.labels_mut().insert(INDEX.to_owned(), index.to_string());
        pod.annotations_mut().insert(INDEX.to_owned(), index.to_string());
        if let Some(spec) = pod.spec.as_mut() {
            spec.hostname = Some(format!("{name}-{index}"));
            for container in &mut spec.containers {
                let env = container.env.get_or_insert_with(Vec::new);
                env.push(EnvVar {
                    name: "JOB_COMPLETION_INDEX".to_owned(),
                    value: Some(index.to_string()),
                    value_from: None,
                });
            }
        }
    }
    pod
}

pub(super) async fn delete_pods(
    ctx: &Context,
    namespace: &str,
    names: &[String],
) -> Result<(), Error> {
    let api: Api<Pod> = Api::namespaced(ctx.client.clone(), namespace);
    for name in names {
        ctx.ensure_leader()?;
        match api.delete(name, &DeleteParams::default()).await {
            Ok(_) => {}
            Err(kube::Error::Api(s)) if s.code == 404 => {}
            Err(e) => return Err(Error::api(format!("deleting pod {namespace}/{name}"), e)),
        }
    }
    Ok(())
}

/// Writes the new status (counts, conditions, uncounted pods) when it changed; returns the job
/// as it now is.
pub(super) async fn status(
    ctx: &Context,
    job: &Job,
    view: &JobView,
    plan: &Plan,
    still_uncounted: &[String],
    now: Timestamp,
) -> Result<Job, Error> {
    let old = job.status.clone().unwrap_or_default();
    let mut status = old.clone();
    let old_uncounted = old.uncounted_terminated_pods.clone().unwrap_or_default();
    let (mut succeeded, mut failed): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
    for uid in still_uncounted {
        if old_uncounted.succeeded.as_ref().is_some_and(|l| l.contains(uid)) {
            succeeded.push(uid.clone());
        } else {
            failed.push(uid.clone());
        }
    }
    for (uid, ok) in &plan.count {
        if *ok { succeeded.push(uid.clone()) } else { failed.push(uid.clone()) }
    }
    status.uncounted_terminated_pods = Some(UncountedTerminatedPods {
        succeeded: Some(succeeded).filter(|l| !l.is_empty()),
        failed: Some(failed).filter(|l| !l.is_empty()),
    });
    status.active = Some(plan.active as i32);
    status.ready = Some(plan.ready as i32);
    status.succeeded = Some(plan.succeeded as i32);
    status.failed = Some(plan.failed as i32);
    if view.indexed {
        status.completed_indexes = Some(format_indexes(&plan.completed_indexes));
    }
    let mut conditions = old.conditions.clone().unwrap_or_default();
    let suspended = conditions.iter().any(|c| c.type_ == "Suspended" && c.status == "True");
    if view.suspend && !suspended {
        set(&mut conditions, "Suspended", "True", "JobSuspended", "Job suspended", now);
    } else if !view.suspend && suspended {
        set(&mut conditions, "Suspended", "False", "JobResumed", "Job resumed", now);
        status.start_time = Some(Time(now));
    }
    if !view.suspend && status.start_time.is_none() {
        status.start_time = Some(Time(now));
    }
    if let Some((reason, message)) = &plan.fail {
        let message = if message.is_empty() { "Job failed" } else { message.as_str() };
        set(&mut conditions, "FailureTarget", "True", reason, message, now);
        if plan.finished {
            set(&mut conditions, "Failed", "True", reason, message, now);
        }
    } else if plan.success {
        set(
            &mut conditions,
            "SuccessCriteriaMet",
            "True",
            "CompletionsReached",
            "Reached expected number of succeeded pods",
            now,
        );
        if plan.finished {
            set(
                &mut conditions,
                "Complete",
                "True",
                "CompletionsReached",
                "Reached expected number of succeeded pods",
                now,
            );
            status.completion_time.get_or_insert(Time(now));
        }
    }
    status.conditions = Some(conditions).filter(|c| !c.is_empty());
    if status == old {
        return Ok(job.clone());
    }
    ctx.ensure_leader()?;
    let mut next = job.clone();
    next.status = Some(status);
    let api: Api<Job> = Api::namespaced(ctx.client.clone(), &job.namespace().unwrap_or_default());
    api.replace_status(&job.name_any(), &PostParams::default(), &next)
        .await
        .map_err(|e| Error::api(format!("updating the status of job {}", job.name_any()), e))
}

/// Adds a condition, or updates one of the same type whose status changed.
fn set(
    conditions: &mut Vec<JobCondition>,
    kind: &str,
    status: &str,
    reason: &str,
    message: &str,
    now: Timestamp,
) {
    if let Some(c) = conditions.iter_mut().find(|c| c.type_ == kind) {
        if c.status != status {
            *c = condition(kind, status, reason, message, now);
        }
        return;
    }
    conditions.push(condition(kind, status, reason, message, now));
}

fn condition(
    kind: &str,
    status: &str,
    reason: &str,
    message: &str,
    now: Timestamp,
) -> JobCondition {
    JobCondition {
        type_: kind.to_owned(),
        status: status.to_owned(),
        reason: Some(reason.to_owned()),
        message: Some(message.to_owned()),
        last_probe_time: Some(Time(now)),
        last_transition_time: Some(Time(now)),
    }
}

/// Removes the tracking finalizer from pods the job's status has recorded.
pub(super) async fn release_counted(
    ctx: &Context,
    job: &Job,
    pods: &[Arc<Pod>],
) -> Result<(), Error> {
    let uncounted =
        job.status.as_ref().and_then(|s| s.uncounted_terminated_pods.clone()).unwrap_or_default();
    let recorded: Vec<String> =
        uncounted.succeeded.into_iter().chain(uncounted.failed).flatten().collect();
    let counted: Vec<Arc<Pod>> =
        pods.iter().filter(|p| recorded.contains(&p.uid().unwrap_or_default())).cloned().collect();
    release_pods(ctx, &counted).await
}

/// Removes the tracking finalizer from every pod in `pods` that has it.
pub(super) async fn release_pods(ctx: &Context, pods: &[Arc<Pod>]) -> Result<(), Error> {
    for pod in pods.iter().filter(|p| p.finalizers().iter().any(|f| f == TRACKING)) {
        ctx.ensure_leader()?;
        let rest: Vec<&String> = pod.finalizers().iter().filter(|f| *f != TRACKING).collect();
        let patch =
            json!({"metadata": {"resourceVersion": pod.resource_version(), "finalizers": rest}});
        let api: Api<Pod> =
            Api::namespaced(ctx.client.clone(), &pod.namespace().unwrap_or_default());
        match api.patch(&pod.name_any(), &PatchParams::default(), &Patch::Merge(&patch)).await {
            Ok(_) => {}
            Err(kube::Error::Api(s)) if s.code == 404 => {}
            Err(e) => {
                return Err(Error::api(
                    format!("removing the finalizer of pod {}", pod.name_any()),
                    e,
                ));
            }
        }
    }
    Ok(())
}

/// A finished job with `ttlSecondsAfterFinished`: deleted once the time is up, else requeued
/// for that moment.
pub(super) async fn expire(
    ctx: &Context,
    job: &Job,
    finished: Timestamp,
    now: Timestamp,
) -> Result<Action, Error> {
    let Some(ttl) = job.spec.as_ref().and_then(|s| s.ttl_seconds_after_finished) else {
        return Ok(Action::await_change());
    };
    let left = finished.as_second() + i64::from(ttl) - now.as_second();
    if left > 0 {
        return Ok(Action::requeue(Duration::from_secs(left as u64)));
    }
    ctx.ensure_leader()?;
    let api: Api<Job> = Api::namespaced(ctx.client.clone(), &job.namespace().unwrap_or_default());
    let params = DeleteParams {
        propagation_policy: Some(PropagationPolicy::Background),
        preconditions: Some(kube::api::Preconditions { uid: job.uid(), resource_version: None }),
        ..DeleteParams::default()
    };
    match api.delete(&job.name_any(), &params).await {
        Ok(_) => Ok(Action::await_change()),
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(Action::await_change()),
        Err(e) => Err(Error::api(format!("deleting finished job {}", job.name_any()), e)),
    }
}

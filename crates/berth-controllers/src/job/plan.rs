//! The job controller's decision: from a job's spec and status and the pods it owns, which
//! pods to create and delete, what to count and which conditions to add. Pure; see [`plan`].

use std::collections::BTreeSet;

use k8s_openapi::jiff::Timestamp;

/// A job's pod as the plan needs it.
#[derive(Debug, Clone, Default)]
pub struct PodView {
    pub name: String,
    pub uid: String,
    /// Succeeded, Failed, or anything else (active).
    pub phase: String,
    pub deleting: bool,
    pub ready: bool,
    /// Carries `batch.kubernetes.io/job-tracking`: not yet counted in the status.
    pub tracked: bool,
    /// Counted already (in `status.uncountedTerminatedPods`).
    pub uncounted: bool,
    pub index: Option<u32>,
}

/// What the plan reads from the job.
#[derive(Debug, Clone, Default)]
pub struct JobView {
    pub completions: Option<u32>,
    pub parallelism: u32,
    pub backoff_limit: u32,
    pub active_deadline: Option<i64>,
    pub suspend: bool,
    pub indexed: bool,
    pub succeeded: u32,
    pub failed: u32,
    pub completed_indexes: BTreeSet<u32>,
    pub start_time: Option<Timestamp>,
    /// A FailureTarget or SuccessCriteriaMet condition is already there (reason).
    pub failure_target: Option<String>,
    pub success_criteria_met: bool,
}

/// What to do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Pods to create: one entry per pod, with its completion index when indexed.
    pub create: Vec<Option<u32>>,
    pub delete: Vec<String>,
    /// Pods to count now (uid, succeeded?): go into uncountedTerminatedPods and the counts.
    pub count: Vec<(String, bool)>,
    pub succeeded: u32,
    pub failed: u32,
    pub active: u32,
    pub ready: u32,
    pub completed_indexes: BTreeSet<u32>,
    /// FailureTarget to add, with its reason and message.
    pub fail: Option<(String, String)>,
    pub success: bool,
    /// Every pod is done and counted: the terminal condition (Complete/Failed) can go on.
    pub finished: bool,
    /// Seconds until the active deadline, when one is running.
    pub deadline_in: Option<i64>,
}

/// Decides a job's next step at `now`.
pub fn plan(job: &JobView, pods: &[PodView], now: Timestamp) -> Plan {
    let mut plan = Plan { completed_indexes: job.completed_indexes.clone(), ..Plan::default() };
    let (mut succeeded, mut failed) = (job.succeeded, job.failed);
    for pod in pods.iter().filter(|p| p.tracked && !p.uncounted) {
        let outcome = match pod.phase.as_str() {
            "Succeeded" => Some(true),
            "Failed" => Some(false),
            _ if pod.deleting && !job.suspend && job.failure_target.is_none() => Some(false),
            _ => None,
        };
        if let Some(ok) = outcome {
            plan.count.push((pod.uid.clone(), ok));
            if ok {
                succeeded += 1;
            } else {
                failed += 1;
            }
        }
    }
    for pod in pods.iter().filter(|p| p.phase == "Succeeded") {
        if let Some(index) = pod.index.filter(|i| job.completions.is_none_or(|c| *i < c)) {
            plan.completed_indexes.insert(index);
        }
    }
    if job.indexed {
        succeeded = plan.completed_indexes.len() as u32;
    }
    plan.succeeded = succeeded;
    plan.failed = failed;
    let active: Vec<&PodView> = pods
        .iter()
        .filter(|p| !p.deleting && !matches!(p.phase.as_str(), "Succeeded" | "Failed"))
        .collect();
    plan.ready = active.iter().filter(|p| p.ready).count() as u32;

    let mut fail = job.failure_target.clone().map(|r| (r, String::new()));
    if fail.is_none() && failed > job.backoff_limit {
        fail = Some((
            "BackoffLimitExceeded".into(),
            "Job has reached the specified backoff limit".into(),
        ));
    }
    if let (None, Some(limit), Some(start), false) =
        (&fail, job.active_deadline, job.start_time, job.suspend)
    {
        let left = start.as_second() + limit - now.as_second();
        if left <= 0 {
            fail = Some((
                "DeadlineExceeded".into(),
                "Job was active longer than specified deadline".into(),
            ));
        } else {
            plan.deadline_in = Some(left);
        }
    }
    let success = job.success_criteria_met
        || match job.completions {
            Some(c) => succeeded >= c,
            None => succeeded > 0 && active.is_empty(),
        };
    if let Some(fail) = fail.filter(|_| !success) {
        plan.delete = active.iter().map(|p| p.name.clone()).collect();
        plan.finished = active.is_empty() && !lingering_after(pods, &plan);
        plan.fail = Some(fail);
        plan.deadline_in = None;
        return plan;
    }
    if success || job.suspend {
        plan.success = success;
        plan.delete = active.iter().map(|p| p.name.clone()).collect();
        plan.finished = success && active.is_empty() && !lingering_after(pods, &plan);
        plan.active = if job.suspend { 0 } else { active.len() as u32 };
        return plan;
    }
    plan.active = active.len() as u32;
    if job.indexed {
        index_pods(job, &active, &mut plan);
    } else {
        let wanted = match job.completions {
            Some(c) => job.parallelism.min(c.saturating_sub(succeeded)),
            None if succeeded > 0 => 0,
            None => job.parallelism,
        } as usize;
        if active.len() < wanted {
            plan.create = vec![None; wanted - active.len()];
        } else {
            plan.delete = excess(&active, active.len() - wanted);
        }
    }
    plan
}

/// True when, after this step's counting, some pod would still hold the tracking finalizer
/// without having been counted (the terminal condition waits for it).
fn lingering_after(pods: &[PodView], plan: &Plan) -> bool {
    pods.iter().any(|p| {
        p.tracked
            && !p.uncounted
            && !plan.count.iter().any(|(uid, _)| *uid == p.uid)
            && !plan.delete.contains(&p.name)
    })
}

/// Indexed completion: one active pod per missing index, up to parallelism; duplicates and
/// pods of completed indexes go.
fn index_pods(job: &JobView, active: &[&PodView], plan: &mut Plan) {
    let completions = job.completions.unwrap_or(0);
    let mut running = BTreeSet::new();
    let mut keep = Vec::new();
    for pod in active {
        match pod.index {
            Some(i)
                if i < completions && !plan.completed_indexes.contains(&i) && running.insert(i) =>
            {
                keep.push(*pod)
            }
            _ => plan.delete.push(pod.name.clone()),
        }
    }
    let parallelism = job.parallelism as usize;
    if keep.len() > parallelism {
        plan.delete.extend(excess(&keep, keep.len() - parallelism));
        return;
    }
    let missing =
        (0..completions).filter(|i| !plan.completed_indexes.contains(i) && !running.contains(i));
    plan.create = missing.take(parallelism - keep.len()).map(Some).collect();
}

/// The `n` pods to delete when there are too many: not ready ones first.
fn excess(active: &[&PodView], n: usize) -> Vec<String> {
    let mut sorted: Vec<&&PodView> = active.iter().collect();
    sorted.sort_by_key(|p| (p.ready, std::cmp::Reverse(p.name.clone())));
    sorted.into_iter().take(n).map(|p| p.name.clone()).collect()
}

/// `1,3-5` for {1,3,4,5}, as `status.completedIndexes` writes it.
pub fn format_indexes(indexes: &BTreeSet<u32>) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut iter = indexes.iter().copied().peekable();
    while let Some(start) = iter.next() {
        let mut end = start;
        while iter.peek() == Some(&(end + 1)) {
            end = iter.next().unwrap_or(end);
        }
        out.push(if start == end { start.to_string() } else { format!("{start}-{end}") });
    }
    out.join(",")
}

/// The inverse of [`format_indexes`]; bad parts are skipped.
pub fn parse_indexes(text: &str) -> BTreeSet<u32> {
    let mut set = BTreeSet::new();
    for part in text.split(',').filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => {
                if let (Ok(a), Ok(b)) = (a.parse::<u32>(), b.parse::<u32>()) {
                    set.extend(a..=b);
                }
            }
            None => set.extend(part.parse::<u32>().ok()),
        }
    }
    set
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;

//! Rows of the controllers that run pods (Deployments, ReplicaSets, StatefulSets, DaemonSets,
//! Jobs, CronJobs, ReplicationControllers) and of the objects around them: PodTemplates,
//! ControllerRevisions, HorizontalPodAutoscalers and PodDisruptionBudgets.

use serde_json::Value;

use super::{AGE, CONTAINERS, Column, IMAGES, NAME, Printer, SELECTOR, age, col, condition_true};
use super::{containers, format_labels, format_selector, human_duration, int_of, integer};
use super::{list_of, name, parse_rfc3339, selector_text, since, str_of, text};

pub(super) static DEPLOYMENT: Printer = Printer {
    columns: &[
        NAME,
        text("Ready", "Ready pods out of desired pods."),
        text("Up-to-date", "Pods that run the latest pod template."),
        text("Available", "Pods available to serve."),
        AGE,
        CONTAINERS,
        IMAGES,
        SELECTOR,
    ],
    row: deployment,
};

/// ReplicaSets and ReplicationControllers; the latter's selector is a plain label map.
const REPLICA_COLUMNS: &[Column] = &[
    NAME,
    integer("Desired", "Pods this object should run."),
    integer("Current", "Pods this object runs now."),
    integer("Ready", "Pods that are ready."),
    AGE,
    CONTAINERS,
    IMAGES,
    SELECTOR,
];

pub(super) static REPLICA_SET: Printer = Printer { columns: REPLICA_COLUMNS, row: replica_set };

pub(super) static REPLICATION_CONTROLLER: Printer =
    Printer { columns: REPLICA_COLUMNS, row: replication_controller };

pub(super) static STATEFUL_SET: Printer = Printer {
    columns: &[NAME, text("Ready", "Ready pods out of desired pods."), AGE, CONTAINERS, IMAGES],
    row: stateful_set,
};

pub(super) static DAEMON_SET: Printer = Printer {
    columns: &[
        NAME,
        integer("Desired", "Nodes that should run the daemon pod."),
        integer("Current", "Nodes that run the daemon pod."),
        integer("Ready", "Nodes whose daemon pod is ready."),
        integer("Up-to-date", "Nodes that run the latest pod template."),
        integer("Available", "Nodes whose daemon pod is available."),
        text("Node Selector", "Labels a node needs to run the daemon pod."),
        AGE,
        CONTAINERS,
        IMAGES,
        SELECTOR,
    ],
    row: daemon_set,
};

pub(super) static JOB: Printer = Printer {
    columns: &[
        NAME,
        text("Status", "Condensed status of the job."),
        text("Completions", "Pods that succeeded out of the completions wanted."),
        text("Duration", "How long the job ran or has been running."),
        AGE,
        CONTAINERS,
        IMAGES,
        SELECTOR,
    ],
    row: job,
};

pub(super) static CRON_JOB: Printer = Printer {
    columns: &[
        NAME,
        text("Schedule", "Cron schedule of the jobs."),
        text("Timezone", "Time zone the schedule is read in."),
        col("Suspend", "boolean", 0, "Whether new jobs are held back."),
        integer("Active", "Jobs running now."),
        text("Last Schedule", "Time since a job was last scheduled."),
        AGE,
        CONTAINERS,
        IMAGES,
        SELECTOR,
    ],
    row: cron_job,
};

pub(super) static POD_TEMPLATE: Printer = Printer {
    columns: &[
        NAME,
        text("Containers", "Names of the containers in the template."),
        text("Images", "Images of the containers in the template."),
        text("Pod Labels", "Labels of the pods made from the template."),
    ],
    row: pod_template,
};

pub(super) static CONTROLLER_REVISION: Printer = Printer {
    columns: &[
        NAME,
        text("Controller", "Object that owns this revision."),
        text("Revision", "Revision number."),
        AGE,
    ],
    row: controller_revision,
};

pub(super) static HORIZONTAL_POD_AUTOSCALER: Printer = Printer {
    columns: &[
        NAME,
        text("Reference", "Object being scaled."),
        text("Targets", "Current and target values of the metrics."),
        text("MinPods", "Fewest replicas the autoscaler sets."),
        text("MaxPods", "Most replicas the autoscaler sets."),
        text("Replicas", "Replicas the target has now."),
        AGE,
    ],
    row: horizontal_pod_autoscaler,
};

pub(super) static POD_DISRUPTION_BUDGET: Printer = Printer {
    columns: &[
        NAME,
        text("Min Available", "Pods that must stay available."),
        text("Max Unavailable", "Pods that may be unavailable."),
        integer("Allowed Disruptions", "Pods that may be disrupted now."),
        AGE,
    ],
    row: pod_disruption_budget,
};

/// `spec.replicas`, which defaults to 1.
fn desired(object: &Value) -> i64 {
    object["spec"]["replicas"].as_i64().unwrap_or(1)
}

fn deployment(d: &Value, now: i64) -> Vec<Value> {
    let status = &d["status"];
    let selector = selector_text(&d["spec"]["selector"]).unwrap_or_else(|| "<invalid>".to_owned());
    let [names, images] = containers(&d["spec"]["template"]["spec"]);
    vec![
        name(d),
        format!("{}/{}", int_of(&status["readyReplicas"]), desired(d)).into(),
        int_of(&status["updatedReplicas"]).into(),
        int_of(&status["availableReplicas"]).into(),
        age(d, now),
        names,
        images,
        selector.into(),
    ]
}

fn replica_set(rs: &Value, now: i64) -> Vec<Value> {
    let mut row = replica_counts(rs, now);
    row.push(format_selector(&rs["spec"]["selector"]).into());
    row
}

fn replication_controller(rc: &Value, now: i64) -> Vec<Value> {
    let mut row = replica_counts(rc, now);
    row.push(format_labels(&rc["spec"]["selector"]).into());
    row
}

/// Name, desired, current, ready, age, containers and images.
fn replica_counts(object: &Value, now: i64) -> Vec<Value> {
    let status = &object["status"];
    let [names, images] = containers(&object["spec"]["template"]["spec"]);
    vec![
        name(object),
        desired(object).into(),
        int_of(&status["replicas"]).into(),
        int_of(&status["readyReplicas"]).into(),
        age(object, now),
        names,
        images,
    ]
}

fn stateful_set(sts: &Value, now: i64) -> Vec<Value> {
    let [names, images] = containers(&sts["spec"]["template"]["spec"]);
    let ready = format!("{}/{}", int_of(&sts["status"]["readyReplicas"]), desired(sts));
    vec![name(sts), ready.into(), age(sts, now), names, images]
}

fn daemon_set(ds: &Value, now: i64) -> Vec<Value> {
    let status = &ds["status"];
    let pod_spec = &ds["spec"]["template"]["spec"];
    let [names, images] = containers(pod_spec);
    let counts = [
        "desiredNumberScheduled",
        "currentNumberScheduled",
        "numberReady",
        "updatedNumberScheduled",
        "numberAvailable",
    ];
    let mut row = vec![name(ds)];
    row.extend(counts.iter().map(|field| Value::from(int_of(&status[*field]))));
    row.extend([format_labels(&pod_spec["nodeSelector"]).into(), age(ds, now), names, images]);
    row.push(format_selector(&ds["spec"]["selector"]).into());
    row
}

fn job(job: &Value, now: i64) -> Vec<Value> {
    let (spec, status) = (&job["spec"], &job["status"]);
    let succeeded = int_of(&status["succeeded"]);
    let completions = match spec["completions"].as_i64() {
        Some(wanted) => format!("{succeeded}/{wanted}"),
        None => match int_of(&spec["parallelism"]) {
            p if p > 1 => format!("{succeeded}/1 of {p}"),
            _ => format!("{succeeded}/1"),
        },
    };
    let start = status["startTime"].as_str().and_then(parse_rfc3339);
    let end = status["completionTime"].as_str().and_then(parse_rfc3339);
    let duration = match (start, end) {
        (None, _) => String::new(),
        (Some(start), None) => human_duration(now - start),
        (Some(start), Some(end)) => human_duration(end - start),
    };
    let conditions = &status["conditions"];
    let state = if condition_true(conditions, "Complete") {
        "Complete"
    } else if condition_true(conditions, "Failed") {
        "Failed"
    } else if !job["metadata"]["deletionTimestamp"].is_null() {
        "Terminating"
    } else if condition_true(conditions, "Suspended") {
        "Suspended"
    } else if condition_true(conditions, "FailureTarget") {
        "FailureTarget"
    } else {
        "Running"
    };
    let [names, images] = containers(&spec["template"]["spec"]);
    vec![
        name(job),
        state.into(),
        completions.into(),
        duration.into(),
        age(job, now),
        names,
        images,
        format_selector(&spec["selector"]).into(),
    ]
}

fn cron_job(cj: &Value, now: i64) -> Vec<Value> {
    let (spec, status) = (&cj["spec"], &cj["status"]);
    let last = &status["lastScheduleTime"];
    let last = if last.is_null() { "<none>".to_owned() } else { since(last, now) };
    let suspend = match spec["suspend"].as_bool() {
        Some(true) => "True",
        Some(false) => "False",
        None => "<unset>",
    };
    let job_spec = &spec["jobTemplate"]["spec"];
    let [names, images] = containers(&job_spec["template"]["spec"]);
    vec![
        name(cj),
        spec["schedule"].as_str().unwrap_or("").into(),
        spec["timeZone"].as_str().unwrap_or("<none>").into(),
        suspend.into(),
        (list_of(&status["active"]).len() as i64).into(),
        last.into(),
        age(cj, now),
        names,
        images,
        format_selector(&job_spec["selector"]).into(),
    ]
}

fn pod_template(pt: &Value, _now: i64) -> Vec<Value> {
    let [names, images] = containers(&pt["template"]["spec"]);
    vec![name(pt), names, images, format_labels(&pt["template"]["metadata"]["labels"]).into()]
}

fn controller_revision(cr: &Value, now: i64) -> Vec<Value> {
    let owner =
        list_of(&cr["metadata"]["ownerReferences"]).iter().find(|o| o["controller"] == true);
    let controller = owner.map_or_else(
        || "<none>".to_owned(),
        |o| {
            let group = str_of(&o["apiVersion"]).rsplit_once('/').map_or("", |(g, _)| g);
            let kind = str_of(&o["kind"]);
            let kind = if group.is_empty() { kind.to_owned() } else { format!("{kind}.{group}") };
            format!("{}/{}", kind.to_lowercase(), str_of(&o["name"]))
        },
    );
    vec![name(cr), controller.into(), int_of(&cr["revision"]).into(), age(cr, now)]
}

fn horizontal_pod_autoscaler(hpa: &Value, now: i64) -> Vec<Value> {
    let (spec, status) = (&hpa["spec"], &hpa["status"]);
    let target = &spec["scaleTargetRef"];
    let min = spec["minReplicas"].as_i64().map_or_else(|| "<unset>".to_owned(), |n| n.to_string());
    vec![
        name(hpa),
        format!("{}/{}", str_of(&target["kind"]), str_of(&target["name"])).into(),
        hpa_targets(hpa).into(),
        min.into(),
        int_of(&spec["maxReplicas"]).into(),
        int_of(&status["currentReplicas"]).into(),
        age(hpa, now),
    ]
}

/// The `Targets` cell: `current/target` per metric, at most two, as `formatHPAMetrics` prints
/// them. autoscaling/v1 objects carry only a CPU utilization target.
fn hpa_targets(hpa: &Value) -> String {
    let (spec, status) = (&hpa["spec"], &hpa["status"]);
    let specs = list_of(&spec["metrics"]);
    if specs.is_empty() {
        return match spec["targetCPUUtilizationPercentage"].as_i64() {
            Some(target) => {
                let current = status["currentCPUUtilizationPercentage"].as_i64();
                let current = current.map_or_else(|| "<unknown>".to_owned(), |c| format!("{c}%"));
                format!("cpu: {current}/{target}%")
            }
            None => "<none>".to_owned(),
        };
    }
    let statuses = list_of(&status["currentMetrics"]);
    let list: Vec<String> = specs
        .iter()
        .enumerate()
        .map(|(i, metric)| {
            let source = match str_of(&metric["type"]) {
                "Resource" => "resource",
                "ContainerResource" => "containerResource",
                "Pods" => "pods",
                "Object" => "object",
                "External" => "external",
                _ => return "<unknown type>".to_owned(),
            };
            let target = &metric[source]["target"];
            let current = statuses.get(i).map_or(&Value::Null, |s| &s[source]["current"]);
            let quantity = |v: &Value| match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                _ => "<unknown>".to_owned(),
            };
            let percent = |v: &Value| v.as_i64().map(|p| format!("{p}%"));
            let resource = str_of(&metric[source]["name"]);
            match source {
                "resource" | "containerResource" if target["averageValue"].is_null() => {
                    let now = percent(&current["averageUtilization"]);
                    let want = percent(&target["averageUtilization"]);
                    let now = now.unwrap_or_else(|| "<unknown>".to_owned());
                    format!("{resource}: {now}/{}", want.unwrap_or_else(|| "<auto>".to_owned()))
                }
                "resource" | "containerResource" => format!(
                    "{resource}: {}/{}",
                    quantity(&current["averageValue"]),
                    quantity(&target["averageValue"])
                ),
                "pods" => format!(
                    "{}/{}",
                    quantity(&current["averageValue"]),
                    quantity(&target["averageValue"])
                ),
                _ if !target["averageValue"].is_null() => format!(
                    "{}/{} (avg)",
                    quantity(&current["averageValue"]),
                    quantity(&target["averageValue"])
                ),
                _ => format!("{}/{}", quantity(&current["value"]), quantity(&target["value"])),
            }
        })
        .collect();
    let shown = list.iter().take(2).cloned().collect::<Vec<_>>().join(", ");
    if list.len() > 2 { format!("{shown} + {} more...", list.len() - 2) } else { shown }
}

fn pod_disruption_budget(pdb: &Value, now: i64) -> Vec<Value> {
    let int_or_percent = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => "N/A".to_owned(),
    };
    vec![
        name(pdb),
        int_or_percent(&pdb["spec"]["minAvailable"]).into(),
        int_or_percent(&pdb["spec"]["maxUnavailable"]).into(),
        int_of(&pdb["status"]["disruptionsAllowed"]).into(),
        age(pdb, now),
    ]
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::meta::format_rfc3339;

    const NOW: i64 = 1_800_000_000;

    #[test]
    fn job_status_completions_and_duration() {
        let j = json!({
            "metadata": {"name": "pi"},
            "spec": {"completions": 3, "template": {"spec": {"containers": []}}},
            "status": {"succeeded": 3, "startTime": format_rfc3339(NOW - 100),
                       "completionTime": format_rfc3339(NOW - 40),
                       "conditions": [{"type": "Complete", "status": "True"}]},
        });
        let row = job(&j, NOW);
        assert_eq!(row[1..4], [json!("Complete"), json!("3/3"), json!("60s")]);
        let j = json!({"metadata": {"name": "x"}, "spec": {"parallelism": 2},
                       "status": {"startTime": format_rfc3339(NOW - 300)}});
        let row = job(&j, NOW);
        assert_eq!(row[1..4], [json!("Running"), json!("0/1 of 2"), json!("5m")]);
        assert_eq!(job(&json!({}), NOW)[3], "");
    }

    #[test]
    fn cron_job_cells() {
        let cj = json!({"metadata": {"name": "c"},
                        "spec": {"schedule": "*/5 * * * *", "suspend": false},
                        "status": {"active": [{"name": "c-1"}]}});
        let row = cron_job(&cj, NOW);
        assert_eq!(
            row[1..6],
            [json!("*/5 * * * *"), json!("<none>"), json!("False"), json!(1), json!("<none>")]
        );
    }

    #[test]
    fn controller_revision_names_its_owner() {
        let cr = json!({"metadata": {"name": "web-5d8", "ownerReferences": [
                            {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web",
                             "controller": true}]},
                        "revision": 2});
        assert_eq!(controller_revision(&cr, NOW)[1..3], [json!("statefulset.apps/web"), json!(2)]);
    }

    #[test]
    fn hpa_targets_like_kubectl() {
        let hpa = json!({"spec": {"metrics": [
            {"type": "Resource", "resource": {"name": "cpu",
                "target": {"type": "Utilization", "averageUtilization": 80}}},
            {"type": "Pods", "pods": {"metric": {"name": "qps"},
                "target": {"type": "AverageValue", "averageValue": "10"}}},
            {"type": "External", "external": {"target": {"type": "Value", "value": "5"}}}]},
            "status": {"currentMetrics": [
                {"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 12}}}]}});
        assert_eq!(hpa_targets(&hpa), "cpu: 12%/80%, <unknown>/10 + 1 more...");
        let v1 = json!({"spec": {"targetCPUUtilizationPercentage": 50}});
        assert_eq!(hpa_targets(&v1), "cpu: <unknown>/50%");
        assert_eq!(hpa_targets(&json!({})), "<none>");
    }

    #[test]
    fn daemon_set_and_pdb_cells() {
        let ds = json!({"metadata": {"name": "d"},
                        "spec": {"template": {"spec": {"nodeSelector": {"os": "linux"}}}},
                        "status": {"desiredNumberScheduled": 2, "numberReady": 1}});
        let row = daemon_set(&ds, NOW);
        assert_eq!(
            row[1..7],
            [json!(2), json!(0), json!(1), json!(0), json!(0), json!("os=linux")]
        );
        let pdb = json!({"spec": {"minAvailable": "50%"}, "status": {"disruptionsAllowed": 1}});
        assert_eq!(pod_disruption_budget(&pdb, NOW)[1..4], [json!("50%"), json!("N/A"), json!(1)]);
    }
}

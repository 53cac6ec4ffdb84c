//! The Pod row: `READY` counts ready containers, `STATUS` condenses phase, init containers
//! and container states into one word the way kubectl's `printPod` does, and `RESTARTS` adds
//! how long ago the last restart was.

use serde_json::{Value, json};

use super::{AGE, NAME, Printer, age, condition_true, int_of, list_of, name, or_none, str_of};
use super::{text, wide};
use crate::meta::parse_rfc3339;

pub(super) static POD: Printer = Printer {
    columns: &[
        NAME,
        text("Ready", "Ready containers out of all containers."),
        text("Status", "Condensed status of the pod and its containers."),
        text("Restarts", "Container restarts, and how long ago the last one was."),
        AGE,
        wide("IP", "IP address of the pod."),
        wide("Node", "Node the pod runs on."),
        wide("Nominated Node", "Node the scheduler nominated while preempting."),
        wide("Readiness Gates", "Readiness gates that hold, out of all gates."),
    ],
    row,
};

fn row(pod: &Value, now: i64) -> Vec<Value> {
    let summary = summarize(pod);
    let restarts = match summary.last_restart {
        Some(at) if summary.restarts != 0 => {
            format!("{} ({} ago)", summary.restarts, super::human_duration(now - at))
        }
        _ => summary.restarts.to_string(),
    };
    let spec = &pod["spec"];
    let status = &pod["status"];
    let ip = list_of(&status["podIPs"]).first().map_or("", |ip| str_of(&ip["ip"]));
    let ip = if ip.is_empty() { str_of(&status["podIP"]) } else { ip };
    vec![
        name(pod),
        format!("{}/{}", summary.ready, summary.total).into(),
        summary.reason.into(),
        restarts.into(),
        age(pod, now),
        or_none(ip).into(),
        or_none(str_of(&spec["nodeName"])).into(),
        or_none(str_of(&status["nominatedNodeName"])).into(),
        readiness_gates(pod).into(),
    ]
}

/// The `Completed` row condition Kubernetes attaches to pods that have finished.
pub(super) fn row_conditions(pod: &Value) -> Option<Value> {
    let (reason, message) = match str_of(&pod["status"]["phase"]) {
        "Succeeded" => ("Succeeded", "The pod completed successfully."),
        "Failed" => ("Failed", "The pod failed."),
        _ => return None,
    };
    Some(json!([{"type": "Completed", "status": "True", "reason": reason, "message": message}]))
}

struct Summary {
    ready: usize,
    total: usize,
    reason: String,
    restarts: i64,
    last_restart: Option<i64>,
}

/// Walks init containers, then containers (last first), as `printPod` does.
fn summarize(pod: &Value) -> Summary {
    let spec = &pod["spec"];
    let status = &pod["status"];
    let phase = str_of(&status["phase"]);
    let mut reason = match str_of(&status["reason"]) {
        "" => phase.to_owned(),
        r => r.to_owned(),
    };
    let gated = list_of(&status["conditions"])
        .iter()
        .any(|c| c["type"] == "PodScheduled" && c["reason"] == "SchedulingGated");
    if gated {
        reason = "SchedulingGated".to_owned();
    }

    let init_specs = list_of(&spec["initContainers"]);
    let sidecar = |name: &Value| {
        init_specs.iter().any(|c| &c["name"] == name && c["restartPolicy"] == "Always")
    };
    let sidecars = init_specs.iter().filter(|c| c["restartPolicy"] == "Always").count();
    let mut summary = Summary {
        ready: 0,
        total: list_of(&spec["containers"]).len() + sidecars,
        reason: String::new(),
        restarts: 0,
        last_restart: None,
    };
    let (mut sidecar_restarts, mut sidecar_last) = (0, None);
    let mut initializing = false;
    for (i, c) in list_of(&status["initContainerStatuses"]).iter().enumerate() {
        let finished = last_finished(c);
        summary.restarts += int_of(&c["restartCount"]);
        summary.last_restart = summary.last_restart.max(finished);
        let is_sidecar = sidecar(&c["name"]);
        if is_sidecar {
            sidecar_restarts += int_of(&c["restartCount"]);
            sidecar_last = sidecar_last.max(finished);
        }
        let terminated = &c["state"]["terminated"];
        let waiting = str_of(&c["state"]["waiting"]["reason"]);
        if terminated.is_object() && int_of(&terminated["exitCode"]) == 0 {
            continue;
        }
        if is_sidecar && c["started"] == true {
            if c["ready"] == true {
                summary.ready += 1;
            }
            continue;
        }
        reason = if terminated.is_object() {
            format!("Init:{}", terminated_reason(terminated))
        } else if !waiting.is_empty() && waiting != "PodInitializing" {
            format!("Init:{waiting}")
        } else {
            format!("Init:{i}/{}", init_specs.len())
        };
        initializing = true;
        break;
    }

    if !initializing || condition_true(&status["conditions"], "Initialized") {
        summary.restarts = sidecar_restarts;
        summary.last_restart = sidecar_last;
        let mut has_running = false;
        for c in list_of(&status["containerStatuses"]).iter().rev() {
            summary.restarts += int_of(&c["restartCount"]);
            summary.last_restart = summary.last_restart.max(last_finished(c));
            let state = &c["state"];
            let waiting = str_of(&state["waiting"]["reason"]);
            if !waiting.is_empty() {
                reason = waiting.to_owned();
            } else if state["terminated"].is_object() {
                reason = terminated_reason(&state["terminated"]);
            } else if c["ready"] == true && state["running"].is_object() {
                has_running = true;
                summary.ready += 1;
            }
        }
        if reason == "Completed" && has_running {
            let ready = condition_true(&status["conditions"], "Ready");
            reason = if ready { "Running" } else { "NotReady" }.to_owned();
        }
    }

    let deleting = !pod["metadata"]["deletionTimestamp"].is_null();
    if deleting && status["reason"] == "NodeLost" {
        reason = "Unknown".to_owned();
    } else if deleting && !matches!(phase, "Succeeded" | "Failed") {
        reason = "Terminating".to_owned();
    }
    summary.reason = reason;
    summary
}

/// A terminated state's reason, or `Signal:N` / `ExitCode:N` when it has none.
fn terminated_reason(terminated: &Value) -> String {
    match str_of(&terminated["reason"]) {
        "" if int_of(&terminated["signal"]) != 0 => {
            format!("Signal:{}", int_of(&terminated["signal"]))
        }
        "" => format!("ExitCode:{}", int_of(&terminated["exitCode"])),
        reason => reason.to_owned(),
    }
}

/// When the container's previous run ended, if it has one.
fn last_finished(status: &Value) -> Option<i64> {
    status["lastState"]["terminated"]["finishedAt"].as_str().and_then(parse_rfc3339)
}

/// `true gates/all gates`, or `<none>` for a pod without readiness gates.
fn readiness_gates(pod: &Value) -> String {
    let gates = list_of(&pod["spec"]["readinessGates"]);
    if gates.is_empty() {
        return "<none>".to_owned();
    }
    let conditions = &pod["status"]["conditions"];
    let holding = gates.iter().filter(|g| condition_true(conditions, str_of(&g["conditionType"])));
    format!("{}/{}", holding.count(), gates.len())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::meta::format_rfc3339;
    use crate::resources::find;

    const NOW: i64 = 1_800_000_000;

    fn pod(spec: Value, status: Value) -> Value {
        json!({"metadata": {"name": "p", "creationTimestamp": format_rfc3339(NOW - 60)},
               "spec": spec, "status": status})
    }

    fn two_containers() -> Value {
        json!({"containers": [{"name": "a"}, {"name": "b"}], "nodeName": "node1"})
    }

    fn running(name: &str, ready: bool) -> Value {
        json!({"name": name, "ready": ready, "restartCount": 0,
               "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}}})
    }

    #[test]
    fn two_containers_one_ready() {
        let p = pod(
            two_containers(),
            json!({"phase": "Running", "podIP": "10.0.0.5",
                   "containerStatuses": [running("a", true), running("b", false)]}),
        );
        let def = find("", "v1", "pods").unwrap();
        let cells = super::super::cells(def, &p, NOW);
        assert_eq!(
            cells,
            ["p", "1/2", "Running", "0", "60s", "10.0.0.5", "node1", "<none>", "<none>"]
                .map(Value::from)
        );
    }

    #[test]
    fn deleting_pod_is_terminating() {
        let mut p = pod(
            two_containers(),
            json!({"phase": "Running", "containerStatuses": [running("a", true), running("b", true)]}),
        );
        p["metadata"]["deletionTimestamp"] = json!("2026-01-01T00:00:00Z");
        assert_eq!(summarize(&p).reason, "Terminating");
        p["status"]["phase"] = json!("Succeeded");
        assert_eq!(summarize(&p).reason, "Succeeded");
        assert!(row_conditions(&p).is_some());
    }

    #[test]
    fn waiting_and_terminated_reasons_win() {
        let waiting = json!({"name": "b", "ready": false, "restartCount": 3,
            "state": {"waiting": {"reason": "CrashLoopBackOff"}},
            "lastState": {"terminated": {"exitCode": 1, "finishedAt": format_rfc3339(NOW - 600)}}});
        let p = pod(
            two_containers(),
            json!({"phase": "Running", "containerStatuses": [running("a", true), waiting]}),
        );
        let cells = row(&p, NOW);
        assert_eq!(cells[2], "CrashLoopBackOff");
        assert_eq!(cells[3], "3 (10m ago)");

        let done =
            json!({"name": "a", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}});
        let p = pod(
            json!({"containers": [{"name": "a"}]}),
            json!({"phase": "Succeeded",
                    "containerStatuses": [done]}),
        );
        assert_eq!(summarize(&p).reason, "Completed");
        assert_eq!(row(&p, NOW)[1], "0/1");

        let killed = json!({"name": "a", "state": {"terminated": {"exitCode": 137, "signal": 9}}});
        let p = pod(json!({"containers": [{"name": "a"}]}), json!({"containerStatuses": [killed]}));
        assert_eq!(summarize(&p).reason, "Signal:9");
    }

    #[test]
    fn init_containers_show_progress() {
        let spec = json!({"initContainers": [{"name": "i1"}, {"name": "i2"}],
                          "containers": [{"name": "a"}]});
        let done = json!({"name": "i1", "state": {"terminated": {"exitCode": 0}}});
        let started = json!({"name": "i2", "state": {"running": {}}});
        let p = pod(
            spec.clone(),
            json!({"phase": "Pending",
                                        "initContainerStatuses": [done.clone(), started]}),
        );
        assert_eq!(summarize(&p).reason, "Init:1/2");
        let failing = json!({"name": "i2", "state": {"waiting": {"reason": "ImagePullBackOff"}}});
        let p = pod(
            spec.clone(),
            json!({"phase": "Pending",
                                        "initContainerStatuses": [done.clone(), failing]}),
        );
        assert_eq!(summarize(&p).reason, "Init:ImagePullBackOff");
        let crashed = json!({"name": "i2", "state": {"terminated": {"exitCode": 2}}});
        let p = pod(spec, json!({"phase": "Pending", "initContainerStatuses": [done, crashed]}));
        assert_eq!(summarize(&p).reason, "Init:ExitCode:2");
    }

    #[test]
    fn sidecars_count_as_containers() {
        let spec = json!({"initContainers": [{"name": "proxy", "restartPolicy": "Always"}],
                          "containers": [{"name": "a"}]});
        let proxy = json!({"name": "proxy", "started": true, "ready": true, "restartCount": 1,
                           "state": {"running": {}}});
        let status = json!({"phase": "Running", "initContainerStatuses": [proxy],
                            "containerStatuses": [running("a", true)],
                            "conditions": [{"type": "Initialized", "status": "True"}]});
        let p = pod(spec, status);
        let s = summarize(&p);
        assert_eq!((s.ready, s.total, s.reason.as_str(), s.restarts), (2, 2, "Running", 1));
    }

    #[test]
    fn readiness_gates_count_true_conditions() {
        let spec = json!({"containers": [], "readinessGates": [{"conditionType": "x/a"},
                                                                 {"conditionType": "x/b"}]});
        let status = json!({"conditions": [{"type": "x/a", "status": "True"},
                                           {"type": "x/b", "status": "False"}]});
        assert_eq!(readiness_gates(&pod(spec, status)), "1/2");
    }
}

//! Tests of the statuses a simulated node writes.

use std::net::Ipv4Addr;

use k8s_openapi::api::core::v1::{Pod, PodStatus};
use k8s_openapi::jiff::Timestamp;
use serde_json::{Value, json};

use super::*;

const HOST: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
const POD_IP: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 2);

fn ts(text: &str) -> Timestamp {
    text.parse().expect("timestamp")
}

fn pod(spec: Value) -> Pod {
    serde_json::from_value(json!({
        "metadata": {"name": "p", "namespace": "default", "uid": "u1"},
        "spec": spec,
        "status": {"phase": "Pending", "conditions": [
            {"type": "PodScheduled", "status": "True", "lastTransitionTime": "2025-01-01T00:00:00Z"}]},
    }))
    .expect("pod")
}

fn two_containers(restart_policy: &str) -> Pod {
    pod(json!({
        "nodeName": "n", "restartPolicy": restart_policy,
        "initContainers": [{"name": "init", "image": "busybox"}],
        "containers": [{"name": "a", "image": "nginx"}, {"name": "b", "image": "redis"}],
    }))
}

fn condition(status: &PodStatus, type_: &str) -> (String, Option<Timestamp>) {
    let c = status.conditions.iter().flatten().find(|c| c.type_ == type_).expect(type_);
    (c.status.clone(), c.last_transition_time.as_ref().map(|t| t.0))
}

fn with(pod: &Pod, status: PodStatus) -> Pod {
    Pod { status: Some(status), ..pod.clone() }
}

#[test]
fn running_reports_every_container_and_the_addresses() {
    let now = ts("2025-01-01T00:00:01Z");
    let status = running(&two_containers("Always"), HOST, POD_IP, true, now);
    assert_eq!(status.phase.as_deref(), Some("Running"));
    assert_eq!(status.host_ip.as_deref(), Some("192.0.2.1"));
    assert_eq!(status.pod_ip.as_deref(), Some("198.18.0.2"));
    assert_eq!(status.start_time.as_ref().map(|t| t.0), Some(now));
    assert_eq!(status.qos_class.as_deref(), Some("BestEffort"));
    for type_ in ["Initialized", "Ready", "ContainersReady"] {
        assert_eq!(condition(&status, type_), ("True".into(), Some(now)), "{type_}");
    }
    // The scheduler's condition keeps its time.
    assert_eq!(
        condition(&status, "PodScheduled"),
        ("True".into(), Some(ts("2025-01-01T00:00:00Z")))
    );
    let containers = status.container_statuses.as_ref().expect("container statuses");
    let summary: Vec<_> = containers
        .iter()
        .map(|c| {
            (
                c.name.as_str(),
                c.image.as_str(),
                c.ready,
                c.container_id.as_deref().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(summary, [("a", "nginx", true, "sim://u1/a"), ("b", "redis", true, "sim://u1/b")]);
    assert!(containers.iter().all(|c| c.state.as_ref().and_then(|s| s.running.as_ref()).is_some()));
    let init = status.init_container_statuses.as_ref().expect("init statuses");
    assert_eq!(
        init[0].state.as_ref().and_then(|s| s.terminated.as_ref()).map(|t| t.exit_code),
        Some(0)
    );
}

#[test]
fn running_but_not_ready_when_asked() {
    let now = ts("2025-01-01T00:00:01Z");
    let status = running(&two_containers("Always"), HOST, POD_IP, false, now);
    assert_eq!(condition(&status, "Ready").0, "False");
    assert!(status.container_statuses.iter().flatten().all(|c| !c.ready));
    let later = ts("2025-01-01T00:00:09Z");
    let ready = with_ready(&with(&two_containers("Always"), status), true, later);
    assert_eq!(condition(&ready, "Ready"), ("True".into(), Some(later)));
    assert_eq!(condition(&ready, "Initialized"), ("True".into(), Some(now)));
}

#[test]
fn exits_end_the_pod_or_restart_by_restart_policy() {
    let started = ts("2025-01-01T00:00:01Z");
    let now = ts("2025-01-01T00:00:05Z");
    // (policy, exit code, phase after, restarts)
    let cases = [
        ("Never", 0, "Succeeded", 0),
        ("Never", 1, "Failed", 0),
        ("OnFailure", 0, "Succeeded", 0),
        ("OnFailure", 1, "Running", 1),
        ("Always", 0, "Running", 1),
        ("Always", 1, "Running", 1),
    ];
    for (policy, code, phase, restarts) in cases {
        let pod = two_containers(policy);
        let pod = with(&pod, running(&pod, HOST, POD_IP, true, started));
        let status = exited(&pod, code, now);
        assert_eq!(status.phase.as_deref(), Some(phase), "{policy} {code}");
        let containers = status.container_statuses.as_ref().expect("statuses");
        assert!(containers.iter().all(|c| c.restart_count == restarts), "{policy} {code}");
        let ended = |c: &k8s_openapi::api::core::v1::ContainerStatus| {
            let state = if restarts == 0 { &c.state } else { &c.last_state };
            state.as_ref().and_then(|s| s.terminated.clone())
        };
        for container in containers {
            let terminated = ended(container).expect("terminated state");
            assert_eq!(terminated.exit_code, code);
            assert_eq!(terminated.started_at.map(|t| t.0), Some(started));
            assert_eq!(terminated.finished_at.map(|t| t.0), Some(now));
        }
        let ready = if restarts == 0 { "False" } else { "True" };
        assert_eq!(condition(&status, "Ready").0, ready, "{policy} {code}");
    }
}

#[test]
fn failed_to_start_carries_the_reason() {
    let status = failed_to_start(&two_containers("Always"), HOST, ts("2025-01-01T00:00:01Z"));
    assert_eq!(status.phase.as_deref(), Some("Failed"));
    assert_eq!(status.reason.as_deref(), Some(SIMULATED_FAILURE));
    assert_eq!(status.pod_ip, None);
    assert_eq!(condition(&status, "Ready").0, "False");
}

#[test]
fn qos_classes() {
    let cases = [
        (json!({}), "BestEffort"),
        (json!({"requests": {"cpu": "1"}}), "Burstable"),
        (json!({"limits": {"cpu": "1", "memory": "1Gi"}}), "Guaranteed"),
        (
            json!({"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "1Gi"}}),
            "Guaranteed",
        ),
        (
            json!({"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "1Gi"}}),
            "Burstable",
        ),
    ];
    for (resources, want) in cases {
        let pod = pod(json!({"containers": [{"name": "c", "image": "i", "resources": resources}]}));
        assert_eq!(qos_class(&pod), want, "{resources}");
    }
}

//! Table tests of [`super::next_step`]: which step each kind of pod gets.

use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::jiff::Timestamp;
use serde_json::{Value, json};

use super::*;

const NOW: &str = "2025-01-01T00:00:10Z";

fn ts(text: &str) -> Timestamp {
    text.parse().expect("timestamp")
}

fn pod(extra: Value) -> Pod {
    let mut base = json!({
        "metadata": {"name": "p", "namespace": "default", "uid": "uid-1"},
        "spec": {"nodeName": "sim-node-0", "containers": [{"name": "c", "image": "nginx"}]},
    });
    merge(&mut base, extra);
    serde_json::from_value(base).expect("pod")
}

fn merge(into: &mut Value, from: Value) {
    match (into, from) {
        (Value::Object(into), Value::Object(from)) => {
            for (key, value) in from {
                merge(into.entry(key).or_insert(Value::Null), value);
            }
        }
        (into, from) => *into = from,
    }
}

fn running(ready: &str, started: &str) -> Value {
    json!({"status": {
        "phase": "Running",
        "conditions": [{"type": "Ready", "status": ready}],
        "containerStatuses": [{"name": "c", "image": "nginx", "imageID": "", "ready": ready == "True",
            "restartCount": 0, "state": {"running": {"startedAt": started}}}],
    }})
}

fn timing(startup: u64) -> Timing {
    Timing {
        startup_delay: Duration::from_secs(startup),
        stop_delay: Duration::from_secs(3),
        fail_fraction: 0.0,
    }
}

#[test]
fn next_steps() {
    let cases: Vec<(&str, Value, u64, Step)> = vec![
        ("new pod starts now", json!({}), 0, Step::Start { at: ts(NOW), fail: false }),
        (
            "startup delay counts from PodScheduled",
            json!({"status": {"phase": "Pending", "conditions": [
                {"type": "PodScheduled", "status": "True", "lastTransitionTime": "2025-01-01T00:00:05Z"}]}}),
            2,
            Step::Start { at: ts("2025-01-01T00:00:07Z"), fail: false },
        ),
        ("running pod stays", running("True", "2025-01-01T00:00:00Z"), 0, Step::Nothing),
        (
            "complete-after counts from the container start",
            merge_all(
                running("True", "2025-01-01T00:00:04Z"),
                json!({"metadata": {"annotations": {COMPLETE_AFTER: "2s"}}}),
            ),
            0,
            Step::Exit { at: ts("2025-01-01T00:00:06Z"), code: 0 },
        ),
        (
            "fail-after exits 1",
            merge_all(
                running("True", "2025-01-01T00:00:04Z"),
                json!({"metadata": {"annotations": {FAIL_AFTER: "1m"}}}),
            ),
            0,
            Step::Exit { at: ts("2025-01-01T00:01:04Z"), code: 1 },
        ),
        (
            "a bad duration is ignored",
            merge_all(
                running("True", "2025-01-01T00:00:04Z"),
                json!({"metadata": {"annotations": {COMPLETE_AFTER: "soon"}}}),
            ),
            0,
            Step::Nothing,
        ),
        (
            "ready annotation false makes a ready pod not ready",
            merge_all(
                running("True", "2025-01-01T00:00:04Z"),
                json!({"metadata": {"annotations": {READY: "false"}}}),
            ),
            0,
            Step::SetReady(false),
        ),
        (
            "a not ready pod without the annotation becomes ready",
            running("False", "2025-01-01T00:00:04Z"),
            0,
            Step::SetReady(true),
        ),
        ("succeeded pod stays", json!({"status": {"phase": "Succeeded"}}), 0, Step::Nothing),
        ("failed pod stays", json!({"status": {"phase": "Failed"}}), 0, Step::Nothing),
        (
            "marked for deletion goes after the stop delay",
            merge_all(
                running("True", "2025-01-01T00:00:04Z"),
                json!({"metadata": {"deletionTimestamp": NOW}}),
            ),
            0,
            Step::Delete { after: Duration::from_secs(3) },
        ),
    ];
    for (name, extra, startup, want) in cases {
        assert_eq!(next_step(&pod(extra), &timing(startup), ts(NOW)), want, "{name}");
    }
}

fn merge_all(mut a: Value, b: Value) -> Value {
    merge(&mut a, b);
    a
}

#[test]
fn failure_fraction_picks_about_that_share_and_always_the_same_pods() {
    let picked = (0..10_000).filter(|i| fails(&format!("uid-{i}"), 0.1)).count();
    assert!((800..1200).contains(&picked), "{picked}");
    assert!((0..100).all(|i| !fails(&format!("uid-{i}"), 0.0)));
    assert!((0..100).all(|i| fails(&format!("uid-{i}"), 1.0)));
    let first: Vec<bool> = (0..100).map(|i| fails(&format!("uid-{i}"), 0.5)).collect();
    let again: Vec<bool> = (0..100).map(|i| fails(&format!("uid-{i}"), 0.5)).collect();
    assert_eq!(first, again);
}

#[test]
fn fraction_one_fails_every_new_pod() {
    let timing = Timing { fail_fraction: 1.0, ..timing(0) };
    assert_eq!(
        next_step(&pod(json!({})), &timing, ts(NOW)),
        Step::Start { at: ts(NOW), fail: true }
    );
}

#[test]
fn same_work_ignores_times_of_start_and_delete_but_not_of_exits() {
    let start = |s| Step::Start { at: ts(s), fail: false };
    assert!(start(NOW).same_work(&start("2025-01-01T00:00:11Z")));
    let exit = |s| Step::Exit { at: ts(s), code: 0 };
    assert!(!exit(NOW).same_work(&exit("2025-01-01T00:00:11Z")));
    assert!(!Step::SetReady(true).same_work(&Step::SetReady(false)));
    assert!(!start(NOW).same_work(&Step::Delete { after: Duration::ZERO }));
}

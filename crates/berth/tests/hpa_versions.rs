//! Black-box: a HorizontalPodAutoscaler is one object whichever of autoscaling/v1 and
//! autoscaling/v2 it is written and read through (real kubectl, real `berth server`): v1's CPU
//! percentage is v2's CPU metric, v2's other metrics ride in a v1 annotation and survive v1
//! writes, and a watch through one version sees writes through the other converted.

// Blocking sleeps are fine here: no async runtime, kubectl runs in its own process.
#![allow(clippy::disallowed_methods)]

mod common;

use std::io::Read;
use std::process::Stdio;
use std::time::Duration;

use common::{json, ok, server, write};
use serde_json::{Value, json};

const V1: &str = "horizontalpodautoscalers.v1.autoscaling";
const V2: &str = "horizontalpodautoscalers.v2.autoscaling";
const METRICS: &str = "autoscaling.alpha.kubernetes.io/metrics";

const CPU_V1: &str = "apiVersion: autoscaling/v1
kind: HorizontalPodAutoscaler
metadata: {name: cpu}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  maxReplicas: 5
  targetCPUUtilizationPercentage: 50
";

const MEMORY_V2: &str = "apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: memory}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 6
  metrics:
  - type: Resource
    resource: {name: memory, target: {type: AverageValue, averageValue: 500Mi}}
";

fn cpu_metric(utilization: i64) -> Value {
    json!({"type": "Resource", "resource": {"name": "cpu",
        "target": {"type": "Utilization", "averageUtilization": utilization}}})
}

fn memory_metric() -> Value {
    json!({"type": "Resource", "resource": {"name": "memory",
        "target": {"type": "AverageValue", "averageValue": "500Mi"}}})
}

#[test]
fn autoscalers_read_the_same_through_v1_and_v2() {
    let server = server(&[]);

    // Written as v1: v2 shows the CPU percentage as its metric, and v2's defaults.
    ok(&server, &["apply", "-f", &write(&server, "cpu.yaml", CPU_V1)]);
    let v2 = json(&server, &["get", V2, "cpu"]);
    assert_eq!(v2["apiVersion"], "autoscaling/v2");
    assert_eq!(v2["spec"]["metrics"], json!([cpu_metric(50)]), "{v2}");
    assert_eq!(v2["spec"]["minReplicas"], 1);
    assert!(v2["spec"].get("targetCPUUtilizationPercentage").is_none());
    let v1 = json(&server, &["get", V1, "cpu"]);
    assert_eq!(v1["spec"]["targetCPUUtilizationPercentage"], 50, "{v1}");

    // Written as v2 with a memory metric: v1 has no CPU percentage, the metric is in the
    // annotation (v1's metric shape), and v2 reads it intact.
    ok(&server, &["apply", "-f", &write(&server, "memory.yaml", MEMORY_V2)]);
    let v1 = json(&server, &["get", V1, "memory"]);
    assert_eq!(v1["apiVersion"], "autoscaling/v1");
    assert!(v1["spec"].get("targetCPUUtilizationPercentage").is_none(), "{v1}");
    assert!(v1["spec"].get("metrics").is_none(), "{v1}");
    let annotated: Value = serde_json::from_str(
        v1["metadata"]["annotations"][METRICS].as_str().expect("the metrics annotation"),
    )
    .expect("JSON in the annotation");
    assert_eq!(
        annotated,
        json!([{"type": "Resource", "resource": {"name": "memory", "targetAverageValue": "500Mi"}}])
    );
    let v2 = json(&server, &["get", V2, "memory"]);
    assert_eq!(v2["spec"]["metrics"], json!([memory_metric()]), "{v2}");
    assert!(v2["metadata"]["annotations"].get(METRICS).is_none(), "{v2}");

    // Changed through v1 (merge patch, strategic merge patch, server-side apply): the memory
    // metric stays, v1's CPU percentage joins it.
    ok(&server, &["patch", V1, "memory", "--type=merge", "-p", r#"{"spec":{"maxReplicas":7}}"#]);
    ok(
        &server,
        &["patch", V1, "memory", "-p", r#"{"spec":{"targetCPUUtilizationPercentage":33}}"#],
    );
    let v2 = json(&server, &["get", V2, "memory"]);
    assert_eq!(v2["spec"]["metrics"], json!([memory_metric(), cpu_metric(33)]), "{v2}");
    assert_eq!(v2["spec"]["maxReplicas"], 7);
    let applied = "apiVersion: autoscaling/v1
kind: HorizontalPodAutoscaler
metadata: {name: memory}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  maxReplicas: 8
  targetCPUUtilizationPercentage: 44
";
    let manifest = write(&server, "applied.yaml", applied);
    ok(&server, &["apply", "--server-side", "--force-conflicts", "-f", &manifest]);
    let v2 = json(&server, &["get", V2, "memory"]);
    assert_eq!(v2["spec"]["metrics"], json!([memory_metric(), cpu_metric(44)]), "{v2}");
    assert_eq!(v2["spec"]["maxReplicas"], 8);

    // Lists in either version hold both, converted.
    let list = json(&server, &["get", V1]);
    let percentages: Vec<&Value> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| &i["spec"]["targetCPUUtilizationPercentage"])
        .collect();
    assert_eq!(percentages, [&json!(50), &json!(44)], "{list}");
    let table = ok(&server, &["get", V1]);
    assert!(table.lines().any(|l| l.starts_with("memory ") && l.contains("44%")), "{table}");
}

#[test]
fn a_watch_through_v1_sees_writes_through_v2_converted() {
    let server = server(&[]);
    ok(&server, &["apply", "-f", &write(&server, "cpu.yaml", CPU_V1)]);
    let mut watch = server
        .kubectl_command()
        .args(["get", V1, "--watch", "-o", "json", "--request-timeout=20s"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("kubectl get --watch");
    std::thread::sleep(Duration::from_millis(800));
    let patch = json!({"spec": {"metrics": [cpu_metric(61), memory_metric()]}}).to_string();
    ok(&server, &["patch", V2, "cpu", "--type=merge", "-p", &patch]);
    std::thread::sleep(Duration::from_secs(2));
    let _ = watch.kill();
    let _ = watch.wait();
    let mut seen = String::new();
    watch.stdout.take().expect("stdout").read_to_string(&mut seen).expect("read");
    let objects: Vec<Value> =
        serde_json::Deserializer::from_str(&seen).into_iter().filter_map(Result::ok).collect();
    assert!(objects.len() >= 2, "the object, then its change: {seen}");
    assert!(objects.iter().all(|o| o["apiVersion"] == "autoscaling/v1"), "{seen}");
    let last = objects.last().expect("an event");
    assert_eq!(last["spec"]["targetCPUUtilizationPercentage"], 61, "{seen}");
    let annotated = last["metadata"]["annotations"][METRICS].as_str().unwrap_or_default();
    assert!(annotated.contains("memory"), "{seen}");
}

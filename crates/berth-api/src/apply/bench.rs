//! A micro benchmark of [`record_update`]: `cargo test -p berth-api --release -- --ignored
//! --nocapture record_update_bench`.

#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::time::Instant;

use serde_json::{Value, json};

use super::{Schema, record_update};

fn deployment(image: &str, replicas: i64) -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "web",
            "namespace": "default",
            "uid": "4f1c2d3e-0000-4000-8000-000000000001",
            "resourceVersion": "12345",
            "generation": 1,
            "creationTimestamp": "2025-01-01T00:00:00Z",
            "labels": {"app": "web", "tier": "frontend", "team": "platform"},
            "annotations": {"deployment.kubernetes.io/revision": "1", "owner": "someone@example.com"},
        },
        "spec": {
            "replicas": replicas,
            "revisionHistoryLimit": 10,
            "progressDeadlineSeconds": 600,
            "selector": {"matchLabels": {"app": "web", "tier": "frontend"}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
            "template": {
                "metadata": {"labels": {"app": "web", "tier": "frontend"}, "annotations": {"prometheus.io/scrape": "true"}},
                "spec": {
                    "serviceAccountName": "web",
                    "terminationGracePeriodSeconds": 30,
                    "dnsPolicy": "ClusterFirst",
                    "restartPolicy": "Always",
                    "schedulerName": "default-scheduler",
                    "securityContext": {"runAsNonRoot": true, "fsGroup": 2000},
                    "nodeSelector": {"kubernetes.io/os": "linux"},
                    "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "web", "effect": "NoSchedule"}],
                    "volumes": [
                        {"name": "config", "configMap": {"name": "web-config", "defaultMode": 420}},
                        {"name": "cache", "emptyDir": {}},
                    ],
                    "containers": [
                        {
                            "name": "web",
                            "image": image,
                            "imagePullPolicy": "IfNotPresent",
                            "args": ["--port=8080", "--log-level=info"],
                            "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}, {"name": "metrics", "containerPort": 9090, "protocol": "TCP"}],
                            "env": [
                                {"name": "MODE", "value": "production"},
                                {"name": "POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}},
                                {"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "web", "key": "password"}}},
                            ],
                            "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "512Mi"}},
                            "volumeMounts": [{"name": "config", "mountPath": "/etc/web"}, {"name": "cache", "mountPath": "/var/cache"}],
                            "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080, "scheme": "HTTP"}, "periodSeconds": 10},
                            "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080, "scheme": "HTTP"}, "initialDelaySeconds": 5},
                            "terminationMessagePath": "/dev/termination-log",
                            "terminationMessagePolicy": "File",
                        },
                        {
                            "name": "sidecar",
                            "image": "envoy:1.30",
                            "ports": [{"containerPort": 15000, "protocol": "TCP"}],
                            "resources": {},
                        },
                    ],
                },
            },
        },
    })
}

fn with_status(mut object: Value) -> Value {
    object["status"] = json!({
        "observedGeneration": 1, "replicas": 3, "readyReplicas": 3, "availableReplicas": 3,
        "conditions": [{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"}],
    });
    object
}

struct Case {
    name: &'static str,
    old: Option<Value>,
    new: Value,
    manager: &'static str,
    subresource: Option<&'static str>,
}

fn cases() -> Vec<Case> {
    let mut created = deployment("web:1.0", 3);
    record_update(
        &Schema::for_kind("Deployment"),
        None,
        &mut created,
        "kubectl-create",
        "apps/v1",
        "2025-01-01T00:00:00Z",
        None,
    );
    let mut status = with_status(created.clone());
    record_update(
        &Schema::for_kind("Deployment"),
        Some(&created),
        &mut status,
        "kube-controller-manager",
        "apps/v1",
        "2025-01-01T00:00:01Z",
        Some("status"),
    );
    let live = status;
    // kubectl set image / patch: the new object carries the stored managedFields.
    let mut edited = live.clone();
    edited["spec"]["template"]["spec"]["containers"][0]["image"] = json!("web:1.1");
    edited["spec"]["replicas"] = json!(5);
    edited["metadata"]["labels"]["edited"] = json!("yes");
    // An update that changes nothing (a controller writing what is there).
    let same = live.clone();
    // A PUT without managedFields that removes a container.
    let mut put = live.clone();
    put["metadata"].as_object_mut().unwrap().shift_remove("managedFields");
    put["spec"]["template"]["spec"]["containers"].as_array_mut().unwrap().pop();
    // A status update by the controller.
    let mut status_update = live.clone();
    status_update["status"]["readyReplicas"] = json!(2);
    vec![
        Case {
            name: "create",
            old: None,
            new: with_status(deployment("web:1.0", 3)),
            manager: "kubectl-create",
            subresource: None,
        },
        Case {
            name: "update",
            old: Some(live.clone()),
            new: edited,
            manager: "kubectl-edit",
            subresource: None,
        },
        Case {
            name: "no-op",
            old: Some(live.clone()),
            new: same,
            manager: "kubectl-create",
            subresource: None,
        },
        Case {
            name: "put",
            old: Some(live.clone()),
            new: put,
            manager: "kubectl-replace",
            subresource: None,
        },
        Case {
            name: "status",
            old: Some(live),
            new: status_update,
            manager: "kube-controller-manager",
            subresource: Some("status"),
        },
    ]
}

#[test]
#[ignore = "benchmark"]
fn record_update_bench() {
    const N: u32 = 10_000;
    let mut results = Vec::new();
    let only = std::env::var("RECORD_UPDATE_CASE").ok();
    for case in cases().into_iter().filter(|c| only.as_deref().is_none_or(|o| o == c.name)) {
        let start = Instant::now();
        for _ in 0..N {
            std::hint::black_box(case.new.clone());
        }
        let clone = start.elapsed();
        let start = Instant::now();
        let mut last = Value::Null;
        for _ in 0..N {
            let mut new = case.new.clone();
            // Built per call, as the API server does.
            let schema = Schema::for_kind("Deployment");
            record_update(
                &schema,
                case.old.as_ref(),
                &mut new,
                case.manager,
                "apps/v1",
                "2025-01-01T00:10:00Z",
                case.subresource,
            );
            last = std::hint::black_box(new);
        }
        let total = start.elapsed();
        let per = total.saturating_sub(clone) / N;
        println!(
            "record_update {:<7} {N} calls: {:>8.1} ms total, {:>8.1} ms of it cloning the input, {:>6.2} us/call net",
            case.name,
            total.as_secs_f64() * 1e3,
            clone.as_secs_f64() * 1e3,
            per.as_secs_f64() * 1e6,
        );
        results.push(json!({"case": case.name, "result": last}));
    }
    if let Ok(out) = std::env::var("RECORD_UPDATE_OUT") {
        std::fs::write(out, serde_json::to_string_pretty(&results).unwrap()).unwrap();
    }
}

//! Priority admission: the pure decision table-driven, then pods created through the router on
//! the in-memory store.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use berth_store::memory::MemoryStore;
use serde_json::{Value, json};
use tower::ServiceExt;

use super::resolve;
use crate::{ApiState, bootstrap, router};

fn class(name: &str, value: i64, policy: Option<&str>) -> Value {
    let mut class = json!({"metadata": {"name": name}, "value": value});
    if let Some(policy) = policy {
        class["preemptionPolicy"] = json!(policy);
    }
    class
}

#[test]
fn resolve_computes_or_refuses() {
    let high = class("high", 1000, None);
    let never = class("never", 50, Some("Never"));
    // (pod spec, named class, class found, Ok(priority, policy, class name) or Err(message part))
    type Case<'a> = (
        Value,
        Option<&'a str>,
        Option<&'a Value>,
        Result<(i64, &'a str, Option<&'a str>), &'a str>,
    );
    let cases: Vec<Case> = vec![
        (json!({}), None, None, Ok((0, "PreemptLowerPriority", None))),
        (
            json!({"priorityClassName": "high"}),
            Some("high"),
            Some(&high),
            Ok((1000, "PreemptLowerPriority", Some("high"))),
        ),
        (json!({}), None, Some(&high), Ok((1000, "PreemptLowerPriority", Some("high")))),
        (
            json!({"priorityClassName": "never"}),
            Some("never"),
            Some(&never),
            Ok((50, "Never", Some("never"))),
        ),
        (
            json!({"priorityClassName": "high", "priority": 1000}),
            Some("high"),
            Some(&high),
            Ok((1000, "PreemptLowerPriority", Some("high"))),
        ),
        (
            json!({"priorityClassName": "gone"}),
            Some("gone"),
            None,
            Err("pods \"p\" is forbidden: no PriorityClass with name gone was found"),
        ),
        (
            json!({"priorityClassName": "high", "priority": 7}),
            Some("high"),
            Some(&high),
            Err(
                "the integer value of priority (7) must not be provided in pod spec; priority admission controller computed 1000 from the given PriorityClass name",
            ),
        ),
        (
            json!({"priority": 7}),
            None,
            None,
            Err(
                "priority (7) must not be provided in pod spec; priority admission controller computed 0",
            ),
        ),
        (
            json!({"priorityClassName": "never", "preemptionPolicy": "PreemptLowerPriority"}),
            Some("never"),
            Some(&never),
            Err("the string value of PreemptionPolicy (PreemptLowerPriority) must not be provided"),
        ),
    ];
    for (spec, named, found, want) in cases {
        let mut pod = json!({"metadata": {"name": "p"}, "spec": spec.clone()});
        let got = resolve(&mut pod, "p", named, found);
        match (got, want) {
            (Ok(()), Ok((priority, policy, class_name))) => {
                assert_eq!(pod["spec"]["priority"], json!(priority), "{spec}");
                assert_eq!(pod["spec"]["preemptionPolicy"], json!(policy), "{spec}");
                assert_eq!(
                    pod["spec"].get("priorityClassName").and_then(Value::as_str),
                    class_name,
                    "{spec}"
                );
            }
            (Err(error), Err(part)) => {
                assert_eq!(error.code, 403, "{spec}");
                assert!(error.message.contains(part), "{spec}: {}", error.message);
            }
            (got, want) => panic!("{spec}: got {got:?}, want {want:?}"),
        }
    }
}

#[test]
fn the_lowest_global_default_wins() {
    let mut a = class("a", 300, None);
    a["globalDefault"] = json!(true);
    let mut b = class("b", 200, None);
    b["globalDefault"] = json!(true);
    let c = class("c", 100, None);
    let picked = super::pick_default(vec![a, b, c]).expect("a default");
    assert_eq!(picked["metadata"]["name"], "b");
    assert!(super::pick_default(vec![class("x", 1, None)]).is_none());
}

async fn post(state: &ApiState, path: &str, body: Value) -> (StatusCode, Value) {
    let request = Request::builder()
        .method("POST")
        .uri(path)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .expect("request");
    let response = router(state.clone()).oneshot(request).await.expect("call");
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body");
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

fn pod(name: &str, spec: Value) -> Value {
    let mut spec = spec;
    spec["containers"] = json!([{"name": "c", "image": "busybox"}]);
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec})
}

const PODS: &str = "/api/v1/namespaces/default/pods";
const CLASSES: &str = "/apis/scheduling.k8s.io/v1/priorityclasses";

#[tokio::test]
async fn pods_get_their_class_priority_through_the_api() {
    let state = ApiState::new(Arc::new(MemoryStore::new()));
    bootstrap(&state).await.expect("bootstrap");
    through_the_api(&state).await;
}

#[tokio::test]
async fn pods_get_their_class_priority_with_the_watch_cache() {
    let mut state = ApiState::new(Arc::new(MemoryStore::new()));
    bootstrap(&state).await.expect("bootstrap");
    state.start_cache().await.expect("cache");
    through_the_api(&state).await;
}

async fn through_the_api(state: &ApiState) {
    let state = state.clone();
    bootstrap(&state).await.expect("bootstrap twice keeps the system classes");

    let (status, critical) =
        post(&state, PODS, pod("critical", json!({"priorityClassName": "system-node-critical"})))
            .await;
    assert_eq!(status, StatusCode::CREATED, "{critical}");
    assert_eq!(critical["spec"]["priority"], 2_000_001_000);

    let (status, plain) = post(&state, PODS, pod("plain", json!({}))).await;
    assert_eq!(status, StatusCode::CREATED, "{plain}");
    assert_eq!(plain["spec"]["priority"], 0);
    assert_eq!(plain["spec"]["preemptionPolicy"], "PreemptLowerPriority");
    assert!(plain["spec"].get("priorityClassName").is_none());

    let (status, missing) =
        post(&state, PODS, pod("m", json!({"priorityClassName": "nope"}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(missing["reason"], "Forbidden");
    assert_eq!(
        missing["message"],
        "pods \"m\" is forbidden: no PriorityClass with name nope was found"
    );

    let fallback = json!({"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
        "metadata": {"name": "fallback"}, "value": 42, "globalDefault": true, "preemptionPolicy": "Never"});
    let (status, body) = post(&state, CLASSES, fallback).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let plain = json!({"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
        "metadata": {"name": "plain"}, "value": 7});
    let (status, body) = post(&state, CLASSES, plain).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["preemptionPolicy"], "PreemptLowerPriority", "classes get the default policy");
    if let Some(cache) = &state.cache {
        assert!(cache.wait_current(std::time::Duration::from_secs(5)).await, "cache caught up");
    }
    let (status, defaulted) = post(&state, PODS, pod("d", json!({}))).await;
    assert_eq!(status, StatusCode::CREATED, "{defaulted}");
    assert_eq!(defaulted["spec"]["priorityClassName"], "fallback");
    assert_eq!(defaulted["spec"]["priority"], 42);
    assert_eq!(defaulted["spec"]["preemptionPolicy"], "Never");

    let (status, stated) = post(&state, PODS, pod("s", json!({"priority": 5}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{stated}");
    assert!(stated["message"].as_str().unwrap_or_default().contains("computed 42"), "{stated}");
}

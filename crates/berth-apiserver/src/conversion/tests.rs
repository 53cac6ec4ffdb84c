//! The HorizontalPodAutoscaler conversion, table-driven: what each version shows, round trips
//! in both directions, defaults, bad annotations, and the hook as the handlers use it.

use serde_json::{Value, json};

use super::hpa::{self, BEHAVIOR, CONDITIONS, CURRENT_METRICS, METRICS};
use crate::resources::find;

fn hpa_v2(spec: Value, status: Option<Value>) -> Value {
    let mut object = json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "web", "namespace": "default"}, "spec": spec});
    if let Some(status) = status {
        object["status"] = status;
    }
    object
}

fn target() -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"})
}

fn cpu(utilization: i64) -> Value {
    json!({"type": "Resource", "resource": {"name": "cpu",
        "target": {"type": "Utilization", "averageUtilization": utilization}}})
}

fn memory() -> Value {
    json!({"type": "Resource", "resource": {"name": "memory",
        "target": {"type": "AverageValue", "averageValue": "500Mi"}}})
}

fn to(version: &str, object: &Value) -> Value {
    let from = object["apiVersion"].as_str().and_then(|v| v.strip_prefix("autoscaling/"));
    let mut object = object.clone();
    hpa::convert(&mut object, from.unwrap_or("v2"), version).expect("converts");
    object["apiVersion"] = json!(format!("autoscaling/{version}"));
    object
}

fn annotation(object: &Value, key: &str) -> Option<Value> {
    let text = object.pointer("/metadata/annotations")?.get(key)?.as_str()?;
    Some(serde_json::from_str(text).expect("the annotation holds JSON"))
}

/// v2 objects as stored (defaults filled), each with what its v1 view must show.
fn v2_cases() -> Vec<(&'static str, Value, Value)> {
    let full_behavior = json!({
        "scaleUp": {"stabilizationWindowSeconds": 10, "selectPolicy": "Min",
            "policies": [{"type": "Pods", "value": 2, "periodSeconds": 30}]},
        "scaleDown": {"stabilizationWindowSeconds": 60, "selectPolicy": "Disabled",
            "policies": [{"type": "Percent", "value": 10, "periodSeconds": 60}]}});
    vec![
        (
            "cpu only: the percentage, no annotation",
            hpa_v2(
                json!({"scaleTargetRef": target(), "minReplicas": 1, "maxReplicas": 5,
                "metrics": [cpu(50)]}),
                None,
            ),
            json!({"spec": {"scaleTargetRef": target(), "minReplicas": 1, "maxReplicas": 5,
                "targetCPUUtilizationPercentage": 50}}),
        ),
        (
            "memory: in the metrics annotation, v1's shape",
            hpa_v2(
                json!({"scaleTargetRef": target(), "minReplicas": 2, "maxReplicas": 5,
                "metrics": [memory()]}),
                None,
            ),
            json!({"spec": {"scaleTargetRef": target(), "minReplicas": 2, "maxReplicas": 5},
                "metrics": [{"type": "Resource", "resource": {"name": "memory",
                    "targetAverageValue": "500Mi"}}]}),
        ),
        (
            "every source type and a status",
            hpa_v2(
                json!({"scaleTargetRef": target(), "minReplicas": 1, "maxReplicas": 9,
                "metrics": [
                    {"type": "Pods", "pods": {"metric": {"name": "qps", "selector": {"matchLabels": {"a": "b"}}},
                        "target": {"type": "AverageValue", "averageValue": "10"}}},
                    {"type": "Object", "object": {"describedObject": {"kind": "Ingress", "name": "in", "apiVersion": "networking.k8s.io/v1"},
                        "metric": {"name": "rps"}, "target": {"type": "Value", "value": "100"}}},
                    {"type": "Object", "object": {"describedObject": {"kind": "Service", "name": "s"},
                        "metric": {"name": "lag"}, "target": {"type": "AverageValue", "averageValue": "3"}}},
                    {"type": "External", "external": {"metric": {"name": "queue"},
                        "target": {"type": "AverageValue", "averageValue": "30"}}},
                    {"type": "External", "external": {"metric": {"name": "depth", "selector": {"matchLabels": {"q": "x"}}},
                        "target": {"type": "Value", "value": "7"}}},
                    {"type": "ContainerResource", "containerResource": {"name": "cpu", "container": "app",
                        "target": {"type": "Utilization", "averageUtilization": 60}}},
                    cpu(70),
                ]}),
                Some(json!({"currentReplicas": 3, "desiredReplicas": 4, "observedGeneration": 2,
                    "lastScaleTime": "2024-01-01T00:00:00Z",
                    "currentMetrics": [
                        {"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 65, "averageValue": "130m"}}},
                        {"type": "Pods", "pods": {"metric": {"name": "qps"}, "current": {"averageValue": "8"}}},
                        {"type": "External", "external": {"metric": {"name": "queue"}, "current": {"averageValue": "25", "value": "75"}}},
                    ],
                    "conditions": [{"type": "AbleToScale", "status": "True", "reason": "ReadyForNewScale",
                        "lastTransitionTime": "2024-01-01T00:00:00Z"}]})),
            ),
            json!({"spec": {"scaleTargetRef": target(), "minReplicas": 1, "maxReplicas": 9,
                "targetCPUUtilizationPercentage": 70},
            "status": {"currentReplicas": 3, "desiredReplicas": 4, "observedGeneration": 2,
                "lastScaleTime": "2024-01-01T00:00:00Z", "currentCPUUtilizationPercentage": 65},
            "metrics": [
                {"type": "Pods", "pods": {"metricName": "qps", "selector": {"matchLabels": {"a": "b"}}, "targetAverageValue": "10"}},
                {"type": "Object", "object": {"target": {"kind": "Ingress", "name": "in", "apiVersion": "networking.k8s.io/v1"},
                    "metricName": "rps", "targetValue": "100"}},
                {"type": "Object", "object": {"target": {"kind": "Service", "name": "s"}, "metricName": "lag", "averageValue": "3"}},
                {"type": "External", "external": {"metricName": "queue", "targetAverageValue": "30"}},
                {"type": "External", "external": {"metricName": "depth", "metricSelector": {"matchLabels": {"q": "x"}}, "targetValue": "7"}},
                {"type": "ContainerResource", "containerResource": {"name": "cpu", "container": "app", "targetAverageUtilization": 60}},
            ],
            "current": [
                {"type": "Resource", "resource": {"name": "cpu", "currentAverageUtilization": 65, "currentAverageValue": "130m"}},
                {"type": "Pods", "pods": {"metricName": "qps", "currentAverageValue": "8"}},
                {"type": "External", "external": {"metricName": "queue", "currentAverageValue": "25", "currentValue": "75"}},
            ]}),
        ),
        (
            "behavior: Go's field names",
            hpa_v2(
                json!({"scaleTargetRef": target(), "minReplicas": 1, "maxReplicas": 3,
                "metrics": [cpu(40)], "behavior": full_behavior}),
                None,
            ),
            json!({"spec": {"scaleTargetRef": target(), "minReplicas": 1, "maxReplicas": 3,
                    "targetCPUUtilizationPercentage": 40},
                "behavior": {
                    "ScaleUp": {"StabilizationWindowSeconds": 10, "SelectPolicy": "Min",
                        "Policies": [{"Type": "Pods", "Value": 2, "PeriodSeconds": 30}]},
                    "ScaleDown": {"StabilizationWindowSeconds": 60, "SelectPolicy": "Disabled",
                        "Policies": [{"Type": "Percent", "Value": 10, "PeriodSeconds": 60}]}}}),
        ),
    ]
}

#[test]
fn v1_shows_what_v2_holds_and_gives_it_back() {
    for (case, v2, expected) in v2_cases() {
        let v1 = to("v1", &v2);
        assert_eq!(v1["apiVersion"], "autoscaling/v1", "{case}");
        assert_eq!(v1["spec"], expected["spec"], "{case}");
        assert_eq!(v1.get("status"), expected.get("status"), "{case}");
        assert_eq!(annotation(&v1, METRICS).as_ref(), expected.get("metrics"), "{case}");
        assert_eq!(annotation(&v1, CURRENT_METRICS).as_ref(), expected.get("current"), "{case}");
        assert_eq!(annotation(&v1, BEHAVIOR).as_ref(), expected.get("behavior"), "{case}");
        assert_eq!(
            annotation(&v1, CONDITIONS),
            v2.pointer("/status/conditions").cloned(),
            "{case}"
        );
        // Back to v2: nothing lost (the CPU target stays last, where v1 puts it back).
        assert_eq!(to("v2", &v1), v2, "{case}");
        // And v1 again is the same v1 view.
        assert_eq!(to("v1", &to("v2", &v1)), v1, "{case}");
    }
}

#[test]
fn v1_objects_round_trip_through_v2() {
    let user = json!({"team": "web"});
    // (case, v1 object as a client writes it, expected v2 metrics)
    let cases = [
        (
            "a percentage and user annotations",
            json!({"metadata": {"name": "a", "annotations": user},
                "spec": {"scaleTargetRef": target(), "minReplicas": 1, "maxReplicas": 4,
                    "targetCPUUtilizationPercentage": 50}}),
            json!([cpu(50)]),
        ),
        (
            "a percentage and annotated metrics: the percentage goes last",
            json!({"metadata": {"name": "b", "annotations": {METRICS:
                    r#"[{"type":"Resource","resource":{"name":"memory","targetAverageValue":"1Gi"}}]"#}},
                "spec": {"scaleTargetRef": target(), "minReplicas": 1, "maxReplicas": 4,
                    "targetCPUUtilizationPercentage": 30},
                "status": {"currentReplicas": 1, "desiredReplicas": 1}}),
            json!([{"type": "Resource", "resource": {"name": "memory",
                "target": {"type": "AverageValue", "averageValue": "1Gi"}}}, cpu(30)]),
        ),
    ];
    for (case, written, metrics) in cases {
        let mut v1 = written.clone();
        v1["apiVersion"] = json!("autoscaling/v1");
        let v2 = to("v2", &v1);
        assert_eq!(v2["spec"]["metrics"], metrics, "{case}");
        assert_eq!(
            v2.pointer("/metadata/annotations/team"),
            v1.pointer("/metadata/annotations/team")
        );
        assert!(annotation(&v2, METRICS).is_none(), "{case}: v2 keeps no round-trip annotation");
        assert_eq!(to("v1", &v2), v1, "{case}");
    }
}

#[test]
fn v1_status_and_defaults_reach_v2() {
    // (case, v1 spec, v1 status, expected v2 spec fields, expected v2 current metrics)
    let cases = [
        (
            "no target: v2's default 80% CPU, minReplicas 1",
            json!({"scaleTargetRef": target(), "maxReplicas": 3}),
            None,
            json!({"scaleTargetRef": target(), "minReplicas": 1, "maxReplicas": 3, "metrics": [cpu(80)]}),
            None,
        ),
        (
            "current CPU utilization becomes a current metric",
            json!({"scaleTargetRef": target(), "minReplicas": 2, "maxReplicas": 3, "targetCPUUtilizationPercentage": 10}),
            Some(
                json!({"currentReplicas": 2, "desiredReplicas": 2, "currentCPUUtilizationPercentage": 12}),
            ),
            json!({"scaleTargetRef": target(), "minReplicas": 2, "maxReplicas": 3, "metrics": [cpu(10)]}),
            Some(
                json!([{"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 12}}}]),
            ),
        ),
    ];
    for (case, spec, status, expected_spec, current) in cases {
        let mut v1 =
            json!({"apiVersion": "autoscaling/v1", "metadata": {"name": "x"}, "spec": spec});
        if let Some(status) = status {
            v1["status"] = status;
        }
        let v2 = to("v2", &v1);
        assert_eq!(v2["spec"], expected_spec, "{case}");
        assert_eq!(v2.pointer("/status/currentMetrics").cloned(), current, "{case}");
    }
}

#[test]
fn v2_defaults_fill_a_behavior_that_is_there() {
    // (behavior as written, as stored)
    let cases = [
        (None, None),
        (
            Some(json!({"scaleDown": {"stabilizationWindowSeconds": 120}})),
            Some(json!({
                "scaleUp": {"stabilizationWindowSeconds": 0, "selectPolicy": "Max", "policies": [
                    {"type": "Pods", "value": 4, "periodSeconds": 15},
                    {"type": "Percent", "value": 100, "periodSeconds": 15}]},
                "scaleDown": {"stabilizationWindowSeconds": 120, "selectPolicy": "Max", "policies": [
                    {"type": "Percent", "value": 100, "periodSeconds": 15}]}})),
        ),
        (
            Some(json!({"scaleUp": {"selectPolicy": "Disabled"}, "scaleDown": {"policies": []}})),
            Some(json!({
                "scaleUp": {"stabilizationWindowSeconds": 0, "selectPolicy": "Disabled", "policies": [
                    {"type": "Pods", "value": 4, "periodSeconds": 15},
                    {"type": "Percent", "value": 100, "periodSeconds": 15}]},
                "scaleDown": {"selectPolicy": "Max", "policies": []}})),
        ),
    ];
    for (written, stored) in cases {
        let mut spec = json!({"scaleTargetRef": target(), "maxReplicas": 2, "metrics": [memory()]});
        if let Some(behavior) = written {
            spec["behavior"] = behavior;
        }
        let mut object = hpa_v2(spec, None);
        let map = object.as_object_mut().expect("object");
        hpa::set_defaults("v2", map);
        assert_eq!(object.pointer("/spec/behavior").cloned(), stored);
        assert_eq!(object["spec"]["minReplicas"], 1);
        assert_eq!(object["spec"]["metrics"], json!([memory()]));
    }
}

#[test]
fn behavior_annotations_decode_whatever_the_case() {
    let annotated = r#"{"scaleUp":{"stabilizationWindowSeconds":5,"policies":[{"type":"Pods","value":1,"periodSeconds":10}]},"ScaleDown":null}"#;
    let v1 = json!({"apiVersion": "autoscaling/v1", "metadata": {"name": "x", "annotations": {BEHAVIOR: annotated}},
        "spec": {"scaleTargetRef": target(), "maxReplicas": 2, "targetCPUUtilizationPercentage": 20}});
    let v2 = to("v2", &v1);
    assert_eq!(v2["spec"]["behavior"]["scaleUp"]["stabilizationWindowSeconds"], 5);
    assert_eq!(v2["spec"]["behavior"]["scaleUp"]["selectPolicy"], "Max");
    assert_eq!(
        v2["spec"]["behavior"]["scaleUp"]["policies"],
        json!([{"type": "Pods", "value": 1, "periodSeconds": 10}])
    );
    assert_eq!(v2["spec"]["behavior"]["scaleDown"]["policies"][0]["type"], "Percent");
    assert!(v2["metadata"].get("annotations").is_none(), "an emptied annotation map goes");
}

#[test]
fn a_damaged_annotation_is_refused_on_write_and_kept_on_read() {
    for (key, text) in
        [(METRICS, "not json"), (METRICS, "{}"), (CURRENT_METRICS, "[1"), (BEHAVIOR, "[]")]
    {
        let v1 = json!({"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "x", "annotations": {key: text}},
            "spec": {"scaleTargetRef": target(), "maxReplicas": 2}});
        let v1_def = find("autoscaling", "v1", "horizontalpodautoscalers").expect("v1");
        let error = super::to_storage(v1_def, &v1).expect_err("refused");
        assert_eq!(error.code, 400, "{key}: {}", error.message);
        assert!(error.message.contains(key), "{}", error.message);
        let v2_def = find("autoscaling", "v2", "horizontalpodautoscalers").expect("v2");
        let read = super::converted(v2_def, v1.clone());
        assert_eq!(read["apiVersion"], "autoscaling/v2");
        assert_eq!(read["metadata"], v1["metadata"], "{key}: the damaged annotation stays");
        assert_eq!(read["spec"], v1["spec"]);
    }
}

#[test]
fn the_hook_stores_v2_and_reads_any_version() {
    let v1_def = find("autoscaling", "v1", "horizontalpodautoscalers").expect("v1");
    let v2_def = find("autoscaling", "v2", "horizontalpodautoscalers").expect("v2");
    assert!(super::needs_conversion(v1_def) && super::needs_conversion(v2_def));
    assert_eq!(super::storage_api_version(v1_def), "autoscaling/v2");
    let written = json!({"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "x"}, "spec": {"scaleTargetRef": target(), "maxReplicas": 2,
        "targetCPUUtilizationPercentage": 50}});
    let stored = super::to_storage(v1_def, &written).expect("stores").into_owned();
    assert_eq!(stored["apiVersion"], "autoscaling/v2");
    assert_eq!(stored["spec"]["metrics"], json!([cpu(50)]));
    // Stored as v1 by an older berth: read through either version by its apiVersion.
    assert_eq!(super::converted(v2_def, written.clone())["spec"]["metrics"], json!([cpu(50)]));
    assert_eq!(super::converted(v1_def, written.clone())["spec"], written["spec"]);
    assert_eq!(super::converted(v1_def, stored)["spec"]["targetCPUUtilizationPercentage"], 50);
    // Raw list items: only those in another version are parsed and rewritten.
    let mut items = vec![bytes::Bytes::from(serde_json::to_vec(&written).expect("json"))];
    super::convert_raw(v2_def, &mut items);
    let item: Value = serde_json::from_slice(&items[0]).expect("json");
    assert_eq!(item["apiVersion"], "autoscaling/v2");
    // Other kinds pass untouched.
    let pods = find("", "v1", "pods").expect("pods");
    assert!(!super::needs_conversion(pods));
    let pod = json!({"apiVersion": "v1", "kind": "Pod"});
    assert!(matches!(super::to_storage(pods, &pod), Ok(std::borrow::Cow::Borrowed(_))));
}

#[test]
fn status_annotations_follow_the_status() {
    let def = find("autoscaling", "v1", "horizontalpodautoscalers").expect("v1");
    let stored = json!({"metadata": {"annotations": {CONDITIONS: "[]", CURRENT_METRICS: "[]", METRICS: "[]"}}});
    // (annotations written, annotations kept)
    let cases = [
        (json!({"team": "a"}), json!({"team": "a", CONDITIONS: "[]", CURRENT_METRICS: "[]"})),
        (
            json!({CONDITIONS: "[1]", "x": "y"}),
            json!({"x": "y", CONDITIONS: "[]", CURRENT_METRICS: "[]"}),
        ),
    ];
    for (written, kept) in cases {
        let mut next = json!({"metadata": {"annotations": written}});
        super::keep_status_annotations(def, &stored, &mut next);
        assert_eq!(next["metadata"]["annotations"], kept);
    }
    let mut next = json!({"metadata": {"annotations": {CONDITIONS: "[]"}}});
    super::keep_status_annotations(def, &json!({"metadata": {}}), &mut next);
    assert!(next["metadata"].get("annotations").is_none());
}

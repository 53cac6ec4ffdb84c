//! Table-driven checks of [`super::validate`], with Kubernetes' fields and wording.

use serde_json::json;

use super::*;

fn hpa(spec: Value) -> Value {
    let mut base = json!({
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
        "minReplicas": 1,
        "maxReplicas": 5,
        "metrics": [{"type": "Resource", "resource": {"name": "cpu",
            "target": {"type": "Utilization", "averageUtilization": 80}}}],
    });
    for (key, value) in spec.as_object().cloned().unwrap_or_default() {
        base[key.as_str()] = value;
    }
    json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "web"}, "spec": base})
}

fn causes(version: &str, object: &Value, old: Option<&Value>) -> Vec<(String, String)> {
    let mut causes = Vec::new();
    validate(version, object, old, &mut causes);
    causes.into_iter().map(|c| (c.field, c.message)).collect()
}

fn one(field: &str, message: &str) -> Vec<(String, String)> {
    vec![(field.to_owned(), message.to_owned())]
}

#[test]
fn v2_specs_are_checked_field_by_field() {
    let cpu = |target: Value| json!([{"type": "Resource", "resource": {"name": "cpu", "target": target}}]);
    let cases = [
        (json!({}), vec![]),
        (
            json!({"minReplicas": 0}),
            one("spec.minReplicas", "Invalid value: 0: must be greater than or equal to 1"),
        ),
        (
            json!({"maxReplicas": 0, "minReplicas": null}),
            one("spec.maxReplicas", "Invalid value: 0: must be greater than 0"),
        ),
        (
            json!({"minReplicas": 3, "maxReplicas": 2}),
            one(
                "spec.maxReplicas",
                "Invalid value: 2: must be greater than or equal to `minReplicas`",
            ),
        ),
        (
            json!({"scaleTargetRef": {"name": "web"}}),
            one("spec.scaleTargetRef.kind", "Required value"),
        ),
        (
            json!({"scaleTargetRef": {"kind": "Deployment", "name": "a/b"}}),
            one("spec.scaleTargetRef.name", r#"Invalid value: "a/b": may not contain '/'"#),
        ),
        (
            json!({"metrics": cpu(json!({"type": "Utilization", "averageUtilization": 0}))}),
            one(
                "spec.metrics[0].resource.target.averageUtilization",
                "Invalid value: 0: must be greater than 0",
            ),
        ),
        (
            json!({"metrics": cpu(json!({"type": "AverageValue", "averageValue": "-1"}))}),
            one(
                "spec.metrics[0].resource.target.averageValue",
                r#"Invalid value: "-1": must be positive"#,
            ),
        ),
        (
            json!({"metrics": [{"type": "Pods", "pods": {"metric": {"name": "qps"}, "target": {"type": "AverageValue"}}}]}),
            one(
                "spec.metrics[0].pods.target.averageValue",
                "Required value: must specify a positive target averageValue",
            ),
        ),
        (
            json!({"metrics": [{"type": "Resource"}]}),
            one(
                "spec.metrics[0].resource",
                "Required value: must populate information for the given metric source",
            ),
        ),
        (
            json!({"metrics": [{"type": "Bogus", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}]}),
            one(
                "spec.metrics[0].type",
                r#"Unsupported value: "Bogus": supported values: "ContainerResource", "External", "Object", "Pods", "Resource""#,
            ),
        ),
        (
            json!({"behavior": {"scaleUp": {"stabilizationWindowSeconds": 4000, "policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}]}}}),
            one(
                "spec.behavior.scaleUp.stabilizationWindowSeconds",
                "Invalid value: 4000: must be less than or equal to 3600",
            ),
        ),
    ];
    for (spec, expected) in cases {
        assert_eq!(causes("v2", &hpa(spec.clone()), None), expected, "{spec}");
    }
}

#[test]
fn metrics_without_a_type_or_target_name_every_missing_field() {
    let object = hpa(json!({"metrics": [{"resource": {"name": "cpu"}}]}));
    let fields: Vec<String> = causes("v2", &object, None).into_iter().map(|(f, _)| f).collect();
    assert_eq!(
        fields,
        [
            "spec.metrics[0].type",
            "spec.metrics[0].type",
            "spec.metrics[0].resource.target.type",
            "spec.metrics[0].resource.target.type",
            "spec.metrics[0].resource.target.averageUtilization",
        ]
    );
}

#[test]
fn v1_is_checked_as_its_v2_form() {
    let v1 = |percent: i64| {
        json!({"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "web"},
            "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web"}, "minReplicas": 1,
                "maxReplicas": 3, "targetCPUUtilizationPercentage": percent}})
    };
    assert_eq!(causes("v1", &v1(50), None), vec![]);
    assert_eq!(
        causes("v1", &v1(0), None),
        one(
            "spec.metrics[0].resource.target.averageUtilization",
            "Invalid value: 0: must be greater than 0"
        )
    );
}

#[test]
fn updates_keep_what_the_stored_object_allowed() {
    let zero = hpa(json!({"minReplicas": 0}));
    // The spec unchanged (a status write): not refused.
    assert_eq!(causes("v2", &zero, Some(&zero)), vec![]);
    // minReplicas 0 stays allowed once stored, with an Object or External metric.
    let mut changed = zero.clone();
    changed["spec"]["maxReplicas"] = json!(4);
    assert_eq!(
        causes("v2", &changed, Some(&zero)),
        one(
            "spec.metrics",
            "Forbidden: must specify at least one Object or External metric to support scaling to zero replicas"
        )
    );
}

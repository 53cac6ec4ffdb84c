//! HorizontalPodAutoscaler between `autoscaling/v1` and `autoscaling/v2`, stored as v2, the
//! way kube-apiserver converts it.
//!
//! v1 has one CPU utilization target (`spec.targetCPUUtilizationPercentage`) where v2 has a
//! list of metrics, and one current CPU utilization where v2 has current metrics and
//! conditions. v1 shows v2's first CPU utilization target as its percentage and the last
//! current CPU utilization as its current one; everything else v2 has rides in annotations of
//! the v1 object ([`METRICS`], [`CURRENT_METRICS`], [`CONDITIONS`], [`BEHAVIOR`]) and comes
//! back from them, so a v1 client that reads, changes and writes an object loses nothing.
//! v1's CPU target comes back as the last metric. A v1 object without any metric gets v2's
//! default, 80% CPU utilization; [`set_defaults`] has the rest of v2's defaults.

use serde_json::{Map, Value, json};

use super::ConversionError;
use super::hpa_metrics::{self as metrics};

/// The v2 metric specs v1 cannot show, in v1's metric shape (JSON text).
pub const METRICS: &str = "autoscaling.alpha.kubernetes.io/metrics";
/// Every v2 current metric, in v1's metric status shape.
pub const CURRENT_METRICS: &str = "autoscaling.alpha.kubernetes.io/current-metrics";
/// v2's `status.conditions`.
pub const CONDITIONS: &str = "autoscaling.alpha.kubernetes.io/conditions";
/// v2's `spec.behavior`, with Go's field names.
pub const BEHAVIOR: &str = "autoscaling.alpha.kubernetes.io/behavior";

/// The annotations that stand for v2 fields; v2 objects never keep them.
const ROUND_TRIP: [&str; 4] = [METRICS, CURRENT_METRICS, CONDITIONS, BEHAVIOR];

/// The annotations that stand for status fields.
pub const STATUS_ANNOTATIONS: &[&str] = &[CURRENT_METRICS, CONDITIONS];

/// The CPU utilization target of an autoscaler that names no metric.
pub const DEFAULT_CPU_UTILIZATION: i64 = 80;

/// The [`super::ConvertFn`] of HorizontalPodAutoscalers: through v2 from any version to any.
pub fn convert(object: &mut Value, from: &str, to: &str) -> Result<(), ConversionError> {
    if from == "v1" {
        v1_to_v2(object)?;
    } else {
        drop_round_trip(object);
    }
    if let Some(map) = object.as_object_mut() {
        set_defaults("v2", map);
    }
    if to == "v1" {
        v2_to_v1(object);
    }
    Ok(())
}

/// Kubernetes' defaults of a version: `minReplicas` 1 in both; in v2 also a CPU utilization
/// metric when there is none, and every unset field of a `behavior` that is there.
pub fn set_defaults(version: &str, object: &mut Map<String, Value>) {
    let Some(spec) = object.get_mut("spec").and_then(Value::as_object_mut) else { return };
    if spec.get("minReplicas").is_none_or(Value::is_null) {
        spec.insert("minReplicas".into(), json!(1));
    }
    if version != "v2" {
        return;
    }
    if spec.get("metrics").and_then(Value::as_array).is_none_or(Vec::is_empty) {
        spec.insert("metrics".into(), json!([cpu_target(&json!(DEFAULT_CPU_UTILIZATION))]));
    }
    if let Some(behavior) = spec.get_mut("behavior").and_then(Value::as_object_mut) {
        let scale_up = json!({"stabilizationWindowSeconds": 0, "selectPolicy": "Max", "policies": [
            {"type": "Pods", "value": 4, "periodSeconds": 15},
            {"type": "Percent", "value": 100, "periodSeconds": 15},
        ]});
        // No stabilization window: the controller's flag decides it.
        let scale_down = json!({"selectPolicy": "Max", "policies": [
            {"type": "Percent", "value": 100, "periodSeconds": 15},
        ]});
        for (field, defaults) in [("scaleUp", scale_up), ("scaleDown", scale_down)] {
            let rules = crate::meta::child(behavior, field);
            if let Value::Object(defaults) = defaults {
                for (key, value) in defaults {
                    if rules.get(&key).is_none_or(Value::is_null) {
                        rules.insert(key, value);
                    }
                }
            }
        }
    }
}

/// `{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization}}}`
fn cpu_target(utilization: &Value) -> Value {
    json!({"type": "Resource", "resource": {"name": "cpu",
        "target": {"type": "Utilization", "averageUtilization": utilization}}})
}

fn is_cpu(metric: &Value) -> bool {
    metric.get("type").and_then(Value::as_str) == Some("Resource")
        && metric.pointer("/resource/name").and_then(Value::as_str) == Some("cpu")
}

/// The non-null value at `pointer`.
fn present<'a>(value: &'a Value, pointer: &str) -> Option<&'a Value> {
    value.pointer(pointer).filter(|v| !v.is_null())
}

/// Copies the present `fields` of `from` into `to`.
fn copy(from: &Value, to: &mut Map<String, Value>, fields: &[&str]) {
    for field in fields {
        if let Some(value) = from.get(*field).filter(|v| !v.is_null()) {
            to.insert((*field).to_owned(), value.clone());
        }
    }
}

const SPEC_FIELDS: [&str; 3] = ["scaleTargetRef", "minReplicas", "maxReplicas"];
const STATUS_FIELDS: [&str; 4] =
    ["observedGeneration", "lastScaleTime", "currentReplicas", "desiredReplicas"];

/// Removes the round-trip annotations (and an annotation map they leave empty).
fn drop_round_trip(object: &mut Value) {
    let Some(meta) = crate::meta::metadata_mut(object) else { return };
    let Some(annotations) = meta.get_mut("annotations").and_then(Value::as_object_mut) else {
        return;
    };
    let before = annotations.len();
    annotations.retain(|key, _| !ROUND_TRIP.contains(&key.as_str()));
    if annotations.is_empty() && before > 0 {
        meta.remove("annotations");
    }
}

/// The JSON an annotation holds.
fn parse(
    annotations: &Map<String, Value>,
    key: &'static str,
) -> Result<Option<Value>, ConversionError> {
    let Some(raw) = annotations.get(key) else { return Ok(None) };
    let error = |message: String| ConversionError::Annotation { annotation: key, message };
    let text = raw.as_str().ok_or_else(|| error("not a string".into()))?;
    let value: Value = serde_json::from_str(text).map_err(|e| error(e.to_string()))?;
    let (fits, shape) = match key {
        BEHAVIOR => (value.is_object(), "an object"),
        _ => (value.is_array(), "a list"),
    };
    if !fits {
        return Err(error(format!("must hold {shape} in JSON")));
    }
    Ok(Some(value))
}

fn list(value: Option<Value>) -> Vec<Value> {
    match value {
        Some(Value::Array(items)) => items,
        _ => Vec::new(),
    }
}

fn v1_to_v2(object: &mut Value) -> Result<(), ConversionError> {
    // Parsed before anything changes: an object that does not convert stays as it was.
    let annotations = object
        .pointer("/metadata/annotations")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let annotated_metrics = parse(&annotations, METRICS)?;
    let current_metrics = parse(&annotations, CURRENT_METRICS)?;
    let conditions = parse(&annotations, CONDITIONS)?;
    let behavior = parse(&annotations, BEHAVIOR)?;
    drop_round_trip(object);
    let Some(map) = object.as_object_mut() else { return Ok(()) };

    let v1 = map.remove("spec").unwrap_or(Value::Null);
    let mut spec = Map::new();
    copy(&v1, &mut spec, &SPEC_FIELDS);
    let mut all: Vec<Value> = list(annotated_metrics).iter().map(metrics::spec_from_v1).collect();
    if let Some(cpu) = present(&v1, "/targetCPUUtilizationPercentage") {
        all.push(cpu_target(cpu));
    }
    spec.insert("metrics".into(), Value::Array(all));
    if let Some(behavior) = behavior {
        spec.insert("behavior".into(), metrics::behavior_from_annotation(&behavior));
    }
    map.insert("spec".into(), Value::Object(spec));

    let v1 = map.remove("status");
    if v1.is_none() && current_metrics.is_none() && conditions.is_none() {
        return Ok(());
    }
    let v1 = v1.unwrap_or(Value::Null);
    let mut status = Map::new();
    copy(&v1, &mut status, &STATUS_FIELDS);
    // The annotation holds every current metric, the CPU utilization among them.
    let current = match (current_metrics, present(&v1, "/currentCPUUtilizationPercentage")) {
        (Some(annotated), _) => list(Some(annotated)).iter().map(metrics::status_from_v1).collect(),
        (None, Some(cpu)) => vec![json!({"type": "Resource", "resource": {"name": "cpu",
            "current": {"averageUtilization": cpu}}})],
        (None, None) => Vec::new(),
    };
    if !current.is_empty() {
        status.insert("currentMetrics".into(), Value::Array(current));
    }
    if let Some(conditions) = conditions {
        status.insert("conditions".into(), conditions);
    }
    map.insert("status".into(), Value::Object(status));
    Ok(())
}

fn v2_to_v1(object: &mut Value) {
    let Some(map) = object.as_object_mut() else { return };
    let mut annotations = Map::new();
    let v2 = map.remove("spec").unwrap_or(Value::Null);
    let mut spec = Map::new();
    copy(&v2, &mut spec, &SPEC_FIELDS);
    let all = v2.get("metrics").and_then(Value::as_array).cloned().unwrap_or_default();
    if let Some(cpu) = all.iter().find(|m| is_cpu(m))
        && let Some(utilization) = present(cpu, "/resource/target/averageUtilization")
    {
        spec.insert("targetCPUUtilizationPercentage".into(), utilization.clone());
    }
    let others: Vec<Value> = all
        .iter()
        .filter(|m| !(is_cpu(m) && present(m, "/resource/target/averageUtilization").is_some()))
        .map(metrics::spec_to_v1)
        .collect();
    if !others.is_empty() {
        annotations.insert(METRICS.into(), json!(Value::Array(others).to_string()));
    }
    if let Some(behavior) = present(&v2, "/behavior") {
        let encoded = metrics::behavior_to_annotation(behavior).to_string();
        annotations.insert(BEHAVIOR.into(), json!(encoded));
    }
    map.insert("spec".into(), Value::Object(spec));

    if let Some(v2) = map.remove("status") {
        let mut status = Map::new();
        copy(&v2, &mut status, &STATUS_FIELDS);
        let current =
            v2.get("currentMetrics").and_then(Value::as_array).cloned().unwrap_or_default();
        let cpu = current
            .iter()
            .filter(|m| is_cpu(m))
            .filter_map(|m| present(m, "/resource/current/averageUtilization"))
            .next_back();
        if let Some(cpu) = cpu {
            status.insert("currentCPUUtilizationPercentage".into(), cpu.clone());
        }
        if !current.is_empty() {
            let shaped: Vec<Value> = current.iter().map(metrics::status_to_v1).collect();
            annotations.insert(CURRENT_METRICS.into(), json!(Value::Array(shaped).to_string()));
        }
        if let Some(conditions) =
            v2.get("conditions").and_then(Value::as_array).filter(|c| !c.is_empty())
        {
            let text = Value::Array(conditions.clone()).to_string();
            annotations.insert(CONDITIONS.into(), json!(text));
        }
        map.insert("status".into(), Value::Object(status));
    }

    if annotations.is_empty() {
        return;
    }
    let Some(meta) = crate::meta::metadata_mut(object) else { return };
    crate::meta::child(meta, "annotations").extend(annotations);
}

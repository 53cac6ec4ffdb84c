//! The pieces of a HorizontalPodAutoscaler that autoscaling/v1 keeps in annotations, in the
//! shapes Kubernetes writes there: metric specs and statuses in v1's own (older) shape
//! (`resource.targetAverageUtilization` where v2 has `resource.target.averageUtilization`),
//! and the scaling behavior with Go's field names (`ScaleUp`, `Policies`, …), as
//! kube-apiserver encodes it. One table per direction-free mapping: each metric source lists
//! its v1 field and the v2 path it stands for.

use serde_json::{Map, Value, json};

/// A metric source of one `type`: the field holding it, and v1 field → v2 path pairs.
struct Source {
    kind: &'static str,
    field: &'static str,
    fields: &'static [(&'static str, &'static str)],
}

/// `MetricSpec` sources. The target's `type` (which v1 does not have) comes from [`target_type`].
const SPECS: &[Source] = &[
    Source {
        kind: "Resource",
        field: "resource",
        fields: &[
            ("name", "/name"),
            ("targetAverageUtilization", "/target/averageUtilization"),
            ("targetAverageValue", "/target/averageValue"),
        ],
    },
    Source {
        kind: "ContainerResource",
        field: "containerResource",
        fields: &[
            ("name", "/name"),
            ("container", "/container"),
            ("targetAverageUtilization", "/target/averageUtilization"),
            ("targetAverageValue", "/target/averageValue"),
        ],
    },
    Source {
        kind: "Pods",
        field: "pods",
        fields: &[
            ("metricName", "/metric/name"),
            ("selector", "/metric/selector"),
            ("targetAverageValue", "/target/averageValue"),
        ],
    },
    Source {
        kind: "Object",
        field: "object",
        fields: &[
            ("target", "/describedObject"),
            ("metricName", "/metric/name"),
            ("selector", "/metric/selector"),
            ("targetValue", "/target/value"),
            ("averageValue", "/target/averageValue"),
        ],
    },
    Source {
        kind: "External",
        field: "external",
        fields: &[
            ("metricName", "/metric/name"),
            ("metricSelector", "/metric/selector"),
            ("targetValue", "/target/value"),
            ("targetAverageValue", "/target/averageValue"),
        ],
    },
];

/// `MetricStatus` sources.
const STATUSES: &[Source] = &[
    Source {
        kind: "Resource",
        field: "resource",
        fields: &[
            ("name", "/name"),
            ("currentAverageUtilization", "/current/averageUtilization"),
            ("currentAverageValue", "/current/averageValue"),
        ],
    },
    Source {
        kind: "ContainerResource",
        field: "containerResource",
        fields: &[
            ("name", "/name"),
            ("container", "/container"),
            ("currentAverageUtilization", "/current/averageUtilization"),
            ("currentAverageValue", "/current/averageValue"),
        ],
    },
    Source {
        kind: "Pods",
        field: "pods",
        fields: &[
            ("metricName", "/metric/name"),
            ("selector", "/metric/selector"),
            ("currentAverageValue", "/current/averageValue"),
        ],
    },
    Source {
        kind: "Object",
        field: "object",
        fields: &[
            ("target", "/describedObject"),
            ("metricName", "/metric/name"),
            ("selector", "/metric/selector"),
            ("currentValue", "/current/value"),
            ("averageValue", "/current/averageValue"),
        ],
    },
    Source {
        kind: "External",
        field: "external",
        fields: &[
            ("metricName", "/metric/name"),
            ("metricSelector", "/metric/selector"),
            ("currentValue", "/current/value"),
            ("currentAverageValue", "/current/averageValue"),
        ],
    },
];

/// The v2 target type a v1 metric spec implies, as Kubernetes decides it.
fn target_type(kind: &str, v1: &Map<String, Value>) -> &'static str {
    let has = |field: &str| v1.get(field).is_some_and(|v| !v.is_null());
    match kind {
        "Resource" | "ContainerResource" if has("targetAverageUtilization") => "Utilization",
        "Object" if !has("averageValue") => "Value",
        "External" if has("targetValue") => "Value",
        _ => "AverageValue",
    }
}

/// A v2 metric spec in v1's shape; a type this table does not know is kept as it is.
pub fn spec_to_v1(metric: &Value) -> Value {
    to_v1(SPECS, metric)
}

/// A v1 metric spec (from the annotation) in v2's shape.
pub fn spec_from_v1(metric: &Value) -> Value {
    let mut v2 = from_v1(SPECS, metric);
    let kind = metric.get("type").and_then(Value::as_str).unwrap_or_default();
    if let Some(source) = SPECS.iter().find(|s| s.kind == kind)
        && let Some(v1) = metric.get(source.field).and_then(Value::as_object)
        && let Some(inner) = v2.get_mut(source.field)
    {
        set_path(inner, "/target/type", json!(target_type(kind, v1)));
    }
    v2
}

/// A v2 metric status in v1's shape.
pub fn status_to_v1(metric: &Value) -> Value {
    to_v1(STATUSES, metric)
}

/// A v1 metric status (from the annotation) in v2's shape.
pub fn status_from_v1(metric: &Value) -> Value {
    from_v1(STATUSES, metric)
}

fn to_v1(sources: &[Source], metric: &Value) -> Value {
    let kind = metric.get("type").and_then(Value::as_str).unwrap_or_default();
    let Some(source) = sources.iter().find(|s| s.kind == kind) else { return metric.clone() };
    let v2 = metric.get(source.field).unwrap_or(&Value::Null);
    let mut v1 = Map::new();
    for (field, path) in source.fields {
        if let Some(value) = v2.pointer(path).filter(|v| !v.is_null()) {
            v1.insert((*field).to_owned(), value.clone());
        }
    }
    json!({"type": kind, source.field: v1})
}

fn from_v1(sources: &[Source], metric: &Value) -> Value {
    let kind = metric.get("type").and_then(Value::as_str).unwrap_or_default();
    let Some(source) = sources.iter().find(|s| s.kind == kind) else { return metric.clone() };
    let v1 = metric.get(source.field).unwrap_or(&Value::Null);
    let mut v2 = json!({});
    for (field, path) in source.fields {
        if let Some(value) = v1.get(*field).filter(|v| !v.is_null()) {
            set_path(&mut v2, path, value.clone());
        }
    }
    json!({"type": kind, source.field: v2})
}

/// Sets the value at a JSON pointer of plain field names, creating the objects on the way.
fn set_path(target: &mut Value, path: &str, value: Value) {
    let mut at = target;
    let mut segments = path.trim_start_matches('/').split('/').peekable();
    while let Some(segment) = segments.next() {
        if !at.is_object() {
            *at = json!({});
        }
        let Value::Object(map) = at else { return };
        if segments.peek().is_none() {
            map.insert(segment.to_owned(), value);
            return;
        }
        at = map.entry(segment).or_insert_with(|| json!({}));
    }
}

/// The Go field names of the scaling behavior, against the JSON ones.
const BEHAVIOR_FIELDS: [(&str, &str); 2] = [("ScaleUp", "scaleUp"), ("ScaleDown", "scaleDown")];
const RULE_FIELDS: [(&str, &str); 4] = [
    ("StabilizationWindowSeconds", "stabilizationWindowSeconds"),
    ("SelectPolicy", "selectPolicy"),
    ("Policies", "policies"),
    ("Tolerance", "tolerance"),
];
const POLICY_FIELDS: [(&str, &str); 3] =
    [("Type", "type"), ("Value", "value"), ("PeriodSeconds", "periodSeconds")];

/// `spec.behavior` as the annotation holds it: Go's field names, absent values as `null`
/// (`Tolerance` only when set, as versions before it did not have it).
pub fn behavior_to_annotation(behavior: &Value) -> Value {
    let rules = |rules: Option<&Value>| -> Value {
        let Some(rules) = rules.filter(|r| r.is_object()) else { return Value::Null };
        let mut out = Map::new();
        for (go, field) in RULE_FIELDS {
            let value = rules.get(field).cloned().unwrap_or(Value::Null);
            let value = match (field, value) {
                ("policies", Value::Array(policies)) => {
                    Value::Array(policies.iter().map(|p| rename(p, &POLICY_FIELDS, true)).collect())
                }
                ("tolerance", Value::Null) => continue,
                (_, value) => value,
            };
            out.insert(go.to_owned(), value);
        }
        Value::Object(out)
    };
    let mut out = Map::new();
    for (go, field) in BEHAVIOR_FIELDS {
        out.insert(go.to_owned(), rules(behavior.get(field)));
    }
    Value::Object(out)
}

/// The annotation back as `spec.behavior`. Names match without regard to case, as Go's JSON
/// decoder matches them; `null`s are absent fields.
pub fn behavior_from_annotation(annotation: &Value) -> Value {
    let mut out = Map::new();
    for (go, field) in BEHAVIOR_FIELDS {
        let Some(rules) = get_folded(annotation, go).filter(|r| r.is_object()) else { continue };
        let mut converted = Map::new();
        for (go, name) in RULE_FIELDS {
            let value = match get_folded(rules, go) {
                Some(Value::Array(policies)) if name == "policies" => Value::Array(
                    policies.iter().map(|p| rename(p, &POLICY_FIELDS, false)).collect(),
                ),
                Some(value) if !value.is_null() => value.clone(),
                _ => continue,
            };
            converted.insert(name.to_owned(), value);
        }
        out.insert(field.to_owned(), Value::Object(converted));
    }
    Value::Object(out)
}

/// A field by name, ignoring ASCII case.
fn get_folded<'a>(object: &'a Value, name: &str) -> Option<&'a Value> {
    let map = object.as_object()?;
    map.get(name).or_else(|| map.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v))
}

/// An object with its fields renamed (`to_go`: JSON names to Go names, else back).
fn rename(object: &Value, names: &[(&str, &str)], to_go: bool) -> Value {
    let mut out = Map::new();
    for (go, field) in names {
        let (from, to) = if to_go { (*field, *go) } else { (*go, *field) };
        let value = if to_go { object.get(from) } else { get_folded(object, from) };
        if let Some(value) = value.filter(|v| !v.is_null()) {
            out.insert(to.to_owned(), value.clone());
        }
    }
    Value::Object(out)
}

//! Validation of HorizontalPodAutoscalers, with kube-apiserver's rules and wording.
//!
//! [`validate`] is called by [`crate::defaults::validate`] after defaults. Like Kubernetes,
//! which validates its internal (v2-shaped) object whatever version was sent, an
//! `autoscaling/v1` object is first converted to v2 ([`crate::conversion::hpa`]): a v1
//! `targetCPUUtilizationPercentage: 0` is refused as the CPU metric's
//! `spec.metrics[0].resource.target.averageUtilization`, as kube-apiserver refuses it.
//! The `HPAScaleToZero` gate is off: `minReplicas` must be at least 1, unless the stored
//! object already has 0 (an update keeps what an older gate allowed). Status writes are not
//! refused for the spec, which they cannot change.

use serde_json::Value;

use crate::status::Cause;

/// The metric source types, sorted as Kubernetes lists them, with the field each fills.
const SOURCES: &[(&str, &str)] = &[
    ("ContainerResource", "containerResource"),
    ("External", "external"),
    ("Object", "object"),
    ("Pods", "pods"),
    ("Resource", "resource"),
];

/// The order in which Kubernetes looks at the metric source fields; only the first present
/// one is validated.
const SOURCE_ORDER: &[&str] = &["object", "external", "pods", "resource", "containerResource"];

const MAX_STABILIZATION_WINDOW_SECONDS: i64 = 3600;
const MAX_PERIOD_SECONDS: i64 = 1800;

/// Adds to `causes` what is wrong with `object` (an HPA in `version`; `old`: the stored one).
/// A write that leaves the spec as stored (a status update, a label) is not refused for it.
pub fn validate(version: &str, object: &Value, old: Option<&Value>, causes: &mut Vec<Cause>) {
    if old.is_some_and(|old| old.get("spec") == object.get("spec")) {
        return;
    }
    let mut converted;
    let object = if version == "v1" {
        converted = object.clone();
        // An annotation that does not parse is refused (400) when the object is stored.
        if crate::conversion::hpa::convert(&mut converted, "v1", "v2").is_err() {
            return;
        }
        &converted
    } else {
        object
    };
    let spec = object.get("spec").unwrap_or(&Value::Null);
    let old_min = old.and_then(|o| o.pointer("/spec/minReplicas")).and_then(Value::as_i64);
    let lowest = if old_min == Some(0) { 0 } else { 1 };
    let mut check = Check { causes };
    let min = spec.get("minReplicas").and_then(Value::as_i64);
    let max = spec.get("maxReplicas").and_then(Value::as_i64).unwrap_or(0);
    if let Some(min) = min.filter(|&m| m < lowest) {
        let detail = format!("must be greater than or equal to {lowest}");
        check.invalid("spec.minReplicas", min, &detail);
    }
    if max < 1 {
        check.invalid("spec.maxReplicas", max, "must be greater than 0");
    }
    if min.is_some_and(|min| max < min) {
        check.invalid("spec.maxReplicas", max, "must be greater than or equal to `minReplicas`");
    }
    check.reference(spec.get("scaleTargetRef"), "spec.scaleTargetRef");
    let metrics = spec.get("metrics").and_then(Value::as_array).map(Vec::as_slice);
    let metrics = metrics.unwrap_or_default();
    for (i, metric) in metrics.iter().enumerate() {
        check.metric(metric, &format!("spec.metrics[{i}]"));
    }
    let scales_by = |kind: &str| metrics.iter().any(|m| text(m, "type") == kind);
    if min == Some(0) && lowest == 0 && !scales_by("Object") && !scales_by("External") {
        check.forbidden(
            "spec.metrics",
            "must specify at least one Object or External metric to support scaling to zero replicas",
        );
    }
    if let Some(behavior) = spec.get("behavior").filter(|b| b.is_object()) {
        for direction in ["scaleUp", "scaleDown"] {
            if let Some(rules) = behavior.get(direction).filter(|r| r.is_object()) {
                check.rules(rules, &format!("spec.behavior.{direction}"));
            }
        }
    }
}

/// The string at `field` of `value`, `""` when missing (Go's zero value).
fn text<'v>(value: &'v Value, field: &str) -> &'v str {
    value.get(field).and_then(Value::as_str).unwrap_or_default()
}

/// The causes being gathered, with one method per kind of Kubernetes field error.
struct Check<'c> {
    causes: &'c mut Vec<Cause>,
}

impl Check<'_> {
    fn push(&mut self, kind: &'static str, field: &str, message: String) {
        self.causes.push(Cause { kind, field: field.to_owned(), message });
    }

    fn required(&mut self, field: &str, detail: &str) {
        let message = match detail {
            "" => "Required value".to_owned(),
            _ => format!("Required value: {detail}"),
        };
        self.push("FieldValueRequired", field, message);
    }

    fn invalid(&mut self, field: &str, value: impl Into<Value>, detail: &str) {
        let message = format!("Invalid value: {}: {detail}", value.into());
        self.push("FieldValueInvalid", field, message);
    }

    fn not_supported(&mut self, field: &str, value: &str, supported: &[&str]) {
        let listed: Vec<String> = supported.iter().map(|s| format!("{s:?}")).collect();
        let message =
            format!("Unsupported value: {value:?}: supported values: {}", listed.join(", "));
        self.push("FieldValueNotSupported", field, message);
    }

    fn forbidden(&mut self, field: &str, detail: &str) {
        self.push("FieldValueForbidden", field, format!("Forbidden: {detail}"));
    }

    /// A `CrossVersionObjectReference`: `kind` and `name` required, each a path segment.
    fn reference(&mut self, reference: Option<&Value>, at: &str) {
        let reference = reference.unwrap_or(&Value::Null);
        for field in ["kind", "name"] {
            self.segment(text(reference, field), &format!("{at}.{field}"));
        }
    }

    /// A name used in a URL path: required, not `.` or `..`, without `/` or `%`.
    fn segment(&mut self, name: &str, field: &str) {
        match name {
            "" => return self.required(field, ""),
            "." | ".." => self.invalid(field, name, &format!("may not be '{name}'")),
            _ => {}
        }
        for bad in ['/', '%'] {
            if name.contains(bad) {
                self.invalid(field, name, &format!("may not contain '{bad}'"));
            }
        }
    }

    fn metric(&mut self, metric: &Value, at: &str) {
        let kind = text(metric, "type");
        if kind.is_empty() {
            self.required(&format!("{at}.type"), "must specify a metric source type");
        }
        let expected = SOURCES.iter().find(|(name, _)| *name == kind).map(|(_, field)| *field);
        let present: Vec<&str> = SOURCE_ORDER
            .iter()
            .copied()
            .filter(|field| metric.get(*field).is_some_and(|s| !s.is_null()))
            .collect();
        if expected.is_none() {
            let supported: Vec<&str> = SOURCES.iter().map(|(name, _)| *name).collect();
            self.not_supported(&format!("{at}.type"), kind, &supported);
        }
        if let Some(first) = present.first() {
            self.source(first, &metric[*first], &format!("{at}.{first}"));
        }
        if let Some(field) = expected.filter(|field| !present.contains(field)) {
            let detail = "must populate information for the given metric source";
            self.required(&format!("{at}.{field}"), detail);
        }
        if present.len() > 1 {
            for other in present.iter().filter(|field| Some(**field) != expected) {
                self.forbidden(
                    &format!("{at}.{other}"),
                    "must populate the given metric source only",
                );
            }
        }
    }

    /// One metric source (`resource`, `pods`, ...) and its target.
    fn source(&mut self, field: &str, source: &Value, at: &str) {
        if matches!(field, "object" | "external" | "pods") {
            let name = source.pointer("/metric/name").and_then(Value::as_str).unwrap_or_default();
            match name {
                "" => self.required(&format!("{at}.metric.name"), "must specify a metric name"),
                _ => self.segment(name, &format!("{at}.metric.name")),
            }
        }
        if field == "object" {
            self.reference(source.get("describedObject"), &format!("{at}.describedObject"));
        }
        if matches!(field, "resource" | "containerResource") && text(source, "name").is_empty() {
            self.required(&format!("{at}.name"), "must specify a resource name");
        }
        if field == "containerResource" && text(source, "container").is_empty() {
            self.required(&format!("{at}.container"), "must specify a container");
        }
        let target = source.get("target").unwrap_or(&Value::Null);
        let at = format!("{at}.target");
        self.target(target, &at);
        let has = |name: &str| target.get(name).is_some_and(|v| !v.is_null());
        let (value, average, utilization) =
            (has("value"), has("averageValue"), has("averageUtilization"));
        let (path, detail) = (|f: &str| format!("{at}.{f}"), "may not set both");
        match field {
            "object" if !value && !average => self
                .required(&path("averageValue"), "must set either a target value or averageValue"),
            "external" if !value && !average => self.required(
                &path("averageValue"),
                "must set either a target value for metric or a per-pod target",
            ),
            "external" if value && average => self.forbidden(
                &path("value"),
                &format!("{detail} a target value for metric and a per-pod target"),
            ),
            "pods" if !average => {
                self.required(&path("averageValue"), "must specify a positive target averageValue")
            }
            "resource" | "containerResource" if !utilization && !average => self.required(
                &path("averageUtilization"),
                "must set either a target raw value or a target utilization",
            ),
            "resource" | "containerResource" if utilization && average => self.forbidden(
                &path("averageValue"),
                &format!("{detail} a target raw value and a target utilization"),
            ),
            _ => {}
        }
    }

    /// A `MetricTarget`: a known type, positive values.
    fn target(&mut self, target: &Value, at: &str) {
        let kind = text(target, "type");
        if kind.is_empty() {
            self.required(&format!("{at}.type"), "must specify a metric target type");
        }
        if !matches!(kind, "Utilization" | "Value" | "AverageValue") {
            let detail = "must be either Utilization, Value, or AverageValue";
            self.invalid(&format!("{at}.type"), kind, detail);
        }
        for field in ["value", "averageValue"] {
            if let Some(quantity) = target.get(field).filter(|q| !q.is_null())
                && !positive(quantity)
            {
                self.invalid(&format!("{at}.{field}"), quantity.clone(), "must be positive");
            }
        }
        if let Some(utilization) = target.get("averageUtilization").and_then(Value::as_i64)
            && utilization < 1
        {
            self.invalid(
                &format!("{at}.averageUtilization"),
                utilization,
                "must be greater than 0",
            );
        }
    }

    /// The scaling rules of one direction of `behavior`.
    fn rules(&mut self, rules: &Value, at: &str) {
        let window = rules.get("stabilizationWindowSeconds").and_then(Value::as_i64);
        let field = format!("{at}.stabilizationWindowSeconds");
        match window {
            Some(w) if w < 0 => self.invalid(&field, w, "must be greater than or equal to zero"),
            Some(w) if w > MAX_STABILIZATION_WINDOW_SECONDS => {
                let detail =
                    format!("must be less than or equal to {MAX_STABILIZATION_WINDOW_SECONDS}");
                self.invalid(&field, w, &detail)
            }
            _ => {}
        }
        if let Some(policy) = rules.get("selectPolicy").and_then(Value::as_str)
            && !matches!(policy, "Max" | "Min" | "Disabled")
        {
            let field = format!("{at}.selectPolicy");
            self.not_supported(&field, policy, &["Disabled", "Max", "Min"]);
        }
        let policies = rules.get("policies").and_then(Value::as_array).map(Vec::as_slice);
        let policies = policies.unwrap_or_default();
        if policies.is_empty() {
            self.required(&format!("{at}.policies"), "must specify at least one Policy");
        }
        for (i, policy) in policies.iter().enumerate() {
            let at = format!("{at}.policies[{i}]");
            let kind = text(policy, "type");
            if !matches!(kind, "Pods" | "Percent") {
                self.not_supported(&format!("{at}.type"), kind, &["Percent", "Pods"]);
            }
            let value = policy.get("value").and_then(Value::as_i64).unwrap_or(0);
            if value <= 0 {
                self.invalid(&format!("{at}.value"), value, "must be greater than zero");
            }
            let period = policy.get("periodSeconds").and_then(Value::as_i64).unwrap_or(0);
            let field = format!("{at}.periodSeconds");
            if period <= 0 {
                self.invalid(&field, period, "must be greater than zero");
            } else if period > MAX_PERIOD_SECONDS {
                let detail = format!("must be less than or equal to {MAX_PERIOD_SECONDS}");
                self.invalid(&field, period, &detail);
            }
        }
    }
}

/// Whether a quantity (`"500m"`, `2`) is above zero.
fn positive(quantity: &Value) -> bool {
    match quantity {
        Value::Number(n) => n.as_f64().is_some_and(|n| n > 0.0),
        Value::String(s) => berth_api::quantity::parse_cpu_millis(s) > 0,
        _ => false,
    }
}

#[cfg(test)]
mod tests;

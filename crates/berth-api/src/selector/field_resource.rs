//! Which fields each resource lets clients select on, and how a field's value is read from an
//! object.
//!
//! [`supported_fields`] is the per-resource table behind `FieldSelector::validate_for`; it
//! mirrors the field label conversions Kubernetes registers per kind, and every resource also
//! accepts `metadata.name` and `metadata.namespace` ([`COMMON`]). [`field_value`] reads a field
//! from a JSON object: mostly the dotted path itself, but a few fields are computed the way
//! Kubernetes computes them (an event's `source`, a job's `status.successful`) or read as
//! their Go zero value when absent (`false` for booleans, `0` for counts).

use std::borrow::Cow;

use serde_json::Value;

/// Fields every resource accepts in a field selector.
pub(crate) const COMMON: &[&str] = &["metadata.name", "metadata.namespace"];

const PODS: &[&str] = &[
    "spec.nodeName",
    "spec.restartPolicy",
    "spec.schedulerName",
    "spec.serviceAccountName",
    "spec.hostNetwork",
    "status.phase",
    "status.podIP",
    "status.podIPs",
    "status.nominatedNodeName",
    // Old v1 clients send spec.host; Kubernetes reads it as spec.nodeName.
    "spec.host",
];

const CORE_EVENTS: &[&str] = &[
    "involvedObject.kind",
    "involvedObject.namespace",
    "involvedObject.name",
    "involvedObject.uid",
    "involvedObject.apiVersion",
    "involvedObject.resourceVersion",
    "involvedObject.fieldPath",
    "reason",
    "reportingComponent",
    "source",
    "type",
];

const EVENTS_V1: &[&str] = &[
    "regarding.kind",
    "regarding.namespace",
    "regarding.name",
    "regarding.uid",
    "regarding.apiVersion",
    "regarding.resourceVersion",
    "regarding.fieldPath",
    "reason",
    "reportingController",
    "source",
    "type",
];

/// The fields beyond `metadata.name` and `metadata.namespace` that a resource accepts in a field selector. `group` is ""
/// (or "core") for the core group; `resource` is the plural name. Unknown resources accept
/// only the common fields.
pub fn supported_fields(group: &str, resource: &str) -> &'static [&'static str] {
    let group = if group == "core" { "" } else { group };
    match (group, resource) {
        ("", "pods") => PODS,
        ("", "nodes") => &["spec.unschedulable"],
        ("", "replicationcontrollers") => &["status.replicas"],
        ("", "events") => CORE_EVENTS,
        ("", "namespaces") => &["status.phase"],
        ("", "secrets") => &["type"],
        ("", "services") => &["spec.clusterIP", "spec.type"],
        ("events.k8s.io", "events") => EVENTS_V1,
        ("batch", "jobs") => &["status.successful"],
        ("certificates.k8s.io", "certificatesigningrequests" | "clustertrustbundles") => {
            &["spec.signerName"]
        }
        ("certificates.k8s.io", "podcertificaterequests") => {
            &["spec.signerName", "spec.podName", "spec.nodeName"]
        }
        ("resource.k8s.io", "resourceslices") => &["spec.nodeName", "spec.driver"],
        _ => &[],
    }
}

/// Every field a selector on `group`/`resource` may name: the common ones first.
pub fn selectable_fields(group: &str, resource: &str) -> impl Iterator<Item = &'static str> {
    COMMON.iter().chain(supported_fields(group, resource)).copied()
}

/// A selectable field whose value is not simply the JSON at its own path.
struct Computed {
    field: &'static str,
    /// Tried in order; the first non-empty value wins.
    paths: &'static [&'static str],
    /// The value when every path is absent or empty.
    zero: &'static str,
}

const COMPUTED: &[Computed] = &[
    // Core events read source.component, falling back to the reporting controller;
    // events.k8s.io names the same data deprecatedSource and reportingController.
    Computed {
        field: "source",
        paths: &[
            "source.component",
            "deprecatedSource.component",
            "reportingComponent",
            "reportingController",
        ],
        zero: "",
    },
    Computed { field: "spec.host", paths: &["spec.nodeName"], zero: "" },
    Computed { field: "status.podIP", paths: &["status.podIP", "status.podIPs.0.ip"], zero: "" },
    Computed { field: "spec.hostNetwork", paths: &["spec.hostNetwork"], zero: "false" },
    Computed { field: "spec.unschedulable", paths: &["spec.unschedulable"], zero: "false" },
    Computed { field: "status.replicas", paths: &["status.replicas"], zero: "0" },
    Computed { field: "status.successful", paths: &["status.succeeded"], zero: "0" },
];

/// The dotted JSON paths [`field_value`] reads for the selectable field `field` (a path
/// segment that is a number indexes an array).
pub fn field_paths(field: &'static str) -> Vec<&'static str> {
    match COMPUTED.iter().find(|c| c.field == field) {
        Some(computed) => computed.paths.to_vec(),
        None => vec![field],
    }
}

/// The value a field selector compares for `field` in `object`. Strings read as they are,
/// booleans and numbers by their text; absent fields, `null`, arrays and objects read as ""
/// (or as the field's zero value, see [`COMPUTED`]).
pub fn field_value<'a>(object: &'a Value, field: &str) -> Cow<'a, str> {
    match COMPUTED.iter().find(|c| c.field == field) {
        Some(computed) => computed
            .paths
            .iter()
            .map(|path| scalar_at(object, path))
            .find(|v| !v.is_empty())
            .unwrap_or(Cow::Borrowed(computed.zero)),
        None => scalar_at(object, field),
    }
}

/// The scalar at a dotted path; array elements are addressed by index.
fn scalar_at<'a>(object: &'a Value, path: &str) -> Cow<'a, str> {
    let mut current = object;
    for segment in path.split('.') {
        let next = match current {
            Value::Object(map) => map.get(segment),
            Value::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        };
        match next {
            Some(value) => current = value,
            None => return Cow::Borrowed(""),
        }
    }
    match current {
        Value::String(s) => Cow::Borrowed(s),
        Value::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
        Value::Number(n) => Cow::Owned(n.to_string()),
        Value::Null | Value::Array(_) | Value::Object(_) => Cow::Borrowed(""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tables_per_resource() {
        assert!(supported_fields("", "pods").contains(&"spec.nodeName"));
        assert!(supported_fields("core", "pods").contains(&"status.nominatedNodeName"));
        assert_eq!(supported_fields("", "secrets"), ["type"]);
        assert_eq!(supported_fields("", "nodes"), ["spec.unschedulable"]);
        assert_eq!(supported_fields("", "namespaces"), ["status.phase"]);
        assert!(supported_fields("", "events").contains(&"involvedObject.uid"));
        assert!(supported_fields("events.k8s.io", "events").contains(&"regarding.uid"));
        assert!(!supported_fields("events.k8s.io", "events").contains(&"involvedObject.uid"));
        assert_eq!(supported_fields("batch", "jobs"), ["status.successful"]);
        assert!(supported_fields("", "configmaps").is_empty());
        assert!(supported_fields("apps", "pods").is_empty());
    }

    #[test]
    fn reads_paths_scalars_and_zero_values() {
        let object = json!({
            "metadata": {"name": "p"},
            "spec": {"nodeName": "n1", "replicas": 3, "ratio": 1.5, "paused": true, "tags": ["a"]},
            "status": {"podIPs": [{"ip": "10.0.0.7"}], "conditions": {"x": 1}, "gone": null},
        });
        let cases = [
            ("metadata.name", "p"),
            ("metadata.namespace", ""),
            ("spec.nodeName", "n1"),
            ("spec.host", "n1"),
            ("spec.replicas", "3"),
            ("spec.ratio", "1.5"),
            ("spec.paused", "true"),
            ("spec.tags", ""),
            ("spec.tags.0", "a"),
            ("status.conditions", ""),
            ("status.gone", ""),
            ("status.podIP", "10.0.0.7"),
            ("status.podIPs", ""),
            ("spec.hostNetwork", "false"),
            ("spec.unschedulable", "false"),
            ("status.replicas", "0"),
            ("status.successful", "0"),
            ("metadata.name.deeper", ""),
        ];
        for (field, want) in cases {
            assert_eq!(field_value(&object, field), want, "{field}");
        }
        let job = json!({"status": {"succeeded": 2}});
        assert_eq!(field_value(&job, "status.successful"), "2");
    }

    #[test]
    fn event_source_falls_back_to_the_reporting_controller() {
        let cases = [
            (json!({"source": {"component": "kubelet"}, "reportingComponent": "x"}), "kubelet"),
            (json!({"source": {}, "reportingComponent": "berth-scheduler"}), "berth-scheduler"),
            (json!({"deprecatedSource": {"component": "kubelet"}}), "kubelet"),
            (json!({"reportingController": "berth-controller"}), "berth-controller"),
            (json!({}), ""),
        ];
        for (event, want) in cases {
            assert_eq!(field_value(&event, "source"), want, "{event}");
        }
    }
}

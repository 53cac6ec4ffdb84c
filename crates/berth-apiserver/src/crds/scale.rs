//! The scale subresource of a custom resource: an `autoscaling/v1` `Scale` read from the
//! paths the CRD names (`specReplicasPath`, `statusReplicasPath`, `labelSelectorPath`), and
//! `spec.replicas` written back to the first. Missing replicas read as 0, as in Kubernetes.

use serde_json::{Value, json};

use super::{ScalePaths, path};

fn at<'a>(object: &'a Value, json_path: &str) -> Option<&'a Value> {
    path::parse(json_path).and_then(|steps| path::get(object, &steps))
}

/// The `Scale` of `object`.
pub fn view(paths: &ScalePaths, object: &Value) -> Value {
    let replicas = |p: &str| json!(at(object, p).and_then(Value::as_i64).unwrap_or(0));
    let selector = paths.label_selector.and_then(|p| at(object, p)).and_then(Value::as_str);
    scale(object, replicas(paths.spec_replicas), replicas(paths.status_replicas), selector)
}

/// An `autoscaling/v1` `Scale` for `object` with these replica counts: the one shape every
/// scalable resource answers `/scale` with.
pub fn scale(
    object: &Value,
    spec_replicas: Value,
    status_replicas: Value,
    selector: Option<&str>,
) -> Value {
    let meta = object.get("metadata").cloned().unwrap_or_else(|| json!({}));
    let pick = |field: &str| meta.get(field).cloned().unwrap_or(Value::Null);
    let mut status = json!({"replicas": status_replicas});
    if let Some(selector) = selector {
        status["selector"] = json!(selector);
    }
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": pick("name"),
            "namespace": pick("namespace"),
            "uid": pick("uid"),
            "resourceVersion": pick("resourceVersion"),
            "creationTimestamp": pick("creationTimestamp"),
        },
        "spec": {"replicas": spec_replicas},
        "status": status,
    })
}

/// Writes `replicas` to the spec replicas path; `false` when the object has no room for it.
pub fn set_replicas(paths: &ScalePaths, object: &mut Value, replicas: i64) -> bool {
    path::parse(paths.spec_replicas)
        .is_some_and(|steps| path::set(object, &steps, Value::from(replicas)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_follows_the_crd_paths() {
        let paths = ScalePaths {
            spec_replicas: ".spec.size",
            status_replicas: ".status.ready",
            label_selector: Some(".status.selector"),
        };
        let mut object = json!({"metadata": {"name": "w", "namespace": "default"},
                                "spec": {"size": 2}, "status": {"ready": 1, "selector": "app=w"}});
        let scale = view(&paths, &object);
        assert_eq!(scale["spec"]["replicas"], 2);
        assert_eq!(scale["status"], json!({"replicas": 1, "selector": "app=w"}));
        assert!(set_replicas(&paths, &mut object, 5));
        assert_eq!(object["spec"]["size"], 5);
        let bare = view(&paths, &json!({"metadata": {"name": "x"}}));
        assert_eq!(
            (bare["spec"]["replicas"].as_i64(), bare["status"].get("selector")),
            (Some(0), None)
        );
    }
}

//! Metadata-only answers: `PartialObjectMetadata` and `PartialObjectMetadataList`
//! (`meta.k8s.io/v1`, or `v1beta1`), which a client asks for with an `Accept` media type such
//! as `application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1`. Garbage collectors,
//! quota counters and kube-rs `metadata_watcher`s use them to follow every kind without the
//! cost of whole objects. A get answers `PartialObjectMetadata`, a list
//! `PartialObjectMetadataList`, a watch carries `PartialObjectMetadata` in each event.
//!
//! The same parser reads the other view clients ask for by `as=`, the `Table` of
//! [`crate::table`].

use serde_json::{Map, Value, json};

/// The view a get or watch asks for.
pub const OBJECT: &str = "PartialObjectMetadata";
/// The view a list asks for.
pub const LIST: &str = "PartialObjectMetadataList";

/// The version of `meta.k8s.io` in which `accept` asks for the view named `view`: one of its
/// comma-separated media types is `application/json` with `as=<view>`, `g=meta.k8s.io` and
/// `v=v1` or `v1beta1`. `None` when it does not ask for that view.
pub fn requested(accept: &str, view: &str) -> Option<&'static str> {
    accept.split(',').find_map(|media| {
        let mut parts = media.split(';').map(str::trim);
        if !parts.next().is_some_and(|kind| kind.eq_ignore_ascii_case("application/json")) {
            return None;
        }
        let (mut named, mut group, mut version) = (false, false, None);
        for (key, value) in parts.filter_map(|p| p.split_once('=')) {
            let value = value.trim().trim_matches('"');
            match key.trim() {
                "as" => named = value == view,
                "g" => group = value == "meta.k8s.io",
                "v" => {
                    version = match value {
                        "v1" => Some("v1"),
                        "v1beta1" => Some("v1beta1"),
                        _ => None,
                    }
                }
                _ => {}
            }
        }
        version.filter(|_| named && group)
    })
}

/// The `PartialObjectMetadata` of `object`: its metadata, nothing else (taken, not copied).
pub fn object(mut object: Value, version: &str) -> Value {
    let metadata = match object.get_mut("metadata") {
        Some(metadata @ Value::Object(_)) => metadata.take(),
        _ => Value::Object(Map::new()),
    };
    json!({"kind": OBJECT, "apiVersion": format!("meta.k8s.io/{version}"), "metadata": metadata})
}

/// The `meta.k8s.io/v1` `PartialObjectMetadata` of an object that stays whole: what a Table
/// row embeds for `--show-labels`, `-L` and the `NAMESPACE` column of `-A`.
pub fn object_of(object: &Value) -> Value {
    let metadata = object.get("metadata").filter(|m| m.is_object());
    json!({"kind": OBJECT, "apiVersion": "meta.k8s.io/v1",
        "metadata": metadata.cloned().unwrap_or_else(|| Value::Object(Map::new()))})
}

/// A `PartialObjectMetadataList` of `objects`, read at `resource_version`, with the token for
/// the next page if there is one.
pub fn list(
    objects: Vec<Value>,
    resource_version: &str,
    next: Option<&str>,
    version: &str,
) -> Value {
    let mut metadata = json!({"resourceVersion": resource_version});
    if let Some(next) = next {
        metadata["continue"] = json!(next);
    }
    let items: Vec<Value> = objects.into_iter().map(|o| object(o, version)).collect();
    json!({"kind": LIST, "apiVersion": format!("meta.k8s.io/{version}"), "metadata": metadata, "items": items})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_views_clients_ask_for() {
        let kube_rs = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";
        assert_eq!(requested(kube_rs, LIST), Some("v1"));
        assert_eq!(requested(kube_rs, OBJECT), None);
        let client_go = "application/vnd.kubernetes.protobuf;as=PartialObjectMetadata;g=meta.k8s.io;v=v1beta1,\
                         application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1beta1,application/json";
        assert_eq!(requested(client_go, OBJECT), Some("v1beta1"));
        assert_eq!(
            requested("application/json; as=Table; g=meta.k8s.io; v=v1", "Table"),
            Some("v1")
        );
        for no in [
            "application/json",
            "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v2",
            "application/json;as=PartialObjectMetadata;v=v1",
            "application/yaml;as=PartialObjectMetadata;g=meta.k8s.io;v=v1",
            "",
        ] {
            assert_eq!(requested(no, OBJECT), None, "{no}");
        }
    }

    #[test]
    fn keeps_only_the_metadata() {
        let pod = json!({"kind": "Pod", "apiVersion": "v1", "spec": {"containers": []},
            "metadata": {"name": "p", "labels": {"a": "b"}, "resourceVersion": "7"}});
        let partial = object(pod.clone(), "v1");
        assert_eq!(object_of(&pod), partial);
        assert_eq!(
            partial,
            json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                "metadata": {"name": "p", "labels": {"a": "b"}, "resourceVersion": "7"}})
        );
        let listed = list(vec![pod], "9", Some("tok"), "v1beta1");
        assert_eq!(listed["apiVersion"], "meta.k8s.io/v1beta1");
        assert_eq!(listed["metadata"], json!({"resourceVersion": "9", "continue": "tok"}));
        assert_eq!(listed["items"][0]["metadata"]["name"], "p");
        assert_eq!(listed["items"][0]["apiVersion"], "meta.k8s.io/v1beta1");
        assert_eq!(object(json!({}), "v1")["metadata"], json!({}));
        assert_eq!(object_of(&json!({"metadata": 3}))["metadata"], json!({}));
    }
}

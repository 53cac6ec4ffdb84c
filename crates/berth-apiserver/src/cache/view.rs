//! The selector "view" of a cached object: only the fields label and field selectors read
//! (metadata name, namespace and labels, and the resource's selectable fields), picked out of
//! the stored JSON in one pass that skips everything else without building it.

use std::collections::HashMap;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// Fields some selectable fields are computed from (an event's `source` reads
/// `source.component`, a job's `status.successful` reads `status.succeeded`, a pod's
/// `status.podIP` falls back to `status.podIPs`): kept too.
const READ_BY_COMPUTED: &[&str] =
    &["source", "reportingController", "reportingComponent", "status.succeeded", "status.podIPs"];

/// Which fields to keep: a tree of field names; a leaf keeps the whole value under it.
#[derive(Debug, Default)]
pub struct Paths {
    leaf: bool,
    children: HashMap<String, Paths>,
}

impl Paths {
    /// The fields a selector on `group`/`resource` may read.
    pub fn for_resource(group: &str, resource: &str) -> Paths {
        let mut paths = Paths::default();
        let selectable = berth_api::selector::supported_fields(group, resource);
        let all = ["metadata.name", "metadata.namespace", "metadata.labels"].into_iter();
        for field in all.chain(selectable.iter().copied()).chain(READ_BY_COMPUTED.iter().copied()) {
            let mut node = &mut paths;
            for part in field.split('.') {
                node = node.children.entry(part.to_owned()).or_default();
            }
            node.leaf = true;
        }
        paths
    }
}

/// The view of the JSON object `raw` (`None` when it is not an object).
pub fn pick(raw: &[u8], paths: &Paths) -> Option<Value> {
    let mut deserializer = serde_json::Deserializer::from_slice(raw);
    let mut view = Pick(paths).deserialize(&mut deserializer).ok()??;
    if let Value::Object(map) = &mut view {
        map.entry("metadata").or_insert_with(|| Value::Object(Map::new()));
    }
    Some(view)
}

struct Pick<'a>(&'a Paths);

impl<'de> DeserializeSeed<'de> for Pick<'_> {
    type Value = Option<Value>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Pick<'_> {
    type Value = Option<Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            match self.0.children.get(&key) {
                Some(child) if child.leaf => {
                    let value: Value = map.next_value()?;
                    out.insert(key, value);
                }
                Some(child) => {
                    if let Some(value) = map.next_value_seed(Pick(child))? {
                        out.insert(key, value);
                    }
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Some(Value::Object(out)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keeps_only_what_selectors_read() {
        let pod = json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p", "namespace": "d", "labels": {"app": "x"}, "annotations": {"big": "y"}},
            "spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "i"}], "hostNetwork": true},
            "status": {"phase": "Running", "podIPs": [{"ip": "1.2.3.4"}], "conditions": []}});
        let view =
            pick(pod.to_string().as_bytes(), &Paths::for_resource("", "pods")).expect("view");
        assert_eq!(
            view,
            json!({
                "metadata": {"name": "p", "namespace": "d", "labels": {"app": "x"}},
                "spec": {"nodeName": "n1", "hostNetwork": true},
                "status": {"phase": "Running", "podIPs": [{"ip": "1.2.3.4"}]},
            })
        );
        // A field where an object is expected is left out; a missing metadata is empty.
        let odd =
            pick(br#"{"spec": 5, "kind": "X"}"#, &Paths::for_resource("", "pods")).expect("view");
        assert_eq!(odd, json!({"metadata": {}}));
        assert!(pick(b"[1,2]", &Paths::for_resource("", "pods")).is_none());
    }
}

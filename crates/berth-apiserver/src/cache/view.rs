//! The selector "view" of a cached object: only what label and field selectors read (the
//! labels, and the value of each of the resource's selectable fields), picked out of the
//! stored JSON in one pass that skips everything else without building it, and kept as a few
//! short strings: the cache holds one view per object, so its size counts (a view as a JSON
//! tree of the same fields took more memory than the object's JSON).

use std::collections::HashMap;
use std::fmt;

use berth_api::selector::{self, FieldSelector, LabelSelector};
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// What a resource's views hold: the selectable fields, and the tree of JSON fields to read
/// them (and the labels) from.
#[derive(Debug, Default)]
pub struct Paths {
    tree: Tree,
    fields: Vec<&'static str>,
}

/// A tree of field names; a leaf keeps the whole value under it.
#[derive(Debug, Default)]
struct Tree {
    leaf: bool,
    children: HashMap<String, Tree>,
}

impl Paths {
    /// The fields a selector on `group`/`resource` may read.
    pub fn for_resource(group: &str, resource: &str) -> Paths {
        let mut tree = Tree::default();
        let fields: Vec<&'static str> = selector::selectable_fields(group, resource).collect();
        // The JSON each field's value is read from (an event's `source` from
        // `source.component` and others, a pod's `status.podIP` also from `status.podIPs`).
        let read = fields.iter().flat_map(|&field| selector::field_paths(field));
        for path in read.chain(["metadata.labels"]) {
            let mut node = &mut tree;
            // An array is kept whole: the pick does not descend into arrays.
            for part in path.split('.').take_while(|part| part.parse::<usize>().is_err()) {
                node = node.children.entry(part.to_owned()).or_default();
            }
            node.leaf = true;
        }
        Paths { tree, fields }
    }
}

/// The labels and selectable fields of one object, as one string of NUL-separated pairs:
/// `label\0value\0…` up to `split`, then `field\0value\0…` for each selectable field with a
/// value other than "" (which an absent one reads as). One allocation per object: the cache
/// holds a view for every object, and a slice of pairs cost more than the object's own JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    pairs: Box<str>,
    split: usize,
}

impl View {
    /// The view of the JSON object `raw` (`None` when it is not an object).
    pub fn pick(raw: &[u8], paths: &Paths) -> Option<View> {
        let mut deserializer = serde_json::Deserializer::from_slice(raw);
        let picked = Pick(&paths.tree).deserialize(&mut deserializer).ok()??;
        let mut pairs = String::new();
        if let Some(Value::Object(labels)) = picked.pointer("/metadata/labels") {
            for (key, value) in labels {
                if let Some(value) = selector::label_text(value) {
                    push_pair(&mut pairs, key, &value);
                }
            }
        }
        let split = pairs.len();
        for &field in &paths.fields {
            let value = selector::field_value(&picked, field);
            if !value.is_empty() {
                push_pair(&mut pairs, field, &value);
            }
        }
        Some(View { pairs: pairs.into_boxed_str(), split })
    }

    /// The value of label `key`.
    pub fn label(&self, key: &str) -> Option<&str> {
        find(&self.pairs[..self.split], key)
    }

    /// The value of selectable field `field`, "" when absent.
    pub fn field(&self, field: &str) -> &str {
        find(&self.pairs[self.split..], field).unwrap_or("")
    }

    /// Whether the object satisfies both selectors.
    pub fn matches(&self, labels: &LabelSelector, fields: &FieldSelector) -> bool {
        labels.matches_with(|key| self.label(key)) && fields.matches_with(|field| self.field(field))
    }
}

/// Appends `key\0value\0`. A NUL inside either (never in a valid label or selectable field)
/// becomes U+FFFD, so that it cannot shift the pairs.
fn push_pair(pairs: &mut String, key: &str, value: &str) {
    for part in [key, value] {
        match part.contains('\0') {
            true => pairs.push_str(&part.replace('\0', "\u{fffd}")),
            false => pairs.push_str(part),
        }
        pairs.push('\0');
    }
}

/// The value paired with `key` in NUL-separated `pairs`.
fn find<'a>(pairs: &'a str, key: &str) -> Option<&'a str> {
    let mut parts = pairs.split('\0');
    while let (Some(k), Some(v)) = (parts.next(), parts.next()) {
        if k == key {
            return Some(v);
        }
    }
    None
}

struct Pick<'a>(&'a Tree);

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
            "metadata": {"name": "p", "namespace": "d", "labels": {"app": "x", "n": 5}, "annotations": {"big": "y"}},
            "spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "i"}], "hostNetwork": true},
            "status": {"phase": "Running", "podIPs": [{"ip": "1.2.3.4"}], "conditions": []}});
        let paths = Paths::for_resource("", "pods");
        let view = View::pick(pod.to_string().as_bytes(), &paths).expect("view");
        assert_eq!(
            (view.label("app"), view.label("n"), view.label("big")),
            (Some("x"), Some("5"), None)
        );
        let fields = [
            ("metadata.name", "p"),
            ("metadata.namespace", "d"),
            ("spec.nodeName", "n1"),
            ("spec.host", "n1"),
            ("spec.hostNetwork", "true"),
            ("status.phase", "Running"),
            ("status.podIP", "1.2.3.4"),
            ("spec.restartPolicy", ""),
            ("status.nominatedNodeName", ""),
        ];
        for (field, value) in fields {
            assert_eq!(view.field(field), value, "{field}");
        }
        let both = |labels: &str, fields: &str| {
            view.matches(
                &LabelSelector::parse(labels).expect("label selector"),
                &FieldSelector::parse(fields).expect("field selector"),
            )
        };
        assert!(both("app=x,n in (5,6)", "spec.nodeName=n1,status.phase!=Pending"));
        assert!(both("!missing", "spec.restartPolicy="));
        assert!(!both("app=y", ""));
        assert!(!both("", "spec.nodeName=n2"));

        // A NUL inside a value cannot shift the pairs that follow it.
        let odd = json!({"metadata": {"name": "a\u{0}b", "labels": {"k": ""}}, "status": {"phase": "Running"}});
        let view = View::pick(odd.to_string().as_bytes(), &paths).expect("view");
        assert_eq!(view.field("metadata.name"), "a\u{fffd}b");
        assert_eq!((view.field("status.phase"), view.label("k")), ("Running", Some("")));

        // A field where an object is expected is left out; a missing metadata is empty.
        let odd = View::pick(br#"{"spec": 5, "kind": "X"}"#, &paths).expect("view");
        assert_eq!((odd.label("app"), odd.field("spec.nodeName")), (None, ""));
        assert!(View::pick(b"[1,2]", &paths).is_none());
    }
}

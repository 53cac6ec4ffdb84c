//! The `FieldsV1` wire format of a [`FieldSet`], as stored in `metadata.managedFields`.
//!
//! A trie of JSON objects: each key is one path element (`f:<field>`, `k:<key fields as a
//! JSON object>`, `v:<value as JSON>`, `i:<index>`) and its value the subtree below it. A
//! member with nothing below it is `{}`; a member that also has children carries `".": {}`.
//!
//! ```json
//! {"f:metadata":{"f:labels":{"f:app":{}}},
//!  "f:spec":{"f:containers":{"k:{\"name\":\"nginx\"}":{".":{},"f:image":{}}}}}
//! ```

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::fieldpath::{FieldSet, Path, PathElement, canonical_json};

/// Why a `fieldsV1` document could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldsV1Error {
    #[error("fieldsV1 must be a JSON object at {at:?}")]
    NotAnObject { at: String },
    #[error("invalid fieldsV1 key {key:?}")]
    InvalidKey { key: String },
}

/// The `fieldsV1` document of `set`, with keys in Kubernetes' order.
pub fn encode(set: &FieldSet) -> Value {
    let mut root = Node::default();
    for path in set.iter() {
        let mut node = &mut root;
        for element in path {
            node = node.children.entry(element).or_default();
        }
        node.member = true;
    }
    root.to_value()
}

#[derive(Default)]
struct Node<'a> {
    member: bool,
    children: BTreeMap<&'a PathElement, Node<'a>>,
}

impl Node<'_> {
    fn to_value(&self) -> Value {
        let mut map = Map::new();
        if self.member && !self.children.is_empty() {
            map.insert(".".into(), Value::Object(Map::new()));
        }
        for (element, child) in &self.children {
            map.insert(encode_element(element), child.to_value());
        }
        Value::Object(map)
    }
}

fn encode_element(element: &PathElement) -> String {
    match element {
        PathElement::Field(name) => format!("f:{name}"),
        PathElement::Key(fields) => {
            let pairs: Vec<String> = fields
                .iter()
                .map(|(name, value)| format!("{}:{value}", Value::String(name.clone())))
                .collect();
            format!("k:{{{}}}", pairs.join(","))
        }
        PathElement::Value(json) => format!("v:{json}"),
        PathElement::Index(index) => format!("i:{index}"),
    }
}

/// Reads a `fieldsV1` document.
pub fn decode(value: &Value) -> Result<FieldSet, FieldsV1Error> {
    // Gathered first and built into a set at once: cheaper than inserting one by one.
    let mut paths = Vec::new();
    let mut path = Path::new();
    decode_into(value, &mut path, &mut paths)?;
    Ok(paths.into_iter().collect())
}

fn decode_into(value: &Value, path: &mut Path, set: &mut Vec<Path>) -> Result<(), FieldsV1Error> {
    let Some(map) = value.as_object() else {
        return Err(FieldsV1Error::NotAnObject { at: super::fieldpath::display(path) });
    };
    for (key, child) in map {
        if key == "." {
            set.push(path.clone());
            continue;
        }
        path.push(decode_element(key)?);
        match child.as_object() {
            Some(grandchildren) if grandchildren.is_empty() => set.push(path.clone()),
            _ => decode_into(child, path, set)?,
        }
        path.pop();
    }
    Ok(())
}

fn decode_element(key: &str) -> Result<PathElement, FieldsV1Error> {
    let invalid = || FieldsV1Error::InvalidKey { key: key.to_owned() };
    let (kind, rest) = key.split_once(':').ok_or_else(invalid)?;
    match kind {
        "f" => Ok(PathElement::Field(rest.to_owned())),
        "k" => {
            let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(rest) else {
                return Err(invalid());
            };
            let mut pairs: Vec<(String, String)> =
                fields.iter().map(|(name, value)| (name.clone(), canonical_json(value))).collect();
            pairs.sort();
            Ok(PathElement::Key(pairs))
        }
        "v" => {
            let value: Value = serde_json::from_str(rest).map_err(|_| invalid())?;
            Ok(PathElement::Value(canonical_json(&value)))
        }
        "i" => rest.parse().map(PathElement::Index).map_err(|_| invalid()),
        _ => Err(invalid()),
    }
}

//! The merge rules a custom resource's structural schema declares, compiled once per CRD
//! version so that each apply only walks a tree.
//!
//! [`StructuralSchema::new`] reads an `openAPIV3Schema`: `x-kubernetes-list-type` (`atomic`,
//! `set`, `map`) with `x-kubernetes-list-map-keys` (one or more key fields, each with the
//! `default` its property declares, if any) on arrays, `x-kubernetes-map-type` (`granular`,
//! `atomic`) on objects, through `properties`, `additionalProperties` and `items`. What the
//! schema leaves open (no list type, fields kept by `x-kubernetes-preserve-unknown-fields`) is
//! what Kubernetes makes of it: lists are atomic, objects granular. A `map` list without keys
//! (which CRD validation refuses) is atomic.

use std::collections::HashMap;

use serde_json::Value;

use super::fieldpath::{PathElement, canonical_json};
use super::schema::{ListType, MapKey, MapKeys};

/// A key field of a declared `map` list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyField {
    name: String,
    /// The canonical JSON of the property's `default`.
    default: Option<String>,
}

impl KeyField {
    pub fn as_key(&self) -> MapKey<'_> {
        MapKey { name: &self.name, default: self.default.as_deref() }
    }
}

/// The compiled rules of one schema.
#[derive(Debug, Clone, Default)]
pub struct StructuralSchema {
    root: Node,
}

#[derive(Debug, Clone, Default)]
struct Node {
    list: Option<Declared>,
    /// `x-kubernetes-map-type: atomic`.
    atomic: bool,
    properties: HashMap<String, Node>,
    additional: Option<Box<Node>>,
    items: Option<Box<Node>>,
}

#[derive(Debug, Clone)]
enum Declared {
    Set,
    Map(Vec<KeyField>),
}

impl StructuralSchema {
    pub fn new(openapi: &Value) -> StructuralSchema {
        StructuralSchema { root: Node::compile(openapi) }
    }

    fn node(&self, path: &[PathElement]) -> Option<&Node> {
        let mut node = &self.root;
        for element in path {
            node = match element {
                PathElement::Field(name) => {
                    node.properties.get(name).or(node.additional.as_deref())?
                }
                _ => node.items.as_deref()?,
            };
        }
        Some(node)
    }

    /// The declared type of the list at `path`; atomic when nothing is declared.
    pub fn list_type(&self, path: &[PathElement]) -> ListType<'_> {
        match self.node(path).and_then(|node| node.list.as_ref()) {
            None => ListType::Atomic,
            Some(Declared::Set) => ListType::Set,
            Some(Declared::Map(keys)) => ListType::Map(MapKeys::Declared(keys)),
        }
    }

    /// Whether the object at `path` is declared `x-kubernetes-map-type: atomic`.
    pub fn atomic_object(&self, path: &[PathElement]) -> bool {
        self.node(path).is_some_and(|node| node.atomic)
    }
}

impl Node {
    fn compile(schema: &Value) -> Node {
        let Some(map) = schema.as_object() else { return Node::default() };
        let text = |name: &str| map.get(name).and_then(Value::as_str);
        let properties: HashMap<String, Node> = map
            .get("properties")
            .and_then(Value::as_object)
            .map(|props| props.iter().map(|(k, v)| (k.clone(), Node::compile(v))).collect())
            .unwrap_or_default();
        let items = map.get("items").filter(|v| v.is_object());
        let list = match text("x-kubernetes-list-type") {
            Some("set") => Some(Declared::Set),
            Some("map") => {
                let keys = map_keys(map.get("x-kubernetes-list-map-keys"), items);
                (!keys.is_empty()).then_some(Declared::Map(keys))
            }
            _ => None,
        };
        Node {
            list,
            atomic: text("x-kubernetes-map-type") == Some("atomic"),
            properties,
            additional: map
                .get("additionalProperties")
                .filter(|v| v.is_object())
                .map(|v| Box::new(Node::compile(v))),
            items: items.map(|v| Box::new(Node::compile(v))),
        }
    }
}

/// The key fields of a `map` list, with the defaults its items' schema gives them.
fn map_keys(names: Option<&Value>, items: Option<&Value>) -> Vec<KeyField> {
    let names = names.and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    names
        .iter()
        .filter_map(Value::as_str)
        .map(|name| KeyField {
            name: name.to_owned(),
            default: items
                .and_then(|items| items.pointer(&format!("/properties/{}/default", escape(name))))
                .map(canonical_json),
        })
        .collect()
}

/// `name` as one JSON pointer token.
fn escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

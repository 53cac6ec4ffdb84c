//! Every schema the server publishes, generated once from `k8s-openapi`'s JSON Schemas and
//! named as Kubernetes names them (`io.k8s.api.core.v1.Pod`, references as
//! `#/components/schemas/<name>`).
//!
//! [`Catalog::build`] registers each kind of [`super::kinds::KINDS`], tags it with
//! `x-kubernetes-group-version-kind`, and writes the merge extensions of [`super::lists`].
//! Documents take the part of it their kinds reach ([`Catalog::reachable`]); field validation
//! walks it directly.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

use super::{kinds, lists};

const REF_PREFIX: &str = "#/components/schemas/";

/// The schemas, and which one describes each kind.
#[derive(Debug)]
pub struct Catalog {
    schemas: Map<String, Value>,
    kinds: BTreeMap<(&'static str, &'static str, &'static str), String>,
    shared: Vec<String>,
}

impl Catalog {
    pub fn build() -> Catalog {
        let mut generator = SchemaSettings::openapi3().into_generator();
        let mut kinds = BTreeMap::new();
        for (group, version, kind, register) in kinds::KINDS {
            kinds.insert((*group, *version, *kind), register(&mut generator));
        }
        let shared = kinds::SHARED.iter().map(|register| register(&mut generator)).collect();
        let mut schemas = generator.take_definitions(true);
        schemas.sort_keys();
        for ((group, version, kind), name) in &kinds {
            if let Some(schema) = schemas.get_mut(name).and_then(Value::as_object_mut) {
                let gvk = json!({"group": group, "version": version, "kind": kind});
                let tags = schema.entry("x-kubernetes-group-version-kind").or_insert(json!([]));
                if let Some(tags) = tags.as_array_mut() {
                    tags.push(gvk);
                }
            }
        }
        lists::annotate(&mut schemas);
        Catalog { schemas, kinds, shared }
    }

    /// The name of the schema of a kind, when the server publishes one.
    pub fn kind(&self, group: &str, version: &str, kind: &str) -> Option<&str> {
        self.kinds
            .iter()
            .find(|((g, v, k), _)| *g == group && *v == version && *k == kind)
            .map(|(_, name)| name.as_str())
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.schemas.get(name)
    }

    /// The schema a `$ref` points at.
    pub fn by_ref(&self, reference: &str) -> Option<&Value> {
        reference.strip_prefix(REF_PREFIX).and_then(|name| self.get(name))
    }

    /// The schemas of the given kinds, the shared ones, and all they refer to, by name.
    pub fn reachable(&self, roots: &[&str]) -> Map<String, Value> {
        let mut seen = BTreeSet::new();
        let mut pending: Vec<&str> = roots.to_vec();
        pending.extend(self.shared.iter().map(String::as_str));
        while let Some(name) = pending.pop() {
            let Some(schema) = self.schemas.get(name) else { continue };
            if seen.insert(name) {
                collect_refs(schema, &mut pending);
            }
        }
        seen.into_iter()
            .filter_map(|n| Some((n.to_owned(), self.schemas.get(n)?.clone())))
            .collect()
    }
}

fn collect_refs<'a>(schema: &'a Value, out: &mut Vec<&'a str>) {
    match schema {
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("$ref", Value::String(r)) => out.extend(r.strip_prefix(REF_PREFIX)),
                    _ => collect_refs(value, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

/// `#/components/schemas/<name>`
pub fn reference(name: &str) -> Value {
    json!({"$ref": format!("{REF_PREFIX}{name}")})
}

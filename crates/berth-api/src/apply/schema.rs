//! What the field manager needs to know about a kind: how each list and map merges, and which
//! fields it does not track at all.
//!
//! Kubernetes reads this from OpenAPI (`x-kubernetes-list-type`, `x-kubernetes-list-map-keys`,
//! `x-kubernetes-map-type`). berth derives the list types from the strategic merge patch table
//! ([`BuiltinPatchMeta`]): a list merged by key is a `map` list, a merged list of scalars a
//! `set`, a replaced list `atomic`. A few `map` lists have a second key besides their patch
//! merge key: ports are told apart by number and protocol, spread constraints by topology
//! key and `whenUnsatisfiable`. Objects are granular (each field owned on its own) except
//! the label selectors, which Kubernetes marks atomic.

use crate::patch::{BuiltinPatchMeta, ListStrategy, PatchMeta};

use super::fieldpath::PathElement;

/// How a list's elements are identified and merged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListType {
    /// The list is one value: applying it replaces it, one manager owns it whole.
    Atomic,
    /// Elements are scalars, identified by value.
    Set,
    /// Elements are objects, identified by the value of `key` and, for a few lists, of a
    /// `second` key field.
    Map { key: &'static str, second: Option<MapKey> },
}

/// A key field of a `map` list besides the patch merge key, with the value an element that
/// omits it has (Kubernetes takes it from the schema's default: a port without `protocol` is a
/// TCP port).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MapKey {
    pub name: &'static str,
    pub default: Option<&'static str>,
}

/// The key field that `map` lists merged by `merge_key` have besides it.
fn second_key(merge_key: &str) -> Option<MapKey> {
    match merge_key {
        // Only container and Service ports merge by these.
        "containerPort" | "port" => Some(MapKey { name: "protocol", default: Some("TCP") }),
        "topologyKey" => Some(MapKey { name: "whenUnsatisfiable", default: None }),
        _ => None,
    }
}

/// The merge rules of one kind.
#[derive(Debug, Clone)]
pub struct Schema {
    meta: BuiltinPatchMeta,
}

impl Schema {
    pub fn for_kind(kind: &str) -> Schema {
        Schema { meta: BuiltinPatchMeta::for_kind(kind) }
    }

    /// The type of the list at `path`.
    pub fn list_type(&self, path: &[PathElement]) -> ListType {
        let strategy = with_field_names(path, |fields| self.meta.list_strategy(fields));
        match strategy {
            ListStrategy::Replace => ListType::Atomic,
            ListStrategy::MergePrimitive => ListType::Set,
            ListStrategy::Merge { key } => ListType::Map { key, second: second_key(key) },
        }
    }

    /// Whether the object at `path` is one value rather than a set of fields: label
    /// selectors (`spec.selector`, `podSelector`, `nodeSelector`, ...).
    pub fn atomic_object(&self, path: &[PathElement]) -> bool {
        let mut fields = path.iter().rev().filter_map(field_name);
        match (fields.next(), fields.next()) {
            (Some("selector"), Some("spec")) => true,
            (Some(last), _) => {
                matches!(
                    last,
                    "podSelector" | "namespaceSelector" | "labelSelector" | "nodeSelector"
                )
            }
            (None, _) => false,
        }
    }
}

fn field_name(element: &PathElement) -> Option<&str> {
    match element {
        PathElement::Field(name) => Some(name.as_str()),
        _ => None,
    }
}

/// Calls `f` with the field names along `path`, skipping list elements (the shape
/// [`PatchMeta`] asks for), gathered on the stack unless the path is very deep.
fn with_field_names<R>(path: &[PathElement], f: impl FnOnce(&[&str]) -> R) -> R {
    let mut names = [""; 32];
    let mut len = 0;
    for name in path.iter().filter_map(field_name) {
        let Some(slot) = names.get_mut(len) else {
            let all: Vec<&str> = path.iter().filter_map(field_name).collect();
            return f(&all);
        };
        *slot = name;
        len += 1;
    }
    f(&names[..len])
}

/// Metadata the server owns: never in a field set, never merged or removed by an apply.
const SERVER_METADATA: &[&str] = &[
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "selfLink",
    "managedFields",
];

/// Which part of an object a write through one endpoint manages: everything but `status`
/// through the main resource, only `status` through `/status`. Identity (`apiVersion`,
/// `kind`) and server-owned metadata are outside every scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    status_only: bool,
}

impl Scope {
    pub fn for_subresource(subresource: Option<&str>) -> Scope {
        Scope { status_only: subresource == Some("status") }
    }

    /// Whether the node at `path` can be owned as such. `metadata` never is, though fields
    /// below it are.
    pub fn ownable(&self, path: &[PathElement]) -> bool {
        !matches!(path, [PathElement::Field(name)] if name == "metadata")
    }

    /// Whether the field at `path` is left alone.
    pub fn ignores(&self, path: &[PathElement]) -> bool {
        let field = |i: usize| match path.get(i) {
            Some(PathElement::Field(name)) => Some(name.as_str()),
            _ => None,
        };
        match (path.len(), field(0)) {
            (0, _) => false,
            (_, Some("apiVersion" | "kind")) => path.len() == 1,
            (_, Some("status")) => !self.status_only,
            _ if self.status_only => true,
            (2, Some("metadata")) => field(1).is_some_and(|name| SERVER_METADATA.contains(&name)),
            _ => false,
        }
    }
}

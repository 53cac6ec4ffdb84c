//! What the field manager needs to know about a kind: how each list and map merges, and which
//! fields it does not track at all.
//!
//! Kubernetes reads this from OpenAPI (`x-kubernetes-list-type`, `x-kubernetes-list-map-keys`,
//! `x-kubernetes-map-type`). A [`Schema`] answers from one of two sources:
//!
//! - built-in kinds ([`Schema::for_kind`]): the list types come from the strategic merge patch
//!   table ([`BuiltinPatchMeta`]): a list merged by key is a `map` list, a merged list of
//!   scalars a `set`, a replaced list `atomic`. A few `map` lists have a second key besides
//!   their patch merge key: ports are told apart by number and protocol, spread constraints by
//!   topology key and `whenUnsatisfiable`. Objects are granular (each field owned on its own)
//!   except the label selectors, which Kubernetes marks atomic. This path allocates nothing.
//! - custom resources ([`Schema::structural`]): the CRD version's `openAPIV3Schema`, compiled
//!   once ([`structural`](super::structural)); lists are atomic unless declared otherwise, and
//!   `metadata` follows the built-in rules of `ObjectMeta`.

use std::sync::Arc;

use serde_json::Value;

use crate::patch::{BuiltinPatchMeta, ListStrategy, PatchMeta};

use super::fieldpath::PathElement;
use super::structural::{KeyField, StructuralSchema};

/// How a list's elements are identified and merged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListType<'s> {
    /// The list is one value: applying it replaces it, one manager owns it whole.
    Atomic,
    /// Elements are scalars, identified by value.
    Set,
    /// Elements are objects, identified by the values of their key fields.
    Map(MapKeys<'s>),
}

/// A key field of a `map` list, with the value an element that omits it has (Kubernetes
/// takes it from the schema's default: a port without `protocol` is a TCP port).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MapKey<'s> {
    pub name: &'s str,
    /// The canonical JSON of the default value.
    pub default: Option<&'s str>,
}

/// The key fields of a `map` list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapKeys<'s> {
    /// A built-in list: its patch merge key (never defaulted) and, for a few, a second key.
    Builtin { key: &'static str, second: Option<MapKey<'static>> },
    /// A custom resource's list: its `x-kubernetes-list-map-keys`, in order.
    Declared(&'s [KeyField]),
}

impl<'s> MapKeys<'s> {
    /// How many key fields identify an element.
    pub fn len(self) -> usize {
        match self {
            MapKeys::Builtin { second, .. } => 1 + usize::from(second.is_some()),
            MapKeys::Declared(keys) => keys.len(),
        }
    }

    /// The key fields.
    pub fn iter(self) -> impl Iterator<Item = MapKey<'s>> {
        let (builtin, declared): ([Option<MapKey<'s>>; 2], &'s [KeyField]) = match self {
            MapKeys::Builtin { key, second } => {
                ([Some(MapKey { name: key, default: None }), second], &[])
            }
            MapKeys::Declared(keys) => ([None, None], keys),
        };
        builtin.into_iter().flatten().chain(declared.iter().map(KeyField::as_key))
    }

    /// Whether `field` is one of the key fields.
    pub fn contains(self, field: &str) -> bool {
        self.iter().any(|key| key.name == field)
    }
}

/// The key field that `map` lists merged by `merge_key` have besides it.
fn second_key(merge_key: &str) -> Option<MapKey<'static>> {
    match merge_key {
        // Only container and Service ports merge by these.
        "containerPort" | "port" => Some(MapKey { name: "protocol", default: Some("\"TCP\"") }),
        "topologyKey" => Some(MapKey { name: "whenUnsatisfiable", default: None }),
        _ => None,
    }
}

/// The merge rules of one kind.
#[derive(Debug, Clone)]
pub struct Schema {
    source: Source,
}

#[derive(Debug, Clone)]
enum Source {
    Builtin(BuiltinPatchMeta),
    Structural(Arc<StructuralSchema>),
}

impl Schema {
    /// The rules of a built-in kind (a kind the table does not know gets those of `metadata`).
    pub fn for_kind(kind: &str) -> Schema {
        Schema { source: Source::Builtin(BuiltinPatchMeta::for_kind(kind)) }
    }

    /// The rules a custom resource version's structural schema (`openAPIV3Schema`) declares.
    pub fn structural(openapi: &Value) -> Schema {
        Schema { source: Source::Structural(Arc::new(StructuralSchema::new(openapi))) }
    }

    /// The type of the list at `path`.
    pub fn list_type(&self, path: &[PathElement]) -> ListType<'_> {
        match &self.source {
            Source::Builtin(meta) => builtin_list_type(meta, path),
            Source::Structural(_) if is_metadata(path) => {
                builtin_list_type(&BuiltinPatchMeta::for_kind(""), path)
            }
            Source::Structural(schema) => schema.list_type(path),
        }
    }

    /// Whether the object at `path` is one value rather than a set of fields: label
    /// selectors (`spec.selector`, `podSelector`, `nodeSelector`, ...) of built-in kinds,
    /// `x-kubernetes-map-type: atomic` in a structural schema.
    pub fn atomic_object(&self, path: &[PathElement]) -> bool {
        match &self.source {
            Source::Builtin(_) => builtin_atomic_object(path),
            Source::Structural(_) if is_metadata(path) => false,
            Source::Structural(schema) => schema.atomic_object(path),
        }
    }
}

fn is_metadata(path: &[PathElement]) -> bool {
    matches!(path.first(), Some(PathElement::Field(name)) if name == "metadata")
}

fn builtin_list_type(meta: &BuiltinPatchMeta, path: &[PathElement]) -> ListType<'static> {
    let strategy = with_field_names(path, |fields| meta.list_strategy(fields));
    match strategy {
        ListStrategy::Replace => ListType::Atomic,
        ListStrategy::MergePrimitive => ListType::Set,
        ListStrategy::Merge { key } => {
            ListType::Map(MapKeys::Builtin { key, second: second_key(key) })
        }
    }
}

fn builtin_atomic_object(path: &[PathElement]) -> bool {
    let mut fields = path.iter().rev().filter_map(field_name);
    match (fields.next(), fields.next()) {
        (Some("selector"), Some("spec")) => true,
        (Some(last), _) => {
            matches!(last, "podSelector" | "namespaceSelector" | "labelSelector" | "nodeSelector")
        }
        (None, _) => false,
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

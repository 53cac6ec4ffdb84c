//! The four walks over objects that field management is made of, each guided by a [`Schema`]
//! and limited to a [`Scope`]:
//!
//! - [`Typed::field_set`]: the fields an applied configuration sets (what its manager owns);
//! - [`Typed::compare`]: which fields one version of an object added, changed or removed;
//! - [`Typed::merge`]: the live object with an applied configuration laid over it;
//! - [`Typed::prune`]: the object without fields a manager stopped applying.
//!
//! Scalars, atomic lists and atomic objects are leaves: owned and compared whole. Objects are
//! owned field by field; `set` and `map` lists element by element, an element of a `map` list
//! field by field below it. An empty object or list is a leaf too, as in Kubernetes, so that
//! `resources: {}` can be owned.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use super::fieldpath::{FieldSet, Path, PathElement, canonical_json, display};
use super::schema::{ListType, Schema, Scope};

/// What one version of an object changed relative to another.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Comparison {
    pub added: FieldSet,
    pub modified: FieldSet,
    pub removed: FieldSet,
}

impl Comparison {
    /// Every path the change touched.
    pub fn changed(&self) -> FieldSet {
        self.added.union(&self.modified).union(&self.removed)
    }
}

/// The paths of a [`Comparison`] as the walk finds them, each once; made sets at the end,
/// which is cheaper than inserting one by one.
#[derive(Default)]
struct Changes {
    added: Vec<Path>,
    modified: Vec<Path>,
    removed: Vec<Path>,
}

/// A list or key that a map list or set cannot hold, found in an applied configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidList {
    pub path: String,
    pub message: String,
}

/// How a node is walked.
enum Shape<'s> {
    Leaf,
    Object,
    List(ListType<'s>),
}

/// The walks, for one kind and one scope.
#[derive(Debug, Clone)]
pub struct Typed<'s> {
    pub schema: &'s Schema,
    pub scope: Scope,
}

impl<'s> Typed<'s> {
    /// How the node at `path` is walked, given its value on either side (at least one).
    fn shape(&self, path: &[PathElement], a: Option<&Value>, b: Option<&Value>) -> Shape<'s> {
        let (first, second) = match (a, b) {
            (Some(first), second) => (first, second),
            (None, Some(first)) => (first, None),
            (None, None) => return Shape::Leaf,
        };
        if second.is_some_and(|v| std::mem::discriminant(v) != std::mem::discriminant(first)) {
            return Shape::Leaf;
        }
        let all = |test: fn(&Value) -> bool| test(first) && second.is_none_or(test);
        match first {
            Value::Object(_) if path.is_empty() => Shape::Object,
            Value::Object(_) if self.schema.atomic_object(path) => Shape::Leaf,
            Value::Object(_) if all(|v| v.as_object().is_some_and(Map::is_empty)) => Shape::Leaf,
            Value::Object(_) => Shape::Object,
            Value::Array(_) => match self.schema.list_type(path) {
                ListType::Atomic => Shape::Leaf,
                _ if all(|v| v.as_array().is_some_and(Vec::is_empty)) => Shape::Leaf,
                list => Shape::List(list),
            },
            _ => Shape::Leaf,
        }
    }

    /// The path element of each item of a `set` or `map` list, or why there is none.
    fn elements(&self, list: ListType, items: &[Value]) -> Result<Vec<PathElement>, String> {
        // Short lists (nearly all) are checked for duplicates by a scan, longer ones by hash.
        let mut seen = HashSet::new();
        let hashed = items.len() > SCAN_LIMIT;
        let mut elements: Vec<PathElement> = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let element = match list {
                ListType::Atomic => PathElement::Index(i),
                ListType::Set => PathElement::value(item),
                ListType::Map(keys) => {
                    let mut fields = Vec::with_capacity(keys.len());
                    for key in keys.iter() {
                        let value = match (key_value(item, key.name), key.default) {
                            (Some(value), _) => canonical_json(value),
                            (None, Some(default)) => default.to_owned(),
                            (None, None) => {
                                return Err(format!(
                                    "element {i}: associative list with keys has an element that omits key field {:?}",
                                    key.name
                                ));
                            }
                        };
                        fields.push((key.name.to_owned(), value));
                    }
                    if fields.len() > 1 {
                        fields.sort();
                    }
                    PathElement::Key(fields)
                }
            };
            let duplicate = match hashed {
                true => !seen.insert(element.clone()),
                false => elements.contains(&element),
            };
            if duplicate {
                return Err(format!("duplicate entries for key {}", display(&[element])));
            }
            elements.push(element);
        }
        Ok(elements)
    }

    /// The fields `config` sets: the leaves, every list element, and each empty or null field.
    pub fn field_set(&self, config: &Value) -> Result<FieldSet, InvalidList> {
        let mut set = FieldSet::new();
        self.collect(config, &mut Path::new(), &mut set)?;
        Ok(set)
    }

    fn collect(
        &self,
        value: &Value,
        path: &mut Path,
        set: &mut FieldSet,
    ) -> Result<(), InvalidList> {
        match (self.shape(path, Some(value), None), value) {
            (Shape::Object, Value::Object(map)) => {
                for (key, child) in map {
                    path.push(PathElement::field(key));
                    if !self.scope.ignores(path) {
                        self.collect(child, path, set)?;
                    }
                    path.pop();
                }
            }
            (Shape::List(list), Value::Array(items)) => {
                let elements = self
                    .elements(list, items)
                    .map_err(|message| InvalidList { path: display(path), message })?;
                for (element, item) in elements.into_iter().zip(items) {
                    path.push(element);
                    set.insert(path.clone());
                    if let (ListType::Map(_), Value::Object(_)) = (list, item) {
                        self.collect(item, path, set)?;
                    }
                    path.pop();
                }
            }
            _ if self.scope.ownable(path) => set.insert(path.clone()),
            _ => {}
        }
        Ok(())
    }

    /// The fields `new` added, changed or removed relative to `old`.
    pub fn compare(&self, old: &Value, new: &Value) -> Comparison {
        let mut out = Changes::default();
        self.compare_at(Some(old), Some(new), &mut Path::new(), &mut out);
        Comparison {
            added: out.added.into_iter().collect(),
            modified: out.modified.into_iter().collect(),
            removed: out.removed.into_iter().collect(),
        }
    }

    fn compare_at(&self, a: Option<&Value>, b: Option<&Value>, path: &mut Path, out: &mut Changes) {
        match self.shape(path, a, b) {
            Shape::Object => {
                let (left, right) = (a.and_then(Value::as_object), b.and_then(Value::as_object));
                for (key, x) in left.into_iter().flatten() {
                    path.push(PathElement::field(key));
                    if !self.scope.ignores(path) {
                        self.compare_at(Some(x), right.and_then(|m| m.get(key)), path, out);
                    }
                    path.pop();
                }
                for (key, y) in right.into_iter().flatten() {
                    if left.is_some_and(|m| m.contains_key(key)) {
                        continue;
                    }
                    path.push(PathElement::field(key));
                    if !self.scope.ignores(path) {
                        self.compare_at(None, Some(y), path, out);
                    }
                    path.pop();
                }
            }
            Shape::List(list) => {
                let left = self.indexed(list, a);
                let right = self.indexed(list, b);
                let (Some(left), Some(right)) = (left, right) else {
                    return compare_leaf(a, b, path, out);
                };
                let find = Finder::new(&right);
                let mut matched = vec![false; right.len()];
                let mut pairs = Vec::with_capacity(left.len());
                for (element, _) in &left {
                    let j = find.position(&right, element);
                    if let Some(j) = j {
                        matched[j] = true;
                    }
                    pairs.push(j);
                }
                let mut right: Vec<Option<(PathElement, &Value)>> =
                    right.into_iter().map(Some).collect();
                for ((element, x), j) in left.into_iter().zip(pairs) {
                    let y = j.and_then(|j| right[j].as_ref()).map(|(_, y)| *y);
                    path.push(element);
                    self.compare_at(Some(x), y, path, out);
                    path.pop();
                }
                for (item, seen) in right.iter_mut().zip(matched) {
                    if let (Some((element, y)), false) = (item.take(), seen) {
                        path.push(element);
                        self.compare_at(None, Some(y), path, out);
                        path.pop();
                    }
                }
            }
            Shape::Leaf => return compare_leaf(a, b, path, out),
        }
        if a.is_none() && self.scope.ownable(path) {
            out.added.push(path.clone());
        }
        if b.is_none() && self.scope.ownable(path) {
            out.removed.push(path.clone());
        }
    }

    /// The items of a list with their path elements; `Some(empty)` for a missing list, `None`
    /// when the items cannot be told apart (then the list is compared whole).
    fn indexed<'v>(
        &self,
        list: ListType,
        value: Option<&'v Value>,
    ) -> Option<Vec<(PathElement, &'v Value)>> {
        let Some(value) = value else { return Some(Vec::new()) };
        let items = value.as_array()?;
        let elements = self.elements(list, items).ok()?;
        Some(elements.into_iter().zip(items).collect())
    }

    /// `live` with `config` laid over it: fields of `config` win, lists merge by their type,
    /// a `null` in `config` removes the field. Nothing else is removed.
    pub fn merge(&self, live: &Value, config: &Value) -> Value {
        self.merge_at(Some(live), config, &mut Path::new()).unwrap_or(Value::Null)
    }

    fn merge_at(&self, live: Option<&Value>, config: &Value, path: &mut Path) -> Option<Value> {
        if config.is_null() {
            return None;
        }
        match (self.shape(path, live, Some(config)), live, config) {
            (Shape::Object, Some(Value::Object(live)), Value::Object(config)) => {
                let mut out = live.clone();
                for (key, value) in config {
                    path.push(PathElement::field(key));
                    if !self.scope.ignores(path) {
                        match self.merge_at(out.get(key), value, path) {
                            Some(merged) => out.insert(key.clone(), merged),
                            None => out.shift_remove(key),
                        };
                    }
                    path.pop();
                }
                Some(Value::Object(out))
            }
            (Shape::List(list), Some(Value::Array(live)), Value::Array(config)) => {
                Some(self.merge_list(list, live, config, path))
            }
            _ => Some(without_nulls(config)),
        }
    }

    /// Merges two `set` or `map` lists. Elements only in `live` keep their place; elements of
    /// `config` come in its order, each new one just before the shared one that follows it.
    fn merge_list(
        &self,
        list: ListType,
        live: &[Value],
        config: &[Value],
        path: &mut Path,
    ) -> Value {
        let (Ok(left), Ok(right)) = (self.elements(list, live), self.elements(list, config)) else {
            return without_nulls(&Value::Array(config.to_vec()));
        };
        let in_live: HashMap<&PathElement, usize> = left.iter().zip(0..).collect();
        let in_config: HashSet<&PathElement> = right.iter().collect();
        let mut out = Vec::with_capacity(live.len() + config.len());
        let mut next = 0;
        let take = |j: usize, path: &mut Path, out: &mut Vec<Value>| {
            path.push(right[j].clone());
            let current = in_live.get(&right[j]).map(|&i| &live[i]);
            out.extend(self.merge_at(current, &config[j], path));
            path.pop();
            current.is_some()
        };
        for (i, element) in left.iter().enumerate() {
            if !in_config.contains(element) {
                out.push(live[i].clone());
                continue;
            }
            while next < config.len() {
                next += 1;
                if take(next - 1, path, &mut out) {
                    break;
                }
            }
        }
        for j in next..config.len() {
            take(j, path, &mut out);
        }
        Value::Array(out)
    }

    /// Removes from `object` the fields in `remove` that nothing in `owned` keeps: a member of
    /// `remove` goes with everything below it unless something below is owned, and an object
    /// or list that pruning left empty goes too unless it is owned itself.
    pub fn prune(&self, object: &mut Value, remove: &FieldSet, owned: &FieldSet) {
        if !remove.is_empty() {
            self.prune_at(object, &mut Path::new(), remove, owned, ListType::Atomic);
        }
    }

    fn prune_at(
        &self,
        value: &mut Value,
        path: &mut Path,
        remove: &FieldSet,
        owned: &FieldSet,
        list: ListType,
    ) {
        match value {
            Value::Object(map) => {
                let keys: Vec<String> =
                    map.keys().filter(|k| !is_key_field(list, k)).cloned().collect();
                for name in keys {
                    path.push(PathElement::field(&name));
                    if !self.scope.ignores(path)
                        && remove.touches(path)
                        && let Some(child) = map.get_mut(&name)
                        && self.prune_child(child, path, remove, owned, ListType::Atomic)
                    {
                        map.shift_remove(&name);
                    }
                    path.pop();
                }
            }
            Value::Array(items) => {
                let list = self.schema.list_type(path);
                let Ok(elements) = self.elements(list, items) else { return };
                if list == ListType::Atomic {
                    return;
                }
                let mut drop = Vec::with_capacity(items.len());
                for (element, item) in elements.into_iter().zip(items.iter_mut()) {
                    path.push(element);
                    drop.push(
                        remove.touches(path) && self.prune_child(item, path, remove, owned, list),
                    );
                    path.pop();
                }
                let mut index = 0;
                items.retain(|_| {
                    index += 1;
                    !drop[index - 1]
                });
            }
            _ => {}
        }
    }

    /// Prunes below `child`; returns whether the child itself goes.
    fn prune_child(
        &self,
        child: &mut Value,
        path: &mut Path,
        remove: &FieldSet,
        owned: &FieldSet,
        list: ListType,
    ) -> bool {
        if remove.contains(path) && !owned.has_below(path) {
            return true;
        }
        let was_empty = is_empty_container(child);
        self.prune_at(child, path, remove, owned, list);
        !was_empty && is_empty_container(child) && !owned.contains(path)
    }
}

/// The scalar value of an element's key field.
fn key_value<'v>(item: &'v Value, field: &str) -> Option<&'v Value> {
    item.get(field).filter(|v| matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_)))
}

/// Whether `field` identifies the elements of `list` (an element's key fields stay as long as
/// the element does).
fn is_key_field(list: ListType, field: &str) -> bool {
    match list {
        ListType::Map(keys) => keys.contains(field),
        _ => false,
    }
}

/// Lists no longer than this are searched and checked for duplicates by a scan.
const SCAN_LIMIT: usize = 16;

/// Finds a path element among a list's items: by a scan for short lists, by hash otherwise.
struct Finder<'e> {
    index: Option<HashMap<&'e PathElement, usize>>,
}

impl<'e> Finder<'e> {
    fn new(items: &'e [(PathElement, &Value)]) -> Finder<'e> {
        let index = (items.len() > SCAN_LIMIT)
            .then(|| items.iter().enumerate().map(|(i, (e, _))| (e, i)).collect());
        Finder { index }
    }

    fn position(&self, items: &[(PathElement, &Value)], element: &PathElement) -> Option<usize> {
        match &self.index {
            Some(index) => index.get(element).copied(),
            None => items.iter().position(|(e, _)| e == element),
        }
    }
}

fn compare_leaf(a: Option<&Value>, b: Option<&Value>, path: &Path, out: &mut Changes) {
    match (a, b) {
        (None, Some(_)) => out.added.push(path.clone()),
        (Some(_), None) => out.removed.push(path.clone()),
        (Some(x), Some(y)) if x != y => out.modified.push(path.clone()),
        _ => {}
    }
}

fn is_empty_container(value: &Value) -> bool {
    match value {
        Value::Object(map) => map.is_empty(),
        Value::Array(items) => items.is_empty(),
        _ => false,
    }
}

/// `value` without the `null` fields of its objects, at any depth.
fn without_nulls(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), without_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_nulls).collect()),
        other => other.clone(),
    }
}

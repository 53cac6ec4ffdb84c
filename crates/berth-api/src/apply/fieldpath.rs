//! Field paths and sets of them: the vocabulary of field ownership.
//!
//! A [`Path`] leads from the object root to one field or list element; a [`FieldSet`] is what
//! one manager owns. A set holds every owned path as a member, so a manager owning a list
//! element and its `image` holds both paths. Paths sort so that everything below a path
//! follows it directly, which makes "is anything owned under here" a range query.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::ops::Bound;

use serde_json::Value;

/// One step into a value. The order of the variants is the order Kubernetes serializes
/// them in (`f:` fields, then `k:` keys, `v:` values, `i:` indices).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PathElement {
    /// A field of an object (`f:replicas`).
    Field(String),
    /// An element of a keyed list, by its key fields (`k:{"name":"nginx"}`): pairs of field
    /// name and the canonical JSON of its value, sorted by name.
    Key(Vec<(String, String)>),
    /// An element of a set, by its canonical JSON (`v:"foregroundDeletion"`).
    Value(String),
    /// An element of a list by position (`i:0`); only read from entries others wrote.
    Index(usize),
}

/// A path from the object root.
pub type Path = Vec<PathElement>;

impl PathElement {
    pub fn field(name: &str) -> PathElement {
        PathElement::Field(name.to_owned())
    }

    /// The element of a keyed list whose `key` field holds `value`.
    pub fn key(key: &str, value: &Value) -> PathElement {
        PathElement::Key(vec![(key.to_owned(), canonical_json(value))])
    }

    /// The element of a set that is `value`.
    pub fn value(value: &Value) -> PathElement {
        PathElement::Value(canonical_json(value))
    }
}

/// `path` as Kubernetes prints it in conflicts: `.spec.template.spec.containers[name="nginx"].image`.
pub fn display(path: &[PathElement]) -> String {
    let mut out = String::new();
    for element in path {
        match element {
            PathElement::Field(name) => {
                out.push('.');
                out.push_str(name);
            }
            PathElement::Key(fields) => {
                let pairs: Vec<String> = fields.iter().map(|(k, v)| format!("{k}={v}")).collect();
                let _ = write!(out, "[{}]", pairs.join(","));
            }
            PathElement::Value(json) => {
                let _ = write!(out, "[={json}]");
            }
            PathElement::Index(index) => {
                let _ = write!(out, "[{index}]");
            }
        }
    }
    out
}

/// JSON text of `value` with object keys sorted at every level, so equal values have equal
/// text.
pub fn canonical_json(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let fields: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}:{}", Value::String(k.clone()), canonical_json(&map[k])))
                .collect();
            format!("{{{}}}", fields.join(","))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(canonical_json).collect();
            format!("[{}]", items.join(","))
        }
        scalar => scalar.to_string(),
    }
}

/// A set of paths: the fields one manager owns, or the fields a change touched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSet {
    paths: BTreeSet<Path>,
}

impl FieldSet {
    pub fn new() -> FieldSet {
        FieldSet::default()
    }

    /// Adds `path`; the empty path (the object itself) is never a member.
    pub fn insert(&mut self, path: Path) {
        if !path.is_empty() {
            self.paths.insert(path);
        }
    }

    pub fn contains(&self, path: &[PathElement]) -> bool {
        self.paths.contains(path)
    }

    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }

    pub fn len(&self) -> usize {
        self.paths.len()
    }

    /// The member paths, in order.
    pub fn iter(&self) -> impl Iterator<Item = &Path> {
        self.paths.iter()
    }

    /// Members at or below `prefix`.
    fn under<'a>(&'a self, prefix: &'a [PathElement]) -> impl Iterator<Item = &'a Path> + 'a {
        self.paths
            .range::<[PathElement], _>((Bound::Included(prefix), Bound::Unbounded))
            .take_while(move |p| p.starts_with(prefix))
    }

    /// Whether `prefix` or anything below it is a member.
    pub fn touches(&self, prefix: &[PathElement]) -> bool {
        self.under(prefix).next().is_some()
    }

    /// Whether anything strictly below `prefix` is a member.
    pub fn has_below(&self, prefix: &[PathElement]) -> bool {
        self.under(prefix).any(|p| p.len() > prefix.len())
    }

    pub fn union(&self, other: &FieldSet) -> FieldSet {
        FieldSet { paths: self.paths.union(&other.paths).cloned().collect() }
    }

    pub fn difference(&self, other: &FieldSet) -> FieldSet {
        FieldSet { paths: self.paths.difference(&other.paths).cloned().collect() }
    }

    pub fn intersection(&self, other: &FieldSet) -> FieldSet {
        FieldSet { paths: self.paths.intersection(&other.paths).cloned().collect() }
    }

    /// Moves every member of `other` into this set, leaving `other` empty.
    pub fn append(&mut self, other: &mut FieldSet) {
        self.paths.append(&mut other.paths);
    }

    /// Adds every member of `other`; returns whether any was new.
    pub fn extend_from(&mut self, other: &FieldSet) -> bool {
        let before = self.paths.len();
        for path in &other.paths {
            if !self.paths.contains(path) {
                self.paths.insert(path.clone());
            }
        }
        self.paths.len() != before
    }

    /// Removes every member of `remove` in place; returns whether any was removed.
    pub fn remove_all(&mut self, remove: &FieldSet) -> bool {
        let before = self.paths.len();
        if remove.paths.len() < before {
            for path in &remove.paths {
                self.paths.remove(path);
            }
        } else {
            self.paths.retain(|p| !remove.paths.contains(p));
        }
        self.paths.len() != before
    }
}

impl FromIterator<Path> for FieldSet {
    fn from_iter<I: IntoIterator<Item = Path>>(iter: I) -> FieldSet {
        FieldSet { paths: iter.into_iter().filter(|path| !path.is_empty()).collect() }
    }
}

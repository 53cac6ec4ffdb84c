//! List merging for the strategic merge patch, and the order of the merged list.
//!
//! [`Merge::list`] takes the list's [`ListStrategy`] from the metadata: replace it, merge
//! objects by key ([`Merge::keyed`]) or merge a set of scalars ([`scalars`]). A merged list is
//! then put in order by [`arrange`], Kubernetes' rule: the elements the patch names (in
//! `$setElementOrder/<list>` when given, else in the patch list) come in the patch's order, and
//! each element only the live object has keeps its place relative to the named elements it
//! preceded. Elements are matched through an [`Identity`] hashed once, so large lists cost
//! linear time.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use super::{Directive, Merge, Outcome, directive};
use crate::patch::{ListStrategy, PatchError};

/// What identifies a scalar or a merge key value; numbers compare by value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum Identity {
    Null,
    Bool(bool),
    Integer(i128),
    Float(u64),
    Text(String),
}

impl Identity {
    /// The identity of a scalar; objects and arrays have none.
    pub(super) fn of(value: &Value) -> Option<Identity> {
        Some(match value {
            Value::Null => Identity::Null,
            Value::Bool(b) => Identity::Bool(*b),
            Value::String(s) => Identity::Text(s.clone()),
            Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
                (Some(i), _, _) => Identity::Integer(i128::from(i)),
                (_, Some(u), _) => Identity::Integer(i128::from(u)),
                (_, _, Some(f)) if f.fract() == 0.0 && f.abs() < 1e38 => {
                    Identity::Integer(f as i128)
                }
                (_, _, Some(f)) => Identity::Float(f.to_bits()),
                _ => return None,
            },
            Value::Object(_) | Value::Array(_) => return None,
        })
    }
}

/// An element of the merged list and its index in the live list, if it came from there.
struct Entry {
    value: Value,
    origin: Option<usize>,
}

/// What a list holds, for choosing how to merge it.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
enum Elements {
    None,
    Objects,
    Scalars,
}

impl<'p> Merge<'_, 'p> {
    /// Merges the patch list `patch` (`None` when the patch only reorders the list) into the
    /// live list `current`, then applies `order`, the `$setElementOrder` list.
    pub(super) fn list(
        &mut self,
        current: Vec<Value>,
        patch: Option<&'p [Value]>,
        order: Option<&'p Value>,
    ) -> Result<Vec<Value>, PatchError> {
        let order = match order {
            None => None,
            Some(Value::Array(order)) => Some(order.as_slice()),
            Some(_) => return Err(self.invalid("its $setElementOrder is not a list")),
        };
        let key = match self.meta.list_strategy(&self.path) {
            ListStrategy::Replace => return self.replace(current, patch),
            ListStrategy::Merge { key } => Some(key),
            ListStrategy::MergePrimitive => None,
        };
        let elements =
            elements(&current, patch.unwrap_or_default()).map_err(|m| self.invalid(m))?;
        match (elements, key) {
            (Elements::None, _) => Ok(Vec::new()),
            (Elements::Objects, Some(key)) => {
                self.keyed(current, patch.unwrap_or_default(), key, order)
            }
            (Elements::Objects, None) => Err(self.invalid("it holds objects but has no merge key")),
            (Elements::Scalars, _) => scalars(current, patch, order).map_err(|m| self.invalid(m)),
        }
    }

    /// A list without a merge strategy: the patch list, with each object in it applied to an
    /// empty object so that directives do not reach the result.
    fn replace(
        &mut self,
        current: Vec<Value>,
        patch: Option<&'p [Value]>,
    ) -> Result<Vec<Value>, PatchError> {
        let Some(patch) = patch else { return Ok(current) };
        let mut items = Vec::with_capacity(patch.len());
        for item in patch {
            match item {
                Value::Object(object) => {
                    let mut fresh = Map::new();
                    if self.map(&mut fresh, object)? == Outcome::Keep {
                        items.push(Value::Object(fresh));
                    }
                }
                other => items.push(other.clone()),
            }
        }
        Ok(items)
    }

    /// A list of objects merged by `key`.
    fn keyed(
        &mut self,
        current: Vec<Value>,
        patch: &'p [Value],
        key: &str,
        order: Option<&[Value]>,
    ) -> Result<Vec<Value>, PatchError> {
        let key_of = |item: &Value| item.get(key).and_then(Identity::of);
        let missing_key = || self.invalid(format!("an element has no merge key {key:?}"));
        let mut replace = false;
        let mut deleted = HashSet::new();
        let mut merging = Vec::new();
        for item in patch {
            let Value::Object(object) = item else {
                return Err(self.invalid("it mixes objects and scalars"));
            };
            match directive(object)? {
                None => merging.push((key_of(item).ok_or_else(missing_key)?, object)),
                Some(Directive::Delete) => {
                    deleted.insert(key_of(item).ok_or_else(missing_key)?);
                }
                Some(Directive::Replace) => replace = true,
                Some(Directive::Merge) => {
                    return Err(self.invalid("\"$patch\": \"merge\" is not supported in a list"));
                }
            }
        }
        let mut entries: Vec<Entry> = if replace {
            Vec::new()
        } else {
            current
                .into_iter()
                .enumerate()
                .filter(|(_, item)| key_of(item).is_none_or(|id| !deleted.contains(&id)))
                .map(|(index, value)| Entry { value, origin: Some(index) })
                .collect()
        };
        let mut found: HashMap<Identity, usize> = HashMap::new();
        for (index, entry) in entries.iter().enumerate() {
            if let Some(id) = key_of(&entry.value) {
                found.entry(id).or_insert(index);
            }
        }
        for (id, object) in &merging {
            if let Some(&index) = found.get(id)
                && let Value::Object(existing) = &mut entries[index].value
            {
                self.map(existing, object)?;
                continue;
            }
            let mut fresh = Map::new();
            self.map(&mut fresh, object)?;
            found.insert(id.clone(), entries.len());
            entries.push(Entry { value: Value::Object(fresh), origin: None });
        }
        let named: Vec<Identity> = merging.into_iter().map(|(id, _)| id).collect();
        let order = match order {
            Some(order) => {
                let order =
                    order.iter().map(key_of).collect::<Option<Vec<_>>>().ok_or_else(|| {
                        self.invalid(format!("an element of its $setElementOrder has no {key:?}"))
                    })?;
                check_order(&named, &order).map_err(|m| self.invalid(m))?;
                order
            }
            None => named,
        };
        Ok(arrange(entries, &order, key_of))
    }

    fn invalid(&self, problem: impl std::fmt::Display) -> PatchError {
        PatchError::invalid(format!("list {:?}: {problem}", self.path.join(".")))
    }
}

/// A set of scalars: the live list, then patch values it lacks. Like Kubernetes, a merge drops
/// duplicates, a reorder alone does not.
fn scalars(
    current: Vec<Value>,
    patch: Option<&[Value]>,
    order: Option<&[Value]>,
) -> Result<Vec<Value>, &'static str> {
    let mut seen = HashSet::new();
    let mut entries = Vec::with_capacity(current.len());
    for (index, value) in current.into_iter().enumerate() {
        let new = Identity::of(&value).is_some_and(|id| seen.insert(id));
        if new || patch.is_none() {
            entries.push(Entry { value, origin: Some(index) });
        }
    }
    let patch = patch.unwrap_or_default();
    let named = patch
        .iter()
        .map(Identity::of)
        .collect::<Option<Vec<_>>>()
        .ok_or("it mixes objects and scalars")?;
    for (value, id) in patch.iter().zip(&named) {
        if seen.insert(id.clone()) {
            entries.push(Entry { value: value.clone(), origin: None });
        }
    }
    let order = match order {
        Some(order) => {
            let order = order
                .iter()
                .map(Identity::of)
                .collect::<Option<Vec<_>>>()
                .ok_or("its $setElementOrder holds objects")?;
            check_order(&named, &order)?;
            order
        }
        None => named,
    };
    Ok(arrange(entries, &order, Identity::of))
}

/// Whether the list holds objects or scalars; lists of lists and mixtures cannot be merged.
fn elements(current: &[Value], patch: &[Value]) -> Result<Elements, &'static str> {
    let mut found = Elements::None;
    for item in current.iter().chain(patch) {
        let this = match item {
            Value::Array(_) => return Err("lists of lists cannot be merged"),
            Value::Object(_) => Elements::Objects,
            _ => Elements::Scalars,
        };
        if found != Elements::None && found != this {
            return Err("it mixes objects and scalars");
        }
        found = this;
    }
    Ok(found)
}

/// The patch list must name its elements in the order `$setElementOrder` gives.
fn check_order(named: &[Identity], order: &[Identity]) -> Result<(), &'static str> {
    let mut pending = named.iter().peekable();
    for id in order {
        if pending.peek() == Some(&id) {
            pending.next();
        }
    }
    match pending.peek() {
        Some(_) if !order.is_empty() => Err("the patch list does not follow its $setElementOrder"),
        _ => Ok(()),
    }
}

/// Puts the elements named in `order` in that order and interleaves the others: an element
/// of the live list goes before a named one that came after it in the live list.
fn arrange(
    entries: Vec<Entry>,
    order: &[Identity],
    id_of: impl Fn(&Value) -> Option<Identity>,
) -> Vec<Value> {
    let mut rank = HashMap::new();
    for (index, id) in order.iter().enumerate() {
        rank.entry(id).or_insert(index);
    }
    let mut named = Vec::new();
    let mut others = Vec::new();
    for entry in entries {
        match id_of(&entry.value).and_then(|id| rank.get(&id).copied()) {
            Some(position) => named.push((position, entry)),
            None => others.push(entry),
        }
    }
    named.sort_by_key(|(position, _)| *position);
    let mut named = named.into_iter().map(|(_, entry)| entry).peekable();
    let mut others = others.into_iter().peekable();
    let mut arranged = Vec::with_capacity(named.len() + others.len());
    loop {
        let other_first = match (others.peek(), named.peek()) {
            (Some(other), Some(first)) => {
                matches!((other.origin, first.origin), (Some(a), Some(b)) if a < b)
            }
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => break,
        };
        let next = if other_first { others.next() } else { named.next() };
        arranged.extend(next.map(|entry| entry.value));
    }
    arranged
}

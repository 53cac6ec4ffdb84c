//! Strategic merge patch: a JSON merge patch whose lists merge by key, steered by directives.
//!
//! Start at [`strategic_merge_patch`]. Maps merge member by member as in RFC 7386
//! ([`Merge::map`]); a list merges as [`PatchMeta`] says for its path ([`Merge::list`] in
//! `list.rs`, which also puts the merged list in order). The patch may carry directives, none
//! of which reaches the result:
//!
//! - `"$patch": "replace"` in a map replaces the map with the rest of the patch map; in a list
//!   element it replaces the whole list with the other elements. `"$patch": "delete"` in a map
//!   removes the map (at the root: empties the object); in a list element it removes the
//!   elements with the same merge key. `"$patch": "merge"` is the default for maps.
//! - `"$retainKeys": [..]` clears the map's members that are not listed.
//! - `"$setElementOrder/<list>": [..]` gives the order of the merged list.
//! - `"$deleteFromPrimitiveList/<list>": [..]` removes scalars from a list.
//!
//! The semantics are those of `k8s.io/apimachinery/pkg/util/strategicpatch` as the API server
//! applies a patch, with one deliberate difference: where that code copies a patch value into
//! the result unprocessed (a map or list the object does not have yet), this one applies it to
//! an empty value, so nulls and directives inside it do not leak into the stored object.

mod list;

use serde_json::{Map, Value};

use super::{PatchError, PatchMeta, check_depth};

const PATCH: &str = "$patch";
const RETAIN_KEYS: &str = "$retainKeys";
const SET_ELEMENT_ORDER: &str = "$setElementOrder";
const DELETE_FROM_PRIMITIVE_LIST: &str = "$deleteFromPrimitiveList";

/// Applies the strategic merge patch `patch` (a JSON object) to `target`; `meta` says how the
/// lists of this kind of object merge.
pub fn strategic_merge_patch(
    target: &Value,
    patch: &Value,
    meta: &dyn PatchMeta,
) -> Result<Value, PatchError> {
    let Value::Object(patch_map) = patch else {
        return Err(PatchError::invalid("a strategic merge patch must be a json object"));
    };
    check_depth(patch)?;
    let Value::Object(object) = target else {
        return Err(PatchError::invalid("the object to patch is not a json object"));
    };
    let mut object = object.clone();
    let mut merge = Merge { meta, path: Vec::new() };
    match merge.map(&mut object, patch_map)? {
        Outcome::Keep => Ok(Value::Object(object)),
        Outcome::Delete => Ok(Value::Object(Map::new())),
    }
}

/// One application of a patch: the metadata and where in the object the merge is.
struct Merge<'m, 'p> {
    meta: &'m dyn PatchMeta,
    /// Map keys from the object root to the value being merged (list elements add none).
    path: Vec<&'p str>,
}

/// What merging a patch map asks of the map that holds the result.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Keep,
    /// The patch map said `"$patch": "delete"`.
    Delete,
}

/// The `$patch` directive of a map or list element.
#[derive(Debug, PartialEq, Eq)]
enum Directive {
    Replace,
    Delete,
    Merge,
}

impl<'p> Merge<'_, 'p> {
    /// Merges `patch` into `original`; recursion follows the patch, whose depth was checked.
    fn map(
        &mut self,
        original: &mut Map<String, Value>,
        patch: &'p Map<String, Value>,
    ) -> Result<Outcome, PatchError> {
        match directive(patch)? {
            Some(Directive::Delete) => return Ok(Outcome::Delete),
            Some(Directive::Replace) => original.clear(),
            Some(Directive::Merge) | None => {}
        }
        if let Some(keys) = patch.get(RETAIN_KEYS) {
            retain_keys(original, patch, keys)?;
        }
        for (key, value) in patch {
            if is_directive(key) {
                continue;
            }
            let order = patch.get(&format!("{SET_ELEMENT_ORDER}/{key}"));
            self.path.push(key);
            let merged = self.field(original, key, value, order);
            self.path.pop();
            merged?;
        }
        // Orders for lists the patch does not change, then deletions, as Kubernetes does.
        for (key, value) in patch {
            if let Some(field) = directive_field(key, SET_ELEMENT_ORDER)? {
                if !value.is_array() {
                    return Err(PatchError::invalid(format!("{key} must be a list")));
                }
                if !patch.contains_key(field) {
                    self.path.push(field);
                    let reordered = self.reorder(original, field, value);
                    self.path.pop();
                    reordered?;
                }
            }
        }
        for (key, value) in patch {
            if let Some(field) = directive_field(key, DELETE_FROM_PRIMITIVE_LIST)? {
                delete_from_list(original, field, key, value)?;
            }
        }
        Ok(Outcome::Keep)
    }

    /// Merges the patch value of one member into `original`.
    fn field(
        &mut self,
        original: &mut Map<String, Value>,
        key: &str,
        value: &'p Value,
        order: Option<&'p Value>,
    ) -> Result<(), PatchError> {
        match value {
            Value::Null => {
                original.shift_remove(key);
            }
            Value::Object(patch) => {
                let outcome = match original.get_mut(key) {
                    Some(Value::Object(existing)) => self.map(existing, patch)?,
                    _ => {
                        let mut fresh = Map::new();
                        let outcome = self.map(&mut fresh, patch)?;
                        original.insert(key.to_owned(), Value::Object(fresh));
                        outcome
                    }
                };
                if outcome == Outcome::Delete {
                    original.shift_remove(key);
                }
            }
            Value::Array(items) => {
                let current = match original.get_mut(key) {
                    Some(Value::Array(current)) => std::mem::take(current),
                    _ => Vec::new(),
                };
                let merged = self.list(current, Some(items), order)?;
                original.insert(key.to_owned(), Value::Array(merged));
            }
            scalar => {
                original.insert(key.to_owned(), scalar.clone());
            }
        }
        Ok(())
    }

    /// Applies `$setElementOrder/<field>` to a list the patch does not otherwise touch.
    fn reorder(
        &mut self,
        original: &mut Map<String, Value>,
        field: &str,
        order: &'p Value,
    ) -> Result<(), PatchError> {
        if let Some(Value::Array(current)) = original.get_mut(field) {
            let items = std::mem::take(current);
            *current = self.list(items, None, Some(order))?;
        }
        Ok(())
    }
}

/// Reads the `$patch` directive of a map.
fn directive(map: &Map<String, Value>) -> Result<Option<Directive>, PatchError> {
    let Some(value) = map.get(PATCH) else { return Ok(None) };
    match value.as_str() {
        Some("replace") => Ok(Some(Directive::Replace)),
        Some("delete") => Ok(Some(Directive::Delete)),
        Some("merge") => Ok(Some(Directive::Merge)),
        _ => Err(PatchError::invalid(format!("unknown $patch directive {value}"))),
    }
}

/// Whether a patch member is a directive rather than a field of the object.
fn is_directive(key: &str) -> bool {
    key == PATCH
        || key == RETAIN_KEYS
        || key.starts_with(SET_ELEMENT_ORDER)
        || key.starts_with(DELETE_FROM_PRIMITIVE_LIST)
}

/// The field named by a `<prefix>/<field>` directive key, `None` for other keys.
fn directive_field<'k>(key: &'k str, prefix: &str) -> Result<Option<&'k str>, PatchError> {
    let Some(rest) = key.strip_prefix(prefix) else { return Ok(None) };
    match rest.strip_prefix('/') {
        Some(field) if !field.is_empty() => Ok(Some(field)),
        _ => Err(PatchError::invalid(format!(
            "directive {key:?} must have the form {prefix}/<field>"
        ))),
    }
}

/// `$retainKeys`: every field the patch sets must be listed, and fields not listed go.
fn retain_keys(
    original: &mut Map<String, Value>,
    patch: &Map<String, Value>,
    keys: &Value,
) -> Result<(), PatchError> {
    let keys = keys
        .as_array()
        .and_then(|keys| keys.iter().map(Value::as_str).collect::<Option<Vec<&str>>>())
        .ok_or_else(|| PatchError::invalid("$retainKeys must be a list of field names"))?;
    let unlisted = patch.iter().find(|(key, value)| {
        !value.is_null() && !is_directive(key) && !keys.contains(&key.as_str())
    });
    if let Some((key, _)) = unlisted {
        return Err(PatchError::invalid(format!(
            "field {key:?} is in the patch but not in $retainKeys"
        )));
    }
    original.retain(|key, _| keys.contains(&key.as_str()));
    Ok(())
}

/// `$deleteFromPrimitiveList/<field>`: removes the listed scalars from the list at `field`.
fn delete_from_list(
    original: &mut Map<String, Value>,
    field: &str,
    key: &str,
    doomed: &Value,
) -> Result<(), PatchError> {
    let doomed = doomed
        .as_array()
        .and_then(|doomed| {
            doomed.iter().map(list::Identity::of).collect::<Option<std::collections::HashSet<_>>>()
        })
        .ok_or_else(|| PatchError::invalid(format!("{key} must be a list of scalars")))?;
    if let Some(Value::Array(items)) = original.get_mut(field) {
        items.retain(|item| list::Identity::of(item).is_none_or(|id| !doomed.contains(&id)));
    }
    Ok(())
}

#[cfg(test)]
mod tests;

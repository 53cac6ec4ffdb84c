//! JSON patch (RFC 6902): a list of operations applied in order, all or nothing.
//!
//! Start at [`json_patch`]. The whole document is checked first (a list of at most
//! [`MAX_JSON_PATCH_OPERATIONS`] well-formed operations), then the operations run one by one on
//! a copy of the target; the first failure discards the copy. Two limits keep a small request
//! from building a huge or deeply nested object: values that `copy` duplicates count against
//! [`MAX_COPIED_VALUES`], and no operation may place a value below [`MAX_DEPTH`] levels.

use serde_json::Value;

use super::pointer::{self, Pointer};
use super::{MAX_DEPTH, PatchError, nesting, values_equal};

/// The most operations one JSON patch may hold, as in kube-apiserver.
pub const MAX_JSON_PATCH_OPERATIONS: usize = 10_000;

/// The most JSON values (objects, arrays and scalars each count one) the operations of one
/// patch may duplicate; without it, `copy /a -> /a/-` doubles an array with every operation.
pub const MAX_COPIED_VALUES: usize = 1_000_000;

/// Applies the RFC 6902 `patch` (a JSON list of `add`, `remove`, `replace`, `move`, `copy`
/// and `test` operations) to `target`.
pub fn json_patch(target: &Value, patch: &Value) -> Result<Value, PatchError> {
    let Value::Array(operations) = patch else {
        return Err(PatchError::invalid("a json patch must be a list of operations"));
    };
    if operations.len() > MAX_JSON_PATCH_OPERATIONS {
        return Err(PatchError::TooManyOperations {
            count: operations.len(),
            limit: MAX_JSON_PATCH_OPERATIONS,
        });
    }
    let operations = operations
        .iter()
        .enumerate()
        .map(|(index, operation)| Operation::parse(index, operation))
        .collect::<Result<Vec<_>, _>>()?;
    let mut document = target.clone();
    let mut run = Run { depth_bound: nesting(target, usize::MAX).unwrap_or(usize::MAX), copied: 0 };
    for operation in &operations {
        run.apply(&mut document, operation)?;
    }
    Ok(document)
}

/// One operation of the patch, borrowing its value from the patch document.
#[derive(Debug)]
enum Operation<'p> {
    Add { path: Pointer, value: &'p Value },
    Remove { path: Pointer },
    Replace { path: Pointer, value: &'p Value },
    Move { from: Pointer, path: Pointer },
    Copy { from: Pointer, path: Pointer },
    Test { path: Pointer, value: &'p Value },
}

impl<'p> Operation<'p> {
    fn parse(index: usize, operation: &'p Value) -> Result<Operation<'p>, PatchError> {
        let Value::Object(fields) = operation else {
            return Err(PatchError::invalid(format!("operation {index} is not an object")));
        };
        let text = |field: &str| {
            fields.get(field).and_then(Value::as_str).ok_or_else(|| {
                PatchError::invalid(format!("operation {index} has no string {field:?} member"))
            })
        };
        let name = text("op")?;
        let pointer = |field: &str| Pointer::parse(text(field)?);
        let value = || {
            fields.get("value").ok_or_else(|| {
                PatchError::invalid(format!("operation {index} ({name}) has no \"value\" member"))
            })
        };
        Ok(match name {
            "add" => Operation::Add { path: pointer("path")?, value: value()? },
            "remove" => Operation::Remove { path: pointer("path")? },
            "replace" => Operation::Replace { path: pointer("path")?, value: value()? },
            "move" => Operation::Move { from: pointer("from")?, path: pointer("path")? },
            "copy" => Operation::Copy { from: pointer("from")?, path: pointer("path")? },
            "test" => Operation::Test { path: pointer("path")?, value: value()? },
            other => {
                return Err(PatchError::invalid(format!(
                    "operation {index} has unknown op {other:?}"
                )));
            }
        })
    }
}

/// What the operations applied so far have used of the limits.
struct Run {
    /// An upper bound on the depth of the document being patched.
    depth_bound: usize,
    /// Values duplicated so far, against [`MAX_COPIED_VALUES`].
    copied: usize,
}

impl Run {
    fn apply(&mut self, document: &mut Value, operation: &Operation<'_>) -> Result<(), PatchError> {
        match operation {
            Operation::Add { path, value } => {
                self.place(path, depth_below(path, value)?);
                add(document, path, (*value).clone())
            }
            Operation::Remove { path } => remove(document, path).map(drop),
            Operation::Replace { path, value } => {
                let depth = depth_below(path, value)?;
                let slot = path.get_mut(document).ok_or_else(|| not_found(path))?;
                *slot = (*value).clone();
                self.place(path, depth);
                Ok(())
            }
            Operation::Move { from, path } => {
                if path.is_inside(from) {
                    return Err(PatchError::invalid(format!(
                        "cannot move {:?} into itself at {:?}",
                        from.text(),
                        path.text()
                    )));
                }
                if from == path {
                    return from.get(document).map(drop).ok_or_else(|| not_found(from));
                }
                let value = remove(document, from)?;
                // The moved value is at most as deep as the document below `from`; measure it
                // only when that bound would allow it to end up too deep.
                let mut depth = self.depth_bound.saturating_sub(from.len());
                if path.len() + depth > MAX_DEPTH {
                    depth = self.measure(&value, path)?;
                }
                self.place(path, depth);
                add(document, path, value)
            }
            Operation::Copy { from, path } => {
                let source = from.get(document).ok_or_else(|| not_found(from))?;
                let depth = self.measure(source, path)?;
                let value = source.clone();
                self.place(path, depth);
                add(document, path, value)
            }
            Operation::Test { path, value } => {
                nesting(value, MAX_DEPTH).ok_or(PatchError::TooDeep { limit: MAX_DEPTH })?;
                match path.get(document) {
                    Some(actual) if values_equal(actual, value) => Ok(()),
                    _ => Err(PatchError::TestFailed { path: path.text().to_owned() }),
                }
            }
        }
    }

    /// Records that a value `depth` levels deep now sits at `path`.
    fn place(&mut self, path: &Pointer, depth: usize) {
        self.depth_bound = self.depth_bound.max(path.len() + depth);
    }

    /// Counts the values in `value` against the copy budget and returns its depth, failing
    /// once it would sit deeper than [`MAX_DEPTH`] at `path`.
    fn measure(&mut self, value: &Value, path: &Pointer) -> Result<usize, PatchError> {
        let max_depth = MAX_DEPTH.saturating_sub(path.len());
        let mut deepest = 0;
        let mut stack = vec![(value, 0usize)];
        while let Some((value, depth)) = stack.pop() {
            self.copied += 1;
            if self.copied > MAX_COPIED_VALUES {
                return Err(PatchError::TooLarge { limit: MAX_COPIED_VALUES });
            }
            let (Value::Object(_) | Value::Array(_)) = value else { continue };
            let below = depth + 1;
            if below > max_depth {
                return Err(PatchError::TooDeep { limit: MAX_DEPTH });
            }
            deepest = deepest.max(below);
            match value {
                Value::Object(map) => stack.extend(map.values().map(|child| (child, below))),
                Value::Array(items) => stack.extend(items.iter().map(|child| (child, below))),
                _ => {}
            }
        }
        Ok(deepest)
    }
}

/// The depth of a value from the patch, failing when it would sit too deep at `path`.
fn depth_below(path: &Pointer, value: &Value) -> Result<usize, PatchError> {
    nesting(value, MAX_DEPTH.saturating_sub(path.len()))
        .ok_or(PatchError::TooDeep { limit: MAX_DEPTH })
}

fn not_found(path: &Pointer) -> PatchError {
    PatchError::PathNotFound { path: path.text().to_owned() }
}

/// RFC 6902 `add`: sets an object member, inserts into an array (`-` appends) or replaces the
/// whole document; the containing object or array must exist.
fn add(document: &mut Value, path: &Pointer, value: Value) -> Result<(), PatchError> {
    let Some((parent, last)) = path.split_last() else {
        *document = value;
        return Ok(());
    };
    match pointer::get_mut(document, parent) {
        Some(Value::Object(map)) => {
            map.insert(last.to_owned(), value);
        }
        Some(Value::Array(items)) => {
            let index = match last {
                "-" => items.len(),
                _ => pointer::array_index(last)
                    .filter(|index| *index <= items.len())
                    .ok_or_else(|| not_found(path))?,
            };
            items.insert(index, value);
        }
        _ => return Err(not_found(path)),
    }
    Ok(())
}

/// RFC 6902 `remove`: takes out an existing object member or array element.
fn remove(document: &mut Value, path: &Pointer) -> Result<Value, PatchError> {
    let Some((parent, last)) = path.split_last() else {
        return Err(PatchError::invalid("cannot remove the whole document"));
    };
    match pointer::get_mut(document, parent) {
        Some(Value::Object(map)) => map.shift_remove(last).ok_or_else(|| not_found(path)),
        Some(Value::Array(items)) => {
            let index = pointer::array_index(last)
                .filter(|index| *index < items.len())
                .ok_or_else(|| not_found(path))?;
            Ok(items.remove(index))
        }
        _ => Err(not_found(path)),
    }
}

#[cfg(test)]
#[path = "json_patch_tests.rs"]
mod tests;

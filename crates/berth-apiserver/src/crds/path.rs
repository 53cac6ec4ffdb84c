//! The JSONPath subset CRDs use to point into their objects: `.spec.replicas` (scale
//! subresource), and for printer columns also `.status.conditions[0].type`,
//! `.metadata.labels.app\.kubernetes\.io/name`, `.spec['key']` and the one filter real CRDs
//! use, `.status.conditions[?(@.type=="Ready")].status`.

use serde_json::{Map, Value};

/// One step of a path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Field(String),
    Index(usize),
    /// `[?(@.<field>=="<value>")]`: the first element whose field is the value.
    Where {
        field: String,
        value: String,
    },
}

/// Parses a path; `None` when it uses more of JSONPath than this subset.
pub fn parse(path: &str) -> Option<Vec<Step>> {
    let path = path.trim();
    let path = path.strip_prefix('{').and_then(|p| p.strip_suffix('}')).unwrap_or(path);
    let path = path.strip_prefix('$').unwrap_or(path);
    let mut steps = Vec::new();
    let mut rest = path;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('.') {
            let mut field = String::new();
            let mut chars = after.char_indices().peekable();
            let mut end = after.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, escaped)) = chars.next() {
                            field.push(escaped);
                        }
                    }
                    '.' | '[' => {
                        end = i;
                        break;
                    }
                    c => field.push(c),
                }
            }
            if field.is_empty() {
                return None;
            }
            steps.push(Step::Field(field));
            rest = &after[end..];
        } else if let Some(after) = rest.strip_prefix('[') {
            let close = bracket_end(after)?;
            let inner = after[..close].trim();
            steps.push(bracket(inner)?);
            rest = &after[close + 1..];
        } else {
            return None;
        }
    }
    Some(steps)
}

/// Where the `]` closing a bracket is, skipping quoted text.
fn bracket_end(text: &str) -> Option<usize> {
    let mut quote = None;
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, ']') => return Some(i),
            _ => {}
        }
    }
    None
}

fn unquote(text: &str) -> Option<&str> {
    let text = text.trim();
    text.strip_prefix('\'')
        .and_then(|t| t.strip_suffix('\''))
        .or_else(|| text.strip_prefix('"').and_then(|t| t.strip_suffix('"')))
}

fn bracket(inner: &str) -> Option<Step> {
    if let Ok(index) = inner.parse::<usize>() {
        return Some(Step::Index(index));
    }
    if let Some(key) = unquote(inner) {
        return Some(Step::Field(key.to_owned()));
    }
    let filter = inner.strip_prefix("?(")?.strip_suffix(')')?;
    let (left, right) = filter.split_once("==")?;
    let field = left.trim().strip_prefix("@.")?;
    Some(Step::Where { field: field.to_owned(), value: unquote(right)?.to_owned() })
}

/// The value at `steps`, if there is one.
pub fn get<'a>(object: &'a Value, steps: &[Step]) -> Option<&'a Value> {
    let mut at = object;
    for step in steps {
        at = match step {
            Step::Field(field) => at.get(field)?,
            Step::Index(index) => at.get(*index)?,
            Step::Where { field, value } => at.as_array()?.iter().find(|item| {
                item.get(field).is_some_and(|v| match v {
                    Value::String(s) => s == value,
                    other => serde_json::from_str::<Value>(value).is_ok_and(|v| v == *other),
                })
            })?,
        };
    }
    Some(at)
}

/// Sets the value at a path of fields, creating the objects on the way; `false` when the path
/// has other steps or crosses a value that is not an object.
pub fn set(object: &mut Value, steps: &[Step], value: Value) -> bool {
    let Some((last, parents)) = steps.split_last() else { return false };
    let mut at = object;
    for step in parents {
        let Step::Field(field) = step else { return false };
        let Some(map) = at.as_object_mut() else { return false };
        let entry = map.entry(field.clone()).or_insert_with(|| Value::Object(Map::new()));
        if entry.is_null() {
            *entry = Value::Object(Map::new());
        }
        at = entry;
    }
    match (last, at.as_object_mut()) {
        (Step::Field(field), Some(map)) => {
            map.insert(field.clone(), value);
            true
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn paths_crds_use() {
        let object = json!({
            "spec": {"replicas": 3, "a.b": "dotted"},
            "metadata": {"labels": {"app.kubernetes.io/name": "web"}},
            "status": {"conditions": [{"type": "Synced", "status": "False"},
                                      {"type": "Ready", "status": "True"}]},
        });
        let at = |p: &str| parse(p).and_then(|steps| get(&object, &steps).cloned());
        assert_eq!(at(".spec.replicas"), Some(json!(3)));
        assert_eq!(at("{.spec.replicas}"), Some(json!(3)));
        assert_eq!(at(".status.conditions[1].type"), Some(json!("Ready")));
        assert_eq!(at(".status.conditions[?(@.type==\"Ready\")].status"), Some(json!("True")));
        assert_eq!(at(".status.conditions[?(@.type=='Gone')].status"), None);
        assert_eq!(at(r".metadata.labels.app\.kubernetes\.io/name"), Some(json!("web")));
        assert_eq!(at(".spec['a.b']"), Some(json!("dotted")));
        assert_eq!(at(".spec.missing"), None);
        assert_eq!(parse(".spec..x"), None);
        assert_eq!(parse("spec"), None);
    }

    #[test]
    fn set_creates_the_objects_on_the_way() {
        let mut object = json!({"spec": null});
        let steps = parse(".spec.scale.replicas").unwrap_or_default();
        assert!(set(&mut object, &steps, json!(4)));
        assert_eq!(object, json!({"spec": {"scale": {"replicas": 4}}}));
        let mut scalar = json!({"spec": 1});
        assert!(!set(&mut scalar, &steps, json!(4)));
    }
}

//! Rows of custom resources: `Name`, then the CRD's `additionalPrinterColumns` (JSONPath into
//! the object, cells typed as the column says, dates as ages), or `Age` when it has none, as
//! kube-apiserver's CRD table convertor prints them.

use serde_json::Value;

use super::{AGE, Column, NAME, age, human_duration, name};
use crate::crds::{Custom, path};
use crate::meta::parse_rfc3339;

pub(super) fn columns(custom: &Custom) -> Vec<Column> {
    if custom.columns.is_empty() {
        return vec![NAME, AGE];
    }
    std::iter::once(NAME).chain(custom.columns.iter().map(|c| c.column)).collect()
}

pub(super) fn cells(custom: &Custom, object: &Value, now: i64) -> Vec<Value> {
    if custom.columns.is_empty() {
        return vec![name(object), age(object, now)];
    }
    let mut cells = vec![name(object)];
    for column in custom.columns {
        let found = path::parse(column.json_path).and_then(|steps| path::get(object, &steps));
        cells.push(found.map_or(Value::Null, |v| cell(column.column.kind, v, now)));
    }
    cells
}

/// A cell of a column of `kind` (`string`, `integer`, `number`, `boolean`, `date`); null when
/// the value does not fit.
fn cell(kind: &str, value: &Value, now: i64) -> Value {
    match (kind, value) {
        (_, Value::Null) => Value::Null,
        ("string", Value::String(s)) => Value::String(s.clone()),
        // JSONPath prints scalars as text and the rest as JSON.
        ("string", other) => Value::String(other.to_string()),
        ("integer", Value::Number(n)) => match n.as_i64() {
            Some(i) => Value::from(i),
            None => n.as_f64().map_or(Value::Null, |f| Value::from(f as i64)),
        },
        ("number", Value::Number(n)) => n.as_f64().map_or(Value::Null, Value::from),
        ("boolean", Value::Bool(b)) => Value::Bool(*b),
        ("date", Value::String(s)) => match parse_rfc3339(s) {
            Some(t) => Value::String(human_duration(now - t)),
            None => Value::String("<invalid>".to_owned()),
        },
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::crds::PrinterColumn;

    #[test]
    fn printer_columns_read_the_object() {
        let column = |name, kind, json_path| PrinterColumn {
            column: Column { name, kind, format: "", description: "", priority: 0 },
            json_path,
        };
        let columns: &'static [PrinterColumn] = Box::leak(Box::new([
            column("Size", "integer", ".spec.size"),
            column("Mode", "string", ".spec.mode"),
            column("Ready", "string", ".status.conditions[?(@.type==\"Ready\")].status"),
            column("Since", "date", ".metadata.creationTimestamp"),
            column("Tags", "string", ".spec.tags"),
            column("Missing", "boolean", ".spec.nothing"),
        ]));
        let custom = Custom {
            storage_version: "v1",
            list_kind: "WList",
            columns,
            scale: None,
            read_defaults: crate::crds::read_defaults::ReadDefaults::leak(),
        };
        let object = json!({
            "metadata": {"name": "w", "creationTimestamp": crate::meta::format_rfc3339(1000)},
            "spec": {"size": 3, "mode": "fast", "tags": ["a"]},
            "status": {"conditions": [{"type": "Ready", "status": "True"}]},
        });
        assert_eq!(
            cells(&custom, &object, 1300),
            [
                json!("w"),
                json!(3),
                json!("fast"),
                json!("True"),
                json!("5m"),
                json!("[\"a\"]"),
                Value::Null
            ]
        );
        let names: Vec<&str> = columns_of(&custom);
        assert_eq!(names, ["Name", "Size", "Mode", "Ready", "Since", "Tags", "Missing"]);
        let bare = Custom { columns: &[], ..custom };
        assert_eq!(columns_of(&bare), ["Name", "Age"]);
        assert_eq!(cells(&bare, &object, 1300), [json!("w"), json!("5m")]);
    }

    fn columns_of(custom: &Custom) -> Vec<&'static str> {
        columns(custom).iter().map(|c| c.name).collect()
    }
}

//! `metadata.managedFields`: one entry per owner, each holding the set of fields it owns.
//!
//! An owner is a manager name with an operation (`Apply` or `Update`) and an optional
//! subresource; `Update` owners are also told apart by API version, as in Kubernetes, so
//! `kubectl` may own some fields by applying them and others by editing them.

use serde_json::{Map, Value, json};

use super::fieldpath::FieldSet;
use super::fields_v1;

/// How a manager came to own its fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Operation {
    /// A server-side apply: the fields are those of the manager's applied configuration.
    Apply,
    /// Any other write (create, update, patch): the fields are those the manager changed.
    Update,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Apply => "Apply",
            Operation::Update => "Update",
        }
    }
}

/// One entry of `metadata.managedFields`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub manager: String,
    pub operation: Operation,
    pub api_version: String,
    pub time: Option<String>,
    pub subresource: Option<String>,
    pub fields: FieldSet,
}

impl Entry {
    pub fn new(
        manager: &str,
        operation: Operation,
        api_version: &str,
        subresource: Option<&str>,
    ) -> Entry {
        Entry {
            manager: manager.to_owned(),
            operation,
            api_version: api_version.to_owned(),
            time: None,
            subresource: subresource.map(str::to_owned),
            fields: FieldSet::new(),
        }
    }

    /// Whether this entry belongs to the same owner as `other`.
    pub fn same_owner(&self, other: &Entry) -> bool {
        self.manager == other.manager
            && self.operation == other.operation
            && self.subresource == other.subresource
            && (self.operation == Operation::Apply || self.api_version == other.api_version)
    }

    fn to_value(&self) -> Value {
        let mut entry = json!({
            "manager": self.manager,
            "operation": self.operation.as_str(),
            "apiVersion": self.api_version,
        });
        if let Some(map) = entry.as_object_mut() {
            if let Some(time) = &self.time {
                map.insert("time".into(), json!(time));
            }
            map.insert("fieldsType".into(), json!("FieldsV1"));
            map.insert("fieldsV1".into(), fields_v1::encode(&self.fields));
            if let Some(subresource) = &self.subresource {
                map.insert("subresource".into(), json!(subresource));
            }
        }
        entry
    }
}

/// The entries of `object`'s `metadata.managedFields`; entries of one owner are merged.
pub fn decode(object: &Value) -> Result<Vec<Entry>, String> {
    let list = match object.pointer("/metadata/managedFields") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(list)) => list,
        Some(_) => return Err("metadata.managedFields must be a list".into()),
    };
    let mut entries: Vec<Entry> = Vec::with_capacity(list.len());
    for (i, raw) in list.iter().enumerate() {
        let entry = decode_entry(raw).map_err(|e| format!("metadata.managedFields[{i}]: {e}"))?;
        match entries.iter_mut().find(|e| e.same_owner(&entry)) {
            Some(same) => same.fields = same.fields.union(&entry.fields),
            None => entries.push(entry),
        }
    }
    Ok(entries)
}

fn decode_entry(raw: &Value) -> Result<Entry, String> {
    let map = raw.as_object().ok_or("an entry must be an object")?;
    let text = |field: &str| map.get(field).and_then(Value::as_str).filter(|s| !s.is_empty());
    let operation = match text("operation") {
        Some("Apply") => Operation::Apply,
        Some("Update") => Operation::Update,
        other => return Err(format!("unknown operation {:?}", other.unwrap_or_default())),
    };
    if let Some(kind) = text("fieldsType").filter(|t| *t != "FieldsV1") {
        return Err(format!("unknown fieldsType {kind:?}"));
    }
    let fields = match map.get("fieldsV1") {
        None | Some(Value::Null) => FieldSet::new(),
        Some(fields) => fields_v1::decode(fields).map_err(|e| e.to_string())?,
    };
    let mut entry = Entry::new(
        text("manager").unwrap_or_default(),
        operation,
        text("apiVersion").unwrap_or_default(),
        text("subresource"),
    );
    entry.time = text("time").map(str::to_owned);
    entry.fields = fields;
    Ok(entry)
}

/// Stores `entries` as `object`'s `metadata.managedFields`, in Kubernetes' order (appliers
/// first, then by time, manager, API version, subresource), or removes the field when there
/// are none.
pub fn store(object: &mut Value, entries: &[Entry]) {
    let mut sorted: Vec<&Entry> = entries.iter().filter(|e| !e.fields.is_empty()).collect();
    sorted.sort_by(|a, b| {
        (a.operation, &a.time, &a.manager, &a.api_version, &a.subresource).cmp(&(
            b.operation,
            &b.time,
            &b.manager,
            &b.api_version,
            &b.subresource,
        ))
    });
    let Some(object) = object.as_object_mut() else { return };
    let metadata = object.entry("metadata").or_insert_with(|| Value::Object(Map::new()));
    let Some(metadata) = metadata.as_object_mut() else { return };
    if sorted.is_empty() {
        metadata.shift_remove("managedFields");
    } else {
        metadata.insert("managedFields".into(), sorted.into_iter().map(Entry::to_value).collect());
    }
}

//! API objects on top of the store: storage keys, JSON encoding, and `resourceVersion` as the
//! store's `mod_revision`. An object is stored without its `resourceVersion`; every read puts
//! the revision of its last write back in. An object is stored in its kind's storage version
//! and read back in the version asked for ([`crate::conversion`]).

use std::sync::Arc;

use berth_store::{KeyValue, ListOptions, Revision, Store, StoreError};
use bytes::Bytes;
use serde_json::{Value, json};

use crate::resources::ResourceDef;
use crate::status::ApiError;

/// The store, seen as Kubernetes objects.
#[derive(Debug, Clone)]
pub struct Objects {
    store: Arc<dyn Store>,
}

/// One object with the revision of its last write.
#[derive(Debug, Clone)]
pub struct Stored {
    pub object: Value,
    pub revision: Revision,
}

impl Objects {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Objects { store }
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// `/registry/<group>/<plural>/[<namespace>/]<name>`
    pub fn key(def: &ResourceDef, namespace: Option<&str>, name: &str) -> String {
        match namespace {
            Some(ns) if def.namespaced => format!("{}{ns}/{name}", def.storage_prefix()),
            _ => format!("{}{name}", def.storage_prefix()),
        }
    }

    /// The prefix holding every object of `def` (in `namespace`, when given).
    pub fn prefix(def: &ResourceDef, namespace: Option<&str>) -> String {
        match namespace {
            Some(ns) if def.namespaced => format!("{}{ns}/", def.storage_prefix()),
            _ => def.storage_prefix(),
        }
    }

    pub async fn get(
        &self,
        def: &ResourceDef,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<Stored, ApiError> {
        let kv = self
            .store
            .get(&Self::key(def, namespace, name))
            .await
            .map_err(|e| ApiError::from_store(e, def, name))?;
        let mut stored = decode(&kv)?;
        crate::conversion::convert(def, &mut stored.object);
        Ok(stored)
    }

    pub async fn create(
        &self,
        def: &ResourceDef,
        namespace: Option<&str>,
        name: &str,
        object: &Value,
    ) -> Result<Stored, ApiError> {
        let stored = crate::conversion::to_storage(def, object)?;
        let kv = self
            .store
            .create(&Self::key(def, namespace, name), encode(&stored)?)
            .await
            .map_err(|e| ApiError::from_store(e, def, name))?;
        with_revision(as_read(def, object, stored), kv.mod_revision)
    }

    /// Replaces the object if it is still at `expected`; a [`StoreError::Conflict`] comes back
    /// as such so that callers can retry with a fresh read.
    pub async fn update(
        &self,
        def: &ResourceDef,
        namespace: Option<&str>,
        name: &str,
        object: &Value,
        expected: Revision,
    ) -> Result<Result<Stored, StoreError>, ApiError> {
        let stored = crate::conversion::to_storage(def, object)?;
        let value = encode(&stored)?;
        match self.store.update(&Self::key(def, namespace, name), value, expected).await {
            Ok(kv) => Ok(Ok(with_revision(as_read(def, object, stored), kv.mod_revision)?)),
            Err(conflict @ StoreError::Conflict { .. }) => Ok(Err(conflict)),
            Err(e) => Err(ApiError::from_store(e, def, name)),
        }
    }

    /// Deletes the object if it is still at `expected`.
    pub async fn delete(
        &self,
        def: &ResourceDef,
        namespace: Option<&str>,
        name: &str,
        expected: Revision,
    ) -> Result<Result<(), StoreError>, ApiError> {
        match self.store.delete(&Self::key(def, namespace, name), Some(expected)).await {
            Ok(_) => Ok(Ok(())),
            Err(conflict @ StoreError::Conflict { .. }) => Ok(Err(conflict)),
            Err(e) => Err(ApiError::from_store(e, def, name)),
        }
    }

    /// One page of raw key-values under `prefix`.
    pub async fn list_page(
        &self,
        def: &ResourceDef,
        options: &ListOptions,
    ) -> Result<berth_store::ListResult, ApiError> {
        self.store.list(options).await.map_err(|e| ApiError::from_store(e, def, ""))
    }
}

/// The object in a key-value, with its `resourceVersion`.
pub fn decode(kv: &KeyValue) -> Result<Stored, ApiError> {
    let object: Value = serde_json::from_slice(&kv.value).map_err(|e| {
        ApiError::internal(format!("stored object {} is not valid JSON: {e}", kv.key))
    })?;
    with_revision(object, kv.mod_revision)
}

fn with_revision(mut object: Value, revision: Revision) -> Result<Stored, ApiError> {
    set_resource_version(&mut object, revision);
    Ok(Stored { object, revision })
}

pub fn set_resource_version(object: &mut Value, revision: Revision) {
    if let Some(meta) = crate::meta::metadata_mut(object) {
        meta.insert("resourceVersion".into(), json!(revision.to_string()));
    }
}

/// What a read of the object just written returns: the stored form in `def`'s version (so a
/// write answers with what a get then shows).
fn as_read(def: &ResourceDef, written: &Value, stored: std::borrow::Cow<'_, Value>) -> Value {
    match stored {
        std::borrow::Cow::Borrowed(_) => written.clone(),
        std::borrow::Cow::Owned(stored) => crate::conversion::converted(def, stored),
    }
}

/// The stored form: `apiVersion`, `kind` and `metadata` first (so that [`raw_with_revision`]
/// finds the top-level metadata at once), without `resourceVersion`.
pub fn encode(object: &Value) -> Result<Bytes, ApiError> {
    let mut ordered = serde_json::Map::new();
    if let Some(map) = object.as_object() {
        for first in ["apiVersion", "kind", "metadata"] {
            if let Some(value) = map.get(first) {
                ordered.insert(first.into(), value.clone());
            }
        }
        for (key, value) in map {
            if !ordered.contains_key(key) {
                ordered.insert(key.clone(), value.clone());
            }
        }
    }
    if let Some(meta) = ordered.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("resourceVersion");
    }
    serde_json::to_vec(&ordered)
        .map(Bytes::from)
        .map_err(|e| ApiError::internal(format!("encoding an object: {e}")))
}

/// The stored JSON with `metadata.resourceVersion` put in, without parsing the object: what a
/// plain list answers with, byte for byte.
pub fn raw_with_revision(kv: &KeyValue) -> Option<Vec<u8>> {
    const NEEDLE: &[u8] = b"\"metadata\":{";
    let bytes = kv.value.as_ref();
    let at = bytes.windows(NEEDLE.len()).position(|w| w == NEEDLE)?;
    if !at_top_level(&bytes[..at]) {
        return None;
    }
    let insert = at + NEEDLE.len();
    let empty = bytes.get(insert) == Some(&b'}');
    let field =
        format!("\"resourceVersion\":\"{}\"{}", kv.mod_revision, if empty { "" } else { "," });
    let mut out = Vec::with_capacity(bytes.len() + field.len());
    out.extend_from_slice(&bytes[..insert]);
    out.extend_from_slice(field.as_bytes());
    out.extend_from_slice(&bytes[insert..]);
    Some(out)
}

/// Whether the end of `prefix` is directly inside the outermost object.
fn at_top_level(prefix: &[u8]) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0i32, false, false);
    for &b in prefix {
        match (in_string, escaped, b) {
            (true, true, _) => escaped = false,
            (true, false, b'\\') => escaped = true,
            (true, false, b'"') => in_string = false,
            (true, false, _) => {}
            (false, _, b'"') => in_string = true,
            (false, _, b'{' | b'[') => depth += 1,
            (false, _, b'}' | b']') => depth -= 1,
            _ => {}
        }
    }
    depth == 1 && !in_string
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv(value: &str) -> KeyValue {
        KeyValue {
            key: "/k".into(),
            value: Bytes::from(value.to_owned()),
            create_revision: 1,
            mod_revision: 42,
            version: 1,
        }
    }

    #[test]
    fn revision_is_spliced_into_the_top_level_metadata() {
        let stored = encode(&json!({"spec": {"template": {"metadata": {"x": "y"}}}, "metadata": {"name": "a\\\"metadata\\\":{"}, "kind": "Pod"}))
            .expect("encode");
        let raw = raw_with_revision(&KeyValue { value: stored.clone(), ..kv("") }).expect("splice");
        let parsed: Value = serde_json::from_slice(&raw).expect("valid JSON");
        assert_eq!(parsed["metadata"]["resourceVersion"], "42");
        assert!(parsed["spec"]["template"]["metadata"].get("resourceVersion").is_none());
        let decoded = decode(&KeyValue { value: stored, ..kv("") }).expect("decode").object;
        assert_eq!(parsed, decoded);
        let empty = raw_with_revision(&kv(r#"{"metadata":{}}"#)).expect("splice");
        assert_eq!(empty, br#"{"metadata":{"resourceVersion":"42"}}"#);
        assert!(raw_with_revision(&kv(r#"{"spec":{"metadata":{}}}"#)).is_none());
    }
}

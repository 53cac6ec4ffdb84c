//! API objects on top of the store: storage keys, JSON encoding, and `resourceVersion` as the
//! store's `mod_revision`. An object is stored without its `resourceVersion`; every read puts
//! the revision of its last write back in.

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
        decode(&kv)
    }

    pub async fn create(
        &self,
        def: &ResourceDef,
        namespace: Option<&str>,
        name: &str,
        object: &Value,
    ) -> Result<Stored, ApiError> {
        let value = encode(object)?;
        let kv = self
            .store
            .create(&Self::key(def, namespace, name), value)
            .await
            .map_err(|e| ApiError::from_store(e, def, name))?;
        with_revision(object.clone(), kv.mod_revision)
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
        let value = encode(object)?;
        match self.store.update(&Self::key(def, namespace, name), value, expected).await {
            Ok(kv) => Ok(Ok(with_revision(object.clone(), kv.mod_revision)?)),
            Err(conflict @ StoreError::Conflict { .. }) => Ok(Err(conflict)),
            Err(e) => Err(ApiError::from_store(e, def, name)),
        }
    }

    /// Deletes the object if it is still at `expected`; returns the revision of the delete.
    pub async fn delete(
        &self,
        def: &ResourceDef,
        namespace: Option<&str>,
        name: &str,
        expected: Revision,
    ) -> Result<Result<Revision, StoreError>, ApiError> {
        match self.store.delete(&Self::key(def, namespace, name), Some(expected)).await {
            Ok(_) => Ok(Ok(self.store.current_revision().await.unwrap_or(expected))),
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

fn encode(object: &Value) -> Result<Bytes, ApiError> {
    let mut object = object.clone();
    if let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("resourceVersion");
    }
    serde_json::to_vec(&object)
        .map(Bytes::from)
        .map_err(|e| ApiError::internal(format!("encoding an object: {e}")))
}

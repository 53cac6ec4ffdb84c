//! Defaults on read: custom resources read from storage get the `default`s of the schema of
//! the version they are stored in, as kube-apiserver's storage decoder gives them, so objects
//! written before a default was added to the CRD show it on get, list and watch (without
//! being rewritten in storage).
//!
//! The conversion hook ([`crate::conversion::convert`]) only has the request's
//! [`ResourceDef`], so each leaked custom `ResourceDef` carries a [`ReadDefaults`] that
//! [`super::Registry`] refills with every change of its CRD: the schemas of the CRD's
//! versions that declare any default. A CRD without defaults leaves it empty, and reads do
//! no work for it: lists keep streaming the stored bytes.

use std::sync::{Arc, PoisonError, RwLock};

use serde_json::Value;

use super::schema::Schema;
use crate::resources::ResourceDef;

/// The schemas with defaults of one CRD's versions.
#[derive(Default)]
pub struct ReadDefaults {
    by_version: RwLock<Vec<(String, Arc<Schema>)>>,
}

impl ReadDefaults {
    /// One that lives as long as the process, for a leaked [`ResourceDef`].
    pub fn leak() -> &'static ReadDefaults {
        Box::leak(Box::default())
    }

    /// Replaces the schemas, keeping those of versions that declare a default.
    pub fn set(&self, versions: impl IntoIterator<Item = (String, Arc<Schema>)>) {
        let kept = versions.into_iter().filter(|(_, schema)| schema.has_defaults()).collect();
        *self.by_version.write().unwrap_or_else(PoisonError::into_inner) = kept;
    }

    /// Whether any version has defaults.
    pub fn any(&self) -> bool {
        !self.by_version.read().unwrap_or_else(PoisonError::into_inner).is_empty()
    }

    /// Fills the defaults of `version`'s schema into `object`.
    pub fn apply(&self, version: &str, object: &mut Value) {
        let schema = {
            let versions = self.by_version.read().unwrap_or_else(PoisonError::into_inner);
            versions.iter().find(|(v, _)| v == version).map(|(_, schema)| schema.clone())
        };
        if let Some(schema) = schema {
            schema.default(object);
        }
    }
}

/// One per leaked definition: two are the same only if they are one.
impl PartialEq for ReadDefaults {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

impl Eq for ReadDefaults {}

impl std::fmt::Debug for ReadDefaults {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let versions = self.by_version.read().unwrap_or_else(PoisonError::into_inner);
        let names: Vec<&str> = versions.iter().map(|(v, _)| v.as_str()).collect();
        f.debug_struct("ReadDefaults").field("versions", &names).finish()
    }
}

/// Whether objects of `def` get defaults on read.
pub fn any(def: &ResourceDef) -> bool {
    def.custom.is_some_and(|c| c.read_defaults.any())
}

/// Fills into an object of `def` read from storage the defaults of the version it is stored in
/// (its `apiVersion`; `def`'s when it has none).
pub fn apply(def: &ResourceDef, object: &mut Value) {
    let Some(custom) = def.custom else { return };
    let version = crate::conversion::version_of(object).unwrap_or(def.version).to_owned();
    custom.read_defaults.apply(&version, object);
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn schema(spec: Value) -> Arc<Schema> {
        let root = json!({"type": "object", "properties": {"spec": spec}});
        Arc::new(Schema::new(root))
    }

    #[test]
    fn only_schemas_with_a_default_anywhere_are_kept() {
        let cases = [
            (json!({"type": "object", "properties": {"a": {"type": "string"}}}), false),
            (
                json!({"type": "object", "properties": {"a": {"type": "string", "default": "x"}}}),
                true,
            ),
            (
                json!({"type": "array", "items": {"type": "object",
                "properties": {"b": {"type": "integer", "default": 1}}}}),
                true,
            ),
            (
                json!({"type": "object", "additionalProperties": {"type": "string", "default": ""}}),
                true,
            ),
            // A property named `default` is no default.
            (json!({"type": "object", "properties": {"default": {"type": "string"}}}), false),
        ];
        for (spec, expected) in cases {
            let defaults = ReadDefaults::default();
            defaults.set([("v1".to_owned(), schema(spec.clone()))]);
            assert_eq!(defaults.any(), expected, "{spec}");
        }
    }

    #[test]
    fn objects_get_the_defaults_of_the_version_they_are_stored_in() {
        let defaults = ReadDefaults::default();
        let with = json!({"type": "object", "properties": {
            "mode": {"type": "string", "default": "slow"}, "size": {"type": "integer"}}});
        let without = json!({"type": "object", "properties": {"mode": {"type": "string"}}});
        defaults.set([("v1".to_owned(), schema(with)), ("v2".to_owned(), schema(without))]);
        let mut v1 = json!({"apiVersion": "example.com/v1", "spec": {"size": 1}});
        defaults.apply("v1", &mut v1);
        assert_eq!(v1["spec"], json!({"size": 1, "mode": "slow"}));
        let mut set = json!({"apiVersion": "example.com/v1", "spec": {"mode": "fast"}});
        defaults.apply("v1", &mut set);
        assert_eq!(set["spec"], json!({"mode": "fast"}));
        let mut v2 = json!({"apiVersion": "example.com/v2", "spec": {"size": 1}});
        defaults.apply("v2", &mut v2);
        assert_eq!(v2["spec"], json!({"size": 1}));
    }
}

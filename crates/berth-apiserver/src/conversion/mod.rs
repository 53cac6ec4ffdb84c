//! Conversion between the versions of a kind served at several versions: every object is
//! stored in one version and read in the version the request names.
//!
//! Start at [`CONVERTERS`], the one list of built-in kinds with a conversion (one line each);
//! custom resources convert by their CRD ([`crate::crds::convert`]: conversion `None`, the
//! `apiVersion` is rewritten). The hook has two sides: [`to_storage`] on every write
//! ([`crate::objects::Objects::create`] and `update`), [`convert`] on every read (get, the
//! write responses, list and watch, from the store or the watch cache). A handler works on the
//! object in the request's version from start to end, so patches, server-side apply, defaults
//! and validation all see that version. The conversion functions are pure (tests in `tests.rs`).
//!
//! Objects are converted by the `apiVersion` they carry, so data stored in another version by
//! an older berth reads correctly too.

pub mod hpa;
mod hpa_metrics;
#[cfg(test)]
mod tests;

use std::borrow::Cow;

use bytes::Bytes;
use serde_json::{Map, Value};

use crate::resources::ResourceDef;
use crate::status::ApiError;

/// A conversion failed: an annotation that carries fields of another version does not parse.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConversionError {
    #[error("annotation {annotation}: {message}")]
    Annotation { annotation: &'static str, message: String },
}

/// Converts `object` in place from version `from` to version `to` (both of its group); the
/// `apiVersion` is set by the caller.
pub type ConvertFn = fn(object: &mut Value, from: &str, to: &str) -> Result<(), ConversionError>;

/// A built-in kind served at several versions.
#[derive(Debug)]
pub struct Converter {
    pub group: &'static str,
    pub kind: &'static str,
    /// The version objects are stored in.
    pub storage_version: &'static str,
    pub convert: ConvertFn,
    /// Annotations that carry status fields in some version: a write through the main
    /// resource keeps the stored ones, a write through `/status` takes the request's.
    pub status_annotations: &'static [&'static str],
}

/// Every built-in kind with a conversion. One line each.
pub const CONVERTERS: &[Converter] = &[Converter {
    group: "autoscaling",
    kind: "HorizontalPodAutoscaler",
    storage_version: "v2",
    convert: hpa::convert,
    status_annotations: hpa::STATUS_ANNOTATIONS,
}];

/// The conversion of a built-in resource, if it has one.
pub fn converter(def: &ResourceDef) -> Option<&'static Converter> {
    if def.custom.is_some() {
        return None;
    }
    CONVERTERS.iter().find(|c| c.group == def.group && c.kind == def.kind)
}

/// The `apiVersion` objects of `def` are stored with, whichever version the request named.
pub fn storage_api_version(def: &ResourceDef) -> String {
    match converter(def) {
        Some(c) => format!("{}/{}", c.group, c.storage_version),
        None => def.storage_api_version(),
    }
}

/// Whether an object of `def` read from storage may need changing: stored in another version
/// than `def`'s, or a custom resource whose CRD has defaults to fill on read.
pub fn needs_conversion(def: &ResourceDef) -> bool {
    converter(def).is_some()
        || crate::crds::needs_conversion(def)
        || crate::crds::read_defaults::any(def)
}

/// The version part of an `apiVersion` (`autoscaling/v1` → `v1`).
pub(crate) fn version_of(object: &Value) -> Option<&str> {
    let api_version = object.get("apiVersion")?.as_str()?;
    Some(api_version.rsplit_once('/').map_or(api_version, |(_, v)| v))
}

/// Converts `object` (in whatever version it carries) to `def`'s version.
pub fn try_convert(def: &ResourceDef, object: &mut Value) -> Result<(), ConversionError> {
    let Some(converter) = converter(def) else {
        crate::crds::convert(def, object);
        return Ok(());
    };
    let from = match version_of(object) {
        Some(from) if from != def.version => from.to_owned(),
        _ => return Ok(()),
    };
    let result = (converter.convert)(object, &from, def.version);
    if let Some(map) = object.as_object_mut() {
        map.insert("apiVersion".into(), Value::String(def.api_version()));
    }
    result
}

/// Puts an object read from storage in the version asked for. An object that cannot be
/// converted (a damaged annotation of an object stored in v1 by an older berth) keeps its
/// stored fields under the `apiVersion` asked for, and the failure is logged.
pub fn convert(def: &ResourceDef, object: &mut Value) {
    if let Err(error) = try_convert(def, object) {
        let name = crate::meta::meta_str(object, "name").unwrap_or_default().to_owned();
        tracing::warn!(%error, kind = def.kind, name, "converting a stored object");
    }
}

/// [`convert`], by value.
pub fn converted(def: &ResourceDef, mut object: Value) -> Value {
    convert(def, &mut object);
    object
}

/// [`convert`] for the JSON of listed objects; parses only those stored in another version,
/// or all when the CRD has defaults to fill on read.
pub fn convert_raw(def: &ResourceDef, items: &mut [Bytes]) {
    if !needs_conversion(def) {
        return;
    }
    let all = crate::crds::read_defaults::any(def);
    let wanted = format!("{{\"apiVersion\":\"{}\"", def.api_version());
    for item in items.iter_mut().filter(|i| all || !i.starts_with(wanted.as_bytes())) {
        if let Ok(object) = serde_json::from_slice::<Value>(item)
            && let Ok(bytes) = serde_json::to_vec(&converted(def, object))
        {
            *item = Bytes::from(bytes);
        }
    }
}

/// The object as stored: in the storage version. A built-in kind with a conversion always goes
/// through it (which also drops what only another version uses); a request object that cannot
/// be converted is a bad request.
pub fn to_storage<'a>(def: &ResourceDef, object: &'a Value) -> Result<Cow<'a, Value>, ApiError> {
    let stored = storage_api_version(def);
    if let Some(converter) = converter(def) {
        let mut object = object.clone();
        let from = version_of(&object).unwrap_or(def.version).to_owned();
        (converter.convert)(&mut object, &from, converter.storage_version).map_err(|e| {
            let name = crate::meta::meta_str(&object, "name").unwrap_or_default();
            ApiError::bad_request(format!("{} \"{name}\": {e}", def.qualified()))
        })?;
        if let Some(map) = object.as_object_mut() {
            map.insert("apiVersion".into(), Value::String(stored));
        }
        return Ok(Cow::Owned(object));
    }
    match object.get("apiVersion").and_then(Value::as_str) {
        Some(version) if def.custom.is_some() && version != stored => {
            let mut object = object.clone();
            object["apiVersion"] = Value::String(stored);
            Ok(Cow::Owned(object))
        }
        _ => Ok(Cow::Borrowed(object)),
    }
}

/// Carries the status annotations of `def`'s kind from `from` to `to` (removing those `from`
/// does not have), so that a write keeps the status it may not change in every version.
pub fn keep_status_annotations(def: &ResourceDef, from: &Value, to: &mut Value) {
    let Some(converter) = converter(def) else { return };
    let source = from.pointer("/metadata/annotations").and_then(Value::as_object);
    let Some(meta) = crate::meta::metadata_mut(to) else { return };
    let mut annotations = match meta.remove("annotations") {
        Some(Value::Object(map)) => map,
        _ => Map::new(),
    };
    for key in converter.status_annotations {
        match source.and_then(|s| s.get(*key)) {
            Some(value) => annotations.insert((*key).to_owned(), value.clone()),
            None => annotations.remove(*key),
        };
    }
    if !annotations.is_empty() {
        meta.insert("annotations".into(), Value::Object(annotations));
    }
}

//! OpenAPI: the v3 documents, one per group-version (`/openapi/v3/apis/apps/v1`), listed with
//! a hash in the index (`/openapi/v3`); the v2 document (`/openapi/v2`); and the schemas behind
//! them, which also decide which fields of a request object are unknown (`?fieldValidation=`).
//!
//! The schemas are Kubernetes 1.33's, generated from `k8s-openapi` ([`catalog`]), with the kinds
//! registered in [`kinds`] and the merge extensions kubectl needs in [`lists`]; [`paths`] writes
//! the operations (the PATCH one with `fieldValidation`, so kubectl leaves validation to us); the
//! walk over a request object is [`fields`]. kubectl uses the documents for `explain`, for its
//! validation check before `apply`/`create -f`, and for client-side apply's patches.
//!
//! The catalog and the documents are built once, on first use, and never change: they are
//! derived from constants, so a process-wide [`OnceLock`] holds them rather than the state.
//! Custom resources' documents ([`custom`]) come from the CRDs the state serves.
//!
//! `/openapi/v2` is one Swagger 2.0 document for all of it, converted from the v3 parts by
//! [`v2`] (no second copy of the schemas), encoded as gnostic protobuf by [`gnostic`] when
//! kubectl asks for that, and served with an ETag by [`v2_http`]; it is rebuilt when the CRDs
//! change.

mod catalog;
mod custom;
mod fields;
#[cfg(test)]
mod fields_tests;
mod gnostic;
#[cfg(test)]
mod gnostic_tests;
mod kinds;
mod lists;
mod paths;
#[cfg(test)]
mod tests;
mod v2;
pub mod v2_http;
#[cfg(test)]
mod v2_tests;

use std::sync::OnceLock;

use bytes::Bytes;
use serde_json::{Map, Value, json};

pub use catalog::Catalog;
pub use fields::{FieldValidation, with_warnings};

use crate::crds::Crds;
use crate::resources::{self, BUILTINS};
use crate::status::ApiError;

/// The group-versions served, as OpenAPI path names (`api/v1`, `apis/apps/v1`).
pub fn group_versions() -> Vec<(String, &'static str, &'static str)> {
    let mut out = vec![("api/v1".to_owned(), "", "v1")];
    for group in resources::groups() {
        for version in resources::versions(group) {
            out.push((format!("apis/{group}/{version}"), group, version));
        }
    }
    out
}

/// Every schema, built on first use.
pub fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(Catalog::build)
}

/// One group-version's document, serialized once.
#[derive(Debug)]
struct Document {
    path: String,
    body: Bytes,
    hash: String,
}

fn documents() -> &'static [Document] {
    static DOCUMENTS: OnceLock<Vec<Document>> = OnceLock::new();
    DOCUMENTS.get_or_init(|| {
        group_versions()
            .into_iter()
            .map(|(path, group, version)| {
                let body = Bytes::from(build_document(catalog(), group, version).to_string());
                let hash = hash(&body);
                Document { path, body, hash }
            })
            .collect()
    })
}

/// `/openapi/v3`: the index, with a hash per document so that clients may cache them.
pub fn index() -> Value {
    index_with(&Crds::default())
}

/// The index, with the group-versions of the custom resources `crds` serves.
pub fn index_with(crds: &Crds) -> Value {
    let entry = |path: &str, hash: &str| {
        let url = format!("/openapi/v3/{path}?hash={hash}");
        (path.to_owned(), json!({"serverRelativeURL": url}))
    };
    let mut paths: Map<String, Value> =
        documents().iter().map(|d| entry(&d.path, &d.hash)).collect();
    for (path, group, version) in custom::group_versions(crds) {
        if paths.contains_key(&path) {
            continue;
        }
        if let Some(body) = custom::document_json(catalog(), crds, &group, version) {
            let (key, value) = entry(&path, &hash(&body));
            paths.insert(key, value);
        }
    }
    json!({"paths": paths})
}

/// `/openapi/v3/<group-version path>` as served: the JSON text.
pub fn document_json(path: &str) -> Option<Bytes> {
    documents().iter().find(|d| d.path == path).map(|d| d.body.clone())
}

/// [`document_json`], or the document of a custom group-version `crds` serves.
pub fn document_json_with(path: &str, crds: &Crds) -> Option<Bytes> {
    document_json(path).or_else(|| {
        let (group, version) = path.strip_prefix("apis/")?.split_once('/')?;
        custom::document_json(catalog(), crds, group, version)
    })
}

/// The document of a custom group-version, parsed (for tests and tools).
pub fn custom_document(crds: &Crds, group: &str, version: &str) -> Value {
    custom::document(catalog(), crds, group, version)
}

/// `/openapi/v3/<group-version path>` for the group and version.
pub fn document(group: &str, version: &str) -> Value {
    build_document(catalog(), group, version)
}

fn build_document(catalog: &Catalog, group: &str, version: &str) -> Value {
    let mut paths = Map::new();
    let mut roots = Vec::new();
    builtin_parts(catalog, group, version, &mut paths, &mut roots);
    json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.32.0"},
        "paths": paths,
        "components": {"schemas": catalog.reachable(&roots)},
    })
}

/// Adds the paths of a built-in group-version and the schemas its kinds start from.
fn builtin_parts<'a>(
    catalog: &'a Catalog,
    group: &str,
    version: &str,
    paths: &mut Map<String, Value>,
    roots: &mut Vec<&'a str>,
) {
    for def in BUILTINS.iter().filter(|r| r.group == group && r.version == version) {
        let Some(schema) = catalog.kind(def.group, def.version, def.kind) else { continue };
        paths::add(paths, def, schema);
        roots.push(schema);
        let answers = def.subresources.iter().filter_map(|s| s.response_kind());
        roots.extend(answers.filter_map(|(g, v, k)| catalog.kind(g, v, k)));
    }
}

fn hash(body: &[u8]) -> String {
    // FNV-1a: stable across runs and enough to tell documents apart.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in body {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016X}")
}

/// The paths of the fields of a `group/version` `kind` object that its schema does not know,
/// e.g. `spec.foo` or `spec.template.spec.containers[0].imagee`. Kinds without a schema
/// (custom resources) have none.
pub fn unknown_fields(group: &str, version: &str, kind: &str, object: &Value) -> Vec<String> {
    let mut copy = object.clone();
    fields::walk_kind(catalog(), group, version, kind, &mut copy, false)
}

/// Removes the fields [`unknown_fields`] finds, as Kubernetes drops them when it decodes a
/// built-in object; returns their paths.
pub fn prune_unknown(group: &str, version: &str, kind: &str, object: &mut Value) -> Vec<String> {
    fields::walk_kind(catalog(), group, version, kind, object, true)
}

/// Applies `?fieldValidation=` (`validation`) to a request object of `group/version` `kind`:
/// unknown fields are dropped, and refused (`Strict`) or returned as warnings (`Warn`). For a
/// patch, `previous` is the object it applied to, whose own unknown fields are not reported.
pub fn check_fields(
    validation: Option<&str>,
    (group, version, kind): (&str, &str, &str),
    object: &mut Value,
    previous: Option<&Value>,
) -> Result<Vec<String>, ApiError> {
    let mode = FieldValidation::parse(validation)?;
    fields::enforce(catalog(), mode, (group, version, kind), object, previous)
}

/// [`check_fields`] for a kind whose unknown fields `walk(object, prune)` finds (and drops
/// when `prune`): custom resources, by their CRD's schema.
pub fn check_fields_with(
    validation: Option<&str>,
    (version, kind): (&str, &str),
    object: &mut Value,
    previous: Option<&Value>,
    walk: impl Fn(&mut Value, bool) -> Vec<String>,
) -> Result<Vec<String>, ApiError> {
    let mode = FieldValidation::parse(validation)?;
    fields::report(mode, (version, kind), object, previous, walk)
}

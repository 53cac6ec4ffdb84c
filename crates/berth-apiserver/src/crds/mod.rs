//! CustomResourceDefinitions and the custom resources they define, served dynamically.
//!
//! Start at [`Crds`], the live registry of what is served: built at start-up from the stored
//! CRDs ([`Crds::load`]), updated by every CRD write through this server and by
//! [`sync::run`], which watches the CRDs in the store so that API servers sharing one etcd
//! agree. Each served version of an established CRD gets a [`ResourceDef`] like a built-in
//! one, so routing, discovery, storage keys, watch and Table printing treat both alike; the
//! version's schema ([`schema::Schema`]) stays here, and writes of custom resources go
//! through [`admit`]: prune unknown fields, fill defaults, validate; server-side apply merges
//! them by the same schema compiled for it ([`Served::apply_schema`]). Objects are stored in the
//! storage version and read in the version asked for (conversion `None`: the `apiVersion` is
//! rewritten, nothing else). Deleting a CRD deletes its custom resources first ([`cleanup`]).
//!
//! `ResourceDef`s hold `&'static str`s. A custom one is leaked once per distinct shape (names,
//! versions, printer columns, scale paths) and interned, so what it costs grows with changes
//! to those, never with requests or unchanged re-applies; schemas, which can be large, are not
//! leaked and go when their CRD changes.

pub mod cleanup;
pub mod definition;
pub mod path;
pub mod read_defaults;
pub mod scale;
pub mod schema;
#[cfg(test)]
mod schema_tests;
pub mod sync;
#[cfg(test)]
mod tests;

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use berth_store::Revision;
use bytes::Bytes;
use serde_json::Value;

use self::definition::{ColumnSpec, Names, ScaleSpec};
use self::read_defaults::ReadDefaults;
use self::schema::Schema;
use crate::objects::Objects;
use crate::resources::{ResourceDef, Sub};
use crate::status::{ApiError, Cause};
use crate::table::Column;

/// What a CRD adds to the [`ResourceDef`] of each of its served versions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Custom {
    /// The version objects are stored in.
    pub storage_version: &'static str,
    pub list_kind: &'static str,
    /// `additionalPrinterColumns` (none: the Table has `Age`).
    pub columns: &'static [PrinterColumn],
    pub scale: Option<ScalePaths>,
    /// The defaults objects read from storage get (refilled with every change of the CRD).
    pub read_defaults: &'static ReadDefaults,
}

/// A printer column: how the Table describes it, and where its cells come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PrinterColumn {
    pub column: Column,
    pub json_path: &'static str,
}

/// Where the scale subresource reads and writes replicas.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScalePaths {
    pub spec_replicas: &'static str,
    pub status_replicas: &'static str,
    pub label_selector: Option<&'static str>,
}

/// One served version of a CRD.
#[derive(Debug)]
pub struct Served {
    pub def: &'static ResourceDef,
    /// The CRD's name (`widgets.example.com`).
    pub crd: String,
    pub schema: Option<Arc<Schema>>,
    /// How server-side apply merges the version's lists and maps (from the same schema).
    pub apply_schema: Option<berth_api::apply::Schema>,
    /// The CRD is being deleted: its resources may be read and deleted, not created.
    pub terminating: bool,
}

/// The served versions of every established CRD, shared by all requests.
#[derive(Clone, Debug, Default)]
pub struct Crds {
    inner: Arc<RwLock<Registry>>,
    /// Documents derived from the registry (OpenAPI), by name, with the generation they
    /// were built at.
    memo: Arc<Mutex<HashMap<String, (u64, Bytes)>>>,
}

#[derive(Debug, Default)]
struct Registry {
    definitions: BTreeMap<String, Entry>,
    interned: HashMap<Shape, &'static ResourceDef>,
    /// Bumped by every change: what cached OpenAPI documents are checked against.
    generation: u64,
}

#[derive(Debug)]
struct Entry {
    revision: Revision,
    names: Names,
    group: String,
    terminating: bool,
    served: Vec<Arc<Served>>,
}

/// Everything that goes into a leaked [`ResourceDef`], to intern them by.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Shape {
    group: String,
    version: String,
    names: (String, String, String, String),
    short_names: Vec<String>,
    categories: Vec<String>,
    namespaced: bool,
    status: bool,
    storage_version: String,
    columns: Vec<ColumnSpec>,
    scale: Option<ScaleSpec>,
}

impl Crds {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, Registry> {
        self.inner.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Registry> {
        self.inner.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Reads every stored CRD and serves exactly those; returns the revision read at.
    pub async fn load(&self, objects: &Objects) -> Result<Revision, ApiError> {
        let (crds, revision) = list_crds(objects).await?;
        let mut registry = self.write();
        registry.definitions.clear();
        for (crd, revision) in crds {
            registry.apply(&crd, revision);
        }
        registry.generation += 1;
        Ok(revision)
    }

    /// Takes in a CRD as stored at `revision` (older news than what is held is ignored).
    pub fn apply(&self, crd: &Value, revision: Revision) {
        let mut registry = self.write();
        let name = crate::meta::meta_str(crd, "name").unwrap_or_default();
        if registry.definitions.get(name).is_some_and(|e| e.revision > revision) {
            return;
        }
        registry.apply(crd, revision);
        registry.generation += 1;
    }

    /// Forgets a CRD deleted at `revision`.
    pub fn remove(&self, name: &str, revision: Revision) {
        let mut registry = self.write();
        if registry.definitions.get(name).is_some_and(|e| e.revision > revision) {
            return;
        }
        if registry.definitions.remove(name).is_some() {
            registry.generation += 1;
        }
    }

    /// The resource a custom `group/version/plural` names, when served.
    pub fn find(&self, group: &str, version: &str, plural: &str) -> Option<&'static ResourceDef> {
        self.served_at(group, version, plural).map(|s| s.def)
    }

    /// The served version behind a custom resource's definition.
    pub fn served(&self, def: &ResourceDef) -> Option<Arc<Served>> {
        self.served_at(def.group, def.version, def.plural)
    }

    fn served_at(&self, group: &str, version: &str, plural: &str) -> Option<Arc<Served>> {
        let registry = self.read();
        let mut all = registry.definitions.values().filter(|e| e.group == group);
        all.find_map(|e| {
            e.served.iter().find(|s| s.def.version == version && s.def.plural == plural).cloned()
        })
    }

    /// The groups with served custom resources, sorted.
    pub fn groups(&self) -> Vec<String> {
        let registry = self.read();
        let mut groups: Vec<String> = registry
            .definitions
            .values()
            .filter(|e| !e.served.is_empty())
            .map(|e| e.group.clone())
            .collect();
        groups.sort();
        groups.dedup();
        groups
    }

    /// The served versions of a group, preferred first (Kubernetes' version priority).
    pub fn versions(&self, group: &str) -> Vec<&'static str> {
        let registry = self.read();
        let mut versions: Vec<&'static str> = Vec::new();
        for entry in registry.definitions.values().filter(|e| e.group == group) {
            for served in &entry.served {
                if !versions.contains(&served.def.version) {
                    versions.push(served.def.version);
                }
            }
        }
        versions.sort_by(|a, b| version_priority(a, b));
        versions
    }

    /// The custom resources served at `group/version`, by plural.
    pub fn resources(&self, group: &str, version: &str) -> Vec<&'static ResourceDef> {
        let registry = self.read();
        let mut defs: Vec<&'static ResourceDef> = registry
            .definitions
            .values()
            .filter(|e| e.group == group)
            .flat_map(|e| e.served.iter().filter(|s| s.def.version == version).map(|s| s.def))
            .collect();
        defs.sort_by_key(|d| d.plural);
        defs
    }

    /// The versions served at `group/version`, by plural, for OpenAPI.
    pub fn served_versions(&self, group: &str, version: &str) -> Vec<Arc<Served>> {
        let registry = self.read();
        let mut served: Vec<Arc<Served>> = registry
            .definitions
            .values()
            .filter(|e| e.group == group)
            .flat_map(|e| e.served.iter().filter(|s| s.def.version == version).cloned())
            .collect();
        served.sort_by_key(|s| s.def.plural);
        served
    }

    /// The names the other CRDs of `group` hold.
    pub fn names_taken(&self, group: &str, except: &str) -> Vec<Names> {
        let registry = self.read();
        registry
            .definitions
            .iter()
            .filter(|(name, e)| e.group == group && name.as_str() != except)
            .map(|(_, e)| e.names.clone())
            .collect()
    }

    /// The names of the CRDs being deleted.
    pub fn terminating(&self) -> Vec<String> {
        let registry = self.read();
        let terminating = registry.definitions.iter().filter(|(_, e)| e.terminating);
        terminating.map(|(name, _)| name.clone()).collect()
    }

    /// Changes with every CRD change.
    pub fn generation(&self) -> u64 {
        self.read().generation
    }

    /// The document `key`, built by `build` unless a CRD change came since it last was.
    pub fn memo(&self, key: &str, build: impl FnOnce() -> Bytes) -> Bytes {
        let generation = self.generation();
        let memo = || self.memo.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((built, bytes)) = memo().get(key)
            && *built == generation
        {
            return bytes.clone();
        }
        let bytes = build();
        memo().insert(key.to_owned(), (generation, bytes.clone()));
        bytes
    }
}

impl Registry {
    fn apply(&mut self, crd: &Value, revision: Revision) {
        let Some(definition) = definition::parse(crd) else {
            if let Some(name) = crate::meta::meta_str(crd, "name") {
                self.definitions.remove(name);
            }
            return;
        };
        let mut served = Vec::new();
        if definition.established {
            let storage = definition.storage_version().unwrap_or_default().to_owned();
            let schemas: Vec<(String, Arc<Schema>)> = definition
                .versions
                .iter()
                .filter_map(|v| Some((v.name.clone(), Arc::new(Schema::new(v.schema.clone()?)))))
                .collect();
            let schema_of = |version: &str| {
                schemas.iter().find(|(v, _)| v == version).map(|(_, schema)| schema.clone())
            };
            for version in definition.versions.iter().filter(|v| v.served) {
                let shape = Shape {
                    group: definition.group.clone(),
                    version: version.name.clone(),
                    names: (
                        definition.names.kind.clone(),
                        definition.names.plural.clone(),
                        definition.names.singular.clone(),
                        definition.names.list_kind.clone(),
                    ),
                    short_names: definition.names.short_names.clone(),
                    categories: definition.names.categories.clone(),
                    namespaced: definition.namespaced,
                    status: version.status,
                    storage_version: storage.clone(),
                    columns: version.columns.clone(),
                    scale: version.scale.clone(),
                };
                let def = *self.interned.entry(shape.clone()).or_insert_with(|| leak(&shape));
                if let Some(custom) = def.custom {
                    custom.read_defaults.set(schemas.iter().cloned());
                }
                served.push(Arc::new(Served {
                    def,
                    crd: definition.name.clone(),
                    schema: schema_of(&version.name),
                    apply_schema: version.schema.as_ref().map(berth_api::apply::Schema::structural),
                    terminating: definition.terminating,
                }));
            }
        }
        let entry = Entry {
            revision,
            names: definition.names.clone(),
            group: definition.group,
            terminating: definition.terminating,
            served,
        };
        self.definitions.insert(definition.name, entry);
    }
}

fn leak_str(s: &str) -> &'static str {
    Box::leak(s.to_owned().into_boxed_str())
}

fn leak_strs(items: &[String]) -> &'static [&'static str] {
    Box::leak(items.iter().map(|s| leak_str(s)).collect::<Vec<_>>().into_boxed_slice())
}

/// A [`ResourceDef`] that lives as long as the process (see the module documentation).
fn leak(shape: &Shape) -> &'static ResourceDef {
    let columns: Vec<PrinterColumn> = shape
        .columns
        .iter()
        .map(|c| {
            let description = if c.description.is_empty() {
                format!("Custom resource definition column (in JSONPath format): {}", c.json_path)
            } else {
                c.description.clone()
            };
            PrinterColumn {
                column: Column {
                    name: leak_str(&c.name),
                    kind: leak_str(&c.kind),
                    format: leak_str(&c.format),
                    description: leak_str(&description),
                    priority: c.priority,
                },
                json_path: leak_str(&c.json_path),
            }
        })
        .collect();
    let scale = shape.scale.as_ref().map(|s| ScalePaths {
        spec_replicas: leak_str(&s.spec_replicas),
        status_replicas: leak_str(&s.status_replicas),
        label_selector: s.label_selector.as_deref().map(leak_str),
    });
    let custom: &'static Custom = Box::leak(Box::new(Custom {
        storage_version: leak_str(&shape.storage_version),
        list_kind: leak_str(&shape.names.3),
        columns: Box::leak(columns.into_boxed_slice()),
        scale,
        read_defaults: ReadDefaults::leak(),
    }));
    let subresources: &'static [Sub] = match (shape.status, shape.scale.is_some()) {
        (true, true) => &[Sub::Status, Sub::Scale],
        (true, false) => &[Sub::Status],
        (false, true) => &[Sub::Scale],
        (false, false) => &[],
    };
    Box::leak(Box::new(ResourceDef {
        group: leak_str(&shape.group),
        version: leak_str(&shape.version),
        kind: leak_str(&shape.names.0),
        plural: leak_str(&shape.names.1),
        singular: leak_str(&shape.names.2),
        namespaced: shape.namespaced,
        short_names: leak_strs(&shape.short_names),
        categories: leak_strs(&shape.categories),
        subresources,
        custom: Some(custom),
    }))
}

/// Every stored CRD with its revision, and the revision they were read at.
async fn list_crds(objects: &Objects) -> Result<(Vec<(Value, Revision)>, Revision), ApiError> {
    let def = crd_def()?;
    let mut options = berth_store::ListOptions {
        prefix: Objects::prefix(def, None),
        start: None,
        limit: Some(500),
        revision: None,
    };
    let mut crds = Vec::new();
    loop {
        let page = objects.list_page(def, &options).await?;
        for kv in &page.kvs {
            crds.push((crate::objects::decode(kv)?.object, kv.mod_revision));
        }
        options.revision = Some(page.revision);
        match (page.more, page.kvs.last()) {
            (true, Some(last)) => options.start = Some(format!("{}\0", last.key)),
            _ => return Ok((crds, page.revision)),
        }
    }
}

/// The built-in `customresourcedefinitions` resource.
pub fn crd_def() -> Result<&'static ResourceDef, ApiError> {
    crate::resources::find("apiextensions.k8s.io", "v1", "customresourcedefinitions")
        .ok_or_else(ApiError::no_route)
}

/// Whether `def` is the CRD resource itself.
pub fn is_crd(def: &ResourceDef) -> bool {
    def.group == "apiextensions.k8s.io" && def.plural == "customresourcedefinitions"
}

/// Defaults, validates and sets the status of a CRD written through this server.
pub fn prepare_definition(
    crds: &Crds,
    crd: &mut Value,
    old: Option<&Value>,
) -> Result<(), Vec<Cause>> {
    let group = crd.pointer("/spec/group").and_then(Value::as_str).unwrap_or_default().to_owned();
    let name = crate::meta::meta_str(crd, "name").unwrap_or_default().to_owned();
    definition::prepare(crd, old, &crds.names_taken(&group, &name))
}

/// Prepares a custom resource for storage: on create, the status is dropped when it has its
/// own subresource; then unknown fields are pruned, defaults filled, and the schema checked.
pub fn admit(served: &Served, object: &mut Value, creating: bool) -> Result<(), Vec<Cause>> {
    if creating
        && served.def.has(Sub::Status)
        && let Some(map) = object.as_object_mut()
    {
        map.remove("status");
    }
    let Some(schema) = &served.schema else { return Ok(()) };
    schema.prune(object);
    schema.default(object);
    let causes = schema.validate(object);
    if causes.is_empty() { Ok(()) } else { Err(causes) }
}

/// The unknown fields of a request object for `?fieldValidation=`: pruned, and their paths.
pub fn unknown_fields(served: &Served, object: &mut Value, prune: bool) -> Vec<String> {
    let Some(schema) = &served.schema else { return Vec::new() };
    if prune { schema.prune(object) } else { schema.prune(&mut object.clone()) }
}

/// Puts an object read from storage in the version asked for: the defaults of the version it
/// is stored in filled ([`read_defaults`]), the `apiVersion` of the version asked for set.
pub fn convert(def: &ResourceDef, object: &mut Value) {
    if read_defaults::any(def) {
        read_defaults::apply(def, object);
    }
    if def.custom.is_some()
        && let Some(map) = object.as_object_mut()
        && map.get("apiVersion").and_then(Value::as_str) != Some(def.api_version().as_str())
    {
        map.insert("apiVersion".into(), Value::String(def.api_version()));
    }
}

/// Whether objects of `def` are stored in another version than `def`'s: a custom resource
/// served in a version that is not its storage version.
pub fn needs_conversion(def: &ResourceDef) -> bool {
    def.custom.is_some_and(|c| c.storage_version != def.version)
}

/// The `Custom resource definition … is terminating` refusal of a create.
pub fn terminating_error(served: &Served) -> ApiError {
    ApiError::method_not_allowed(format!(
        "create not allowed while custom resource definition {} is terminating",
        served.crd
    ))
}

/// Kubernetes' order of versions: GA before beta before alpha, higher numbers first; versions
/// that do not look like `v1beta2` last, alphabetically.
pub fn version_priority(a: &str, b: &str) -> Ordering {
    fn parse(v: &str) -> Option<(u8, u64, u64)> {
        let rest = v.strip_prefix('v')?;
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let major: u64 = rest.get(..digits)?.parse().ok()?;
        let tail = &rest[digits..];
        let (level, minor) = match tail {
            "" => (2, 0),
            _ => {
                let (level, number) = if let Some(n) = tail.strip_prefix("beta") {
                    (1, n)
                } else {
                    (0, tail.strip_prefix("alpha")?)
                };
                (level, number.parse().ok()?)
            }
        };
        Some((level, major, minor))
    }
    match (parse(a), parse(b)) {
        (Some(x), Some(y)) => y.cmp(&x),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.cmp(b),
    }
}

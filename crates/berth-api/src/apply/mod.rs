//! Server-side apply and field ownership (`metadata.managedFields`), as pure functions.
//!
//! Start at [`apply`]: the API server hands it the live object and an applied configuration
//! and gets back the merged object with updated `managedFields`, or the conflicts that stop
//! it. Every other write goes through [`record_update`], which gives the writing manager the
//! fields it changed. The algorithm is Kubernetes' (sigs.k8s.io/structured-merge-diff):
//!
//! 1. the applied configuration's fields ([`typed::Typed::field_set`]) become the manager's
//!    `Apply` entry;
//! 2. the configuration is merged over the live object ([`typed::Typed::merge`]): objects
//!    field by field, lists by their type ([`Schema`]: the built-in table for built-in kinds,
//!    the CRD's structural schema for custom resources);
//! 3. fields the merge changes that another manager owns are conflicts, unless forced, which
//!    takes them over;
//! 4. fields the manager applied last time, omits now and nobody else owns are removed
//!    ([`typed::Typed::prune`]).
//!
//! Field sets travel as `fieldsV1` ([`fields_v1`]). `apiVersion`, `kind`, server-set
//! metadata and (through the main resource) `status` are never owned ([`schema::Scope`]).

mod fieldpath;
mod fields_v1;
mod last_applied;
mod managed;
mod schema;
mod structural;
mod typed;

#[cfg(test)]
mod bench;
#[cfg(test)]
mod custom_tests;
#[cfg(test)]
mod tests;

use serde_json::{Map, Value};

pub use fieldpath::{FieldSet, Path, PathElement, canonical_json, display};
pub use fields_v1::{FieldsV1Error, decode as decode_fields_v1, encode as encode_fields_v1};
pub use managed::Operation;

use managed::Entry;
pub use schema::Schema;

use schema::Scope;
use typed::{Comparison, Typed};

/// One server-side apply.
#[derive(Debug, Clone, Copy)]
pub struct ApplyRequest<'a> {
    /// The stored object; `None` when the apply creates it.
    pub live: Option<&'a Value>,
    /// The applied configuration (the request body).
    pub applied: &'a Value,
    /// The `fieldManager` of the request.
    pub manager: &'a str,
    /// `force=true`: take over conflicting fields instead of failing.
    pub force: bool,
    pub kind: &'a str,
    pub api_version: &'a str,
    /// How the kind's lists and maps merge.
    pub schema: &'a Schema,
    /// `status` for an apply to `/status`; `None` for the main resource.
    pub subresource: Option<&'a str>,
    /// The time to record in the manager's entry (RFC 3339).
    pub now: &'a str,
}

/// What an apply came to.
#[derive(Debug, Clone, PartialEq)]
pub enum ApplyOutcome {
    /// The object to store, with its `managedFields`. When nothing changed it is the live
    /// object unchanged, so the caller can skip the write.
    Applied(Value),
    /// Fields other managers own with other values; nothing was applied.
    Conflicts(Vec<Conflict>),
}

/// A field another manager owns that the apply would change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub manager: String,
    pub operation: Operation,
    pub api_version: String,
    pub subresource: Option<String>,
    /// The field, as in `.spec.replicas` or `.spec.template.spec.containers[name="nginx"].image`.
    pub field: String,
}

impl Conflict {
    /// The other manager as Kubernetes names it: `"kubectl-scale" with subresource "scale"
    /// using apps/v1` (the API version only for `Update` managers).
    pub fn owner(&self) -> String {
        let mut owner = Value::String(self.manager.clone()).to_string();
        if let Some(subresource) = &self.subresource {
            owner.push_str(&format!(" with subresource {}", Value::String(subresource.clone())));
        }
        if self.operation == Operation::Update {
            owner.push_str(&format!(" using {}", self.api_version));
        }
        owner
    }

    /// `conflict with "kubectl-client-side-apply" using apps/v1`.
    pub fn message(&self) -> String {
        format!("conflict with {}", self.owner())
    }
}

/// The message of a 409 for `conflicts`, worded as kube-apiserver words it.
pub fn conflicts_message(conflicts: &[Conflict]) -> String {
    if let [one] = conflicts {
        return format!("Apply failed with 1 conflict: {}: {}", one.message(), one.field);
    }
    let mut owners: Vec<String> = conflicts.iter().map(Conflict::owner).collect();
    owners.sort();
    owners.dedup();
    let mut lines = Vec::new();
    for owner in owners {
        lines.push(format!("conflicts with {owner}:"));
        let fields = conflicts.iter().filter(|c| c.owner() == owner);
        lines.extend(fields.map(|c| format!("- {}", c.field)));
    }
    format!("Apply failed with {} conflicts: {}", conflicts.len(), lines.join("\n"))
}

/// Why an applied configuration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    #[error("an applied configuration must be an object")]
    NotAnObject,
    #[error(
        "the {field} of the applied configuration ({found}) does not match the resource ({expected})"
    )]
    WrongType { field: &'static str, found: String, expected: String },
    #[error("{path}: {message}")]
    InvalidList { path: String, message: String },
}

impl ApplyError {
    /// The HTTP status Kubernetes answers with.
    pub fn http_status(&self) -> u16 {
        match self {
            ApplyError::NotAnObject | ApplyError::WrongType { .. } => 400,
            ApplyError::InvalidList { .. } => 422,
        }
    }
}

/// Applies `req.applied` to `req.live` for `req.manager`.
pub fn apply(req: &ApplyRequest) -> Result<ApplyOutcome, ApplyError> {
    check_type(req)?;
    let typed = Typed { schema: req.schema, scope: Scope::for_subresource(req.subresource) };
    let applied_set = typed
        .field_set(req.applied)
        .map_err(|e| ApplyError::InvalidList { path: e.path, message: e.message })?;
    let live = req.live.cloned().unwrap_or_else(|| new_object(req));
    let before = managed::decode(&live).unwrap_or_default();
    let mut entries = before.clone();
    let me = Entry::new(req.manager, Operation::Apply, req.api_version, req.subresource);

    let merged = typed.merge(&live, req.applied);
    let changed = typed.compare(&live, &merged).changed();
    let mut taken: Vec<(usize, FieldSet)> = entries
        .iter()
        .enumerate()
        .filter(|(_, e)| !e.same_owner(&me))
        .map(|(i, e)| (i, e.fields.intersection(&changed)))
        .filter(|(_, set)| !set.is_empty())
        .collect();
    if !taken.is_empty() && !req.force {
        let allowed = match req.manager {
            last_applied::KUBECTL => last_applied::allowed_conflicts(&typed, &live),
            _ => FieldSet::new(),
        };
        let mut conflicts = Vec::new();
        for (i, set) in &taken {
            conflicts
                .extend(set.difference(&allowed).iter().map(|path| conflict(&entries[*i], path)));
        }
        if !conflicts.is_empty() {
            conflicts.sort_by(|a, b| (a.owner(), &a.field).cmp(&(b.owner(), &b.field)));
            return Ok(ApplyOutcome::Conflicts(conflicts));
        }
    }
    for (i, set) in taken.drain(..) {
        entries[i].fields = entries[i].fields.difference(&set);
    }

    let last = match entries.iter().position(|e| e.same_owner(&me)) {
        Some(i) => std::mem::replace(&mut entries[i].fields, applied_set.clone()),
        None => {
            entries.push(Entry { fields: applied_set.clone(), ..me.clone() });
            FieldSet::new()
        }
    };
    let owned = entries.iter().fold(FieldSet::new(), |all, e| all.union(&e.fields));
    let mut result = merged;
    typed.prune(&mut result, &last.difference(&owned), &owned);
    let changed = typed.compare(&live, &result).changed();
    for entry in entries.iter_mut().filter(|e| !e.same_owner(&me)) {
        entry.fields = entry.fields.difference(&changed);
    }
    entries.retain(|e| !e.fields.is_empty());
    if req.manager == last_applied::KUBECTL && req.subresource.is_none() {
        last_applied::refresh(&mut result, req.applied);
    }

    let object_changed = result != live;
    if let Some(mine) = entries.iter_mut().find(|e| e.same_owner(&me)) {
        let renewed = mine.time.is_none() || mine.api_version != req.api_version;
        if object_changed || renewed || mine.fields != last {
            mine.time = Some(req.now.to_owned());
            mine.api_version = req.api_version.to_owned();
        }
    }
    if req.live.is_some() && !object_changed && entries == before {
        return Ok(ApplyOutcome::Applied(live));
    }
    managed::store(&mut result, &entries);
    Ok(ApplyOutcome::Applied(result))
}

fn conflict(entry: &Entry, path: &[PathElement]) -> Conflict {
    Conflict {
        manager: entry.manager.clone(),
        operation: entry.operation,
        api_version: entry.api_version.clone(),
        subresource: entry.subresource.clone(),
        field: display(path),
    }
}

/// The applied configuration must be an object of the resource's kind and version.
fn check_type(req: &ApplyRequest) -> Result<(), ApplyError> {
    if !req.applied.is_object() {
        return Err(ApplyError::NotAnObject);
    }
    for (field, expected) in [("kind", req.kind), ("apiVersion", req.api_version)] {
        if let Some(found) = req.applied.get(field).and_then(Value::as_str)
            && !found.is_empty()
            && found != expected
        {
            let (found, expected) = (found.to_owned(), expected.to_owned());
            return Err(ApplyError::WrongType { field, found, expected });
        }
    }
    Ok(())
}

/// What an apply that creates starts from: the type and the name of the configuration.
fn new_object(req: &ApplyRequest) -> Value {
    let mut metadata = Map::new();
    for field in ["name", "namespace"] {
        if let Some(value) = req.applied.pointer(&format!("/metadata/{field}")) {
            metadata.insert(field.into(), value.clone());
        }
    }
    let mut object = Map::new();
    object.insert("apiVersion".into(), Value::String(req.api_version.to_owned()));
    object.insert("kind".into(), Value::String(req.kind.to_owned()));
    object.insert("metadata".into(), Value::Object(metadata));
    Value::Object(object)
}

/// Records a write other than an apply (create, update, patch) by `manager`: it owns what
/// it added or changed, from now on in an `Update` entry, and no other manager owns those
/// fields any more. `old` is `None` for a create.
///
/// The entries start from the `managedFields` the request sent, if any (a client may rewrite
/// them, as kubectl does when it moves from client-side to server-side apply), otherwise from
/// the stored ones. When nothing changes hands, `managedFields` stays byte for byte as it was.
/// `schema` is the kind's ([`Schema::for_kind`] for a built-in one).
pub fn record_update(
    schema: &Schema,
    old: Option<&Value>,
    new: &mut Value,
    manager: &str,
    api_version: &str,
    now: &str,
    subresource: Option<&str>,
) {
    let typed = Typed { schema, scope: Scope::for_subresource(subresource) };
    let sent = match subresource {
        None => managed::decode(new).ok().filter(|e| !e.is_empty()),
        Some(_) => None,
    };
    // Where the entries came from, to put back untouched when nothing changes hands: the
    // request's own `managedFields` (then there is nothing to put back) or the stored ones.
    let (mut entries, from_old) = match sent {
        Some(entries) => (entries, None),
        None => (old.map(managed::decode).and_then(Result::ok).unwrap_or_default(), Some(old)),
    };
    let empty = Value::Object(Map::new());
    let Comparison { added: mut taken, mut modified, removed } =
        typed.compare(old.unwrap_or(&empty), new);
    taken.append(&mut modified);
    let me = Entry::new(manager, Operation::Update, api_version, subresource);
    // Whether `entries` differ from what they started as.
    let mut dirty = false;
    for entry in entries.iter_mut().filter(|e| !e.same_owner(&me)) {
        // `taken` and `removed` are disjoint and together every changed field.
        dirty |= entry.fields.remove_all(&taken);
        dirty |= entry.fields.remove_all(&removed);
    }
    let position = entries.iter().position(|e| e.same_owner(&me));
    // The number of entries the request started with.
    let count = entries.len();
    let mine = match position {
        Some(i) => &mut entries[i],
        None => {
            entries.push(me);
            let last = entries.len() - 1;
            &mut entries[last]
        }
    };
    dirty |= mine.fields.remove_all(&removed);
    if !taken.is_empty() {
        if mine.fields.is_empty() {
            mine.fields = taken;
            dirty = true;
        } else {
            dirty |= mine.fields.extend_from(&taken);
        }
        if mine.time.as_deref() != Some(now) {
            mine.time = Some(now.to_owned());
            dirty = true;
        }
    }
    entries.retain(|e| !e.fields.is_empty());
    // A new entry of mine is dropped again if empty, and changes nothing then; dropping any
    // other entry does.
    if dirty || entries.len() != count {
        return managed::store(new, &entries);
    }
    let Some(old) = from_old else { return };
    let stored = old.and_then(|o| o.pointer("/metadata/managedFields"));
    let current = new.pointer("/metadata/managedFields");
    if current.is_some_and(|current| stored.is_some_and(|stored| identical(current, stored))) {
        return;
    }
    if let Some(metadata) = new.get_mut("metadata").and_then(Value::as_object_mut) {
        match stored {
            Some(fields) => metadata.insert("managedFields".into(), fields.clone()),
            None => metadata.shift_remove("managedFields"),
        };
    }
}

/// Whether `a` and `b` are equal with their object keys in the same order, so that either
/// serializes as the other does.
fn identical(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter().zip(b).all(|((ka, va), (kb, vb))| ka == kb && identical(va, vb))
        }
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| identical(a, b))
        }
        _ => a == b,
    }
}

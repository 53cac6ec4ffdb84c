//! Priority admission: a pod created names a PriorityClass (or gets the cluster's global
//! default one) and leaves with `spec.priority` and `spec.preemptionPolicy` taken from it, the
//! fields the scheduler's preemption reads. A class that does not exist, or a pod that states a
//! priority or policy other than its class's, is refused with 403 as Kubernetes refuses it.
//! [`bootstrap`] creates the two built-in system classes; [`classes`] has the rules of the
//! classes themselves.
//!
//! Classes are read from the watch cache when the server has one; a named class the cache has
//! not seen yet (created a moment ago) costs one store read.

pub mod classes;

use serde_json::{Value, json};

use crate::meta::{self, meta_str};
use crate::objects::{self, Objects};
use crate::resources::{self, ResourceDef};
use crate::status::ApiError;
use crate::{ApiState, defaults};

/// The policy of a class that does not state one, and of pods without a class.
const DEFAULT_POLICY: &str = "PreemptLowerPriority";

/// The classes every Kubernetes cluster has: name, value, description.
const SYSTEM_CLASSES: [(&str, i64, &str); 2] = [
    (
        "system-cluster-critical",
        2_000_000_000,
        "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.",
    ),
    (
        "system-node-critical",
        2_000_001_000,
        "Used for system critical pods that must not be moved from their current node.",
    ),
];

fn classes() -> Result<&'static ResourceDef, ApiError> {
    resources::find("scheduling.k8s.io", "v1", "priorityclasses").ok_or_else(ApiError::no_route)
}

/// Sets a new pod's priority from its PriorityClass (see the module comment).
pub(crate) async fn admit(state: &ApiState, pod: &mut Value, name: &str) -> Result<(), ApiError> {
    let named = pod
        .pointer("/spec/priorityClassName")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .map(str::to_owned);
    let class = match &named {
        Some(class) => named_class(state, class).await?,
        None => global_default(state).await?,
    };
    resolve(pod, name, named.as_deref(), class.as_ref())
}

/// The class called `name`, `None` when there is none.
async fn named_class(state: &ApiState, name: &str) -> Result<Option<Value>, ApiError> {
    let def = classes()?;
    let key = Objects::key(def, None, name);
    if let Some(class) = state.cache.as_ref().and_then(|cache| cache.get(&key)?.object()) {
        return Ok(Some(class));
    }
    match state.objects.get(def, None, name).await {
        Ok(stored) => Ok(Some(stored.object)),
        Err(error) if error.code == 404 => Ok(None),
        Err(error) => Err(error),
    }
}

/// The class marked `globalDefault`; with several, the lowest value (as Kubernetes picks).
async fn global_default(state: &ApiState) -> Result<Option<Value>, ApiError> {
    let def = classes()?;
    let prefix = Objects::prefix(def, None);
    let all: Vec<Value> = match &state.cache {
        Some(cache) => {
            // The entries' views hold names and labels only: the whole objects are parsed.
            let listed = cache.list(&prefix, None, None, None);
            listed.entries.iter().filter_map(|entry| entry.object()).collect()
        }
        None => {
            let options = berth_store::ListOptions::prefix(prefix);
            let listed = state.objects.list_page(def, &options).await?;
            let mut all = Vec::new();
            for kv in &listed.kvs {
                all.push(objects::decode(kv)?.object);
            }
            all
        }
    };
    Ok(pick_default(all))
}

fn is_global_default(class: &Value) -> bool {
    class.get("globalDefault").and_then(Value::as_bool).unwrap_or(false)
}

fn value_of(class: &Value) -> i64 {
    class.get("value").and_then(Value::as_i64).unwrap_or(0)
}

/// The global default among `all`: the lowest-valued class marked so.
fn pick_default(all: Vec<Value>) -> Option<Value> {
    all.into_iter().filter(is_global_default).min_by_key(value_of)
}

/// The pure decision: `named` is the class the pod names (if any), `class` what was found for
/// it (or the global default when the pod names none). Writes the computed fields into `pod`.
pub(crate) fn resolve(
    pod: &mut Value,
    name: &str,
    named: Option<&str>,
    class: Option<&Value>,
) -> Result<(), ApiError> {
    let forbidden =
        |why: String| ApiError::forbidden(format!("pods \"{name}\" is forbidden: {why}"));
    if let (Some(named), None) = (named, class) {
        return Err(forbidden(format!("no PriorityClass with name {named} was found")));
    }
    let priority = class.map_or(0, value_of);
    let policy = class
        .and_then(|c| c.get("preemptionPolicy"))
        .and_then(Value::as_str)
        .unwrap_or(DEFAULT_POLICY)
        .to_owned();
    let stated = pod.pointer("/spec/priority").and_then(Value::as_i64);
    if let Some(stated) = stated.filter(|s| *s != priority) {
        return Err(forbidden(format!(
            "the integer value of priority ({stated}) must not be provided in pod spec; priority admission controller computed {priority} from the given PriorityClass name"
        )));
    }
    let stated = pod.pointer("/spec/preemptionPolicy").and_then(Value::as_str);
    if let Some(stated) = stated.filter(|s| *s != policy) {
        return Err(forbidden(format!(
            "the string value of PreemptionPolicy ({stated}) must not be provided in pod spec; priority admission controller computed {policy} from the given PriorityClass name"
        )));
    }
    let Some(spec) = pod.get_mut("spec").and_then(Value::as_object_mut) else {
        return Ok(());
    };
    if let Some(class_name) = class.and_then(|c| meta_str(c, "name")) {
        spec.insert("priorityClassName".into(), json!(class_name));
    }
    spec.insert("priority".into(), json!(priority));
    spec.insert("preemptionPolicy".into(), json!(policy));
    Ok(())
}

/// Creates the built-in system classes that do not exist yet.
pub(crate) async fn bootstrap(objects: &Objects) -> Result<(), ApiError> {
    let def = classes()?;
    for (name, value, description) in SYSTEM_CLASSES {
        match objects.get(def, None, name).await {
            Ok(_) => continue,
            Err(error) if error.code == 404 => {}
            Err(error) => return Err(error),
        }
        let mut class = json!({
            "apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
            "metadata": {"name": name, "uid": meta::new_uid(), "creationTimestamp": meta::now_rfc3339()},
            "value": value, "globalDefault": false, "description": description,
            "preemptionPolicy": DEFAULT_POLICY,
        });
        defaults::apply(def, &mut class);
        match objects.create(def, None, name, &class).await {
            Ok(_) => {}
            Err(error) if error.code == 409 => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

#[cfg(test)]
mod classes_tests;
#[cfg(test)]
mod tests;

//! The rules of PriorityClasses themselves, as kube-apiserver enforces them.
//!
//! [`validate`] is the 422 part (run with every kind's validation, [`crate::defaults::validate`]):
//! names starting with `system-` belong to the built-in classes and must carry their value
//! and `globalDefault: false`; other classes go up to [`HIGHEST_USER_DEFINABLE`]; the
//! preemption policy is one Kubernetes knows; `value` and `preemptionPolicy` never change.
//! [`admit`] is the priority admission of a class write: at most one class is the global
//! default, and making a second one is forbidden (403, naming the one there is), as the
//! admission plugin refuses it.

use serde_json::Value;

use super::{SYSTEM_CLASSES, is_global_default, value_of};
use crate::ApiState;
use crate::meta::meta_str;
use crate::resources::ResourceDef;
use crate::status::{ApiError, Cause};

/// The highest value a class that is not a system class may have.
pub const HIGHEST_USER_DEFINABLE: i64 = 1_000_000_000;

/// Names with this prefix are reserved for the built-in classes.
pub const SYSTEM_PREFIX: &str = "system-";

const POLICIES: [&str; 2] = ["Never", "PreemptLowerPriority"];

fn forbidden(field: &str, message: &str) -> Cause {
    Cause {
        kind: "FieldValueForbidden",
        field: field.into(),
        message: format!("Forbidden: {message}"),
    }
}

/// Why a `system-` name is not the built-in class it claims to be; `None` when it is.
fn not_a_system_class(name: &str, value: i64, global_default: bool) -> Option<String> {
    let Some((known, known_value, _)) = SYSTEM_CLASSES.iter().find(|(n, _, _)| *n == name) else {
        return Some(format!("{name} is not a known system priority class"));
    };
    if value != *known_value {
        return Some(format!("value of {known} PriorityClass must be {known_value}"));
    }
    if global_default {
        return Some(format!("globalDefault of {known} PriorityClass must be false"));
    }
    None
}

/// The 422 causes of a PriorityClass (an update when `old` is given).
pub fn validate(class: &Value, old: Option<&Value>, causes: &mut Vec<Cause>) {
    let name = meta_str(class, "name").unwrap_or_default();
    let value = value_of(class);
    if name.starts_with(SYSTEM_PREFIX) {
        if let Some(why) = not_a_system_class(name, value, is_global_default(class)) {
            causes.push(forbidden(
                "metadata.name",
                &format!("priority class names with '{SYSTEM_PREFIX}' prefix are reserved for system use only. error: {why}"),
            ));
        }
    } else if value > HIGHEST_USER_DEFINABLE {
        causes.push(forbidden(
            "value",
            &format!(
                "maximum allowed value of a user defined priority is {HIGHEST_USER_DEFINABLE}"
            ),
        ));
    }
    let policy = class.get("preemptionPolicy").and_then(Value::as_str);
    if let Some(policy) = policy.filter(|p| !POLICIES.contains(p)) {
        let supported: Vec<String> = POLICIES.iter().map(|p| format!("\"{p}\"")).collect();
        causes.push(Cause {
            kind: "FieldValueNotSupported",
            field: "preemptionPolicy".into(),
            message: format!(
                "Unsupported value: \"{policy}\": supported values: {}",
                supported.join(", ")
            ),
        });
    }
    let Some(old) = old else { return };
    if value != value_of(old) {
        causes.push(forbidden("value", "may not be changed in an update."));
    }
    let old_policy = old.get("preemptionPolicy").and_then(Value::as_str);
    if policy != old_policy {
        let shown = policy.map_or("null".to_owned(), |p| format!("\"{p}\""));
        causes.push(Cause::invalid(
            "preemptionPolicy",
            format!("Invalid value: {shown}: field is immutable"),
        ));
    }
}

/// The pure decision of [`admit`]: `current_default` is the class that is the global default
/// now (the lowest-valued one, should there be several).
pub fn default_conflict(
    class: &Value,
    creating: bool,
    current_default: Option<&Value>,
) -> Option<ApiError> {
    if !is_global_default(class) {
        return None;
    }
    let name = meta_str(class, "name").unwrap_or_default();
    let existing = meta_str(current_default?, "name").unwrap_or_default();
    if !creating && existing == name {
        return None;
    }
    Some(ApiError::forbidden(format!(
        "priorityclasses.scheduling.k8s.io \"{name}\" is forbidden: PriorityClass {existing} is already marked as default. Only one default can exist"
    )))
}

/// Refuses a write that would make a second global default class. Other kinds pass.
pub(crate) async fn admit(
    state: &ApiState,
    def: &ResourceDef,
    class: &Value,
    creating: bool,
) -> Result<(), ApiError> {
    if def.group != "scheduling.k8s.io" || def.kind != "PriorityClass" || !is_global_default(class)
    {
        return Ok(());
    }
    let current = super::global_default(state).await?;
    match default_conflict(class, creating, current.as_ref()) {
        Some(error) => Err(error),
        None => Ok(()),
    }
}

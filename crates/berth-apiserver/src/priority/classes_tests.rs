//! The rules of PriorityClasses, table-driven: what validation refuses (with which field and
//! cause) and when a second global default is refused.

use serde_json::{Value, json};

use super::classes::{default_conflict, validate};

fn class(name: &str, value: i64) -> Value {
    json!({"metadata": {"name": name}, "value": value, "preemptionPolicy": "PreemptLowerPriority"})
}

fn with(mut class: Value, field: &str, value: Value) -> Value {
    class[field] = value;
    class
}

#[test]
fn validation_follows_kubernetes() {
    let low = class("low", 100);
    // (case, class, old, expected causes as (kind, field, message))
    type Case<'a> = (&'a str, Value, Option<Value>, Vec<(&'a str, &'a str, &'a str)>);
    let cases: Vec<Case> = vec![
        ("a user class", low.clone(), None, vec![]),
        ("the highest user value", class("top", 1_000_000_000), None, vec![]),
        ("negative values are allowed", class("neg", -5), None, vec![]),
        (
            "above the highest user value",
            class("huge", 1_000_000_001),
            None,
            vec![(
                "FieldValueForbidden",
                "value",
                "Forbidden: maximum allowed value of a user defined priority is 1000000000",
            )],
        ),
        ("a system class as built in", class("system-node-critical", 2_000_001_000), None, vec![]),
        (
            "an unknown system- name",
            class("system-mine", 10),
            None,
            vec![(
                "FieldValueForbidden",
                "metadata.name",
                "Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-mine is not a known system priority class",
            )],
        ),
        (
            "a system class with another value",
            class("system-cluster-critical", 10),
            None,
            vec![(
                "FieldValueForbidden",
                "metadata.name",
                "Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: value of system-cluster-critical PriorityClass must be 2000000000",
            )],
        ),
        (
            "a system class as global default",
            with(class("system-cluster-critical", 2_000_000_000), "globalDefault", json!(true)),
            None,
            vec![(
                "FieldValueForbidden",
                "metadata.name",
                "Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: globalDefault of system-cluster-critical PriorityClass must be false",
            )],
        ),
        ("a prefix without the dash is a user name", class("systemic", 10), None, vec![]),
        (
            "an unknown preemption policy",
            with(low.clone(), "preemptionPolicy", json!("Sometimes")),
            None,
            vec![(
                "FieldValueNotSupported",
                "preemptionPolicy",
                r#"Unsupported value: "Sometimes": supported values: "Never", "PreemptLowerPriority""#,
            )],
        ),
        (
            "an update that changes the value",
            class("low", 200),
            Some(low.clone()),
            vec![("FieldValueForbidden", "value", "Forbidden: may not be changed in an update.")],
        ),
        (
            "an update that changes the policy",
            with(low.clone(), "preemptionPolicy", json!("Never")),
            Some(low.clone()),
            vec![(
                "FieldValueInvalid",
                "preemptionPolicy",
                r#"Invalid value: "Never": field is immutable"#,
            )],
        ),
        (
            "an update of the description and the default flag",
            with(with(low.clone(), "description", json!("d")), "globalDefault", json!(true)),
            Some(low.clone()),
            vec![],
        ),
    ];
    for (case, object, old, expected) in cases {
        let mut causes = Vec::new();
        validate(&object, old.as_ref(), &mut causes);
        let got: Vec<(&str, &str, &str)> =
            causes.iter().map(|c| (c.kind, c.field.as_str(), c.message.as_str())).collect();
        assert_eq!(got, expected, "{case}");
    }
}

#[test]
fn only_one_class_is_the_global_default() {
    let first = with(class("first", 10), "globalDefault", json!(true));
    let second = with(class("second", 20), "globalDefault", json!(true));
    let plain = class("plain", 5);
    // (case, class written, creating, current default, refused)
    let cases = [
        ("the first default", &first, true, None, false),
        ("a second default on create", &second, true, Some(&first), true),
        ("a class becoming a second default", &second, false, Some(&first), true),
        ("the default itself updated", &first, false, Some(&first), false),
        ("a class that is not a default", &plain, true, Some(&first), false),
        ("recreating under the default's name", &first, true, Some(&first), true),
    ];
    for (case, class, creating, current, refused) in cases {
        let error = default_conflict(class, creating, current);
        assert_eq!(error.is_some(), refused, "{case}");
        if let Some(error) = error {
            assert_eq!(error.code, 403, "{case}");
            let name = class["metadata"]["name"].as_str().unwrap_or_default();
            assert_eq!(
                error.message,
                format!(
                    "priorityclasses.scheduling.k8s.io \"{name}\" is forbidden: PriorityClass first is already marked as default. Only one default can exist"
                ),
                "{case}"
            );
        }
    }
}

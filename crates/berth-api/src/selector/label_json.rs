//! Label selectors written as objects: `metav1.LabelSelector` and plain map selectors.
//!
//! Deployments, ReplicaSets, Jobs, NetworkPolicies and PodDisruptionBudgets carry
//! `{"matchLabels": {..}, "matchExpressions": [{"key", "operator", "values"}]}`; [`from_json`]
//! turns it into a [`LabelSelector`] the way Kubernetes' `LabelSelectorAsSelector` does:
//! `null` selects nothing, an object with no requirements selects everything, and each entry is
//! checked like a query-string requirement. Services and ReplicationControllers carry a plain
//! `{"key": "value"}` map instead, read by [`from_match_labels`].

use serde_json::{Map, Value};

use super::SelectorError;
use super::label::{LabelSelector, Operator, Requirement};

/// Reads a `metav1.LabelSelector` object.
pub(crate) fn from_json(v: &Value) -> Result<LabelSelector, SelectorError> {
    let fail =
        |reason: String| SelectorError::InvalidLabelSelector { selector: v.to_string(), reason };
    let object = match v {
        Value::Null => return Ok(LabelSelector::nothing()),
        Value::Object(object) => object,
        _ => return Err(fail("a label selector must be an object".to_owned())),
    };
    let mut requirements = Vec::new();
    match object.get("matchLabels") {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => requirements.extend(equalities(map).map_err(fail)?),
        Some(_) => return Err(fail("matchLabels must be an object".to_owned())),
    }
    match object.get("matchExpressions") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                let r = expression(item).map_err(|e| format!("matchExpressions[{i}]: {e}"));
                requirements.push(r.map_err(fail)?);
            }
        }
        Some(_) => return Err(fail("matchExpressions must be an array".to_owned())),
    }
    Ok(LabelSelector::from_requirements(requirements))
}

/// Reads a plain map selector; every pair must be equal, and the empty map selects everything.
pub(crate) fn from_match_labels(map: &Map<String, Value>) -> Result<LabelSelector, SelectorError> {
    equalities(map).map(LabelSelector::from_requirements).map_err(|reason| {
        SelectorError::InvalidLabelSelector {
            selector: Value::Object(map.clone()).to_string(),
            reason,
        }
    })
}

fn equalities(map: &Map<String, Value>) -> Result<Vec<Requirement>, String> {
    map.iter()
        .map(|(key, value)| match value {
            Value::String(value) => {
                Requirement::build(key.clone(), Operator::Equals, vec![value.clone()])
            }
            _ => Err(format!("matchLabels[{key:?}] must be a string")),
        })
        .collect()
}

/// One `{"key", "operator", "values"}` entry.
fn expression(item: &Value) -> Result<Requirement, String> {
    let Some(item) = item.as_object() else {
        return Err("must be an object".to_owned());
    };
    let key = match item.get("key") {
        Some(Value::String(key)) => key.clone(),
        _ => return Err("key must be a string".to_owned()),
    };
    let operator = match item.get("operator").and_then(Value::as_str) {
        Some("In") => Operator::In,
        Some("NotIn") => Operator::NotIn,
        Some("Exists") => Operator::Exists,
        Some("DoesNotExist") => Operator::DoesNotExist,
        Some(other) => {
            return Err(format!(
                "operator {other:?} is not one of In, NotIn, Exists, DoesNotExist"
            ));
        }
        None => return Err("operator must be a string".to_owned()),
    };
    let values = match item.get("values") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(values)) => values
            .iter()
            .map(|v| v.as_str().map(str::to_owned).ok_or("values must be strings".to_owned()))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err("values must be an array".to_owned()),
    };
    Requirement::build(key, operator, values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn null_selects_nothing_and_empty_selects_everything() {
        let nothing = from_json(&Value::Null).expect("null is allowed");
        assert!(nothing.is_nothing());
        assert!(!nothing.matches_object(&json!({"metadata": {"labels": {}}})));
        for empty in [json!({}), json!({"matchLabels": {}}), json!({"matchExpressions": null})] {
            let s = from_json(&empty).expect("empty is allowed");
            assert!(s.is_everything(), "{empty}");
            assert!(s.matches_object(&json!({"metadata": {"labels": {"x": "y"}}})));
        }
    }

    #[test]
    fn reads_labels_and_expressions() {
        let cases = [
            (json!({"matchLabels": {"app": "web", "b": ""}}), "app=web,b="),
            (
                json!({"matchExpressions": [
                    {"key": "tier", "operator": "In", "values": ["fe", "be", "fe"]},
                    {"key": "env", "operator": "NotIn", "values": ["dev"]},
                    {"key": "canary", "operator": "DoesNotExist"},
                    {"key": "app", "operator": "Exists", "values": []},
                ]}),
                "app,!canary,env notin (dev),tier in (be,fe)",
            ),
            (
                json!({"matchLabels": {"app": "web"},
                       "matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["x"]}]}),
                "app=web,app notin (x)",
            ),
        ];
        for (input, want) in cases {
            let s = from_json(&input).expect("valid selector");
            assert_eq!(s.to_string(), want);
            assert_eq!(LabelSelector::parse(want).expect("reparses"), s);
        }
    }

    #[test]
    fn matches_like_a_deployment_selector() {
        let s = from_json(&json!({
            "matchLabels": {"app": "web"},
            "matchExpressions": [{"key": "track", "operator": "NotIn", "values": ["canary"]}],
        }))
        .expect("valid selector");
        assert!(s.matches_object(&json!({"metadata": {"labels": {"app": "web"}}})));
        let canary = json!({"metadata": {"labels": {"app": "web", "track": "canary"}}});
        assert!(!s.matches_object(&canary));
        assert!(!s.matches_object(&json!({"metadata": {}})));
    }

    #[test]
    fn rejects_invalid_selectors() {
        let cases = [
            (json!("app=web"), "a label selector must be an object"),
            (json!({"matchLabels": []}), "matchLabels must be an object"),
            (json!({"matchLabels": {"app": 1}}), r#"matchLabels["app"] must be a string"#),
            (json!({"matchExpressions": {}}), "matchExpressions must be an array"),
            (json!({"matchExpressions": [1]}), "matchExpressions[0]: must be an object"),
            (
                json!({"matchExpressions": [{"key": "a", "operator": "Gt", "values": ["1"]}]}),
                concat!(
                    r#"matchExpressions[0]: operator "Gt" is not one of "#,
                    "In, NotIn, Exists, DoesNotExist",
                ),
            ),
            (
                json!({"matchExpressions": [{"key": "a", "operator": "In"}]}),
                r#"matchExpressions[0]: key "a": operator in takes at least one value"#,
            ),
            (
                json!({"matchExpressions": [{"key": "a", "operator": "NotIn", "values": []}]}),
                r#"matchExpressions[0]: key "a": operator notin takes at least one value"#,
            ),
            (
                json!({"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]}),
                r#"matchExpressions[0]: key "a": operator exists takes no values"#,
            ),
            (
                json!({"matchExpressions": [{"key": "a", "operator": "In", "values": [1]}]}),
                "matchExpressions[0]: values must be strings",
            ),
            (
                json!({"matchExpressions": [{"operator": "Exists"}]}),
                "matchExpressions[0]: key must be a string",
            ),
            (
                json!({"matchExpressions": [{"key": "a"}]}),
                "matchExpressions[0]: operator must be a string",
            ),
        ];
        for (input, want) in cases {
            match from_json(&input) {
                Err(SelectorError::InvalidLabelSelector { selector, reason }) => {
                    assert_eq!(reason, want, "{input}");
                    assert_eq!(selector, input.to_string());
                }
                other => panic!("{input} gave {other:?}"),
            }
        }
        let bad_key = from_json(&json!({"matchLabels": {"a b": "x"}})).expect_err("bad key");
        let SelectorError::InvalidLabelSelector { reason, .. } = bad_key else {
            panic!("{bad_key:?}");
        };
        assert!(reason.starts_with(r#"key "a b": the name part may hold only"#), "{reason}");
    }

    #[test]
    fn map_selectors() {
        let map = json!({"app": "web", "tier": "fe"});
        let s = from_match_labels(map.as_object().expect("object")).expect("valid map");
        assert_eq!(s.to_string(), "app=web,tier=fe");
        assert!(from_match_labels(&Map::new()).expect("empty map").is_everything());
        let bad = json!({"app": "we b"});
        assert!(from_match_labels(bad.as_object().expect("object")).is_err());
    }
}

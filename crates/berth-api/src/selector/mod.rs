//! Label and field selectors, as the API server reads them from `labelSelector` and
//! `fieldSelector` query parameters and as workload specs carry them.
//!
//! Start at [`LabelSelector::parse`] and [`FieldSelector::parse`]; both return plain values that
//! match JSON objects with no IO. Label selectors also come from `metav1.LabelSelector` objects
//! through [`LabelSelector::from_label_selector_json`]. Field selectors are checked against the
//! fields a resource lets clients select on with [`FieldSelector::validate_for`], whose table is
//! [`supported_fields`]. Flow: query string → parse → validate → `matches_object` per object.
//!
//! The grammar and the matching rules follow Kubernetes' apimachinery: `!=` and `notin` match
//! objects that lack the label, a field the object lacks reads as its zero value, and both
//! selectors print in a canonical form that parses back to the same selector.

mod field;
mod field_resource;
mod label;
mod label_json;
mod label_parse;
mod validation;

pub use field::{FieldRequirement, FieldSelector};
pub use field_resource::{field_paths, field_value, selectable_fields, supported_fields};
pub use label::{LabelSelector, Operator, Requirement, label_text};

/// Why a selector was refused. Every variant becomes a `400 Bad Request` in the API server.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum SelectorError {
    /// A label selector (query string or `metav1.LabelSelector` object) did not parse or named
    /// an invalid key, value or operator.
    #[error("invalid label selector {selector:?}: {reason}")]
    InvalidLabelSelector {
        /// The selector as the client sent it (the JSON text for selector objects).
        selector: String,
        /// What was wrong with it.
        reason: String,
    },
    /// A field selector did not parse.
    #[error("invalid field selector {selector:?}: {reason}")]
    InvalidFieldSelector {
        /// The selector as the client sent it.
        selector: String,
        /// What was wrong with it.
        reason: String,
    },
    /// A field selector named a field the resource does not let clients select on.
    #[error("field label not supported: {field}")]
    UnsupportedField {
        /// The field as written in the selector.
        field: String,
    },
}

/// Writes selector terms separated by commas, the form both selector kinds print in.
fn write_terms<T: std::fmt::Display>(
    f: &mut std::fmt::Formatter<'_>,
    terms: &[T],
) -> std::fmt::Result {
    for (i, term) in terms.iter().enumerate() {
        if i > 0 {
            f.write_str(",")?;
        }
        write!(f, "{term}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_messages_are_lowercase_and_name_the_input() {
        let cases = [
            (
                SelectorError::InvalidLabelSelector { selector: "a b".into(), reason: "x".into() },
                r#"invalid label selector "a b": x"#,
            ),
            (
                SelectorError::InvalidFieldSelector { selector: "a".into(), reason: "y".into() },
                r#"invalid field selector "a": y"#,
            ),
            (
                SelectorError::UnsupportedField { field: "spec.foo".into() },
                "field label not supported: spec.foo",
            ),
        ];
        for (err, want) in cases {
            assert_eq!(err.to_string(), want);
        }
    }

    #[test]
    fn selectors_from_the_api_server_flow() {
        let labels = LabelSelector::parse("app=web,tier notin (db)").expect("parses");
        let fields = FieldSelector::parse("spec.nodeName=n1").expect("parses");
        fields.validate_for("", "pods").expect("pods select on spec.nodeName");
        let pod = serde_json::json!({
            "metadata": {"name": "p", "labels": {"app": "web"}},
            "spec": {"nodeName": "n1"},
        });
        assert!(labels.matches_object(&pod));
        assert!(fields.matches_object(&pod));
    }
}

//! The label selector value: a list of requirements that must all hold, or "nothing".
//!
//! [`LabelSelector`] is built by [`LabelSelector::parse`] (query strings, see `label_parse`) or
//! [`LabelSelector::from_label_selector_json`] (selector objects, see `label_json`), and matched
//! against `metadata.labels` with [`LabelSelector::matches`]. Each [`Requirement`] is checked
//! on construction, so a selector in hand is always valid and prints back to a string that
//! parses to the same selector.

use std::borrow::Cow;
use std::fmt;

use serde_json::{Map, Value};

use super::SelectorError;
use super::validation::{check_key, check_value};

/// How a [`Requirement`] relates its key to its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operator {
    /// `key in (v1,v2)`: the label is set to one of the values.
    In,
    /// `key notin (v1,v2)`: the label is absent or set to none of the values.
    NotIn,
    /// `key=v`: the label is set to the value.
    Equals,
    /// `key==v`: same as [`Operator::Equals`], kept apart so it prints as written.
    DoubleEquals,
    /// `key!=v`: the label is absent or set to another value.
    NotEquals,
    /// `key`: the label is set.
    Exists,
    /// `!key`: the label is absent.
    DoesNotExist,
    /// `key>n`: the label is set to an integer greater than `n`.
    GreaterThan,
    /// `key<n`: the label is set to an integer less than `n`.
    LessThan,
}

/// One condition of a label selector: a key, an operator and the operator's values.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Requirement {
    key: String,
    operator: Operator,
    /// Sorted and without duplicates.
    values: Vec<String>,
}

impl Requirement {
    /// Checks and builds a requirement. `in`/`notin` need at least one value, `=`/`==`/`!=`
    /// exactly one, `>`/`<` exactly one integer, and `exists`/`!` none. Values may be empty
    /// strings.
    pub fn new(
        key: impl Into<String>,
        operator: Operator,
        values: impl IntoIterator<Item = impl Into<String>>,
    ) -> Result<Self, SelectorError> {
        let key = key.into();
        let values: Vec<String> = values.into_iter().map(Into::into).collect();
        let selector = match operator {
            Operator::Exists | Operator::DoesNotExist => key.clone(),
            _ => format!("{key} {} ({})", operator.symbol(), values.join(",")),
        };
        Self::build(key, operator, values)
            .map_err(|reason| SelectorError::InvalidLabelSelector { selector, reason })
    }

    /// [`Requirement::new`] with the bare reason as error, for parsers that know the text.
    pub(crate) fn build(
        key: String,
        operator: Operator,
        mut values: Vec<String>,
    ) -> Result<Self, String> {
        check_key(&key).map_err(|e| e.to_string())?;
        let count_ok = match operator {
            Operator::In | Operator::NotIn => !values.is_empty(),
            Operator::Exists | Operator::DoesNotExist => values.is_empty(),
            _ => values.len() == 1,
        };
        if !count_ok {
            let need = match operator {
                Operator::In | Operator::NotIn => "at least one value",
                Operator::Exists | Operator::DoesNotExist => "no values",
                _ => "exactly one value",
            };
            return Err(format!("key {key:?}: operator {} takes {need}", operator.symbol()));
        }
        for value in &values {
            check_value(value).map_err(|e| e.to_string())?;
            if matches!(operator, Operator::GreaterThan | Operator::LessThan)
                && value.parse::<i64>().is_err()
            {
                return Err(format!(
                    "key {key:?}: value {value:?} of '>' or '<' is not an integer"
                ));
            }
        }
        values.sort();
        values.dedup();
        Ok(Requirement { key, operator, values })
    }

    /// The label key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The operator.
    pub fn operator(&self) -> Operator {
        self.operator
    }

    /// The values, sorted and deduplicated.
    pub fn values(&self) -> &[String] {
        &self.values
    }

    /// Whether the labels satisfy this requirement.
    pub fn matches(&self, labels: &Map<String, Value>) -> bool {
        let actual = labels.get(&self.key).and_then(label_text);
        self.matches_label(actual.as_deref())
    }

    /// Whether a label with this requirement's key and value `actual` (`None`: no such
    /// label) satisfies it.
    pub fn matches_label(&self, actual: Option<&str>) -> bool {
        let has = |v: &str| self.values.iter().any(|x| x == v);
        match (self.operator, actual) {
            (Operator::Exists, found) => found.is_some(),
            (Operator::DoesNotExist, found) => found.is_none(),
            (Operator::In | Operator::Equals | Operator::DoubleEquals, found) => {
                found.is_some_and(has)
            }
            (Operator::NotIn | Operator::NotEquals, found) => !found.is_some_and(has),
            (Operator::GreaterThan | Operator::LessThan, found) => {
                let label = found.and_then(|v| v.parse::<i64>().ok());
                let bound = self.values.first().and_then(|v| v.parse::<i64>().ok());
                match (label, bound) {
                    (Some(l), Some(b)) if self.operator == Operator::GreaterThan => l > b,
                    (Some(l), Some(b)) => l < b,
                    _ => false,
                }
            }
        }
    }
}

impl Operator {
    fn symbol(self) -> &'static str {
        match self {
            Operator::In => "in",
            Operator::NotIn => "notin",
            Operator::Equals => "=",
            Operator::DoubleEquals => "==",
            Operator::NotEquals => "!=",
            Operator::Exists => "exists",
            Operator::DoesNotExist => "!",
            Operator::GreaterThan => ">",
            Operator::LessThan => "<",
        }
    }
}

/// A label's value as text: strings as they are, other scalars by their JSON text, `null` as
/// an absent label. Labels are strings in any valid object; this only keeps bad data harmless.
pub fn label_text(value: &Value) -> Option<Cow<'_, str>> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(Cow::Borrowed(s)),
        other => Some(Cow::Owned(other.to_string())),
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let values = self.values.join(",");
        match self.operator {
            Operator::Exists => write!(f, "{}", self.key),
            Operator::DoesNotExist => write!(f, "!{}", self.key),
            Operator::In | Operator::NotIn => {
                write!(f, "{} {} ({values})", self.key, self.operator.symbol())
            }
            op => write!(f, "{}{}{values}", self.key, op.symbol()),
        }
    }
}

/// A label selector: every requirement must hold. The empty selector matches everything;
/// [`LabelSelector::nothing`] matches no object at all.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct LabelSelector {
    /// Sorted by key (stable), which fixes the printed form.
    requirements: Vec<Requirement>,
    nothing: bool,
}

impl LabelSelector {
    /// Parses a `labelSelector` query string: `a=b`, `a==b`, `a!=b`, `a in (x,y)`,
    /// `a notin (x)`, `a`, `!a`, `a>1`, `a<1`, joined by commas. The empty string matches
    /// everything.
    pub fn parse(s: &str) -> Result<Self, SelectorError> {
        super::label_parse::parse(s).map(Self::from_requirements).map_err(|reason| {
            SelectorError::InvalidLabelSelector { selector: s.to_owned(), reason }
        })
    }

    /// Reads a `metav1.LabelSelector` object (`matchLabels`, `matchExpressions`): `null`
    /// selects nothing, `{}` selects everything.
    pub fn from_label_selector_json(v: &Value) -> Result<Self, SelectorError> {
        super::label_json::from_json(v)
    }

    /// Builds the selector of a plain map selector (a Service's or ReplicationController's
    /// `spec.selector`): every pair must be equal. An empty map selects everything.
    pub fn from_map(map: &Map<String, Value>) -> Result<Self, SelectorError> {
        super::label_json::from_match_labels(map)
    }

    /// The selector that requires all of `requirements`.
    pub fn from_requirements(mut requirements: Vec<Requirement>) -> Self {
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        LabelSelector { requirements, nothing: false }
    }

    /// The selector that matches every object.
    pub fn everything() -> Self {
        Self::default()
    }

    /// The selector that matches no object.
    pub fn nothing() -> Self {
        LabelSelector { requirements: Vec::new(), nothing: true }
    }

    /// Whether this selector places no restriction at all.
    pub fn is_everything(&self) -> bool {
        !self.nothing && self.requirements.is_empty()
    }

    /// Whether this is the selector that matches no object.
    pub fn is_nothing(&self) -> bool {
        self.nothing
    }

    /// The requirements, sorted by key.
    pub fn requirements(&self) -> &[Requirement] {
        &self.requirements
    }

    /// The single value the selector pins `key` to (`key=v`, `key==v` or `key in (v)`).
    pub fn requires_exact_match(&self, key: &str) -> Option<&str> {
        let r = self.requirements.iter().find(|r| r.key == key)?;
        match (r.operator, r.values.as_slice()) {
            (Operator::Equals | Operator::DoubleEquals | Operator::In, [only]) => Some(only),
            _ => None,
        }
    }

    /// Whether a labels map (`metadata.labels`) satisfies the selector.
    pub fn matches(&self, labels: &Map<String, Value>) -> bool {
        !self.nothing && self.requirements.iter().all(|r| r.matches(labels))
    }

    /// Whether labels read through `label` (the value of a key, `None` when absent) satisfy
    /// the selector: for objects kept in another form than JSON.
    pub fn matches_with<'a>(&self, label: impl Fn(&str) -> Option<&'a str>) -> bool {
        !self.nothing && self.requirements.iter().all(|r| r.matches_label(label(&r.key)))
    }

    /// Whether an object's `metadata.labels` satisfy the selector; missing labels are empty.
    pub fn matches_object(&self, object: &Value) -> bool {
        match object.pointer("/metadata/labels").and_then(Value::as_object) {
            Some(labels) => self.matches(labels),
            None => self.matches(&Map::new()),
        }
    }
}

/// The canonical form: requirements by key, values sorted. It parses back to the same
/// selector, except [`LabelSelector::nothing`], which no query string can express and which
/// prints as the empty string, as Kubernetes prints it.
impl fmt::Display for LabelSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        super::write_terms(f, &self.requirements)
    }
}

#[cfg(test)]
#[path = "label_tests.rs"]
mod tests;

//! Field selectors: `fieldSelector=spec.nodeName=n1,status.phase!=Failed`.
//!
//! [`FieldSelector::parse`] splits the text on unescaped commas into terms `field=value`,
//! `field==value` or `field!=value`; values may escape `\,`, `\=` and `\\`, and an unescaped
//! `=` in a value is an error. [`FieldSelector::validate_for`] then checks each field against
//! the resource's table (`field_resource`), and [`FieldSelector::matches_object`] compares the
//! object's field values, a missing field reading as its zero value.

use std::fmt;

use serde_json::Value;

use super::SelectorError;
use super::field_resource::{COMMON, field_value, supported_fields};

/// One term of a field selector: a field and the value it must (or must not) equal.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FieldRequirement {
    field: String,
    negated: bool,
    value: String,
}

impl FieldRequirement {
    /// `field=value`.
    pub fn equals(field: impl Into<String>, value: impl Into<String>) -> Self {
        FieldRequirement { field: field.into(), negated: false, value: value.into() }
    }

    /// `field!=value`.
    pub fn not_equals(field: impl Into<String>, value: impl Into<String>) -> Self {
        FieldRequirement { field: field.into(), negated: true, value: value.into() }
    }

    /// The field path, e.g. `spec.nodeName`.
    pub fn field(&self) -> &str {
        &self.field
    }

    /// The value, unescaped.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// Whether this is a `!=` term.
    pub fn is_negated(&self) -> bool {
        self.negated
    }

    /// Whether a field holding `actual` satisfies this term.
    pub fn matches_value(&self, actual: &str) -> bool {
        (actual == self.value) != self.negated
    }
}

impl fmt::Display for FieldRequirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = if self.negated { "!=" } else { "=" };
        write!(f, "{}{op}{}", self.field, escape_value(&self.value))
    }
}

/// A field selector: every term must hold. The empty selector matches everything.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct FieldSelector {
    /// Sorted, which fixes the printed form.
    requirements: Vec<FieldRequirement>,
}

impl FieldSelector {
    /// Parses a `fieldSelector` query string. Empty terms are skipped, so "" and "," match
    /// everything. Whitespace around a field name is dropped; values are taken as written.
    pub fn parse(s: &str) -> Result<Self, SelectorError> {
        let fail =
            |reason: String| SelectorError::InvalidFieldSelector { selector: s.to_owned(), reason };
        let mut requirements = Vec::new();
        for term in split_terms(s).into_iter().filter(|t| !t.is_empty()) {
            let Some((field, negated, raw)) = split_term(term) else {
                return Err(fail(format!("term {term:?} has no operator (=, == or !=)")));
            };
            let field = field.trim();
            if field.is_empty() {
                return Err(fail(format!("term {term:?} has no field name")));
            }
            // `a! =b` would print as `a!=b`, which selects something else.
            if field.ends_with('!') {
                return Err(fail(format!("term {term:?}: a field name cannot end with '!'")));
            }
            let value = unescape_value(raw).map_err(|e| fail(format!("term {term:?}: {e}")))?;
            requirements.push(FieldRequirement { field: field.to_owned(), negated, value });
        }
        Ok(Self::from_requirements(requirements))
    }

    /// The selector that requires all of `requirements`.
    pub fn from_requirements(mut requirements: Vec<FieldRequirement>) -> Self {
        requirements.sort();
        FieldSelector { requirements }
    }

    /// The selector that matches every object.
    pub fn everything() -> Self {
        Self::default()
    }

    /// Whether this selector places no restriction at all.
    pub fn is_everything(&self) -> bool {
        self.requirements.is_empty()
    }

    /// The terms, sorted.
    pub fn requirements(&self) -> &[FieldRequirement] {
        &self.requirements
    }

    /// Checks that every field named is one `resource` in `group` ("" for core) lets clients
    /// select on: `metadata.name`, `metadata.namespace` or one of [`supported_fields`].
    pub fn validate_for(&self, group: &str, resource: &str) -> Result<(), SelectorError> {
        let extra = supported_fields(group, resource);
        match self.requirements.iter().find(|r| {
            let field = r.field.as_str();
            !COMMON.contains(&field) && !extra.contains(&field)
        }) {
            Some(r) => Err(SelectorError::UnsupportedField { field: r.field.clone() }),
            None => Ok(()),
        }
    }

    /// Whether the object satisfies every term. Fields are dotted JSON paths; a missing field
    /// reads as "" (as `false` or `0` for the boolean and count fields Kubernetes selects on),
    /// and booleans and numbers compare by their text.
    pub fn matches_object(&self, object: &Value) -> bool {
        self.requirements.iter().all(|r| r.matches_value(&field_value(object, &r.field)))
    }

    /// Whether fields read through `field` (a field's value as [`field_value`] reads it)
    /// satisfy every term: for objects kept in another form than JSON.
    ///
    /// [`field_value`]: super::field_value
    pub fn matches_with<'a>(&self, field: impl Fn(&str) -> &'a str) -> bool {
        self.requirements.iter().all(|r| r.matches_value(field(&r.field)))
    }

    /// The value an `=` term pins `field` to, if there is one.
    pub fn requires_exact_match(&self, field: &str) -> Option<&str> {
        self.requirements.iter().find(|r| !r.negated && r.field == field).map(|r| r.value.as_str())
    }

    /// The name a `metadata.name=X` term pins, for watch-cache fast paths.
    pub fn exact_name(&self) -> Option<&str> {
        self.requires_exact_match("metadata.name")
    }

    /// The namespace a `metadata.namespace=X` term pins.
    pub fn exact_namespace(&self) -> Option<&str> {
        self.requires_exact_match("metadata.namespace")
    }
}

/// The canonical form: terms sorted, `==` printed as `=`, values escaped. It parses back to
/// the same selector.
impl fmt::Display for FieldSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        super::write_terms(f, &self.requirements)
    }
}

/// Splits on commas that no backslash escapes.
fn split_terms(s: &str) -> Vec<&str> {
    let mut terms = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            ',' => {
                terms.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    terms.push(&s[start..]);
    terms
}

/// Splits a term at its first operator: `(field, negated, raw value)`. At one position `!=`
/// and `==` win over `=`, so `a==b` has the value `b`.
fn split_term(term: &str) -> Option<(&str, bool, &str)> {
    term.char_indices().find_map(|(i, _)| {
        let rest = &term[i..];
        if let Some(value) = rest.strip_prefix("!=") {
            Some((&term[..i], true, value))
        } else if let Some(value) = rest.strip_prefix("==") {
            Some((&term[..i], false, value))
        } else {
            rest.strip_prefix('=').map(|value| (&term[..i], false, value))
        }
    })
}

/// Why a value's escaping was refused.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
enum EscapeError {
    #[error("invalid escape sequence \\{0} (only \\\\, \\, and \\= are known)")]
    UnknownEscape(char),
    #[error("value ends with a lone backslash")]
    TrailingBackslash,
    #[error("'{0}' in a value must be escaped as \\{0}")]
    Unescaped(char),
}

/// Undoes [`escape_value`]; a bare `,` or `=` and unknown escapes are errors.
fn unescape_value(raw: &str) -> Result<String, EscapeError> {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(e @ ('\\' | ',' | '=')) => out.push(e),
                Some(other) => return Err(EscapeError::UnknownEscape(other)),
                None => return Err(EscapeError::TrailingBackslash),
            },
            ',' | '=' => return Err(EscapeError::Unescaped(c)),
            _ => out.push(c),
        }
    }
    Ok(out)
}

/// Escapes `\`, `,` and `=` with a backslash so a value survives [`FieldSelector::parse`].
fn escape_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '\\' | ',' | '=') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
#[path = "field_tests.rs"]
mod tests;

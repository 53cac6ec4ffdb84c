//! Syntax rules for label keys and label values, shared by every way a label selector is built.
//!
//! A key is a qualified name: an optional DNS-1123 subdomain prefix and a `/`, then a name of
//! 1–63 characters from `[-A-Za-z0-9_.]` that starts and ends with a letter or digit
//! ([`check_key`]). A value is empty or follows the same rule as the name ([`check_value`]).

/// The longest label value, and the longest name part of a label key.
const MAX_NAME: usize = 63;
/// The longest DNS-1123 subdomain, the prefix part of a label key.
const MAX_SUBDOMAIN: usize = 253;

/// Why a label key or value was refused.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub(crate) enum NameError {
    #[error("key {key:?}: the name part is empty")]
    EmptyName { key: String },
    #[error("key {key:?}: the name part is longer than 63 characters")]
    NameTooLong { key: String },
    #[error(
        "key {key:?}: the name part may hold only letters, digits, '-', '_' and '.', \
         and must begin and end with a letter or digit"
    )]
    BadName { key: String },
    #[error("key {key:?}: the prefix before '/' is empty")]
    EmptyPrefix { key: String },
    #[error("key {key:?}: the prefix is longer than 253 characters")]
    PrefixTooLong { key: String },
    #[error(
        "key {key:?}: the prefix must be a lowercase DNS subdomain (dot-separated parts of \
         a-z, 0-9 and '-', each beginning and ending with a letter or digit)"
    )]
    BadPrefix { key: String },
    #[error("key {key:?}: at most one '/' may separate prefix and name")]
    TooManySlashes { key: String },
    #[error("value {value:?}: longer than 63 characters")]
    ValueTooLong { value: String },
    #[error(
        "value {value:?}: may hold only letters, digits, '-', '_' and '.', \
         and must begin and end with a letter or digit"
    )]
    BadValue { value: String },
}

/// Checks a label key: `[prefix/]name`.
pub(crate) fn check_key(key: &str) -> Result<(), NameError> {
    let owned = || key.to_owned();
    let mut parts = key.split('/');
    let (prefix, name) = match (parts.next(), parts.next(), parts.next()) {
        (Some(name), None, _) => (None, name),
        (Some(prefix), Some(name), None) => (Some(prefix), name),
        _ => return Err(NameError::TooManySlashes { key: owned() }),
    };
    if let Some(prefix) = prefix {
        if prefix.is_empty() {
            return Err(NameError::EmptyPrefix { key: owned() });
        }
        if prefix.len() > MAX_SUBDOMAIN {
            return Err(NameError::PrefixTooLong { key: owned() });
        }
        if !is_dns_subdomain(prefix) {
            return Err(NameError::BadPrefix { key: owned() });
        }
    }
    if name.is_empty() {
        return Err(NameError::EmptyName { key: owned() });
    }
    if name.len() > MAX_NAME {
        return Err(NameError::NameTooLong { key: owned() });
    }
    if !is_name(name) {
        return Err(NameError::BadName { key: owned() });
    }
    Ok(())
}

/// Checks a label value; the empty value is allowed.
pub(crate) fn check_value(value: &str) -> Result<(), NameError> {
    if value.len() > MAX_NAME {
        return Err(NameError::ValueTooLong { value: value.to_owned() });
    }
    if !value.is_empty() && !is_name(value) {
        return Err(NameError::BadValue { value: value.to_owned() });
    }
    Ok(())
}

/// `[A-Za-z0-9]` at both ends, `[-A-Za-z0-9_.]` between; non-empty.
fn is_name(s: &str) -> bool {
    let bytes = s.as_bytes();
    let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    first.is_ascii_alphanumeric()
        && last.is_ascii_alphanumeric()
        && bytes.iter().all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Dot-separated parts of `[-a-z0-9]`, each starting and ending with `[a-z0-9]`.
fn is_dns_subdomain(s: &str) -> bool {
    let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    s.split('.').all(|part| {
        let bytes = part.as_bytes();
        match (bytes.first(), bytes.last()) {
            (Some(first), Some(last)) => {
                alnum(first) && alnum(last) && bytes.iter().all(|b| alnum(b) || *b == b'-')
            }
            _ => false,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        let long_name = "a".repeat(63);
        let too_long_name = "a".repeat(64);
        let long_prefix = format!("{}.com/x", "a".repeat(249));
        let too_long_prefix = format!("{}.com/x", "a".repeat(250));
        let cases: &[(&str, bool)] = &[
            ("app", true),
            ("App_1.x-y", true),
            ("9", true),
            ("example.com/app", true),
            ("a-b.c9.io/Name", true),
            (&long_name, true),
            (&long_prefix, true),
            ("", false),
            ("-app", false),
            ("app-", false),
            ("a b", false),
            ("a$b", false),
            ("é", false),
            ("/app", false),
            ("example.com/", false),
            ("Example.com/app", false),
            ("exa_mple.com/app", false),
            ("a..b/app", false),
            ("-a.b/app", false),
            ("a/b/c", false),
            (&too_long_name, false),
            (&too_long_prefix, false),
        ];
        for (key, ok) in cases {
            assert_eq!(check_key(key).is_ok(), *ok, "key {key:?}: {:?}", check_key(key));
        }
    }

    #[test]
    fn values() {
        let long = "v".repeat(63);
        let too_long = "v".repeat(64);
        let cases: &[(&str, bool)] = &[
            ("", true),
            ("v", true),
            ("v1.2_3-x", true),
            ("0", true),
            (&long, true),
            (&too_long, false),
            ("-v", false),
            ("v.", false),
            ("a/b", false),
            ("a b", false),
        ];
        for (value, ok) in cases {
            assert_eq!(check_value(value).is_ok(), *ok, "value {value:?}");
        }
    }

    #[test]
    fn messages_name_the_offending_text() {
        let err = check_key("a/b/c").expect_err("two slashes");
        assert_eq!(err.to_string(), r#"key "a/b/c": at most one '/' may separate prefix and name"#);
        let err = check_value(&"x".repeat(64)).expect_err("too long");
        assert!(err.to_string().ends_with("longer than 63 characters"));
    }
}

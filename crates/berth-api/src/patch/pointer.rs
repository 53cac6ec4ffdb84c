//! JSON pointers (RFC 6901): the `path` and `from` addresses of JSON patch operations.
//!
//! [`Pointer::parse`] splits `/spec/a~1b` into the unescaped tokens `spec` and `a/b`;
//! [`Pointer::get`] and [`Pointer::get_mut`] follow them through a document with a loop. A
//! token addresses an object member by name or an array element by a decimal index without
//! leading zeros; `-` (the slot past the last element) only means something to `add`, which
//! handles it itself.

use serde_json::Value;

use super::PatchError;

/// A parsed JSON pointer; the empty pointer `""` addresses the whole document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Pointer {
    text: String,
    tokens: Vec<String>,
}

impl Pointer {
    /// Parses `text`, which must be empty or start with `/`; `~1` stands for `/` and `~0`
    /// for `~`, and any other `~` is an error.
    pub(super) fn parse(text: &str) -> Result<Pointer, PatchError> {
        let mut tokens = Vec::new();
        if !text.is_empty() {
            let Some(rest) = text.strip_prefix('/') else {
                return Err(PatchError::invalid(format!(
                    "json pointer {text:?} must be empty or start with \"/\""
                )));
            };
            for raw in rest.split('/') {
                tokens.push(unescape(raw).ok_or_else(|| {
                    PatchError::invalid(format!("json pointer {text:?} has a bad \"~\" escape"))
                })?);
            }
        }
        Ok(Pointer { text: text.to_owned(), tokens })
    }

    /// The pointer as the client wrote it, for error messages.
    pub(super) fn text(&self) -> &str {
        &self.text
    }

    /// How many levels below the document root the pointer addresses.
    pub(super) fn len(&self) -> usize {
        self.tokens.len()
    }

    /// The pointer to the containing object or array and the last token, or `None` for the
    /// document root.
    pub(super) fn split_last(&self) -> Option<(&[String], &str)> {
        self.tokens.split_last().map(|(last, parent)| (parent, last.as_str()))
    }

    /// Whether `self` addresses something strictly inside what `other` addresses.
    pub(super) fn is_inside(&self, other: &Pointer) -> bool {
        self.tokens.len() > other.tokens.len() && self.tokens.starts_with(&other.tokens)
    }

    pub(super) fn get<'a>(&self, document: &'a Value) -> Option<&'a Value> {
        get(document, &self.tokens)
    }

    pub(super) fn get_mut<'a>(&self, document: &'a mut Value) -> Option<&'a mut Value> {
        get_mut(document, &self.tokens)
    }
}

/// Follows `tokens` from `document`.
pub(super) fn get<'a>(document: &'a Value, tokens: &[String]) -> Option<&'a Value> {
    let mut current = document;
    for token in tokens {
        current = match current {
            Value::Object(map) => map.get(token)?,
            Value::Array(items) => items.get(array_index(token)?)?,
            _ => return None,
        };
    }
    Some(current)
}

/// Follows `tokens` from `document`, for changing what they address.
pub(super) fn get_mut<'a>(document: &'a mut Value, tokens: &[String]) -> Option<&'a mut Value> {
    let mut current = document;
    for token in tokens {
        current = match current {
            Value::Object(map) => map.get_mut(token)?,
            Value::Array(items) => items.get_mut(array_index(token)?)?,
            _ => return None,
        };
    }
    Some(current)
}

/// The array index a token spells: ASCII digits, no leading zero except for `0` itself.
pub(super) fn array_index(token: &str) -> Option<usize> {
    let digits_only = !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit());
    if !digits_only || (token.len() > 1 && token.starts_with('0')) {
        return None;
    }
    token.parse().ok()
}

fn unescape(raw: &str) -> Option<String> {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '~' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('0') => out.push('~'),
            Some('1') => out.push('/'),
            _ => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tokens(text: &str) -> Vec<String> {
        Pointer::parse(text).unwrap().tokens
    }

    #[test]
    fn parses_and_unescapes_tokens() {
        let cases: [(&str, &[&str]); 7] = [
            ("", &[]),
            ("/", &[""]),
            ("/foo/0", &["foo", "0"]),
            ("/a~1b", &["a/b"]),
            ("/m~0n", &["m~n"]),
            ("/~01", &["~1"]),
            ("/ /x", &[" ", "x"]),
        ];
        for (text, expected) in cases {
            assert_eq!(tokens(text), expected, "{text}");
        }
    }

    #[test]
    fn rejects_malformed_pointers() {
        for text in ["foo", "/a~", "/a~2", "#/a"] {
            assert!(matches!(Pointer::parse(text), Err(PatchError::Invalid { .. })), "{text}");
        }
    }

    #[test]
    fn resolves_the_rfc_6901_examples() {
        let doc = json!({
            "foo": ["bar", "baz"], "": 0, "a/b": 1, "c%d": 2, "e^f": 3,
            "g|h": 4, "i\\j": 5, "k\"l": 6, " ": 7, "m~n": 8
        });
        let cases = [
            ("", doc.clone()),
            ("/foo", json!(["bar", "baz"])),
            ("/foo/0", json!("bar")),
            ("/", json!(0)),
            ("/a~1b", json!(1)),
            ("/c%d", json!(2)),
            ("/e^f", json!(3)),
            ("/g|h", json!(4)),
            ("/i\\j", json!(5)),
            ("/k\"l", json!(6)),
            ("/ ", json!(7)),
            ("/m~0n", json!(8)),
        ];
        for (text, expected) in cases {
            assert_eq!(Pointer::parse(text).unwrap().get(&doc), Some(&expected), "{text}");
        }
    }

    #[test]
    fn missing_locations_resolve_to_nothing() {
        let doc = json!({"a": [10, 20], "s": "x"});
        for text in ["/b", "/a/2", "/a/-", "/a/01", "/a/x", "/s/0", "/a/0/b"] {
            assert_eq!(Pointer::parse(text).unwrap().get(&doc), None, "{text}");
        }
    }

    #[test]
    fn array_indexes_are_plain_decimals() {
        assert_eq!(array_index("0"), Some(0));
        assert_eq!(array_index("12"), Some(12));
        for bad in ["", "-", "01", "+1", "-1", "1e2", "99999999999999999999999"] {
            assert_eq!(array_index(bad), None, "{bad}");
        }
    }

    #[test]
    fn knows_when_one_pointer_is_inside_another() {
        let a = Pointer::parse("/a").unwrap();
        let ab = Pointer::parse("/a/b").unwrap();
        let abc = Pointer::parse("/ab").unwrap();
        assert!(ab.is_inside(&a));
        assert!(!a.is_inside(&a));
        assert!(!abc.is_inside(&a));
        assert!(a.is_inside(&Pointer::parse("").unwrap()));
    }
}

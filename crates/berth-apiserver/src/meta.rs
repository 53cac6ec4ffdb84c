//! Object metadata bookkeeping: uids, timestamps, generated names, name validation.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};

use crate::status::Cause;

/// A random (version 4) UUID.
pub fn new_uid() -> String {
    let mut bytes = [0u8; 16];
    bytes.iter_mut().for_each(|b| *b = fastrand::u8(..));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}

/// Now, as RFC 3339 in UTC with second precision (`2026-11-26T15:04:05Z`), as Kubernetes writes
/// `metav1.Time`.
pub fn now_rfc3339() -> String {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    format_rfc3339(secs as i64)
}

/// Seconds since the epoch as RFC 3339 UTC.
pub fn format_rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// Parses the RFC 3339 forms clients send (`Z` or an offset, optional fraction) to seconds.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d, h, mi, sec) =
        (num(0..4)?, num(5..7)?, num(8..10)?, num(11..13)?, num(14..16)?, num(17..19)?);
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        rest = &frac[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ if rest.len() == 6 => {
            let sign = if rest.starts_with('-') { -1 } else { 1 };
            sign * (rest.get(1..3)?.parse::<i64>().ok()? * 3600
                + rest.get(4..6)?.parse::<i64>().ok()? * 60)
        }
        _ => return None,
    };
    Some(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + sec - offset)
}

// Howard Hinnant's civil calendar algorithms.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `generateName` plus five random characters, as kube-apiserver does.
pub fn generate_name(base: &str) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let base = if base.len() > 58 { &base[..58] } else { base };
    let suffix: String =
        (0..5).map(|_| ALPHABET[fastrand::usize(..ALPHABET.len())] as char).collect();
    format!("{base}{suffix}")
}

/// How a kind's names are checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameRule {
    /// DNS-1123 subdomain: lowercase alphanumerics, `-` and `.`, at most 253.
    Subdomain,
    /// DNS-1123 label: lowercase alphanumerics and `-`, at most 63.
    Label,
    /// Anything without `/` or `%` and not `.` or `..` (RBAC roles, for instance).
    Path,
}

/// The rule for a resource's names, as Kubernetes validates them.
pub fn name_rule(group: &str, plural: &str) -> NameRule {
    match (group, plural) {
        ("", "namespaces" | "services" | "replicationcontrollers") => NameRule::Label,
        ("apps", "deployments" | "statefulsets" | "daemonsets") => NameRule::Subdomain,
        ("rbac.authorization.k8s.io", _) => NameRule::Path,
        _ => NameRule::Subdomain,
    }
}

/// Problems with `name` under `rule`, as 422 causes on `metadata.name`.
pub fn validate_name(name: &str, rule: NameRule) -> Vec<Cause> {
    let field = "metadata.name";
    if name.is_empty() {
        return vec![Cause::required(field)];
    }
    let problem = match rule {
        NameRule::Path => (name == "." || name == ".." || name.contains('/') || name.contains('%'))
            .then(|| {
                format!(
                    "Invalid value: {name:?}: may not be '.' or '..' and may not contain '/' or '%'"
                )
            }),
        NameRule::Label => (!is_dns_label(name)).then(|| {
            format!(
                "Invalid value: {name:?}: a lowercase RFC 1123 label must consist of lower case \
                 alphanumeric characters or '-', and must start and end with an alphanumeric \
                 character (e.g. 'my-name', or '123-abc')"
            )
        }),
        NameRule::Subdomain => (!is_dns_subdomain(name)).then(|| {
            format!(
                "Invalid value: {name:?}: a lowercase RFC 1123 subdomain must consist of lower \
                 case alphanumeric characters, '-' or '.', and must start and end with an \
                 alphanumeric character (e.g. 'example.com')"
            )
        }),
    };
    problem.map(|message| vec![Cause::invalid(field, message)]).unwrap_or_default()
}

pub fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

pub fn is_dns_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(is_dns_label)
}

/// `metadata` of an object, created when absent.
pub fn metadata_mut(object: &mut Value) -> Option<&mut Map<String, Value>> {
    let map = object.as_object_mut()?;
    let meta = map.entry("metadata").or_insert_with(|| Value::Object(Map::new()));
    if meta.is_null() {
        *meta = Value::Object(Map::new());
    }
    meta.as_object_mut()
}

/// A string field of `metadata`.
pub fn meta_str<'a>(object: &'a Value, field: &str) -> Option<&'a str> {
    object.get("metadata")?.get(field)?.as_str()
}

/// The object at `map[field]`, made an empty one when it is absent or not an object.
pub fn child<'a>(map: &'a mut Map<String, Value>, field: &str) -> &'a mut Map<String, Value> {
    let entry = map.entry(field).or_insert_with(|| json!({}));
    if !entry.is_object() {
        *entry = json!({});
    }
    match entry {
        Value::Object(inner) => inner,
        _ => unreachable!("a value just made an object is an object"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip() {
        assert_eq!(format_rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_rfc3339(1_795_705_445), "2026-11-26T15:04:05Z");
        assert_eq!(parse_rfc3339("2026-11-26T15:04:05Z"), Some(1_795_705_445));
        assert_eq!(parse_rfc3339("2026-11-26T16:04:05.123+01:00"), Some(1_795_705_445));
        assert_eq!(parse_rfc3339("yesterday"), None);
    }

    #[test]
    fn names_follow_dns_rules() {
        assert!(validate_name("web-0", NameRule::Label).is_empty());
        assert!(validate_name("a.b", NameRule::Subdomain).is_empty());
        assert_eq!(validate_name("a.b", NameRule::Label).len(), 1);
        assert_eq!(validate_name("Web", NameRule::Subdomain).len(), 1);
        assert_eq!(validate_name("", NameRule::Subdomain)[0].kind, "FieldValueRequired");
        assert_eq!(validate_name(&"a".repeat(64), NameRule::Label).len(), 1);
        assert!(validate_name("system:admin", NameRule::Path).is_empty());
        let uid = new_uid();
        assert_eq!((uid.len(), &uid[14..15]), (36, "4"));
        assert!(generate_name("web-").starts_with("web-"));
    }
}

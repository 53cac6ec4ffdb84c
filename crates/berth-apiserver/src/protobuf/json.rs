//! A decoded protobuf message to the JSON Kubernetes would write for the same Go object.
//!
//! [`message`] walks any message generically: fields under their JSON names, inlined structs
//! merged into the parent, maps as objects, `bytes` as base64, and a scalar left out when it
//! is zero unless it is a Go pointer (zero values are what Go writes for unset plain fields,
//! and Kubernetes' JSON omits them). The types with a JSON form of their own are special
//! cases: `Time`/`MicroTime` (RFC 3339 UTC), `IntOrString`, `Quantity`, and `FieldsV1` and
//! `RawExtension` (embedded JSON).

use std::borrow::Cow;
use std::collections::BTreeMap;

use base64::Engine as _;
use prost_reflect::{DynamicMessage, MapKey, ReflectMessage, Value as Proto};
use serde_json::{Map, Value, json};

use super::Error;
use super::descriptors::Schema;

/// The earliest and latest second Go's `time.Time` writes as RFC 3339 (years 1 to 9999).
const TIME_RANGE: std::ops::RangeInclusive<i64> = -62_135_596_800..=253_402_300_799;

/// The JSON form of one message. `Null` stands for "leave the field out" (a zero `Time`).
pub(super) fn message(schema: &Schema, msg: &DynamicMessage) -> Result<Value, Error> {
    match msg.descriptor().full_name() {
        "meta.v1.Time" => time(msg, false),
        "meta.v1.MicroTime" => time(msg, true),
        "intstr.IntOrString" => {
            if get(msg, "type").and_then(|t| t.as_i64()) == Some(1) {
                let text = get(msg, "strVal").and_then(|s| s.as_str().map(str::to_owned));
                Ok(json!(text.unwrap_or_default()))
            } else {
                Ok(json!(get(msg, "intVal").and_then(|i| i.as_i32()).unwrap_or(0)))
            }
        }
        "resource.Quantity" => {
            let text = get(msg, "string").and_then(|s| s.as_str().map(str::to_owned));
            Ok(json!(text.unwrap_or_else(|| "0".to_owned())))
        }
        "meta.v1.FieldsV1" | "runtime.RawExtension" => embedded_json(msg, "raw"),
        _ => object(schema, msg),
    }
}

/// A plain struct: every set field under its JSON name.
fn object(schema: &Schema, msg: &DynamicMessage) -> Result<Value, Error> {
    let mut out = Map::new();
    for (field, proto) in msg.fields() {
        let plain = !field.is_list() && !field.is_map();
        if plain && is_zero(proto) && !schema.keeps_zero(&field) {
            continue;
        }
        match (value(schema, proto)?, schema.json_name(&field)) {
            (Value::Null, _) => {}
            (Value::Object(inlined), None) => out.extend(inlined),
            (json, Some(name)) => {
                out.insert(name.to_owned(), json);
            }
            (_, None) => {
                return Err(Error::Value(format!("{} is inlined but not a struct", field.name())));
            }
        }
    }
    Ok(Value::Object(out))
}

fn value(schema: &Schema, proto: &Proto) -> Result<Value, Error> {
    Ok(match proto {
        Proto::Bool(b) => json!(b),
        Proto::I32(n) | Proto::EnumNumber(n) => json!(n),
        Proto::I64(n) => json!(n),
        Proto::U32(n) => json!(n),
        Proto::U64(n) => json!(n),
        Proto::F32(n) => float(f64::from(*n))?,
        Proto::F64(n) => float(*n)?,
        Proto::String(s) => json!(s),
        Proto::Bytes(b) => json!(base64::engine::general_purpose::STANDARD.encode(b)),
        Proto::Message(m) => message(schema, m)?,
        Proto::List(items) => {
            Value::Array(items.iter().map(|item| value(schema, item)).collect::<Result<_, _>>()?)
        }
        Proto::Map(entries) => {
            // Sorted, as Go writes maps.
            let mut sorted = BTreeMap::new();
            for (key, entry) in entries {
                sorted.insert(map_key(key), value(schema, entry)?);
            }
            Value::Object(sorted.into_iter().collect())
        }
    })
}

fn is_zero(proto: &Proto) -> bool {
    match proto {
        Proto::Bool(b) => !b,
        Proto::I32(n) | Proto::EnumNumber(n) => *n == 0,
        Proto::I64(n) => *n == 0,
        Proto::U32(n) => *n == 0,
        Proto::U64(n) => *n == 0,
        Proto::F32(n) => *n == 0.0,
        Proto::F64(n) => *n == 0.0,
        Proto::String(s) => s.is_empty(),
        Proto::Bytes(b) => b.is_empty(),
        Proto::Message(_) | Proto::List(_) | Proto::Map(_) => false,
    }
}

fn map_key(key: &MapKey) -> String {
    match key {
        MapKey::String(s) => s.clone(),
        MapKey::Bool(b) => b.to_string(),
        MapKey::I32(n) => n.to_string(),
        MapKey::I64(n) => n.to_string(),
        MapKey::U32(n) => n.to_string(),
        MapKey::U64(n) => n.to_string(),
    }
}

/// Whole numbers as integers (as Go writes a float64 5), others as they are.
fn float(n: f64) -> Result<Value, Error> {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        return Ok(json!(n as i64));
    }
    serde_json::Number::from_f64(n)
        .map(Value::Number)
        .ok_or_else(|| Error::Value(format!("{n} is not a number JSON can hold")))
}

/// The field if the message has it set.
fn get<'a>(msg: &'a DynamicMessage, name: &str) -> Option<Cow<'a, Proto>> {
    msg.has_field_by_name(name).then(|| msg.get_field_by_name(name)).flatten()
}

/// `metav1.Time` (`2026-11-26T15:04:05Z`, nanoseconds dropped as Go does) or `MicroTime`
/// (`2026-11-26T15:04:05.123456Z`). A zero time is an empty message: left out.
fn time(msg: &DynamicMessage, micro: bool) -> Result<Value, Error> {
    let Some(seconds) = get(msg, "seconds").and_then(|s| s.as_i64()) else {
        return Ok(Value::Null);
    };
    let nanos = i64::from(get(msg, "nanos").and_then(|n| n.as_i32()).unwrap_or(0));
    let (seconds, nanos) = if micro {
        (seconds.checked_add(nanos.div_euclid(1_000_000_000)), nanos.rem_euclid(1_000_000_000))
    } else {
        (Some(seconds), 0)
    };
    let Some(seconds) = seconds.filter(|s| TIME_RANGE.contains(s)) else {
        return Err(Error::Value("a timestamp is outside the years 1 to 9999".into()));
    };
    let text = crate::meta::format_rfc3339(seconds);
    if !micro {
        return Ok(json!(text));
    }
    let date_time = text.strip_suffix('Z').unwrap_or(&text);
    Ok(json!(format!("{date_time}.{:06}Z", nanos / 1000)))
}

/// `FieldsV1` and `RawExtension` (a ControllerRevision's data) carry JSON bytes.
fn embedded_json(msg: &DynamicMessage, field: &str) -> Result<Value, Error> {
    let Some(raw) = get(msg, field) else { return Ok(Value::Null) };
    match raw.as_bytes() {
        Some(bytes) if !bytes.is_empty() => serde_json::from_slice(bytes).map_err(|error| {
            Error::Value(format!(
                "{} holds bytes that are not JSON: {error}",
                msg.descriptor().name()
            ))
        }),
        _ => Ok(Value::Null),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time_json(name: &str, seconds: i64, nanos: i32) -> Result<Value, Error> {
        let schema = Schema::get()?;
        let descriptor = schema.message(name).expect("in the table");
        let mut msg = DynamicMessage::new(descriptor);
        msg.set_field_by_name("seconds", Proto::I64(seconds));
        msg.set_field_by_name("nanos", Proto::I32(nanos));
        message(schema, &msg)
    }

    #[test]
    fn times_are_rfc3339_in_utc() -> Result<(), Error> {
        assert_eq!(time_json("meta.v1.Time", 1_764_169_445, 7)?, json!("2025-11-26T15:04:05Z"));
        assert_eq!(
            time_json("meta.v1.MicroTime", 1_764_169_445, 123_456_789)?,
            json!("2025-11-26T15:04:05.123456Z")
        );
        assert!(time_json("meta.v1.Time", i64::MAX, 0).is_err(), "past the year 9999");
        assert!(time_json("meta.v1.MicroTime", 253_402_300_799, 1_999_999_999).is_err());
        Ok(())
    }
}

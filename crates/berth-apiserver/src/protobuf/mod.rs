//! Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`), turned into the
//! JSON object every handler works on. Responses stay JSON.
//!
//! kubectl's typed clients (`kubectl create deployment|namespace|configmap|secret|job|…`) send
//! protobuf and never retry with JSON after a 415. Start at [`decode`]: it strips the `k8s\0`
//! envelope (a `runtime.Unknown` with `apiVersion`, `kind` and the object's bytes), looks the
//! kind up in the hand-written table of [`schema`] (built into descriptors by [`descriptors`]),
//! decodes the object as a dynamic message, refuses any field the table lacks, and [`json`]
//! writes the message out with Kubernetes' JSON rules.
//!
//! Errors: a body that is not valid protobuf is 400; a kind or a field outside the table is 415
//! with a message that names it and asks for JSON instead. Nothing is silently dropped.

mod descriptors;
mod json;
mod schema;

use prost_reflect::prost::DecodeError;
use prost_reflect::{DynamicMessage, MapKey, ReflectMessage, Value as Proto};
use serde_json::{Map, Value, json};

use self::descriptors::Schema;
use crate::resources::ResourceDef;
use crate::status::ApiError;

/// The media type kubectl's typed clients send.
pub const MEDIA_TYPE: &str = "application/vnd.kubernetes.protobuf";

/// Every protobuf body starts with these four bytes.
const MAGIC: &[u8] = b"k8s\0";

const ENVELOPE: &str = "runtime.Unknown";

/// Why a protobuf body could not be read.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the protobuf body does not start with the \"k8s\\x00\" envelope prefix")]
    Magic,
    #[error("decoding the protobuf envelope (runtime.Unknown)")]
    Envelope(#[source] DecodeError),
    #[error("decoding the protobuf body as {kind}")]
    Object {
        kind: String,
        #[source]
        source: DecodeError,
    },
    #[error("{0}")]
    Value(String),
    #[error("decoding the JSON body inside the protobuf envelope")]
    Json(#[source] serde_json::Error),
    #[error(
        "protobuf bodies of {0} are not supported by this server; send the object as \
         application/json (kubectl: --dry-run=client -o json | kubectl create -f -)"
    )]
    UnsupportedKind(String),
    #[error("the protobuf envelope's {0} is not supported")]
    UnsupportedEnvelope(String),
    #[error(
        "the protobuf body sets field {number} of {message}{}, which this server does not \
         know; send the object as application/json \
         (kubectl: --dry-run=client -o json | kubectl create -f -)",
        if path.is_empty() { String::new() } else { format!(" (at {path})") }
    )]
    UnknownField { message: String, number: u32, path: String },
    #[error("the built-in protobuf schema does not load: {0}")]
    Schema(String),
}

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        let mut message = error.to_string();
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            message = format!("{message}: {cause}");
            source = cause.source();
        }
        match error {
            Error::UnsupportedKind(_)
            | Error::UnsupportedEnvelope(_)
            | Error::UnknownField { .. } => ApiError::new(415, "UnsupportedMediaType", message),
            Error::Schema(_) => ApiError::internal(message),
            _ => {
                ApiError::bad_request(format!("the request body is not valid protobuf: {message}"))
            }
        }
    }
}

/// The JSON form of a protobuf body posted to `def`'s collection. The envelope's `apiVersion`
/// and `kind` pick the message (`def`'s when the envelope names none) and lead the object.
pub fn decode(body: &[u8], def: &ResourceDef) -> Result<Value, ApiError> {
    decode_object(body, def).map_err(ApiError::from)
}

fn decode_object(body: &[u8], def: &ResourceDef) -> Result<Value, Error> {
    let envelope = body.strip_prefix(MAGIC).ok_or(Error::Magic)?;
    let schema = Schema::get()?;
    let descriptor = schema
        .message(ENVELOPE)
        .ok_or_else(|| Error::Schema(format!("the table has no {ENVELOPE}")))?;
    let unknown = DynamicMessage::decode(descriptor, envelope).map_err(Error::Envelope)?;
    check_known(schema, &unknown, "")?;
    let type_meta = unknown.get_field_by_name("typeMeta");
    let type_meta = type_meta.as_deref().and_then(Proto::as_message);
    let mut api_version = type_meta.map(|m| text(m, "apiVersion")).unwrap_or_default();
    let mut kind = type_meta.map(|m| text(m, "kind")).unwrap_or_default();
    if api_version.is_empty() {
        api_version = def.api_version();
    }
    if kind.is_empty() {
        kind = def.kind.to_owned();
    }
    let encoding = text(&unknown, "contentEncoding");
    if !encoding.is_empty() {
        return Err(Error::UnsupportedEnvelope(format!("content encoding {encoding:?}")));
    }
    let raw = unknown.get_field_by_name("raw");
    let raw = raw.as_deref().and_then(Proto::as_bytes).map(|b| b.as_ref()).unwrap_or_default();
    let mut object = match text(&unknown, "contentType").as_str() {
        "" | MEDIA_TYPE => {
            let gvk = format!("{api_version}, Kind={kind}");
            let descriptor = schema
                .object(&api_version, &kind)
                .ok_or_else(|| Error::UnsupportedKind(gvk.clone()))?;
            let message = DynamicMessage::decode(descriptor, raw)
                .map_err(|source| Error::Object { kind: gvk, source })?;
            check_known(schema, &message, "")?;
            json::message(schema, &message)?
        }
        "application/json" => serde_json::from_slice(raw).map_err(Error::Json)?,
        other => return Err(Error::UnsupportedEnvelope(format!("content type {other:?}"))),
    };
    let Value::Object(fields) = &mut object else {
        return Err(Error::Value("the object in the protobuf envelope is not an object".into()));
    };
    let mut out = Map::new();
    out.insert("apiVersion".into(), json!(api_version));
    out.insert("kind".into(), json!(kind));
    out.extend(std::mem::take(fields));
    Ok(Value::Object(out))
}

/// Refuses a message that carries, anywhere inside, a field number the table does not list.
/// prost-reflect keeps such fields aside instead of failing; writing the JSON without them
/// would lose data the client meant to store. `path` is where `message` sits, for the error.
fn check_known(schema: &Schema, message: &DynamicMessage, path: &str) -> Result<(), Error> {
    if let Some(field) = message.unknown_fields().next() {
        return Err(Error::UnknownField {
            message: message.descriptor().full_name().to_owned(),
            number: field.number(),
            path: path.to_owned(),
        });
    }
    for (field, value) in message.fields() {
        if !holds_messages(value) {
            continue;
        }
        let path = match schema.json_name(&field) {
            None => path.to_owned(),
            Some(name) if path.is_empty() => name.to_owned(),
            Some(name) => format!("{path}.{name}"),
        };
        check_value(schema, value, &path)?;
    }
    Ok(())
}

fn check_value(schema: &Schema, value: &Proto, path: &str) -> Result<(), Error> {
    match value {
        Proto::Message(message) => check_known(schema, message, path),
        Proto::List(items) => items
            .iter()
            .enumerate()
            .filter(|(_, item)| holds_messages(item))
            .try_for_each(|(i, item)| check_value(schema, item, &format!("{path}[{i}]"))),
        Proto::Map(entries) => entries
            .iter()
            .filter(|(_, entry)| holds_messages(entry))
            .try_for_each(|(key, entry)| {
                let key = match key {
                    MapKey::String(key) => key.clone(),
                    other => format!("{other:?}"),
                };
                check_value(schema, entry, &format!("{path}[{key}]"))
            }),
        _ => Ok(()),
    }
}

/// Whether `value` may hold a message, the only place an unknown field can hide.
fn holds_messages(value: &Proto) -> bool {
    match value {
        Proto::Message(_) => true,
        Proto::List(items) => items.first().is_some_and(holds_messages),
        Proto::Map(entries) => entries.values().next().is_some_and(holds_messages),
        _ => false,
    }
}

/// A string field, empty when unset.
fn text(message: &DynamicMessage, name: &str) -> String {
    let value = message.get_field_by_name(name);
    value.as_deref().and_then(Proto::as_str).unwrap_or_default().to_owned()
}

#[cfg(test)]
mod tests;

//! The protobuf form of the v2 document: gnostic's `openapi.v2.Document` (google/gnostic,
//! `openapiv2/OpenAPIv2.proto`), which kubectl and client-go ask `/openapi/v2` for
//! (`application/com.github.proto-openapi.spec.v2@v1.0+protobuf`) and decode with no envelope.
//!
//! [`encode`] walks the Swagger 2.0 JSON of [`super::v2`] and writes each object as the
//! message gnostic has for it, field by field with gnostic's numbers. Maps are repeated
//! `Named*` pairs in document order; vendor extensions (`x-…` keys) are `NamedAny` whose value
//! is the extension as YAML text (JSON flow style, which YAML parsers read as is). Keys the
//! messages have no field for are left out, as gnostic's own compiler would refuse them.

use prost_reflect::prost::encoding::{WireType, encode_key, encode_varint};
use serde_json::{Map, Value};

/// The gnostic `Document` for a Swagger 2.0 document.
pub(super) fn encode(document: &Value) -> Vec<u8> {
    let mut w = Writer::default();
    let Some(doc) = document.as_object() else { return w.buf };
    w.string(1, doc.get("swagger"));
    if let Some(info) = object(doc.get("info")) {
        w.message(2, |w| {
            w.string(1, info.get("title"));
            w.string(2, info.get("version"));
            w.string(3, info.get("description"));
            w.extensions(7, info);
        });
    }
    w.string(3, doc.get("host"));
    w.string(4, doc.get("basePath"));
    w.strings(5, doc.get("schemes"));
    w.strings(6, doc.get("consumes"));
    w.strings(7, doc.get("produces"));
    if let Some(paths) = object(doc.get("paths")) {
        w.message(8, |w| {
            w.extensions(1, paths);
            w.named(2, paths, true, path_item);
        });
    }
    if let Some(definitions) = object(doc.get("definitions")) {
        w.message(9, |w| w.named(1, definitions, false, schema));
    }
    w.extensions(16, doc);
    w.buf
}

/// `PathItem`.
fn path_item(w: &mut Writer, item: &Map<String, Value>) {
    w.string(1, item.get("$ref"));
    for (field, method) in [
        (2, "get"),
        (3, "put"),
        (4, "post"),
        (5, "delete"),
        (6, "options"),
        (7, "head"),
        (8, "patch"),
    ] {
        if let Some(op) = object(item.get(method)) {
            w.message(field, |w| operation(w, op));
        }
    }
    parameters(w, 9, item.get("parameters"));
    w.extensions(10, item);
}

/// `Operation`.
fn operation(w: &mut Writer, op: &Map<String, Value>) {
    w.strings(1, op.get("tags"));
    w.string(2, op.get("summary"));
    w.string(3, op.get("description"));
    w.string(5, op.get("operationId"));
    w.strings(6, op.get("produces"));
    w.strings(7, op.get("consumes"));
    parameters(w, 8, op.get("parameters"));
    if let Some(responses) = object(op.get("responses")) {
        w.message(9, |w| {
            w.named(1, responses, true, |w, response| {
                if response.contains_key("$ref") {
                    w.message(2, |w| reference(w, response));
                    return;
                }
                w.message(1, |w| {
                    w.string(1, response.get("description"));
                    if let Some(body) = object(response.get("schema")) {
                        w.message(2, |w| w.message(1, |w| schema(w, body)));
                    }
                    w.extensions(5, response);
                });
            });
            w.extensions(2, responses);
        });
    }
    w.strings(10, op.get("schemes"));
    w.bool(11, op.get("deprecated"));
    w.extensions(13, op);
}

/// Repeated `ParametersItem`.
fn parameters(w: &mut Writer, field: u64, list: Option<&Value>) {
    for p in list.and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_object) {
        w.message(field, |w| {
            if p.contains_key("$ref") {
                w.message(2, |w| reference(w, p));
                return;
            }
            w.message(1, |w| match p.get("in").and_then(Value::as_str) {
                Some("body") => w.message(1, |w| {
                    w.string(1, p.get("description"));
                    w.string(2, p.get("name"));
                    w.string(3, p.get("in"));
                    w.bool(4, p.get("required"));
                    if let Some(body) = object(p.get("schema")) {
                        w.message(5, |w| schema(w, body));
                    }
                    w.extensions(6, p);
                }),
                place => w.message(2, |w| {
                    // NonBodyParameter: header 1, formData 2, query 3, path 4. Query and form
                    // parameters have `allowEmptyValue` as field 5, which shifts the rest by one.
                    let (field, shift) = match place {
                        Some("header") => (1, 0),
                        Some("formData") => (2, 1),
                        Some("query") => (3, 1),
                        _ => (4, 0),
                    };
                    w.message(field, |w| {
                        w.bool(1, p.get("required"));
                        w.string(2, p.get("in"));
                        w.string(3, p.get("description"));
                        w.string(4, p.get("name"));
                        if shift == 1 {
                            w.bool(5, p.get("allowEmptyValue"));
                        }
                        w.string(5 + shift, p.get("type"));
                        w.string(6 + shift, p.get("format"));
                        w.string(8 + shift, p.get("collectionFormat"));
                        w.any(9 + shift, p.get("default"));
                        w.string(16 + shift, p.get("pattern"));
                        w.bool(19 + shift, p.get("uniqueItems"));
                        w.anys(20 + shift, p.get("enum"));
                        w.extensions(22 + shift, p);
                    });
                }),
            });
        });
    }
}

/// `JsonReference`.
fn reference(w: &mut Writer, map: &Map<String, Value>) {
    w.string(1, map.get("$ref"));
    w.string(2, map.get("description"));
}

/// `Schema`.
fn schema(w: &mut Writer, s: &Map<String, Value>) {
    w.string(1, s.get("$ref"));
    w.string(2, s.get("format"));
    w.string(3, s.get("title"));
    w.string(4, s.get("description"));
    w.any(5, s.get("default"));
    w.double(6, s.get("multipleOf"));
    w.double(7, s.get("maximum"));
    w.bool(8, s.get("exclusiveMaximum"));
    w.double(9, s.get("minimum"));
    w.bool(10, s.get("exclusiveMinimum"));
    for (field, key) in [(11, "maxLength"), (12, "minLength")] {
        w.int(field, s.get(key));
    }
    w.string(13, s.get("pattern"));
    w.int(14, s.get("maxItems"));
    w.int(15, s.get("minItems"));
    w.bool(16, s.get("uniqueItems"));
    w.int(17, s.get("maxProperties"));
    w.int(18, s.get("minProperties"));
    w.strings(19, s.get("required"));
    w.anys(20, s.get("enum"));
    match s.get("additionalProperties") {
        Some(Value::Object(inner)) => w.message(21, |w| w.message(1, |w| schema(w, inner))),
        Some(flag @ Value::Bool(_)) => w.message(21, |w| w.bool(2, Some(flag))),
        _ => {}
    }
    if s.get("type").is_some() {
        w.message(22, |w| w.strings(1, s.get("type")));
    }
    match s.get("items") {
        Some(Value::Object(inner)) => w.message(23, |w| w.message(1, |w| schema(w, inner))),
        Some(Value::Array(list)) => w.message(23, |w| {
            list.iter().filter_map(Value::as_object).for_each(|i| w.message(1, |w| schema(w, i)));
        }),
        _ => {}
    }
    for inner in s.get("allOf").and_then(Value::as_array).into_iter().flatten() {
        if let Some(inner) = inner.as_object() {
            w.message(24, |w| schema(w, inner));
        }
    }
    if let Some(properties) = object(s.get("properties")) {
        w.message(25, |w| w.named(1, properties, false, schema));
    }
    w.string(26, s.get("discriminator"));
    w.bool(27, s.get("readOnly"));
    if let Some(docs) = object(s.get("externalDocs")) {
        w.message(29, |w| {
            w.string(1, docs.get("description"));
            w.string(2, docs.get("url"));
        });
    }
    w.any(30, s.get("example"));
    w.extensions(31, s);
}

fn object(value: Option<&Value>) -> Option<&Map<String, Value>> {
    value.and_then(Value::as_object)
}

/// A value as YAML text: JSON in flow style, with the spaces YAML 1.1 wants after `:` and `,`.
pub(super) fn yaml(value: &Value) -> String {
    fn flow(value: &Value, out: &mut String) {
        match value {
            Value::Object(map) => {
                out.push('{');
                for (i, (key, item)) in map.iter().enumerate() {
                    out.push_str(if i == 0 { "" } else { ", " });
                    out.push_str(&Value::from(key.as_str()).to_string());
                    out.push_str(": ");
                    flow(item, out);
                }
                out.push('}');
            }
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    out.push_str(if i == 0 { "" } else { ", " });
                    flow(item, out);
                }
                out.push(']');
            }
            scalar => out.push_str(&scalar.to_string()),
        }
    }
    let mut out = String::new();
    flow(value, &mut out);
    out.push('\n');
    out
}

/// Protobuf wire format, written into one buffer; nested messages are written into their own
/// and then copied in behind their length.
#[derive(Debug, Default)]
struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    fn key(&mut self, field: u64, wire: WireType) {
        // Field numbers here are gnostic's, all far below protobuf's limit.
        encode_key(field as u32, wire, &mut self.buf);
    }

    fn bytes(&mut self, field: u64, data: &[u8]) {
        self.key(field, WireType::LengthDelimited);
        encode_varint(data.len() as u64, &mut self.buf);
        self.buf.extend_from_slice(data);
    }

    fn message(&mut self, field: u64, build: impl FnOnce(&mut Writer)) {
        let mut inner = Writer::default();
        build(&mut inner);
        self.bytes(field, &inner.buf);
    }

    fn string(&mut self, field: u64, value: Option<&Value>) {
        if let Some(text) = value.and_then(Value::as_str) {
            self.bytes(field, text.as_bytes());
        }
    }

    /// A repeated string from an array (or a lone string).
    fn strings(&mut self, field: u64, value: Option<&Value>) {
        match value {
            Some(Value::Array(items)) => items.iter().for_each(|i| self.string(field, Some(i))),
            single => self.string(field, single),
        }
    }

    fn bool(&mut self, field: u64, value: Option<&Value>) {
        if let Some(flag) = value.and_then(Value::as_bool) {
            self.key(field, WireType::Varint);
            encode_varint(u64::from(flag), &mut self.buf);
        }
    }

    fn int(&mut self, field: u64, value: Option<&Value>) {
        let number = value.and_then(|v| v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)));
        if let Some(number) = number {
            self.key(field, WireType::Varint);
            encode_varint(number as u64, &mut self.buf);
        }
    }

    fn double(&mut self, field: u64, value: Option<&Value>) {
        if let Some(number) = value.and_then(Value::as_f64) {
            self.key(field, WireType::SixtyFourBit);
            self.buf.extend_from_slice(&number.to_le_bytes());
        }
    }

    /// An `Any`: the value as YAML.
    fn any(&mut self, field: u64, value: Option<&Value>) {
        if let Some(value) = value {
            self.message(field, |w| w.bytes(2, yaml(value).as_bytes()));
        }
    }

    fn anys(&mut self, field: u64, value: Option<&Value>) {
        for item in value.and_then(Value::as_array).into_iter().flatten() {
            self.any(field, Some(item));
        }
    }

    /// Repeated `Named*` pairs for the entries of `map`, but for the `x-…` keys of a map whose
    /// message keeps them apart (`extensions_apart`: paths, responses).
    fn named(
        &mut self,
        field: u64,
        map: &Map<String, Value>,
        extensions_apart: bool,
        value: impl Fn(&mut Writer, &Map<String, Value>),
    ) {
        let entries = map.iter().filter(|(name, _)| !(extensions_apart && name.starts_with("x-")));
        for (name, item) in entries {
            let Some(item) = item.as_object() else { continue };
            self.message(field, |w| {
                w.bytes(1, name.as_bytes());
                w.message(2, |w| value(w, item));
            });
        }
    }

    /// Repeated `NamedAny` for the `x-…` keys of `map`.
    fn extensions(&mut self, field: u64, map: &Map<String, Value>) {
        for (name, value) in map.iter().filter(|(name, _)| name.starts_with("x-")) {
            self.message(field, |w| {
                w.bytes(1, name.as_bytes());
                w.any(2, Some(value));
            });
        }
    }
}

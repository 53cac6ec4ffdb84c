//! The protobuf v2 document read back with a minimal decoder of our own, against gnostic's
//! field numbers (`openapiv2/OpenAPIv2.proto`), and the YAML of vendor extensions read back
//! with a YAML parser.

use serde_json::{Value, json};

use super::gnostic::{encode, yaml};
use super::v2_tests::widgets;
use super::{catalog, v2};

#[derive(Debug, Clone, Copy)]
enum Wire<'a> {
    Varint(u64),
    Fixed64(u64),
    Bytes(&'a [u8]),
}

fn varint(data: &mut &[u8]) -> u64 {
    prost_reflect::prost::encoding::decode_varint(data).expect("a varint")
}

/// One decoded message: its fields in order.
#[derive(Debug)]
struct Message<'a>(Vec<(u64, Wire<'a>)>);

impl<'a> Message<'a> {
    fn parse(mut data: &'a [u8]) -> Message<'a> {
        let mut fields = Vec::new();
        while !data.is_empty() {
            let key = varint(&mut data);
            let wire = match key & 7 {
                0 => Wire::Varint(varint(&mut data)),
                1 => {
                    let (head, rest) = data.split_at(8);
                    data = rest;
                    Wire::Fixed64(u64::from_le_bytes(head.try_into().expect("8 bytes")))
                }
                2 => {
                    let len = usize::try_from(varint(&mut data)).expect("length");
                    let (head, rest) = data.split_at(len);
                    data = rest;
                    Wire::Bytes(head)
                }
                other => panic!("unexpected wire type {other}"),
            };
            fields.push((key >> 3, wire));
        }
        Message(fields)
    }

    fn all(&self, field: u64) -> Vec<&'a [u8]> {
        let bytes = self.0.iter().filter(|(f, _)| *f == field);
        bytes.filter_map(|(_, w)| if let Wire::Bytes(b) = w { Some(*b) } else { None }).collect()
    }

    fn one(&self, field: u64) -> Message<'a> {
        Message::parse(self.all(field).first().unwrap_or_else(|| panic!("no field {field}")))
    }

    fn strings(&self, field: u64) -> Vec<&'a str> {
        self.all(field).into_iter().map(|b| std::str::from_utf8(b).expect("UTF-8")).collect()
    }

    fn string(&self, field: u64) -> &'a str {
        self.strings(field).first().copied().unwrap_or_default()
    }

    fn scalar(&self, field: u64) -> Option<Wire<'a>> {
        self.0.iter().find(|(f, _)| *f == field).map(|(_, w)| *w)
    }

    /// The value of the `Named*` entry called `name` among the repeated `field`.
    fn named(&self, field: u64, name: &str) -> Message<'a> {
        let entries = self.all(field).into_iter().map(Message::parse);
        let found = entries.into_iter().find(|e| e.string(1) == name);
        found.unwrap_or_else(|| panic!("no entry {name}")).one(2)
    }

    /// A vendor extension (`NamedAny`), its YAML parsed.
    fn extension(&self, field: u64, name: &str) -> Value {
        serde_norway::from_str(self.named(field, name).string(2)).expect("extension YAML")
    }
}

#[test]
fn the_protobuf_document_says_what_the_json_says() {
    let document = v2::document(catalog(), &widgets());
    let encoded = encode(&document);
    let doc = Message::parse(&encoded);
    assert_eq!(doc.string(1), "2.0");
    assert_eq!(doc.one(2).string(1), "Kubernetes");

    let definitions = doc.one(9);
    let count = document["definitions"].as_object().map_or(0, serde_json::Map::len);
    assert_eq!(definitions.all(1).len(), count);
    let deployment = definitions.named(1, "io.k8s.api.apps.v1.Deployment");
    assert_eq!(
        deployment.extension(31, "x-kubernetes-group-version-kind"),
        json!([{"group": "apps", "version": "v1", "kind": "Deployment"}])
    );
    assert_eq!(deployment.one(22).strings(1), ["object"]);
    let containers =
        definitions.named(1, "io.k8s.api.core.v1.PodSpec").one(25).named(1, "containers");
    assert!(containers.string(4).starts_with("List of containers"));
    assert_eq!(containers.one(22).strings(1), ["array"]);
    assert_eq!(containers.one(23).one(1).string(1), "#/definitions/io.k8s.api.core.v1.Container");
    assert_eq!(containers.extension(31, "x-kubernetes-patch-merge-key"), "name");
    assert_eq!(containers.extension(31, "x-kubernetes-list-map-keys"), json!(["name"]));
    let widget = definitions.named(1, "com.example.v1.Widget");
    assert_eq!(widget.extension(31, "x-kubernetes-group-version-kind")[0]["kind"], "Widget");

    let paths = doc.one(8);
    let item = paths.named(2, "/apis/apps/v1/namespaces/{namespace}/deployments/{name}");
    let namespace = Message::parse(item.all(9)[0]).one(1).one(2).one(4);
    assert_eq!(
        (namespace.string(4), namespace.string(2), namespace.string(5)),
        ("namespace", "path", "string")
    );
    assert!(matches!(namespace.scalar(1), Some(Wire::Varint(1))), "required");
    let patch = item.one(8);
    assert_eq!(patch.string(5), "patchAppsV1NamespacedDeployment");
    assert!(patch.strings(7).contains(&"application/strategic-merge-patch+json"));
    assert_eq!(
        patch.extension(13, "x-kubernetes-group-version-kind"),
        json!({"group": "apps", "version": "v1", "kind": "Deployment"})
    );
    let parameters: Vec<Message> =
        patch.all(8).into_iter().map(|p| Message::parse(p).one(1)).collect();
    let body = parameters[0].one(1);
    assert_eq!((body.string(2), body.string(3)), ("body", "body"));
    assert_eq!(body.one(5).string(1), "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Patch");
    let query: Vec<Message> = parameters[1..].iter().map(|p| p.one(2).one(3)).collect();
    let validation =
        query.iter().find(|q| q.string(4) == "fieldValidation").expect("fieldValidation");
    assert_eq!((validation.string(2), validation.string(6)), ("query", "string"));
    assert!(matches!(validation.scalar(20), Some(Wire::Varint(1))), "uniqueItems");
    let ok = patch.one(9).named(1, "200").one(1);
    assert_eq!(ok.string(1), "OK");
    assert_eq!(ok.one(2).one(1).string(1), "#/definitions/io.k8s.api.apps.v1.Deployment");

    let widget_patch =
        paths.named(2, "/apis/example.com/v1/namespaces/{namespace}/widgets/{name}").one(8);
    assert!(!widget_patch.strings(7).contains(&"application/strategic-merge-patch+json"));
}

#[test]
fn numbers_flags_and_values_use_their_wire_types() {
    let document = json!({"definitions": {"T": {
        "type": "object", "minimum": 0.5, "maxLength": 3, "uniqueItems": true,
        "additionalProperties": false, "enum": ["a", {"b": 1}], "default": {"x": [1, "y"]},
    }}});
    let encoded = encode(&document);
    let t = Message::parse(&encoded).one(9).named(1, "T");
    let Some(Wire::Fixed64(bits)) = t.scalar(9) else { panic!("minimum") };
    assert!((f64::from_bits(bits) - 0.5).abs() < f64::EPSILON);
    assert!(matches!(t.scalar(11), Some(Wire::Varint(3))));
    assert!(matches!(t.scalar(16), Some(Wire::Varint(1))));
    assert!(matches!(t.one(21).scalar(2), Some(Wire::Varint(0))), "false is written in a oneof");
    let values: Vec<Value> = t
        .all(20)
        .into_iter()
        .map(|any| serde_norway::from_str(Message::parse(any).string(2)).expect("YAML"))
        .collect();
    assert_eq!(values, [json!("a"), json!({"b": 1})]);
    let default: Value = serde_norway::from_str(t.one(5).string(2)).expect("YAML");
    assert_eq!(default, json!({"x": [1, "y"]}));
}

#[test]
fn extension_yaml_reads_back_as_the_same_value() {
    #[rustfmt::skip]
    let values = [
        json!("merge"), json!("merge,retainKeys"), json!(["name", "protocol"]), json!(true), json!(3),
        json!({"group": "", "version": "v1", "kind": "Pod"}),
        json!({"rule": "self.a > 0: 'x'", "message": "quote \" and\nnewline and # hash"}),
        json!(null),
    ];
    for value in values {
        let text = yaml(&value);
        let back: Value = serde_norway::from_str(&text).expect("YAML");
        assert_eq!(back, value, "{text}");
    }
}

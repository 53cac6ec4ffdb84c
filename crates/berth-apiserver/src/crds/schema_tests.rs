use serde_json::{Value, json};

use super::schema::Schema;

fn widget() -> Schema {
    Schema::new(json!({
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "required": ["size"],
                "properties": {
                    "size": {"type": "integer", "minimum": 1, "maximum": 10},
                    "mode": {"type": "string", "enum": ["fast", "slow"], "default": "slow"},
                    "name": {"type": "string", "minLength": 2, "maxLength": 5, "pattern": "^[a-z]+$"},
                    "port": {"x-kubernetes-int-or-string": true},
                    "note": {"type": "string", "nullable": true},
                    "tags": {"type": "array", "maxItems": 2, "minItems": 1, "items": {"type": "string"}},
                    "limits": {"type": "object", "additionalProperties": {"type": "integer"}},
                    "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": true,
                              "properties": {"known": {"type": "object", "properties": {"a": {"type": "string"}}}}},
                    "template": {"type": "object", "x-kubernetes-embedded-resource": true,
                                 "x-kubernetes-preserve-unknown-fields": true},
                    "empty": {"type": "object"},
                    "ports": {"type": "array", "items": {
                        "type": "object",
                        "properties": {"port": {"type": "integer"}, "protocol": {"type": "string", "default": "TCP"}},
                    }},
                    "policy": {"type": "object", "default": {}, "properties": {
                        "retries": {"type": "integer", "default": 3},
                    }},
                },
            },
            "status": {"type": "object", "properties": {"replicas": {"type": "integer"}}},
        },
    }))
}

fn fields(schema: &Schema, object: &Value) -> Vec<String> {
    schema.validate(object).into_iter().map(|c| c.field).collect()
}

#[test]
fn pruning_drops_what_the_schema_does_not_specify() {
    let schema = widget();
    let mut object = json!({
        "apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "odd": 1},
        "spec": {
            "size": 1, "bogus": true,
            "ports": [{"port": 80, "nope": 1}],
            "limits": {"cpu": 2},
            "extra": {"anything": {"goes": 1}, "known": {"a": "x", "b": "y"}},
            "template": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"x": 1}},
            "empty": {"gone": 1},
        },
        "top": "level",
    });
    let pruned = schema.prune(&mut object);
    assert_eq!(
        pruned,
        ["spec.bogus", "spec.ports[0].nope", "spec.extra.known.b", "spec.empty.gone", "top"]
    );
    assert_eq!(object["metadata"], json!({"name": "w", "odd": 1}), "metadata is not the schema's");
    assert_eq!(object["spec"]["extra"], json!({"anything": {"goes": 1}, "known": {"a": "x"}}));
    assert_eq!(object["spec"]["template"]["spec"], json!({"x": 1}));
    assert_eq!(object["spec"]["limits"], json!({"cpu": 2}));
    assert!(object.get("top").is_none());
    assert!(schema.prune(&mut object).is_empty(), "pruning twice finds nothing more");
}

#[test]
fn defaults_fill_missing_fields_and_go_inside_defaulted_values() {
    let schema = widget();
    let mut object =
        json!({"spec": {"size": 2, "ports": [{"port": 80}], "note": null, "name": null}});
    schema.default(&mut object);
    let spec = &object["spec"];
    assert_eq!(spec["mode"], "slow");
    assert_eq!(spec["ports"][0]["protocol"], "TCP");
    assert_eq!(spec["policy"], json!({"retries": 3}), "defaults inside a defaulted object");
    assert_eq!(spec["note"], Value::Null, "a nullable null stays");
    assert!(spec.get("name").is_none(), "a non-nullable null without default goes");
    let mut explicit = json!({"spec": {"size": 2, "mode": "fast", "policy": {"retries": 0}}});
    schema.default(&mut explicit);
    assert_eq!(
        (&explicit["spec"]["mode"], &explicit["spec"]["policy"]["retries"]),
        (&json!("fast"), &json!(0))
    );
    let mut null_with_default = json!({"spec": {"size": 2, "mode": null}});
    schema.default(&mut null_with_default);
    assert_eq!(null_with_default["spec"]["mode"], "slow");
}

#[test]
fn validation_names_each_bad_field_as_kubernetes_does() {
    let schema = widget();
    assert!(fields(&schema, &json!({"spec": {"size": 3}})).is_empty());
    assert_eq!(fields(&schema, &json!({"spec": {}})), ["spec.size"]);
    let causes = schema.validate(&json!({"spec": {"size": "three"}}));
    assert_eq!(causes[0].kind, "FieldValueTypeInvalid");
    assert_eq!(
        causes[0].message,
        r#"Invalid value: "string": spec.size in body must be of type integer: "string""#
    );
    let causes = schema.validate(&json!({"spec": {"size": 0}}));
    assert_eq!(
        causes[0].message,
        "Invalid value: 0: spec.size in body should be greater than or equal to 1"
    );
    let causes = schema.validate(&json!({"spec": {"size": 11}}));
    assert_eq!(
        causes[0].message,
        "Invalid value: 11: spec.size in body should be less than or equal to 10"
    );
    let causes = schema.validate(&json!({"spec": {"size": 1, "mode": "warp"}}));
    assert_eq!(causes[0].kind, "FieldValueNotSupported");
    assert_eq!(causes[0].message, r#"Unsupported value: "warp": supported values: "fast", "slow""#);
    let causes = schema.validate(&json!({"spec": {"size": 1, "name": "toolong"}}));
    assert_eq!(causes[0].message, "Too long: may not be longer than 5");
    let causes = schema.validate(&json!({"spec": {"size": 1, "name": "a"}}));
    assert_eq!(
        causes[0].message,
        r#"Invalid value: "a": spec.name in body should be at least 2 chars long"#
    );
    let causes = schema.validate(&json!({"spec": {"size": 1, "name": "AB"}}));
    assert_eq!(
        causes[0].message,
        r#"Invalid value: "AB": spec.name in body should match '^[a-z]+$'"#
    );
    let causes = schema.validate(&json!({"spec": {"size": 1, "tags": ["a", "b", "c"]}}));
    assert_eq!(
        (causes[0].kind, causes[0].message.as_str()),
        ("FieldValueTooMany", "Too many: 3: must have at most 2 items")
    );
    assert_eq!(fields(&schema, &json!({"spec": {"size": 1, "tags": []}})), ["spec.tags"]);
    assert_eq!(fields(&schema, &json!({"spec": {"size": 1, "tags": ["a", 2]}})), ["spec.tags[1]"]);
    assert_eq!(
        fields(&schema, &json!({"spec": {"size": 1, "limits": {"cpu": "x"}}})),
        ["spec.limits.cpu"]
    );
}

#[test]
fn nulls_int_or_string_and_embedded_resources() {
    let schema = widget();
    assert!(fields(&schema, &json!({"spec": {"size": 1, "note": null}})).is_empty());
    let causes = schema.validate(&json!({"spec": {"size": null}}));
    assert_eq!(
        causes[0].message,
        r#"Invalid value: "null": spec.size in body must be of type integer: "null""#
    );
    for port in [json!(80), json!("http")] {
        assert!(fields(&schema, &json!({"spec": {"size": 1, "port": port}})).is_empty());
    }
    assert_eq!(fields(&schema, &json!({"spec": {"size": 1, "port": true}})), ["spec.port"]);
    assert_eq!(
        fields(&schema, &json!({"spec": {"size": 1, "template": {"metadata": {}}}})),
        ["spec.template.apiVersion", "spec.template.kind"]
    );
    assert_eq!(fields(&schema, &json!({"spec": {"size": 1.0}})), Vec::<String>::new());
    assert_eq!(fields(&schema, &json!({"spec": {"size": 1.5}})), ["spec.size"]);
}

#[test]
fn combinators_and_metadata_name_constraints() {
    let schema = Schema::new(json!({
        "type": "object",
        "properties": {
            "metadata": {"type": "object", "properties": {"name": {"type": "string", "maxLength": 3}}},
            "spec": {"type": "object", "properties": {
                "a": {"type": "string"}, "b": {"type": "string"},
                "n": {"type": "integer", "multipleOf": 5},
            }, "oneOf": [{"required": ["a"]}, {"required": ["b"]}]},
        },
    }));
    assert!(fields(&schema, &json!({"metadata": {"name": "abc"}, "spec": {"a": "x"}})).is_empty());
    assert_eq!(
        fields(&schema, &json!({"metadata": {"name": "abcd"}, "spec": {"a": "x"}})),
        ["metadata.name"]
    );
    assert_eq!(fields(&schema, &json!({"spec": {"a": "x", "b": "y"}})), ["spec"]);
    assert_eq!(fields(&schema, &json!({"spec": {"a": "x", "n": 7}})), ["spec.n"]);
}

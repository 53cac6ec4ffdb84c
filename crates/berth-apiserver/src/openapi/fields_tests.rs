use serde_json::json;

use super::fields::FieldValidation;
use super::*;

fn deployment() -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"app": "web"}, "annotations": {"a.b/c": "d"}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 1}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{
                    "name": "nginx", "image": "nginx",
                    "ports": [{"containerPort": 80}],
                    "resources": {"limits": {"cpu": "1", "memory": 512}},
                    "env": [{"name": "A", "value": null}],
                }]},
            },
        },
        "status": {"replicas": 2, "conditions": [{"type": "Available", "status": "True"}]},
    })
}

#[test]
fn a_known_object_has_no_unknown_fields() {
    assert_eq!(unknown_fields("apps", "v1", "Deployment", &deployment()), Vec::<String>::new());
    let config = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
                        "data": {"any key": "x"}, "binaryData": {"b": "AA=="}, "immutable": true});
    assert!(unknown_fields("", "v1", "ConfigMap", &config).is_empty());
    let service =
        json!({"spec": {"ports": [{"port": 80, "targetPort": "http"}], "selector": {"a": "b"}}});
    assert!(unknown_fields("", "v1", "Service", &service).is_empty());
}

#[test]
fn unknown_fields_are_named_by_their_path() {
    let mut object = deployment();
    object["spec"]["replicass"] = json!(2);
    object["spec"]["template"]["spec"]["containers"][0]["imagee"] = json!("nginx");
    object["metadata"]["labelz"] = json!({});
    object["spec"]["strategy"]["rollingUpdate"]["maxSurgee"] = json!(1);
    object["extra"] = json!(null);
    assert_eq!(
        unknown_fields("apps", "v1", "Deployment", &object),
        [
            "metadata.labelz",
            "spec.strategy.rollingUpdate.maxSurgee",
            "spec.template.spec.containers[0].imagee",
            "spec.replicass",
            "extra",
        ]
    );
}

#[test]
fn free_form_and_preserved_fields_are_not_checked() {
    let revision = json!({"apiVersion": "apps/v1", "kind": "ControllerRevision", "revision": 1,
                          "data": {"anything": {"goes": [1, 2]}}});
    assert!(unknown_fields("apps", "v1", "ControllerRevision", &revision).is_empty());
    let crd = json!({"spec": {"group": "x.io", "scope": "Namespaced",
    "names": {"plural": "widgets", "kind": "Widget"},
    "versions": [{"name": "v1", "served": true, "storage": true, "schema": {"openAPIV3Schema": {
        "type": "object",
        "properties": {"spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": true,
                                "default": {"size": 1},
                                "properties": {"size": {"type": "integer", "default": 1}}},
                       "list": {"type": "array", "items": {"type": "string"}}}},
    }}]}});
    let found = unknown_fields("apiextensions.k8s.io", "v1", "CustomResourceDefinition", &crd);
    assert!(found.is_empty(), "{found:?}");
    let mut bad = crd.clone();
    bad["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["typo"] =
        json!(1);
    assert_eq!(
        unknown_fields("apiextensions.k8s.io", "v1", "CustomResourceDefinition", &bad),
        ["spec.versions[0].schema.openAPIV3Schema.properties.spec.typo"]
    );
    // Custom resources have no schema here: nothing is unknown.
    assert!(unknown_fields("x.io", "v1", "Widget", &json!({"spec": {"a": 1}})).is_empty());
}

#[test]
fn pruning_drops_unknown_fields_and_keeps_the_order_of_the_rest() {
    let mut object = json!({"apiVersion": "v1", "kind": "Pod", "zzz": 1, "metadata": {"name": "p"},
                            "spec": {"containers": [{"name": "c", "imagee": "x", "image": "y"}]}});
    let dropped = prune_unknown("", "v1", "Pod", &mut object);
    assert_eq!(dropped, ["zzz", "spec.containers[0].imagee"]);
    assert_eq!(
        object.to_string(),
        r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"y"}]}}"#
    );
}

#[test]
fn field_validation_refuses_warns_or_ignores() {
    let gvk = ("apps", "v1", "Deployment");
    let mut object = deployment();
    object["spec"]["foo"] = json!(1);
    object["spec"]["bar"] = json!(1);
    let error = check_fields(Some("Strict"), gvk, &mut object.clone(), None).err();
    assert_eq!(error.as_ref().map(|e| e.code), Some(400));
    assert_eq!(
        error.map(|e| e.message),
        Some(
            r#"Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.foo", unknown field "spec.bar""#
                .into()
        )
    );
    let mut warned = object.clone();
    let warnings = check_fields(None, gvk, &mut warned, None).ok();
    assert_eq!(
        warnings,
        Some(vec![r#"unknown field "spec.foo""#.into(), r#"unknown field "spec.bar""#.into()])
    );
    assert_eq!(warned, deployment());
    let mut ignored = object.clone();
    assert_eq!(check_fields(Some("Ignore"), gvk, &mut ignored, None).ok(), Some(vec![]));
    assert_eq!(ignored, deployment());
    assert_eq!(check_fields(Some("Loud"), gvk, &mut object, None).err().map(|e| e.code), Some(422));
    assert_eq!(FieldValidation::parse(Some("Warn")).ok(), Some(FieldValidation::Warn));
}

#[test]
fn a_patch_is_not_blamed_for_unknown_fields_already_stored() {
    let gvk = ("apps", "v1", "Deployment");
    let mut stored = deployment();
    stored["spec"]["old"] = json!(1);
    let mut patched = stored.clone();
    patched["spec"]["new"] = json!(1);
    let warnings = check_fields(Some("Strict"), gvk, &mut patched, Some(&stored)).err();
    assert_eq!(
        warnings.map(|e| e.message),
        Some(r#"strict decoding error: unknown field "spec.new""#.into())
    );
    let mut patched = stored.clone();
    assert_eq!(check_fields(Some("Strict"), gvk, &mut patched, Some(&stored)).ok(), Some(vec![]));
    assert_eq!(patched, deployment());
}

#[test]
fn warnings_become_headers() {
    let response = axum::response::IntoResponse::into_response("ok");
    let response = with_warnings(response, &[r#"unknown field "spec.foo""#.to_owned(), "b".into()]);
    let values: Vec<_> = response.headers().get_all("warning").iter().collect();
    assert_eq!(values, [r#"299 - "unknown field \"spec.foo\"""#, r#"299 - "b""#]);
}

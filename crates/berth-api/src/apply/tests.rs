#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};

use super::*;

const NOW: &str = "2025-01-01T00:00:00Z";
const LATER: &str = "2025-01-01T00:05:00Z";

fn deployment(replicas: i64, containers: Value) -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": containers},
            },
        },
    })
}

fn nginx(image: &str) -> Value {
    json!([{"name": "nginx", "image": image, "ports": [{"containerPort": 80}]}])
}

/// An apply of `applied` (its `kind`, in `api_version`) over `live` by `manager`.
fn try_apply(
    (kind, api_version): (&str, &str),
    live: Option<&Value>,
    applied: &Value,
    manager: &str,
    force: bool,
) -> Result<ApplyOutcome, ApplyError> {
    let request = ApplyRequest {
        live,
        applied,
        manager,
        force,
        kind,
        api_version,
        schema: &Schema::for_kind(kind),
        subresource: None,
        now: if live.is_some() { LATER } else { NOW },
    };
    apply(&request)
}

const DEPLOYMENT: (&str, &str) = ("Deployment", "apps/v1");

fn run(live: Option<&Value>, applied: &Value, manager: &str, force: bool) -> ApplyOutcome {
    try_apply(DEPLOYMENT, live, applied, manager, force).unwrap()
}

fn applied(live: Option<&Value>, config: &Value, manager: &str) -> Value {
    without_conflicts(run(live, config, manager, false))
}

fn without_conflicts(outcome: ApplyOutcome) -> Value {
    match outcome {
        ApplyOutcome::Applied(object) => object,
        ApplyOutcome::Conflicts(conflicts) => panic!("unexpected conflicts: {conflicts:?}"),
    }
}

fn entry<'a>(object: &'a Value, manager: &str) -> Option<&'a Value> {
    object["metadata"]["managedFields"].as_array()?.iter().find(|e| e["manager"] == manager)
}

fn owned(object: &Value, manager: &str) -> FieldSet {
    entry(object, manager).map(|e| decode_fields_v1(&e["fieldsV1"]).unwrap()).unwrap_or_default()
}

fn path(text: &str) -> Path {
    text.split('.').map(PathElement::field).collect()
}

#[test]
fn fields_v1_round_trips() {
    let text = r#"{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:args":{"i:0":{}},"f:containers":{"k:{\"name\":\"nginx\"}":{".":{},"f:image":{},"f:ports":{"k:{\"containerPort\":80,\"protocol\":\"TCP\"}":{}}}},"f:finalizers":{"v:\"x\"":{}}}}"#;
    let wire: Value = serde_json::from_str(text).unwrap();
    let set = decode_fields_v1(&wire).unwrap();
    assert_eq!(encode_fields_v1(&set).to_string(), text);
    let displayed: Vec<String> = set.iter().map(|p| display(p)).collect();
    assert!(displayed.contains(&".metadata.labels.app".to_owned()), "{displayed:?}");
    assert!(displayed.contains(&r#".spec.containers[name="nginx"].image"#.to_owned()));
    assert!(displayed.contains(
        &r#".spec.containers[name="nginx"].ports[containerPort=80,protocol="TCP"]"#.to_owned()
    ));
    assert!(displayed.contains(&r#".spec.finalizers[="x"]"#.to_owned()));
    assert!(displayed.contains(&".spec.args[0]".to_owned()));
    assert!(!displayed.contains(&".spec.containers".to_owned()), "no member without a dot");
    assert_eq!(set.len(), 6);

    for bad in [json!({"x:y": {}}), json!({"f:a": 1}), json!({"k:[1]": {}}), json!([])] {
        assert!(decode_fields_v1(&bad).is_err(), "{bad}");
    }
}

#[test]
fn apply_creates_with_an_apply_entry() {
    let config = deployment(2, nginx("nginx:1.25"));
    let object = applied(None, &config, "kubectl");
    assert_eq!(object["spec"]["replicas"], 2);
    assert_eq!(object["metadata"]["name"], "web");
    let managed = object["metadata"]["managedFields"].as_array().unwrap();
    assert_eq!(managed.len(), 1);
    assert_eq!(
        managed[0],
        json!({
            "manager": "kubectl", "operation": "Apply", "apiVersion": "apps/v1", "time": NOW,
            "fieldsType": "FieldsV1",
            "fieldsV1": {
                "f:metadata": {"f:labels": {"f:app": {}}},
                "f:spec": {
                    "f:replicas": {},
                    "f:selector": {},
                    "f:template": {
                        "f:metadata": {"f:labels": {"f:app": {}}},
                        "f:spec": {"f:containers": {"k:{\"name\":\"nginx\"}": {
                            ".": {}, "f:image": {}, "f:name": {},
                            "f:ports": {"k:{\"containerPort\":80,\"protocol\":\"TCP\"}": {".": {}, "f:containerPort": {}}},
                        }}},
                    },
                },
            },
        })
    );
}

#[test]
fn identical_reapply_changes_nothing() {
    let config = deployment(2, nginx("nginx:1.25"));
    let mut live = applied(None, &config, "kubectl");
    // What the server adds after the apply: identity, defaults.
    live["metadata"]["resourceVersion"] = json!("7");
    live["metadata"]["uid"] = json!("u-1");
    live["spec"]["template"]["spec"]["containers"][0]["ports"][0]["protocol"] = json!("TCP");
    live["spec"]["strategy"] = json!({"type": "RollingUpdate"});
    live["status"] = json!({"replicas": 2});
    let again = applied(Some(&live), &config, "kubectl");
    assert_eq!(again, live);
}

#[test]
fn omitted_fields_are_removed_unless_someone_else_owns_them() {
    let mut config = deployment(2, nginx("nginx:1.25"));
    config["metadata"]["labels"]["tier"] = json!("front");
    config["metadata"]["annotations"] = json!({"note": "hi"});
    let live = applied(None, &config, "ci");
    let mut other = json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "annotations": {"note": "hi"}}});
    let live = applied(Some(&live), &other, "other");

    let smaller = deployment(2, nginx("nginx:1.25"));
    let next = applied(Some(&live), &smaller, "ci");
    assert_eq!(next["metadata"]["labels"], json!({"app": "web"}));
    assert_eq!(next["metadata"]["annotations"], json!({"note": "hi"}), "co-owned by other");
    assert!(!owned(&next, "ci").contains(&path("metadata.labels.tier")));

    // Once the other manager lets go too, the annotation goes, and the emptied map with it.
    other["metadata"].as_object_mut().unwrap().remove("annotations");
    let last = applied(Some(&next), &other, "other");
    assert!(last["metadata"].get("annotations").is_none(), "{}", last["metadata"]);
    assert!(entry(&last, "other").is_none(), "an apply of nothing owns nothing");
}

fn scaled(live: &Value, replicas: i64) -> Value {
    let mut new = live.clone();
    new["spec"]["replicas"] = json!(replicas);
    record_update(
        &Schema::for_kind("Deployment"),
        Some(live),
        &mut new,
        "kubectl-scale",
        "apps/v1",
        LATER,
        Some("scale"),
    );
    new
}

#[test]
fn a_field_another_manager_changed_conflicts() {
    let config = deployment(2, nginx("nginx:1.25"));
    let live = scaled(&applied(None, &config, "ci"), 5);
    assert!(!owned(&live, "ci").contains(&path("spec.replicas")));
    assert!(owned(&live, "kubectl-scale").contains(&path("spec.replicas")));
    assert_eq!(entry(&live, "kubectl-scale").unwrap()["subresource"], "scale");

    let ApplyOutcome::Conflicts(conflicts) = run(Some(&live), &config, "ci", false) else {
        panic!("expected a conflict");
    };
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0].field, ".spec.replicas");
    assert_eq!(
        conflicts_message(&conflicts),
        r#"Apply failed with 1 conflict: conflict with "kubectl-scale" with subresource "scale" using apps/v1: .spec.replicas"#
    );
    // Agreeing with the other manager is no conflict: both own the field.
    let shared = applied(Some(&live), &deployment(5, nginx("nginx:1.25")), "ci");
    assert!(owned(&shared, "ci").contains(&path("spec.replicas")));
    assert!(owned(&shared, "kubectl-scale").contains(&path("spec.replicas")));
}

#[test]
fn force_takes_ownership() {
    let config = deployment(2, nginx("nginx:1.25"));
    let live = scaled(&applied(None, &config, "ci"), 5);
    let ApplyOutcome::Applied(forced) = run(Some(&live), &config, "ci", true) else {
        panic!("force applies");
    };
    assert_eq!(forced["spec"]["replicas"], 2);
    assert!(owned(&forced, "ci").contains(&path("spec.replicas")));
    assert!(entry(&forced, "kubectl-scale").is_none(), "it owned nothing else");
}

#[test]
fn keyed_lists_keep_the_elements_of_other_managers() {
    let live = applied(None, &deployment(2, nginx("nginx:1.25")), "ci");
    let sidecar = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"template": {"spec": {"containers": [{"name": "proxy", "image": "envoy"}]}}}});
    let live = applied(Some(&live), &sidecar, "mesh");
    let names = |o: &Value| -> Vec<String> {
        let containers = o["spec"]["template"]["spec"]["containers"].as_array().unwrap().iter();
        containers.map(|c| c["name"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(names(&live), ["nginx", "proxy"]);

    let live = applied(Some(&live), &deployment(2, nginx("nginx:1.26")), "ci");
    assert_eq!(names(&live), ["nginx", "proxy"]);
    assert_eq!(live["spec"]["template"]["spec"]["containers"][0]["image"], "nginx:1.26");

    let other = json!([{"name": "app", "image": "app:1"}]);
    let live = applied(Some(&live), &deployment(2, other), "ci");
    assert_eq!(names(&live), ["proxy", "app"], "nginx was only ci's");
}

#[test]
fn sets_merge_by_value() {
    let with = |finalizers: Value| {
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "finalizers": finalizers}})
    };
    let live = applied(None, &with(json!(["a/x"])), "one");
    let live = applied(Some(&live), &with(json!(["b/y"])), "two");
    assert_eq!(live["metadata"]["finalizers"], json!(["a/x", "b/y"]));
    let live = applied(Some(&live), &with(json!([])), "one");
    assert_eq!(live["metadata"]["finalizers"], json!(["b/y"]));
}

#[test]
fn updates_take_the_fields_they_change() {
    let live = applied(None, &deployment(2, nginx("nginx:1.25")), "ci");
    let mut edited = live.clone();
    edited["spec"]["template"]["spec"]["containers"][0]["image"] = json!("nginx:1.27");
    edited["metadata"]["labels"]["edited"] = json!("yes");
    record_update(
        &Schema::for_kind("Deployment"),
        Some(&live),
        &mut edited,
        "kubectl-edit",
        "apps/v1",
        LATER,
        None,
    );
    let image = path("spec.template.spec.containers")
        .into_iter()
        .chain([PathElement::key("name", &json!("nginx")), PathElement::field("image")])
        .collect::<Path>();
    assert!(owned(&edited, "kubectl-edit").contains(&image));
    assert!(owned(&edited, "kubectl-edit").contains(&path("metadata.labels.edited")));
    assert!(!owned(&edited, "ci").contains(&image));
    assert_eq!(entry(&edited, "kubectl-edit").unwrap()["operation"], "Update");

    // A write that changes nothing leaves managedFields as they were.
    let mut same = edited.clone();
    same["metadata"]["managedFields"] = Value::Null;
    record_update(
        &Schema::for_kind("Deployment"),
        Some(&edited),
        &mut same,
        "other",
        "apps/v1",
        LATER,
        None,
    );
    assert_eq!(same, edited);

    // A create owns everything it wrote, server metadata aside.
    let mut created = json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "c", "uid": "u"}, "data": {"k": "v"}});
    record_update(
        &Schema::for_kind("ConfigMap"),
        None,
        &mut created,
        "kubectl-create",
        "v1",
        NOW,
        None,
    );
    let fields = &entry(&created, "kubectl-create").unwrap()["fieldsV1"];
    assert_eq!(fields, &json!({"f:data": {".": {}, "f:k": {}}}));
}

#[test]
fn kubectl_takes_over_what_client_side_apply_last_applied() {
    let mut config = deployment(2, nginx("nginx:1.25"));
    let last = serde_json::to_string(&config).unwrap();
    config["metadata"]["annotations"] =
        json!({"kubectl.kubernetes.io/last-applied-configuration": last});
    let mut live = config.clone();
    record_update(
        &Schema::for_kind("Deployment"),
        None,
        &mut live,
        "kubectl-client-side-apply",
        "apps/v1",
        NOW,
        None,
    );

    let server_side = deployment(3, nginx("nginx:1.25"));
    let ApplyOutcome::Conflicts(_) = run(Some(&live), &server_side, "someone", false) else {
        panic!("another manager conflicts");
    };
    let object = applied(Some(&live), &server_side, "kubectl");
    assert_eq!(object["spec"]["replicas"], 3);
    let annotation =
        &object["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"];
    let refreshed: Value = serde_json::from_str(annotation.as_str().unwrap()).unwrap();
    assert_eq!(refreshed, server_side);
}

#[test]
fn nulls_and_status_and_bad_lists() {
    let mut config = deployment(2, nginx("nginx:1.25"));
    config["status"] = json!({"replicas": 9});
    config["spec"]["paused"] = Value::Null;
    let object = applied(None, &config, "ci");
    assert!(object.get("status").is_none(), "status is not applied through the main resource");
    assert!(object["spec"].get("paused").is_none());
    assert!(owned(&object, "ci").contains(&path("spec.paused")));

    let unnamed = deployment(2, json!([{"image": "nginx"}]));
    let error = try_apply(DEPLOYMENT, None, &unnamed, "ci", false).unwrap_err();
    assert_eq!(error.http_status(), 422);
    assert!(error.to_string().starts_with(".spec.template.spec.containers: element 0"), "{error}");
    let wrong = json!({"apiVersion": "v1", "kind": "Deployment", "metadata": {"name": "web"}});
    let error = try_apply(DEPLOYMENT, None, &wrong, "ci", false).unwrap_err();
    assert_eq!(error.http_status(), 400);
}

#[test]
fn an_apply_to_status_touches_only_the_status() {
    let live = applied(None, &deployment(2, nginx("nginx:1.25")), "ci");
    let mut report = deployment(9, json!([]));
    report["status"] =
        json!({"replicas": 2, "conditions": [{"type": "Available", "status": "True"}]});
    let request = ApplyRequest {
        live: Some(&live),
        applied: &report,
        manager: "controller",
        force: false,
        kind: "Deployment",
        api_version: "apps/v1",
        schema: &Schema::for_kind("Deployment"),
        subresource: Some("status"),
        now: LATER,
    };
    let ApplyOutcome::Applied(object) = apply(&request).unwrap() else { panic!("applies") };
    assert_eq!(object["spec"], live["spec"]);
    assert_eq!(object["status"]["replicas"], 2);
    let mine = entry(&object, "controller").unwrap();
    assert_eq!(mine["subresource"], "status");
    let condition = r#"k:{"type":"Available"}"#;
    assert!(mine["fieldsV1"]["f:status"]["f:conditions"][condition]["f:status"].is_object());
    assert!(mine["fieldsV1"].get("f:spec").is_none());
}

#[test]
fn managed_fields_a_client_sends_replace_the_stored_ones() {
    // kubectl moves client-side apply ownership to its apply entry with a JSON patch of
    // managedFields alone; nothing else changes, so the sent entries stay as sent.
    let live = applied(None, &deployment(2, nginx("nginx:1.25")), "ci");
    let mut patched = live.clone();
    patched["metadata"]["managedFields"][0]["manager"] = json!("renamed");
    let sent = patched["metadata"]["managedFields"].clone();
    record_update(
        &Schema::for_kind("Deployment"),
        Some(&live),
        &mut patched,
        "kubectl",
        "apps/v1",
        LATER,
        None,
    );
    assert_eq!(patched["metadata"]["managedFields"], sent);
}

#[test]
fn ports_are_told_apart_by_number_and_protocol() {
    let service = |ports: Value| {
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "dns"},
            "spec": {"selector": {"app": "dns"}, "ports": ports}})
    };
    let apply_service = |live: Option<&Value>, config: &Value, manager: &str| {
        without_conflicts(try_apply(("Service", "v1"), live, config, manager, false).unwrap())
    };
    // The same port number over TCP and UDP is two elements, not a duplicate.
    let both = json!([{"name": "dns-tcp", "port": 53, "protocol": "TCP"},
        {"name": "dns", "port": 53, "protocol": "UDP"}]);
    let mut live = apply_service(None, &service(both.clone()), "ci");
    let wire = entry(&live, "ci").unwrap()["fieldsV1"].to_string();
    assert!(wire.contains(r#"k:{\"port\":53,\"protocol\":\"UDP\"}"#), "{wire}");
    assert!(wire.contains(r#"k:{\"port\":53,\"protocol\":\"TCP\"}"#), "{wire}");

    // A port without a protocol is the TCP one: after the server defaulted it, a re-apply
    // without it matches the stored element instead of adding another.
    let web = json!([{"name": "web", "port": 80}]);
    live = apply_service(Some(&live), &service(web.clone()), "web-team");
    live["spec"]["ports"][2]["protocol"] = json!("TCP");
    let again =
        apply_service(Some(&live), &service(json!([{"name": "http", "port": 80}])), "web-team");
    let ports = again["spec"]["ports"].as_array().unwrap();
    assert_eq!(ports.len(), 3, "{ports:?}");
    assert_eq!(ports[2], json!({"name": "http", "port": 80, "protocol": "TCP"}));

    // Dropping the UDP port from ci's config removes only that element.
    let tcp_only = json!([{"name": "dns-tcp", "port": 53, "protocol": "TCP"}]);
    let after = apply_service(Some(&again), &service(tcp_only), "ci");
    let protocols: Vec<&Value> =
        after["spec"]["ports"].as_array().unwrap().iter().map(|p| &p["protocol"]).collect();
    assert_eq!(protocols, [&json!("TCP"), &json!("TCP")], "{after}");

    // Container ports likewise; a spread constraint needs both of its keys.
    let ports = json!([{"name": "nginx", "image": "nginx",
        "ports": [{"containerPort": 53, "protocol": "UDP"}, {"containerPort": 53}]}]);
    let object = applied(None, &deployment(1, ports), "ci");
    let wire = entry(&object, "ci").unwrap()["fieldsV1"].to_string();
    assert!(wire.contains(r#"k:{\"containerPort\":53,\"protocol\":\"TCP\"}"#), "{wire}");
    let mut spread = deployment(1, nginx("nginx"));
    spread["spec"]["template"]["spec"]["topologySpreadConstraints"] =
        json!([{"topologyKey": "zone", "maxSkew": 1, "labelSelector": {}}]);
    let error = try_apply(DEPLOYMENT, None, &spread, "ci", false).unwrap_err().to_string();
    assert!(error.contains("omits key field \"whenUnsatisfiable\""), "{error}");
}

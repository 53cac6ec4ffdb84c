//! Black-box: hostile and malformed requests get the right `Status` quickly, and nothing is
//! written: huge JSON patches, deeply nested documents, malformed patches, and the server keeps
//! serving afterwards; PriorityClasses and HorizontalPodAutoscalers that break Kubernetes' rules
//! are refused with its causes.

mod common;

use std::time::{Duration, Instant};

use common::{curl, fails, json, ok, server, write};
use serde_json::Value;

/// `(status code, body as JSON)` of a raw HTTP request.
fn request(args: &[&str]) -> (String, Value) {
    let (body, code) = common::curl(args);
    (code, serde_json::from_str(&body).unwrap_or(Value::Null))
}

#[test]
fn hostile_patches_and_documents_are_refused_quickly() {
    let server = server(&[]);
    let url = server.url().expect("url");
    ok(&server, &["create", "configmap", "target", "--from-literal=a=b"]);
    let item = format!("{url}/api/v1/namespaces/default/configmaps/target");
    let before = json(&server, &["get", "configmap", "target"]);
    let file = |name: &str, contents: String| {
        let path = server.scratch().join(name);
        std::fs::write(&path, contents).expect("write");
        format!("@{}", path.display())
    };

    // More than 10,000 JSON patch operations.
    let ops: Vec<String> =
        (0..10_001).map(|i| format!(r#"{{"op":"add","path":"/data/k{i}","value":"v"}}"#)).collect();
    let many = file("many.json", format!("[{}]", ops.join(",")));
    let started = Instant::now();
    let (code, status) = request(&[
        "-X",
        "PATCH",
        "-H",
        "Content-Type: application/json-patch+json",
        "--data-binary",
        &many,
        &item,
    ]);
    assert_eq!(code, "413", "{status}");
    assert_eq!(status["kind"], "Status");
    assert!(started.elapsed() < Duration::from_secs(5));

    // A document nested 100,000 levels deep, as a body and as a patch.
    let deep = file("deep.json", format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)));
    let deep_object = file(
        "deep-object.json",
        format!(
            r#"{{"metadata":{{"name":"deep"}},"data":{}{}}}"#,
            r#"{"a":"#.repeat(50_000),
            "}".repeat(50_000)
        ),
    );
    for (method, content_type, body, url) in [
        (
            "POST",
            "application/json",
            &deep_object,
            format!("{url}/api/v1/namespaces/default/configmaps"),
        ),
        ("PATCH", "application/merge-patch+json", &deep, item.clone()),
        ("PATCH", "application/strategic-merge-patch+json", &deep_object, item.clone()),
        ("PATCH", "application/apply-patch+yaml", &deep_object, format!("{item}?fieldManager=x")),
    ] {
        let started = Instant::now();
        let (code, status) = request(&[
            "-X",
            method,
            "-H",
            &format!("Content-Type: {content_type}"),
            "--data-binary",
            body,
            &url,
        ]);
        assert_eq!(code, "400", "{method} {content_type}: {status}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{content_type} took {:?}",
            started.elapsed()
        );
    }

    // Malformed patches of each type.
    for (content_type, body) in [
        ("application/json-patch+json", r#"{"op":"add"}"#),
        ("application/json-patch+json", r#"[{"op":"frobnicate","path":"/a"}]"#),
        ("application/merge-patch+json", "{nope"),
        ("application/strategic-merge-patch+json", r#"{"data":{"$patch":"explode"}}"#),
        ("application/apply-patch+yaml", "- just\n- a list\n"),
    ] {
        let (code, status) = request(&[
            "-X",
            "PATCH",
            "-H",
            &format!("Content-Type: {content_type}"),
            "-d",
            body,
            &format!("{item}?fieldManager=x"),
        ]);
        assert!(code == "400" || code == "422", "{content_type} {body}: {code} {status}");
        assert_eq!(status["kind"], "Status");
    }
    // A failed JSON patch test changes nothing; a patch body that is not an object for SSA is
    // refused with a kind mismatch; none of it touched the object.
    let (code, _) = request(&[
        "-X",
        "PATCH",
        "-H",
        "Content-Type: application/json-patch+json",
        "-d",
        r#"[{"op":"replace","path":"/data/a","value":"c"},{"op":"test","path":"/data/a","value":"zzz"}]"#,
        &item,
    ]);
    assert_eq!(code, "422");
    let after = json(&server, &["get", "configmap", "target"]);
    assert_eq!(before["metadata"]["resourceVersion"], after["metadata"]["resourceVersion"]);
    assert_eq!(after["data"]["a"], "b");
    // And the server is still fine.
    ok(&server, &["get", "configmaps"]);
}

#[test]
fn bad_requests_get_status_errors() {
    let server = server(&[]);
    let url = server.url().expect("url");
    let pods = format!("{url}/api/v1/namespaces/default/configmaps");
    let (body, code) =
        curl(&["-X", "POST", "-H", "Content-Type: application/json", "-d", "{not json", &pods]);
    assert_eq!(code, "400", "{body}");
    assert!(body.contains("\"kind\":\"Status\""));
    let (_, code) = curl(&[
        "-X",
        "POST",
        "-H",
        "Content-Type: application/json",
        "-d",
        r#"{"kind":"Pod","apiVersion":"v1","metadata":{"name":"x"}}"#,
        &pods,
    ]);
    assert_eq!(code, "400");
    let (body, code) = curl(&[
        "-X",
        "POST",
        "-H",
        "Content-Type: application/json",
        "-d",
        r#"{"metadata":{"name":"Bad_Name"}}"#,
        &pods,
    ]);
    assert_eq!(code, "422", "{body}");
    assert!(body.contains("\"reason\":\"Invalid\""), "{body}");
    let (_, code) = curl(&["-X", "POST", "-H", "Content-Type: text/plain", "-d", "x", &pods]);
    assert_eq!(code, "415");
    let big = server.scratch().join("big.json");
    std::fs::write(
        &big,
        format!(r#"{{"metadata":{{"name":"big"}},"data":{{"k":"{}"}}}}"#, "x".repeat(4 << 20)),
    )
    .expect("write");
    let (_, code) = curl(&[
        "-X",
        "POST",
        "-H",
        "Content-Type: application/json",
        "--data-binary",
        &format!("@{}", big.display()),
        &pods,
    ]);
    assert_eq!(code, "413");
    let (_, code) = curl(&[&format!("{url}/api/v1/namespaces/nope/configmaps/x")]);
    assert_eq!(code, "404");
    let (body, code) = curl(&[
        "-X",
        "POST",
        "-H",
        "Content-Type: application/json",
        "-d",
        r#"{"metadata":{"name":"x"}}"#,
        &format!("{url}/api/v1/namespaces/nope/configmaps"),
    ]);
    assert_eq!(code, "404", "{body}");
    assert!(body.contains(r#"namespaces \"nope\" not found"#), "{body}");
    // A stale resourceVersion on PUT is a conflict.
    let (created, _) = curl(&[
        "-X",
        "POST",
        "-H",
        "Content-Type: application/json",
        "-d",
        r#"{"metadata":{"name":"rv"},"data":{"a":"1"}}"#,
        &pods,
    ]);
    let created: Value = serde_json::from_str(&created).expect("created");
    let mut stale = created.clone();
    stale["data"]["a"] = "2".into();
    let item = format!("{pods}/rv");
    let (_, code) = curl(&[
        "-X",
        "PUT",
        "-H",
        "Content-Type: application/json",
        "-d",
        &stale.to_string(),
        &item,
    ]);
    assert_eq!(code, "200");
    let (body, code) = curl(&[
        "-X",
        "PUT",
        "-H",
        "Content-Type: application/json",
        "-d",
        &stale.to_string(),
        &item,
    ]);
    assert_eq!(code, "409", "{body}");
    assert!(body.contains("the object has been modified"), "{body}");
}

fn priority_class(name: &str, value: i64, global_default: bool) -> String {
    format!(
        "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {{name: {name}}}\nvalue: {value}\nglobalDefault: {global_default}\n"
    )
}

#[test]
fn priority_classes_break_no_kubernetes_rule() {
    let server = server(&[]);
    let create = |name: &str, value: i64, global_default: bool| {
        let manifest =
            write(&server, &format!("{name}.yaml"), &priority_class(name, value, global_default));
        server.kubectl(&["create", "-f", &manifest]).expect("kubectl")
    };
    let stderr = |output: std::process::Output| {
        assert!(!output.status.success(), "should fail: {}", common::stdout(&output));
        String::from_utf8_lossy(&output.stderr).into_owned()
    };

    // The value never changes.
    assert!(create("low", 100, false).status.success());
    let refused = fails(
        &server,
        &["patch", "priorityclass", "low", "--type=merge", "-p", r#"{"value":200}"#],
    );
    assert!(refused.contains("is invalid"), "{refused}");
    assert!(refused.contains("value: Forbidden: may not be changed in an update."), "{refused}");
    assert_eq!(json(&server, &["get", "priorityclass", "low"])["value"], 100);
    ok(&server, &["patch", "priorityclass", "low", "--type=merge", "-p", r#"{"description":"d"}"#]);

    // One global default: a second one, created or patched, is refused naming the first.
    assert!(create("first", 10, true).status.success());
    let refused = stderr(create("second", 20, true));
    assert!(refused.contains("(Forbidden)"), "{refused}");
    assert!(
        refused.contains(
            "PriorityClass first is already marked as default. Only one default can exist"
        ),
        "{refused}"
    );
    let refused = fails(
        &server,
        &["patch", "priorityclass", "low", "--type=merge", "-p", r#"{"globalDefault":true}"#],
    );
    assert!(refused.contains("PriorityClass first is already marked as default"), "{refused}");
    ok(
        &server,
        &[
            "patch",
            "priorityclass",
            "first",
            "--type=merge",
            "-p",
            r#"{"description":"still the default"}"#,
        ],
    );
    assert_eq!(json(&server, &["get", "priorityclass", "low"])["globalDefault"], false);

    // system- names are the built-in classes'; user classes stay under a billion.
    let refused = stderr(create("system-mine", 10, false));
    assert!(refused.contains("is invalid"), "{refused}");
    assert!(refused.contains("priority class names with 'system-' prefix are reserved for system use only. error: system-mine is not a known system priority class"), "{refused}");
    let refused = stderr(create("huge", 1_000_000_001, false));
    assert!(
        refused.contains(
            "value: Forbidden: maximum allowed value of a user defined priority is 1000000000"
        ),
        "{refused}"
    );
    assert!(create("top", 1_000_000_000, false).status.success());

    // The raw Status: 422 with the field cause.
    let url = server.url().expect("url");
    let (code, status) = request(&[
        "-X",
        "PATCH",
        "-H",
        "Content-Type: application/merge-patch+json",
        "-d",
        r#"{"value":7}"#,
        &format!("{url}/apis/scheduling.k8s.io/v1/priorityclasses/top"),
    ]);
    assert_eq!(code, "422", "{status}");
    assert_eq!(status["details"]["causes"][0]["field"], "value", "{status}");
    assert_eq!(status["details"]["causes"][0]["reason"], "FieldValueForbidden", "{status}");
    let names = ok(&server, &["get", "priorityclasses", "-o", "name"]);
    assert!(
        !names.contains("second") && !names.contains("system-mine") && !names.contains("huge"),
        "{names}"
    );
}

/// HorizontalPodAutoscalers are refused with Kubernetes' per-field causes, in v2 and in v1
/// (checked as its v2 form, so the CPU target is named as the v2 metric).
#[test]
fn horizontal_pod_autoscalers_are_validated() {
    let server = server(&[]);
    let manifest = "\
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, name: web}
  minReplicas: 0
  maxReplicas: 3
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 0}}
";
    let path = write(&server, "hpa.yaml", manifest);
    let refused = fails(&server, &["create", "-f", &path]);
    for expected in [
        r#"The HorizontalPodAutoscaler "web" is invalid"#,
        "spec.minReplicas: Invalid value: 0: must be greater than or equal to 1",
        "spec.scaleTargetRef.kind: Required value",
        "spec.metrics[0].resource.target.averageUtilization: Invalid value: 0: must be greater than 0",
    ] {
        assert!(refused.contains(expected), "{expected} in {refused}");
    }
    assert!(fails(&server, &["get", "hpa", "web"]).contains("NotFound"));

    let url = server.url().expect("url");
    let body = r#"{"apiVersion":"autoscaling/v1","kind":"HorizontalPodAutoscaler","metadata":{"name":"v1"},"spec":{"scaleTargetRef":{"kind":"Deployment","name":"web"},"minReplicas":2,"maxReplicas":1,"targetCPUUtilizationPercentage":0}}"#;
    let (code, status) = request(&[
        "-X",
        "POST",
        "-H",
        "Content-Type: application/json",
        "-d",
        body,
        &format!("{url}/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers"),
    ]);
    assert_eq!(code, "422", "{status}");
    let causes: Vec<(&str, &str)> = status["details"]["causes"]
        .as_array()
        .map(|c| {
            c.iter()
                .map(|c| (c["field"].as_str().unwrap_or(""), c["reason"].as_str().unwrap_or("")))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        causes,
        [
            ("spec.maxReplicas", "FieldValueInvalid"),
            ("spec.metrics[0].resource.target.averageUtilization", "FieldValueInvalid"),
        ],
        "{status}"
    );
}

/// `kubectl create token` needs a token issuer, which comes with authentication: until then
/// it gets a clear 503 for an existing service account, and a 404 for a missing one.
#[test]
fn service_account_tokens_are_refused_clearly() {
    let server = server(&[]);
    ok(&server, &["create", "serviceaccount", "robot"]);
    let refused = fails(&server, &["create", "token", "robot"]);
    assert!(refused.contains("does not issue service account tokens yet"), "{refused}");
    let missing = fails(&server, &["create", "token", "nobody"]);
    assert!(missing.contains("serviceaccounts \"nobody\" not found"), "{missing}");
}

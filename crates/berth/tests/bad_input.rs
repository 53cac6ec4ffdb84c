//! Black-box: hostile and malformed requests get the right `Status` quickly, and nothing is
//! written: huge JSON patches, deeply nested documents, malformed patches, and the server keeps
//! serving afterwards.

mod common;

use std::time::{Duration, Instant};

use common::{json, ok, server};
use serde_json::Value;

/// `(status code, body)` of a raw HTTP request through curl.
fn curl(args: &[&str]) -> (String, Value) {
    let output = std::process::Command::new("curl")
        .args(["-s", "-o", "-", "-w", "\n%{http_code}", "--max-time", "20"])
        .args(args)
        .output()
        .expect("curl");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap_or((&text, ""));
    (code.to_owned(), serde_json::from_str(body).unwrap_or(Value::Null))
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
    let (code, status) = curl(&[
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
        let (code, status) = curl(&[
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
        let (code, status) = curl(&[
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
    let (code, _) = curl(&[
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

//! Black-box: `/openapi/v2` read by the real kubectl (v1.32) and over plain HTTP from a real
//! `berth server`. kubectl reads the protobuf form for `explain --output=plaintext-openapiv2`
//! and, when its v3 patch path is off, for client-side apply's patch metadata; either fails
//! (or silently falls back) unless every definition of the document parses.

mod common;

use std::process::Output;

use berth_testkit::BerthServer;
use common::{curl, fails, json, ok, server, write};
use serde_json::Value;

const PROTOBUF: &str = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf";

const TWO_CONTAINERS: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: pair}
spec:
  selector: {matchLabels: {app: pair}}
  template:
    metadata: {labels: {app: pair}}
    spec:
      containers:
      - {name: web, image: 'nginx:1.25'}
      - {name: sidecar, image: 'busybox:1.36'}
";

const GADGET_CRD: &str = "\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: gadgets, singular: gadget, kind: Gadget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer, description: How many gadgets fit in a box.}
              port: {x-kubernetes-int-or-string: true, anyOf: [{type: integer}, {type: string}]}
              tags: {type: array, nullable: true, items: {type: string}}
";

/// The v2 document over HTTP: `(status code, body, response headers)`.
fn get_v2(server: &BerthServer, extra: &[&str]) -> (String, String, String) {
    let url = format!("{}/openapi/v2", server.url().expect("server URL"));
    let headers = server.scratch().join("headers.txt");
    let headers_arg = headers.display().to_string();
    let mut args = vec!["-D", &headers_arg];
    args.extend_from_slice(extra);
    args.push(&url);
    let (body, code) = curl(&args);
    let headers = std::fs::read_to_string(&headers).unwrap_or_default();
    (code, body, headers)
}

fn header<'a>(headers: &'a str, name: &str) -> &'a str {
    let value = |line: &'a str| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name).then_some(value.trim())
    };
    headers.lines().find_map(value).unwrap_or_default()
}

fn swagger(server: &BerthServer) -> Value {
    let (code, body, _) = get_v2(server, &["-H", "Accept: application/json"]);
    assert_eq!(code, "200", "{body}");
    serde_json::from_str(&body).expect("the v2 document is JSON")
}

/// kubectl with `-v=6` and its v3 patch path off, so client-side apply reads v2.
fn apply_with_v2(server: &BerthServer, manifest: &str) -> Output {
    let mut command = server.kubectl_command();
    command.env("KUBECTL_OPENAPIV3_PATCH", "false").args(["apply", "-f", manifest, "-v=6"]);
    command.output().expect("kubectl")
}

#[test]
fn kubectl_explain_reads_the_protobuf_v2_document() {
    let server = server(&[]);
    let containers =
        ok(&server, &["explain", "pods.spec.containers", "--output=plaintext-openapiv2"]);
    for needle in [
        "RESOURCE: containers <[]Object>",
        "List of containers belonging to the pod",
        "image\t<string>",
        "Container image name",
        "ports\t<[]Object>",
    ] {
        assert!(containers.contains(needle), "explain lacks {needle:?}:\n{containers}");
    }
    let strategy =
        ok(&server, &["explain", "deployment.spec.strategy", "--output=plaintext-openapiv2"]);
    assert!(strategy.contains("rollingUpdate\t<Object>"), "{strategy}");
}

#[test]
fn openapi_v2_answers_json_protobuf_and_not_modified() {
    let server = server(&[]);
    let document = swagger(&server);
    assert_eq!(document["swagger"], "2.0");
    let deployment = &document["definitions"]["io.k8s.api.apps.v1.Deployment"];
    assert_eq!(deployment["x-kubernetes-group-version-kind"][0]["kind"], "Deployment");
    assert_eq!(
        deployment["properties"]["spec"]["$ref"],
        "#/definitions/io.k8s.api.apps.v1.DeploymentSpec"
    );
    let patch =
        &document["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"];
    assert!(patch["consumes"].as_array().is_some_and(|c| c.len() == 4), "{patch}");

    let (code, body, headers) = get_v2(&server, &["-H", &format!("Accept: {PROTOBUF}")]);
    assert_eq!(code, "200");
    assert_eq!(
        header(&headers, "content-type"),
        "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
    );
    // Field 1 of gnostic's Document: `swagger`, a string of 3 bytes.
    assert!(body.as_bytes().starts_with(b"\x0a\x032.0"), "not a gnostic Document");
    let etag = header(&headers, "etag").to_owned();
    assert!(etag.starts_with('"') && etag.len() > 2, "{headers}");
    let (code, body, _) = get_v2(
        &server,
        &["-H", &format!("Accept: {PROTOBUF}"), "-H", &format!("If-None-Match: {etag}")],
    );
    assert_eq!(code, "304");
    assert!(body.is_empty(), "a 304 has no body");
    let (code, _, _) = get_v2(&server, &["-H", "Accept: application/yaml"]);
    assert_eq!(code, "406");
}

#[test]
fn client_side_apply_merges_containers_by_name_from_v2_patch_metadata() {
    let server = server(&[]);
    let manifest = write(&server, "pair.yaml", TWO_CONTAINERS);
    ok(&server, &["apply", "-f", &manifest]);
    // A change the manifest does not know of: merged by name it stays, replaced it goes.
    let env = r#"[{"op":"add","path":"/spec/template/spec/containers/0/env","value":[{"name":"MODE","value":"fast"}]}]"#;
    ok(&server, &["patch", "deployment", "pair", "--type=json", "-p", env]);
    write(&server, "pair.yaml", &TWO_CONTAINERS.replace("busybox:1.36", "busybox:1.37"));
    let applied = apply_with_v2(&server, &manifest);
    let log = String::from_utf8_lossy(&applied.stderr);
    assert!(applied.status.success(), "{log}");
    assert!(
        log.lines().any(|l| l.contains("GET") && l.contains("/openapi/v2") && l.contains("200 OK")),
        "{log}"
    );
    let pair = json(&server, &["get", "deployment", "pair"]);
    let containers = &pair["spec"]["template"]["spec"]["containers"];
    assert_eq!(containers[0]["name"], "web");
    assert_eq!(containers[0]["env"][0]["name"], "MODE", "{containers}");
    assert_eq!(containers[1]["image"], "busybox:1.37");
}

#[test]
fn a_crd_kind_joins_v2_when_the_crd_is_created() {
    let server = server(&[]);
    let (_, _, headers) = get_v2(&server, &[]);
    let before = header(&headers, "etag").to_owned();
    assert!(swagger(&server)["definitions"].get("com.example.v1.Gadget").is_none());
    let explain = ["explain", "gadgets.spec", "--output=plaintext-openapiv2"];
    fails(&server, &explain);

    let crd = write(&server, "crd.yaml", GADGET_CRD);
    ok(&server, &["apply", "-f", &crd]);
    ok(
        &server,
        &["wait", "--for=condition=Established", "crd/gadgets.example.com", "--timeout=10s"],
    );
    let document = swagger(&server);
    let gadget = &document["definitions"]["com.example.v1.Gadget"];
    assert_eq!(gadget["x-kubernetes-group-version-kind"][0]["kind"], "Gadget", "{gadget}");
    let (_, _, headers) = get_v2(&server, &[]);
    assert_ne!(header(&headers, "etag"), before, "the ETag follows the CRDs");
    let explained = ok(&server, &explain);
    assert!(explained.contains("How many gadgets fit in a box."), "{explained}");
    assert!(explained.contains("port\t<string>"), "{explained}");

    // Client-side apply finds the kind in v2 but no strategic merge patch on its PATCH
    // operation: it sends a JSON merge patch, which custom resources take.
    let gadget = "apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g}\nspec: {size: 1, tags: [a]}\n";
    let manifest = write(&server, "gadget.yaml", gadget);
    ok(&server, &["apply", "-f", &manifest]);
    write(&server, "gadget.yaml", &gadget.replace("size: 1", "size: 2"));
    let applied = apply_with_v2(&server, &manifest);
    assert!(applied.status.success(), "{}", String::from_utf8_lossy(&applied.stderr));
    let stored = json(&server, &["get", "gadget", "g"]);
    assert_eq!(stored["spec"], serde_json::json!({"size": 2, "tags": ["a"]}));
}

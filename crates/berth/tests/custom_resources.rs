//! Black-box: custom resources whose behaviour follows the CRD's structural schema beyond
//! validation: how server-side apply merges their lists and maps (`x-kubernetes-list-type`,
//! `x-kubernetes-list-map-keys`, `x-kubernetes-map-type`) and defaults filled on read, with
//! the real kubectl against a real `berth server`.

mod common;

use berth_testkit::BerthServer;
use common::{fails, json, ok, server, write};
use serde_json::json as object;

/// A CRD `gadgets.example.com` whose `spec` is `spec_schema` (YAML, indented for `spec:`).
fn gadget_crd(spec_schema: &str) -> String {
    format!(
        "\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {{plural: gadgets, singular: gadget, kind: Gadget}}
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
{spec_schema}"
    )
}

const LIST_SCHEMA: &str = "              items:
                type: array
                x-kubernetes-list-type: map
                x-kubernetes-list-map-keys: [name]
                items:
                  type: object
                  required: [name]
                  properties:
                    name: {type: string}
                    value: {type: string}
              args:
                type: array
                items: {type: string}
";

fn install(server: &BerthServer, crd: &str) {
    let path = write(server, "crd.yaml", crd);
    ok(server, &["apply", "-f", &path]);
    ok(
        server,
        &["wait", "--for=condition=Established", "crd/gadgets.example.com", "--timeout=10s"],
    );
}

fn gadget(spec: &str) -> String {
    format!("apiVersion: example.com/v1\nkind: Gadget\nmetadata: {{name: g}}\nspec: {spec}\n")
}

/// Two field managers applying different elements of a `map` list both keep theirs; on a list
/// the schema leaves atomic, the second one's apply conflicts with the first.
#[test]
fn server_side_apply_merges_custom_resource_lists_as_the_crd_declares() {
    let server = server(&[]);
    install(&server, &gadget_crd(LIST_SCHEMA));
    let apply = |manager: &str, spec: &str| {
        let path = write(&server, &format!("{manager}.yaml"), &gadget(spec));
        server
            .kubectl(&["apply", "--server-side", "--field-manager", manager, "-f", &path])
            .expect("kubectl")
    };
    let a = apply("a", "{items: [{name: a, value: '1'}], args: [--a]}");
    assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
    let b = apply("b", "{items: [{name: b, value: '2'}]}");
    assert!(b.status.success(), "{}", String::from_utf8_lossy(&b.stderr));
    let both = json(&server, &["get", "gadget", "g"]);
    assert_eq!(
        both["spec"]["items"],
        object!([{"name": "a", "value": "1"}, {"name": "b", "value": "2"}]),
        "{both}"
    );

    // b re-applies its element with `args`: the atomic list is a's, whole.
    let path = write(&server, "b2.yaml", &gadget("{items: [{name: b, value: '2'}], args: [--b]}"));
    let conflict = fails(&server, &["apply", "--server-side", "--field-manager", "b", "-f", &path]);
    assert!(conflict.contains(r#"conflict with "a": .spec.args"#), "{conflict}");

    // a stops applying its element: only that one goes.
    assert!(apply("a", "{items: [], args: [--a]}").status.success());
    let after = json(&server, &["get", "gadget", "g"]);
    assert_eq!(after["spec"]["items"], object!([{"name": "b", "value": "2"}]), "{after}");
}

/// A default added to the CRD after a custom resource was stored shows on get, list and
/// watch, as Kubernetes fills defaults when it reads from storage.
#[test]
fn defaults_added_to_a_crd_show_on_objects_stored_before() {
    let server = server(&[]);
    let size = "              size: {type: integer}\n";
    install(&server, &gadget_crd(size));
    let path = write(&server, "g.yaml", &gadget("{size: 1}"));
    ok(&server, &["apply", "-f", &path]);
    assert_eq!(json(&server, &["get", "gadget", "g"])["spec"], object!({"size": 1}));

    let mode = "              mode: {type: string, default: slow}\n";
    install(&server, &gadget_crd(&format!("{size}{mode}")));
    let expected = object!({"size": 1, "mode": "slow"});
    assert_eq!(json(&server, &["get", "gadget", "g"])["spec"], expected);
    let listed = json(&server, &["get", "gadgets"]);
    assert_eq!(listed["items"][0]["spec"], expected, "{listed}");
    let path = "/apis/example.com/v1/namespaces/default/gadgets?watch=1&timeoutSeconds=1";
    let watched = ok(&server, &["get", "--raw", path]);
    let event: serde_json::Value =
        serde_json::from_str(watched.lines().next().unwrap_or_default()).expect("an event");
    assert_eq!((&event["type"], &event["object"]["spec"]), (&"ADDED".into(), &expected));

    // A value the object sets is kept.
    let path = write(&server, "fast.yaml", &gadget("{size: 2, mode: fast}"));
    ok(&server, &["apply", "-f", &path]);
    assert_eq!(json(&server, &["get", "gadget", "g"])["spec"]["mode"], "fast");
}

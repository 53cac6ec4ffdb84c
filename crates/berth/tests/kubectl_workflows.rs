//! Black-box: kubectl workflows beyond CRUD against a real `berth server`: describe, edit with
//! `KUBE_EDITOR`, replace, diff, wait, delete with each cascade mode and finalizers.

// These tests drive processes, not an async runtime: blocking sleeps are what they need.
#![allow(clippy::disallowed_methods)]

mod common;

use std::time::{Duration, Instant};

use common::{fails, json, ok, server, write};
use serde_json::Value;

const CONFIGMAP: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  labels: {app: demo}\ndata:\n  mode: fast\n";

#[test]
fn describe_edit_replace_and_diff() {
    let server = server(&[]);
    let path = write(&server, "cm.yaml", CONFIGMAP);
    ok(&server, &["apply", "-f", &path]);

    let described = ok(&server, &["describe", "configmap", "settings"]);
    for needle in ["Name:", "settings", "Labels:", "app=demo", "mode", "fast"] {
        assert!(described.contains(needle), "describe lacks {needle}:\n{described}");
    }

    // edit: kubectl runs $KUBE_EDITOR on a temporary file and sends the difference.
    let editor =
        write(&server, "editor.sh", "#!/bin/sh\nsed -i 's/mode: fast/mode: careful/' \"$1\"\n");
    std::process::Command::new("chmod").args(["+x", &editor]).status().expect("chmod");
    let edited = server
        .kubectl_command()
        .env("KUBE_EDITOR", &editor)
        .args(["edit", "configmap", "settings"])
        .output()
        .expect("kubectl edit");
    assert!(edited.status.success(), "{}", String::from_utf8_lossy(&edited.stderr));
    assert_eq!(json(&server, &["get", "configmap", "settings"])["data"]["mode"], "careful");

    // diff shows the change a manifest would make, through a server-side dry run, and
    // changes nothing.
    let before = json(&server, &["get", "configmap", "settings"]);
    let changed = write(&server, "cm2.yaml", &CONFIGMAP.replace("fast", "slow"));
    let diff = server.kubectl_command().args(["diff", "-f", &changed]).output().expect("diff");
    assert_eq!(diff.status.code(), Some(1), "diff exits 1 when there are differences");
    let text = String::from_utf8_lossy(&diff.stdout);
    assert!(text.contains("-  mode: careful") && text.contains("+  mode: slow"), "{text}");
    let after = json(&server, &["get", "configmap", "settings"]);
    assert_eq!(before["metadata"]["resourceVersion"], after["metadata"]["resourceVersion"]);

    // replace puts the whole object.
    ok(&server, &["replace", "-f", &changed]);
    let replaced = json(&server, &["get", "configmap", "settings"]);
    assert_eq!(replaced["data"]["mode"], "slow");
    assert_ne!(replaced["metadata"]["resourceVersion"], after["metadata"]["resourceVersion"]);
    // A server-side dry run persists nothing.
    let dry = write(&server, "cm3.yaml", &CONFIGMAP.replace("fast", "dry"));
    ok(&server, &["apply", "-f", &dry, "--dry-run=server"]);
    assert_eq!(json(&server, &["get", "configmap", "settings"])["data"]["mode"], "slow");
}

#[test]
fn wait_for_a_condition_and_for_deletion() {
    let server = server(&[]);
    let path = write(&server, "cm.yaml", CONFIGMAP);
    ok(&server, &["apply", "-f", &path]);
    // --for=jsonpath waits on any field; it is true at once here.
    ok(
        &server,
        &["wait", "configmap/settings", "--for=jsonpath={.data.mode}=fast", "--timeout=10s"],
    );
    // --for=delete returns once the object is gone: delete it while kubectl waits.
    let mut waiter = server
        .kubectl_command()
        .args(["wait", "configmap/settings", "--for=delete", "--timeout=20s"])
        .spawn()
        .expect("kubectl wait");
    std::thread::sleep(Duration::from_millis(500));
    ok(&server, &["delete", "configmap", "settings", "--wait=false"]);
    let status = waiter.wait().expect("wait exits");
    assert!(status.success(), "kubectl wait --for=delete");
    // A condition that never holds times out with an error.
    ok(&server, &["apply", "-f", &path]);
    let error = fails(
        &server,
        &["wait", "configmap/settings", "--for=jsonpath={.data.mode}=never", "--timeout=1s"],
    );
    assert!(error.contains("timed out"), "{error}");
}

fn finalizers(object: &Value) -> Vec<String> {
    object["metadata"]["finalizers"]
        .as_array()
        .map(|f| f.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

#[test]
fn finalizers_hold_deletion_and_cascade_modes_mark_it() {
    let server = server(&[]);
    let held = write(
        &server,
        "held.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: held\n  finalizers: [example.com/hold]\ndata: {a: b}\n",
    );
    ok(&server, &["apply", "-f", &held]);
    ok(&server, &["delete", "configmap", "held", "--wait=false"]);
    let marked = json(&server, &["get", "configmap", "held"]);
    assert!(marked["metadata"]["deletionTimestamp"].is_string(), "{marked}");
    // While deleting, no finalizer may be added; removing the last one deletes the object.
    let error = fails(
        &server,
        &[
            "patch",
            "configmap",
            "held",
            "--type=json",
            "-p",
            r#"[{"op":"add","path":"/metadata/finalizers/-","value":"x/y"}]"#,
        ],
    );
    assert!(error.contains("no new finalizers"), "{error}");
    ok(
        &server,
        &[
            "patch",
            "configmap",
            "held",
            "--type=json",
            "-p",
            r#"[{"op":"remove","path":"/metadata/finalizers"}]"#,
        ],
    );
    let gone = fails(&server, &["get", "configmap", "held"]);
    assert!(gone.contains("NotFound"), "{gone}");

    // Foreground and orphan cascades hold the owner with their finalizer (for the garbage
    // collector); background deletes it at once.
    for (name, cascade, finalizer) in [
        ("fg", "foreground", Some("foregroundDeletion")),
        ("or", "orphan", Some("orphan")),
        ("bg", "background", None),
    ] {
        let path = write(&server, &format!("{name}.yaml"), &CONFIGMAP.replace("settings", name));
        ok(&server, &["apply", "-f", &path]);
        ok(
            &server,
            &["delete", "configmap", name, &format!("--cascade={cascade}"), "--wait=false"],
        );
        match finalizer {
            Some(finalizer) => {
                let object = json(&server, &["get", "configmap", name]);
                assert_eq!(finalizers(&object), [finalizer], "{cascade}: {object}");
                assert!(object["metadata"]["deletionTimestamp"].is_string());
            }
            None => assert!(fails(&server, &["get", "configmap", name]).contains("NotFound")),
        }
    }
}

#[test]
fn namespaces_terminate_and_refuse_new_content() {
    let server = server(&[]);
    ok(&server, &["create", "namespace", "doomed"]);
    let path = write(&server, "cm.yaml", CONFIGMAP);
    ok(&server, &["apply", "-n", "doomed", "-f", &path]);
    ok(&server, &["delete", "namespace", "doomed", "--wait=false"]);
    let deadline = Instant::now() + Duration::from_secs(5);
    let namespace = loop {
        let namespace = json(&server, &["get", "namespace", "doomed"]);
        if namespace["status"]["phase"] == "Terminating" || Instant::now() > deadline {
            break namespace;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(namespace["status"]["phase"], "Terminating", "{namespace}");
    let other = write(&server, "cm2.yaml", &CONFIGMAP.replace("settings", "late"));
    let error = fails(&server, &["apply", "-n", "doomed", "-f", &other]);
    assert!(error.contains("because it is being terminated"), "{error}");
    let error = fails(&server, &["apply", "-n", "missing", "-f", &other]);
    assert!(error.contains(r#"namespaces "missing" not found"#), "{error}");
}

#[test]
fn evictions_honour_disruption_budgets() {
    let server = server(&[]);
    let url = server.url().expect("url");
    let pod = |name: &str| {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  labels: {{app: web}}\nspec:\n  containers: [{{name: c, image: busybox}}]\n"
        )
    };
    for name in ["p1", "p2", "p3"] {
        let path = write(&server, &format!("{name}.yaml"), &pod(name));
        ok(&server, &["apply", "-f", &path]);
    }
    for name in ["p1", "p2"] {
        ok(
            &server,
            &[
                "patch",
                "pod",
                name,
                "--subresource=status",
                "--type=merge",
                "-p",
                r#"{"status":{"phase":"Running"}}"#,
            ],
        );
    }
    let pdb = write(
        &server,
        "pdb.yaml",
        "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: web}\nspec:\n  minAvailable: 1\n  selector: {matchLabels: {app: web}}\n",
    );
    ok(&server, &["apply", "-f", &pdb]);
    let evict = |name: &str| {
        let body = format!(
            r#"{{"apiVersion":"policy/v1","kind":"Eviction","metadata":{{"name":"{name}"}}}}"#
        );
        common::curl(&[
            "-X",
            "POST",
            "-H",
            "Content-Type: application/json",
            "-d",
            &body,
            &format!("{url}/api/v1/namespaces/default/pods/{name}/eviction"),
        ])
    };
    // Until the disruption controller has observed the budget, running pods stay.
    let (body, code) = evict("p1");
    assert_eq!(code, "429", "{body}");
    // The controller's view: one disruption allowed.
    let status = r#"{"status":{"observedGeneration":1,"disruptionsAllowed":1,"currentHealthy":2,"desiredHealthy":1,"expectedPods":2}}"#;
    ok(&server, &["patch", "pdb", "web", "--subresource=status", "--type=merge", "-p", status]);
    let (body, code) = evict("p1");
    assert_eq!(code, "201", "{body}");
    assert!(fails(&server, &["get", "pod", "p1"]).contains("NotFound"));
    let budget = json(&server, &["get", "pdb", "web"]);
    assert_eq!(budget["status"]["disruptionsAllowed"], 0);
    assert!(budget["status"]["disruptedPods"]["p1"].is_string(), "{budget}");
    // No disruption left: the next running pod stays, with the reason.
    let (body, code) = evict("p2");
    assert_eq!(code, "429", "{body}");
    assert!(body.contains("needs 1 healthy pods and has 2 currently"), "{body}");
    ok(&server, &["get", "pod", "p2"]);
    // A pod that is not running is evicted without asking the budget.
    let (body, code) = evict("p3");
    assert_eq!(code, "201", "{body}");
}

//! Black-box: the real kubectl (v1.32) against a real `berth server`, on the sqlite store and on
//! a real etcd. Each test starts its own server on a free port with its own data dir.

// These tests drive processes, not an async runtime: blocking sleeps are what they need.
#![allow(clippy::disallowed_methods)]

use std::io::Read;
use std::process::Stdio;
use std::time::Duration;

mod common;

use berth_testkit::{BerthServer, EtcdCluster};
use common::{fails, json, ok, server, stdout, write};
use serde_json::Value;

const DEPLOYMENT: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web, tier: front}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
        ports:
        - containerPort: 80
";

fn the_basics(server: &BerthServer) {
    let version = ok(server, &["version", "-o", "json"]);
    let version: Value = serde_json::from_str(&version).expect("version JSON");
    assert_eq!(version["serverVersion"]["minor"], "32");

    let resources = ok(server, &["api-resources"]);
    for needle in ["deployments", "deploy", "apps/v1", "customresourcedefinitions", "leases"] {
        assert!(resources.contains(needle), "api-resources lacks {needle}:\n{resources}");
    }

    // Client-side apply, twice: the second changes nothing.
    let manifest = write(server, "deploy.yaml", DEPLOYMENT);
    assert!(ok(server, &["apply", "-f", &manifest]).contains("deployment.apps/web created"));
    let first = json(server, &["get", "deployment", "web"]);
    assert!(ok(server, &["apply", "-f", &manifest]).contains("unchanged"));
    let second = json(server, &["get", "deployment", "web"]);
    assert_eq!(first["metadata"]["resourceVersion"], second["metadata"]["resourceVersion"]);
    assert_eq!(first["metadata"]["generation"], 1);
    assert_eq!(first["spec"]["strategy"]["type"], "RollingUpdate");
    assert_eq!(
        first["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"],
        "IfNotPresent"
    );
    assert!(first["metadata"]["uid"].as_str().is_some_and(|u| u.len() == 36));

    // An apply that changes the image keeps the ports (strategic merge by container name).
    let updated = write(server, "deploy2.yaml", &DEPLOYMENT.replace("nginx:1.25", "nginx:1.26"));
    assert!(ok(server, &["apply", "-f", &updated]).contains("configured"));
    let third = json(server, &["get", "deployment", "web"]);
    let container = &third["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(container["image"], "nginx:1.26");
    assert_eq!(container["ports"][0]["containerPort"], 80);
    assert_eq!(third["metadata"]["generation"], 2);

    // label, annotate, patch of each type, scale.
    ok(server, &["label", "deployment", "web", "stage=test"]);
    ok(server, &["annotate", "deployment", "web", "note=hello"]);
    ok(
        server,
        &["patch", "deployment", "web", "--type=merge", "-p", r#"{"spec":{"minReadySeconds":5}}"#],
    );
    ok(
        server,
        &[
            "patch",
            "deployment",
            "web",
            "--type=json",
            "-p",
            r#"[{"op":"replace","path":"/spec/revisionHistoryLimit","value":3}]"#,
        ],
    );
    ok(
        server,
        &[
            "patch",
            "deployment",
            "web",
            "-p",
            r#"{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.27"}]}}}}"#,
        ],
    );
    ok(server, &["scale", "deployment", "web", "--replicas=5"]);
    let patched = json(server, &["get", "deployment", "web"]);
    assert_eq!(patched["metadata"]["labels"]["stage"], "test");
    assert_eq!(patched["metadata"]["annotations"]["note"], "hello");
    assert_eq!(patched["spec"]["minReadySeconds"], 5);
    assert_eq!(patched["spec"]["revisionHistoryLimit"], 3);
    assert_eq!(patched["spec"]["replicas"], 5);
    let container = &patched["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(
        (container["image"].as_str(), container["ports"][0]["containerPort"].as_i64()),
        (Some("nginx:1.27"), Some(80))
    );

    // Selectors.
    let cm = |name: &str, app: &str| {
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  labels: {{app: {app}}}\ndata: {{k: v}}\n"
        )
    };
    for (name, app) in [("a", "red"), ("b", "blue"), ("c", "red")] {
        let path = write(server, &format!("cm-{name}.yaml"), &cm(name, app));
        ok(server, &["apply", "-f", &path]);
    }
    let names = ok(server, &["get", "configmaps", "-l", "app=red", "-o", "name"]);
    assert_eq!(names.lines().collect::<Vec<_>>(), ["configmap/a", "configmap/c"]);
    let names = ok(server, &["get", "configmaps", "-l", "app notin (red)", "-o", "name"]);
    assert_eq!(names.lines().collect::<Vec<_>>(), ["configmap/b"]);
    let names =
        ok(server, &["get", "configmaps", "--field-selector", "metadata.name=b", "-o", "name"]);
    assert_eq!(names.trim(), "configmap/b");
    let chunked = ok(server, &["get", "configmaps", "--chunk-size=1", "-o", "name"]);
    assert_eq!(chunked.lines().count(), 3, "{chunked}");
    let all = ok(server, &["get", "namespaces", "-o", "name"]);
    assert!(all.contains("namespace/kube-system"), "{all}");

    // Errors come back as Kubernetes Status messages.
    let missing = fails(server, &["get", "deployment", "nope"]);
    assert!(missing.contains(r#"deployments.apps "nope" not found"#), "{missing}");
    let bad = fails(server, &["get", "configmaps", "--field-selector", "spec.foo=x"]);
    assert!(bad.contains("field label not supported"), "{bad}");

    // Delete, then it is gone.
    ok(server, &["delete", "configmap", "a"]);
    let gone = fails(server, &["get", "configmap", "a"]);
    assert!(gone.contains("NotFound"), "{gone}");
}

#[test]
fn kubectl_basics_on_sqlite() {
    let server = server(&[]);
    the_basics(&server);
}

#[test]
fn kubectl_basics_on_etcd() {
    let cluster = EtcdCluster::start(1).expect("etcd");
    let endpoint = cluster.endpoints();
    let server = server(&["--datastore-endpoint", &endpoint]);
    the_basics(&server);
}

#[test]
fn kubectl_watch_sees_changes() {
    let server = server(&[]);
    let manifest = write(
        &server,
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: watched}\ndata: {k: v1}\n",
    );
    ok(&server, &["apply", "-f", &manifest]);
    let mut watch = server
        .kubectl_command()
        .args(["get", "configmaps", "-w", "-o", "name", "--request-timeout=20s"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("kubectl get -w");
    std::thread::sleep(Duration::from_millis(500));
    ok(&server, &["patch", "configmap", "watched", "--type=merge", "-p", r#"{"data":{"k":"v2"}}"#]);
    ok(&server, &["delete", "configmap", "watched"]);
    std::thread::sleep(Duration::from_secs(2));
    let _ = watch.kill();
    let _ = watch.wait();
    let mut seen = String::new();
    watch.stdout.take().expect("stdout").read_to_string(&mut seen).expect("read");
    // The initial list, the update and the delete each print a line.
    assert!(seen.lines().filter(|l| l.contains("configmap/watched")).count() >= 3, "{seen}");
}

#[test]
fn kubectl_prints_tables_and_services_get_addresses() {
    let server = server(&["--service-cidr", "198.19.0.0/16"]);
    let manifest = write(&server, "deploy.yaml", DEPLOYMENT);
    ok(&server, &["apply", "-f", &manifest]);
    let table = ok(&server, &["get", "deployments"]);
    let header: Vec<&str> = table.lines().next().unwrap_or_default().split_whitespace().collect();
    assert_eq!(header, ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"], "{table}");
    assert!(
        table.lines().nth(1).is_some_and(|row| row.starts_with("web ") && row.contains("0/2")),
        "{table}"
    );
    let wide = ok(&server, &["get", "deployments", "-o", "wide"]);
    assert!(
        wide.contains("CONTAINERS") && wide.contains("nginx:1.25") && wide.contains("app=web"),
        "{wide}"
    );

    let services = "\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: web-np}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{port: 80, nodePort: 30080}]
---
apiVersion: v1
kind: Service
metadata: {name: headless}
spec:
  clusterIP: None
  selector: {app: web}
  ports: [{port: 80}]
";
    let path = write(&server, "svc.yaml", services);
    ok(&server, &["apply", "-f", &path]);
    let web = json(&server, &["get", "service", "web"]);
    let ip = web["spec"]["clusterIP"].as_str().expect("a cluster IP").to_owned();
    assert!(ip.starts_with("198.19."), "{ip}");
    assert_eq!(web["spec"]["ports"][0]["protocol"], "TCP");
    let np = json(&server, &["get", "service", "web-np"]);
    assert_eq!(np["spec"]["ports"][0]["nodePort"], 30080);
    assert_ne!(np["spec"]["clusterIP"].as_str(), Some(ip.as_str()));
    assert_eq!(json(&server, &["get", "service", "headless"])["spec"]["clusterIP"], "None");
    let table = ok(&server, &["get", "services"]);
    assert!(
        table.contains("CLUSTER-IP") && table.contains("80:30080/TCP") && table.contains(&ip),
        "{table}"
    );

    // A second service may not take a node port in use; after a delete the address is free.
    let clash = write(
        &server,
        "clash.yaml",
        "apiVersion: v1\nkind: Service\nmetadata: {name: clash}\nspec:\n  type: NodePort\n  ports: [{port: 81, nodePort: 30080}]\n",
    );
    let error = fails(&server, &["apply", "-f", &clash]);
    assert!(error.contains("provided port is already allocated"), "{error}");
    ok(&server, &["delete", "service", "web-np"]);
    ok(&server, &["apply", "-f", &clash]);
    // Re-applying an unchanged service keeps its address.
    let only_web = services.split("---").next().unwrap_or_default();
    let only_web = write(&server, "web.yaml", only_web);
    assert!(ok(&server, &["apply", "-f", &only_web]).contains("unchanged"));
    assert_eq!(json(&server, &["get", "service", "web"])["spec"]["clusterIP"], ip.as_str());
}

/// `(manager, operation)` of each `managedFields` entry.
fn managers(object: &Value) -> Vec<(String, String)> {
    let entries = object["metadata"]["managedFields"].as_array().cloned().unwrap_or_default();
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    entries.iter().map(|e| (text(&e["manager"]), text(&e["operation"]))).collect()
}

fn owns(object: &Value, manager: &str) -> bool {
    managers(object).iter().any(|(m, _)| m == manager)
}

/// `kubectl apply --server-side`: field managers, idempotence, conflicts with `kubectl scale`,
/// `--force-conflicts`, and the move from client-side apply.
#[test]
fn kubectl_server_side_apply() {
    let server = server(&[]);
    let get = |name: &str| json(&server, &["get", "deployment", name, "--show-managed-fields"]);
    let manifest = write(&server, "deploy.yaml", DEPLOYMENT);
    let applied = ok(&server, &["apply", "--server-side", "-f", &manifest]);
    assert!(applied.contains("deployment.apps/web serverside-applied"), "{applied}");
    let first = get("web");
    assert_eq!(managers(&first), [("kubectl".to_owned(), "Apply".to_owned())]);
    let fields = &first["metadata"]["managedFields"][0]["fieldsV1"];
    assert!(fields["f:spec"]["f:replicas"].is_object(), "{fields}");

    // The same apply again changes nothing, not even the resourceVersion.
    assert!(
        ok(&server, &["apply", "--server-side", "-f", &manifest]).contains("serverside-applied")
    );
    let second = get("web");
    assert_eq!(first["metadata"]["resourceVersion"], second["metadata"]["resourceVersion"]);

    // `kubectl scale` (no --field-manager: named after its User-Agent, through /scale) takes
    // spec.replicas: applying 2 again conflicts with it.
    ok(&server, &["scale", "deployment", "web", "--replicas=5"]);
    let scaled = get("web");
    let scaler = &scaled["metadata"]["managedFields"][1];
    assert_eq!((&scaler["manager"], &scaler["operation"]), (&"kubectl".into(), &"Update".into()));
    assert_eq!(scaler["subresource"], "scale");
    let conflict = fails(&server, &["apply", "--server-side", "-f", &manifest]);
    let expected = r#"Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" using apps/v1: .spec.replicas"#;
    assert!(conflict.contains(expected), "{conflict}");
    assert_eq!(get("web")["spec"]["replicas"], 5);
    ok(&server, &["apply", "--server-side", "--force-conflicts", "-f", &manifest]);
    let forced = get("web");
    assert_eq!(forced["spec"]["replicas"], 2);
    assert_eq!(
        managers(&forced).len(),
        1,
        "the scaler owned nothing else: {:?}",
        managers(&forced)
    );

    // A new image keeps the ports (containers merge by name); a label no longer applied goes.
    let changed = DEPLOYMENT.replace("nginx:1.25", "nginx:1.26").replace(", tier: front", "");
    let changed = write(&server, "deploy2.yaml", &changed);
    ok(&server, &["apply", "--server-side", "-f", &changed]);
    let third = get("web");
    let container = &third["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(
        (container["image"].as_str(), container["ports"][0]["containerPort"].as_i64()),
        (Some("nginx:1.26"), Some(80))
    );
    assert_eq!(third["metadata"]["labels"], serde_json::json!({"app": "web"}));
    assert_eq!(third["metadata"]["generation"], 4);

    // Client-side apply first, then server-side with another replica count: kubectl takes
    // over what client-side apply last applied without a conflict and migrates its fields.
    let csa = DEPLOYMENT.replace("  name: web\n", "  name: csa\n");
    let csa_path = write(&server, "csa.yaml", &csa);
    ok(&server, &["apply", "-f", &csa_path]);
    assert!(owns(&get("csa"), "kubectl-client-side-apply"), "{:?}", managers(&get("csa")));
    let ssa_path = write(&server, "ssa.yaml", &csa.replace("replicas: 2", "replicas: 3"));
    let moved = server.kubectl(&["apply", "--server-side", "-f", &ssa_path]).expect("kubectl");
    let (out, warnings) = (stdout(&moved), String::from_utf8_lossy(&moved.stderr));
    assert!(out.contains("deployment.apps/csa serverside-applied"), "{out}{warnings}");
    assert!(warnings.is_empty(), "kubectl warns when the migration fails: {warnings}");
    let after = get("csa");
    assert_eq!(after["spec"]["replicas"], 3);
    assert!(owns(&after, "kubectl"), "{:?}", managers(&after));
    assert!(!owns(&after, "kubectl-client-side-apply"), "{:?}", managers(&after));
    let container = &after["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(container["imagePullPolicy"], "IfNotPresent", "defaults come back");
    let again = ok(&server, &["apply", "--server-side", "-f", &ssa_path]);
    assert!(again.contains("serverside-applied"), "{again}");
    assert_eq!(get("csa")["metadata"]["resourceVersion"], after["metadata"]["resourceVersion"]);
}

/// Server-side apply tells ports apart by number and protocol, as Kubernetes does: a DNS
/// Service with port 53 over TCP and UDP applies, re-applies unchanged, and dropping the UDP
/// port from the manifest removes only that one.
#[test]
fn server_side_apply_keys_ports_by_number_and_protocol() {
    let server = server(&[]);
    let service = |ports: &str| {
        format!(
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: dns\nspec:\n  selector:\n    app: dns\n  ports:\n{ports}"
        )
    };
    let both =
        "  - {name: dns-tcp, port: 53, protocol: TCP}\n  - {name: dns, port: 53, protocol: UDP}\n";
    let manifest = write(&server, "dns.yaml", &service(both));
    ok(&server, &["apply", "--server-side", "-f", &manifest]);
    let first = json(&server, &["get", "service", "dns"]);
    assert_eq!(first["spec"]["ports"].as_array().map(Vec::len), Some(2), "{first}");
    let again = ok(&server, &["apply", "--server-side", "-f", &manifest]);
    assert!(again.contains("serverside-applied"), "{again}");
    let second = json(&server, &["get", "service", "dns"]);
    assert_eq!(first["metadata"]["resourceVersion"], second["metadata"]["resourceVersion"]);

    let tcp = write(&server, "dns-tcp.yaml", &service("  - {name: dns-tcp, port: 53}\n"));
    ok(&server, &["apply", "--server-side", "-f", &tcp]);
    let after = json(&server, &["get", "service", "dns", "--show-managed-fields"]);
    let ports = &after["spec"]["ports"];
    assert_eq!(ports.as_array().map(Vec::len), Some(1), "{after}");
    assert_eq!((&ports[0]["port"], &ports[0]["protocol"]), (&53.into(), &"TCP".into()));
    let fields = after["metadata"]["managedFields"][0]["fieldsV1"].to_string();
    assert!(fields.contains(r#"k:{\"port\":53,\"protocol\":\"TCP\"}"#), "{fields}");
}

#[test]
fn kubectl_explain_and_strict_validation() {
    let server = server(&[]);
    let containers = ok(&server, &["explain", "pods.spec.containers"]);
    for needle in [
        "FIELD: containers <[]Container>",
        "List of containers belonging to the pod",
        "image\t<string>",
        "Container image name",
    ] {
        assert!(containers.contains(needle), "explain lacks {needle:?}:\n{containers}");
    }
    let replicas = ok(&server, &["explain", "deployment.spec.replicas"]);
    assert!(replicas.contains("FIELD: replicas <integer>"), "{replicas}");
    assert!(replicas.contains("Number of desired pods"), "{replicas}");

    // kubectl finds `fieldValidation` on the PATCH operation and sends Strict: the server
    // refuses the unknown field.
    let typo = DEPLOYMENT.replace("  replicas: 2\n", "  replicas: 2\n  replicass: 2\n");
    let typo = write(&server, "typo.yaml", &typo);
    let refused = fails(&server, &["apply", "-f", &typo]);
    assert!(refused.contains(r#"unknown field "spec.replicass""#), "{refused}");
    // Ignore: created, without the field.
    ok(&server, &["apply", "--validate=false", "-f", &typo]);
    let stored = json(&server, &["get", "deployment", "web"]);
    assert_eq!(stored["spec"]["replicas"], 2);
    assert!(stored["spec"].get("replicass").is_none(), "{}", stored["spec"]);
    // Warn: the server answers with a Warning header, which kubectl prints.
    let warned = server.kubectl(&["apply", "--validate=warn", "-f", &typo]).expect("kubectl");
    let stderr = String::from_utf8_lossy(&warned.stderr);
    assert!(warned.status.success(), "{stderr}");
    assert!(stderr.contains(r#"Warning: unknown field "spec.replicass""#), "{stderr}");

    // Client-side apply now computes its patch from the published schemas (merge keys):
    // without a warning, and keeping the ports of the container it merges by name.
    let fixed = write(&server, "fixed.yaml", &DEPLOYMENT.replace("nginx:1.25", "nginx:1.26"));
    let applied = server.kubectl(&["apply", "-f", &fixed]).expect("kubectl");
    let stderr = String::from_utf8_lossy(&applied.stderr);
    assert!(applied.status.success() && stderr.is_empty(), "{stderr}");
    let updated = json(&server, &["get", "deployment", "web"]);
    let container = &updated["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(container["image"], "nginx:1.26");
    assert_eq!(container["ports"][0]["containerPort"], 80);
}

/// kubectl's create generators send protobuf bodies (`application/vnd.kubernetes.protobuf`)
/// and never retry with JSON after a 415: each must be stored as the JSON it stands for.
#[test]
fn kubectl_create_generators_send_protobuf() {
    let server = server(&[]);
    let created =
        server.kubectl(&["create", "namespace", "demo", "-v=8"]).expect("kubectl create namespace");
    let log = String::from_utf8_lossy(&created.stderr);
    assert!(created.status.success(), "{log}\nserver log:\n{}", server.log());
    assert!(
        log.contains("Content-Type: application/vnd.kubernetes.protobuf"),
        "kubectl did not send protobuf:\n{log}"
    );
    assert_eq!(json(&server, &["get", "namespace", "demo"])["status"]["phase"], "Active");

    ok(
        &server,
        &["create", "deployment", "web", "--image=nginx:1.27", "--replicas=2", "-n", "demo"],
    );
    let web = json(&server, &["get", "deployment", "web", "-n", "demo"]);
    assert_eq!(web["spec"]["replicas"], 2);
    assert_eq!(web["spec"]["selector"]["matchLabels"]["app"], "web");
    let pod = &web["spec"]["template"];
    assert_eq!(pod["metadata"]["labels"]["app"], "web");
    assert_eq!(pod["spec"]["containers"][0]["image"], "nginx:1.27");
    assert_eq!(pod["spec"]["containers"][0]["name"], "nginx");
    ok(&server, &["create", "deployment", "idle", "--image=nginx:1.27", "--replicas=0"]);
    let idle = json(&server, &["get", "deployment", "idle"]);
    assert_eq!(idle["spec"]["replicas"], 0, "a *int32 set to 0 stays 0");

    ok(&server, &["create", "configmap", "c", "--from-literal=a=b"]);
    assert_eq!(json(&server, &["get", "configmap", "c"])["data"]["a"], "b");
    ok(&server, &["create", "secret", "generic", "s", "--from-literal=p=q"]);
    let secret = json(&server, &["get", "secret", "s"]);
    assert_eq!(secret["data"]["p"], "cQ==");
    assert_eq!(secret["type"], "Opaque");
    ok(&server, &["create", "serviceaccount", "sa1"]);
    assert_eq!(json(&server, &["get", "serviceaccount", "sa1"])["metadata"]["name"], "sa1");

    ok(&server, &["create", "job", "j", "--image=busybox", "--", "echo", "hi"]);
    let job = json(&server, &["get", "job", "j"]);
    let container = &job["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(container["image"], "busybox");
    assert_eq!(container["command"], serde_json::json!(["echo", "hi"]));
    assert_eq!(job["spec"]["template"]["spec"]["restartPolicy"], "Never");

    ok(
        &server,
        &["create", "cronjob", "cj", "--image=busybox", "--schedule=*/5 * * * *", "--", "date"],
    );
    let cron_job = json(&server, &["get", "cronjob", "cj"]);
    assert_eq!(cron_job["spec"]["schedule"], "*/5 * * * *");
    let template = &cron_job["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    assert_eq!(template["containers"][0]["command"], serde_json::json!(["date"]));

    ok(&server, &["create", "service", "clusterip", "svc", "--tcp=80:8080"]);
    let service = json(&server, &["get", "service", "svc"]);
    assert_eq!(service["spec"]["type"], "ClusterIP");
    assert_eq!(service["spec"]["ports"][0]["port"], 80);
    assert_eq!(service["spec"]["ports"][0]["targetPort"], 8080);
    assert_eq!(service["spec"]["ports"][0]["protocol"], "TCP");
    assert_eq!(service["spec"]["selector"]["app"], "svc");
}

/// The schema both versions of the widget CRD share.
const WIDGET_SCHEMA: &str = "
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [size]
            properties:
              size: {type: integer, minimum: 0, description: How big the widget is.}
              mode: {type: string, default: slow}
              replicas: {type: integer}
          status:
            type: object
            properties:
              replicas: {type: integer}
              phase: {type: string}";

fn widget_crd() -> String {
    format!(
        "\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {{plural: widgets, singular: widget, kind: Widget, shortNames: [wd]}}
  versions:
  - name: v1
    served: true
    storage: true
    schema:{WIDGET_SCHEMA}
    subresources:
      status: {{}}
      scale: {{specReplicasPath: .spec.replicas, statusReplicasPath: .status.replicas}}
    additionalPrinterColumns:
    - {{name: Size, type: integer, jsonPath: .spec.size}}
    - {{name: Mode, type: string, jsonPath: .spec.mode}}
    - {{name: Age, type: date, jsonPath: .metadata.creationTimestamp}}
  - name: v1beta1
    served: true
    storage: false
    schema:{WIDGET_SCHEMA}
"
    )
}

fn widget(name: &str, spec: &str) -> String {
    format!("apiVersion: example.com/v1\nkind: Widget\nmetadata: {{name: {name}}}\nspec: {spec}\n")
}

/// CRDs with kubectl: apply, discovery, printer columns, short names, validation, pruning,
/// defaults, scale, status, patches, watch, explain, delete.
#[test]
fn kubectl_custom_resources() {
    let server = server(&[]);
    let crd = write(&server, "crd.yaml", &widget_crd());
    let applied = ok(&server, &["apply", "-f", &crd]);
    assert!(
        applied
            .contains("customresourcedefinition.apiextensions.k8s.io/widgets.example.com created"),
        "{applied}"
    );
    ok(
        &server,
        &["wait", "--for=condition=Established", "crd/widgets.example.com", "--timeout=10s"],
    );
    let definition = json(&server, &["get", "crd", "widgets.example.com"]);
    let conditions = definition["status"]["conditions"].as_array().cloned().unwrap_or_default();
    for kind in ["NamesAccepted", "Established"] {
        assert!(
            conditions.iter().any(|c| c["type"] == kind && c["status"] == "True"),
            "{conditions:?}"
        );
    }
    assert_eq!(definition["status"]["acceptedNames"]["kind"], "Widget");
    let table = ok(&server, &["get", "crds"]);
    assert!(
        table.starts_with("NAME")
            && table.contains("CREATED AT")
            && table.contains("widgets.example.com"),
        "{table}"
    );
    let resources = ok(&server, &["api-resources", "--api-group=example.com"]);
    assert!(
        resources.contains("widgets") && resources.contains("wd") && resources.contains("Widget"),
        "{resources}"
    );

    // Create: defaults filled; printed with the printer columns, found by short name.
    let w1 = write(&server, "w1.yaml", &widget("w1", "{size: 3}"));
    assert!(ok(&server, &["apply", "-f", &w1]).contains("widget.example.com/w1 created"));
    let table = ok(&server, &["get", "widgets"]);
    let header: Vec<&str> = table.lines().next().unwrap_or_default().split_whitespace().collect();
    assert_eq!(header, ["NAME", "SIZE", "MODE", "AGE"], "{table}");
    let row: Vec<&str> = table.lines().nth(1).unwrap_or_default().split_whitespace().collect();
    assert_eq!(row[..3], ["w1", "3", "slow"], "{table}");
    assert!(ok(&server, &["get", "wd", "w1", "-o", "yaml"]).contains("mode: slow"));
    assert!(ok(&server, &["apply", "-f", &w1]).contains("unchanged"));
    let beta =
        ok(&server, &["get", "widgets.v1beta1.example.com", "w1", "-o", "jsonpath={.apiVersion}"]);
    assert_eq!(beta, "example.com/v1beta1");

    // Invalid: 422 naming the field. Unknown: refused (kubectl asks for strict validation),
    // pruned without it.
    let bad = write(&server, "bad.yaml", &widget("bad", "{size: big}"));
    let refused = fails(&server, &["apply", "-f", &bad]);
    assert!(
        refused.contains(r#"The Widget "bad" is invalid: spec.size: Invalid value: "string""#),
        "{refused}"
    );
    let missing = write(&server, "missing.yaml", &widget("missing", "{mode: fast}"));
    assert!(fails(&server, &["apply", "-f", &missing]).contains("spec.size: Required value"));
    let extra = write(&server, "extra.yaml", &widget("extra", "{size: 1, colour: red}"));
    let strict = fails(&server, &["apply", "-f", &extra]);
    assert!(strict.contains(r#"unknown field "spec.colour""#), "{strict}");
    ok(&server, &["apply", "--validate=false", "-f", &extra]);
    let pruned = json(&server, &["get", "widget", "extra"]);
    assert_eq!(pruned["spec"], serde_json::json!({"size": 1, "mode": "slow"}));

    // Scale, status, patches: strategic merge is refused as Kubernetes refuses it.
    assert!(ok(&server, &["scale", "widget", "w1", "--replicas=3"]).contains("scaled"));
    let status = r#"{"status":{"phase":"Ready","replicas":3}}"#;
    ok(&server, &["patch", "widget", "w1", "--subresource=status", "--type=merge", "-p", status]);
    let smp = fails(&server, &["patch", "widget", "w1", "-p", r#"{"spec":{"size":4}}"#]);
    assert!(smp.contains("strategic-merge-patch"), "{smp}");
    ok(
        &server,
        &[
            "patch",
            "widget",
            "w1",
            "--type=merge",
            "-p",
            r#"{"spec":{"size":4},"status":{"phase":"x"}}"#,
        ],
    );
    let w1 = json(&server, &["get", "widget", "w1"]);
    assert_eq!((&w1["spec"]["replicas"], &w1["spec"]["size"]), (&3.into(), &4.into()));
    assert_eq!((&w1["status"]["phase"], &w1["status"]["replicas"]), (&"Ready".into(), &3.into()));
    assert_eq!(w1["metadata"]["generation"], 3);

    // Server-side apply and explain (from the OpenAPI document of example.com/v1).
    let w2 = write(&server, "w2.yaml", &widget("w2", "{size: 2}"));
    assert!(ok(&server, &["apply", "--server-side", "-f", &w2]).contains("serverside-applied"));
    let explained = ok(&server, &["explain", "widgets.spec.size"]);
    assert!(explained.contains("How big the widget is"), "{explained}");

    // Watch sees a change and a delete.
    let mut watch = server
        .kubectl_command()
        .args(["get", "widgets", "-w", "-o", "name", "--request-timeout=20s"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("kubectl get -w");
    std::thread::sleep(Duration::from_millis(500));
    ok(&server, &["patch", "widget", "w2", "--type=merge", "-p", r#"{"spec":{"size":5}}"#]);
    ok(&server, &["delete", "widget", "w2"]);
    std::thread::sleep(Duration::from_secs(2));
    let _ = watch.kill();
    let _ = watch.wait();
    let mut seen = String::new();
    watch.stdout.take().expect("stdout").read_to_string(&mut seen).expect("read");
    assert!(seen.lines().filter(|l| l.contains("widget.example.com/w2")).count() >= 3, "{seen}");

    // Deleting the CRD deletes the widgets left.
    ok(&server, &["delete", "crd", "widgets.example.com"]);
    // kubectl's cached discovery still knows widgets: the server answers 404.
    assert!(fails(&server, &["get", "widgets"]).contains("NotFound"));
    ok(&server, &["apply", "-f", &crd]);
    ok(
        &server,
        &["wait", "--for=condition=Established", "crd/widgets.example.com", "--timeout=10s"],
    );
    assert!(ok(&server, &["get", "widgets", "-o", "name"]).trim().is_empty());
}

#[test]
fn kubectl_cluster_scoped_custom_resources() {
    let server = server(&[]);
    let crd = "\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.example.org}
spec:
  group: example.org
  scope: Cluster
  names: {plural: gadgets, kind: Gadget}
  versions:
  - name: v1alpha1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
";
    let crd = write(&server, "gadgets.yaml", crd);
    ok(&server, &["apply", "-f", &crd]);
    let gadget = "apiVersion: example.org/v1alpha1\nkind: Gadget\nmetadata: {name: g1}\nanything: {goes: here}\n";
    let gadget = write(&server, "g1.yaml", gadget);
    assert!(ok(&server, &["apply", "-f", &gadget]).contains("gadget.example.org/g1 created"));
    let g1 = json(&server, &["get", "gadget", "g1"]);
    assert_eq!(g1["anything"]["goes"], "here");
    assert!(g1["metadata"].get("namespace").is_none(), "{g1}");
    let table = ok(&server, &["get", "gadgets", "-A"]);
    assert!(!table.contains("NAMESPACE") && table.contains("g1"), "{table}");
    ok(&server, &["delete", "gadget", "g1"]);
    assert!(ok(&server, &["get", "gadgets", "-o", "name"]).trim().is_empty());
    ok(&server, &["delete", "-f", &crd]);
}

/// Two API servers on one etcd: a CRD applied through one is served by the other (which
/// follows the CRDs in the store), and deleting it there deletes the widgets made here.
#[test]
fn custom_resources_on_two_servers_sharing_etcd() {
    let cluster = EtcdCluster::start(1).expect("etcd");
    let endpoint = cluster.endpoints();
    let one = server(&["--datastore-endpoint", &endpoint]);
    let two = server(&["--datastore-endpoint", &endpoint]);
    let crd = write(&one, "crd.yaml", &widget_crd());
    ok(&one, &["apply", "-f", &crd]);
    let w1 = write(&two, "w1.yaml", &widget("w1", "{size: 1}"));
    let mut created = None;
    for _ in 0..50 {
        let output = two.kubectl(&["apply", "-f", &w1]).expect("kubectl");
        if output.status.success() {
            created = Some(stdout(&output));
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(created.is_some_and(|c| c.contains("widget.example.com/w1 created")), "{}", two.log());
    assert_eq!(json(&one, &["get", "widget", "w1"])["spec"]["mode"], "slow");
    ok(&two, &["delete", "crd", "widgets.example.com"]);
    assert!(fails(&one, &["get", "widget", "w1"]).contains("NotFound"));
    let left =
        ok(&one, &["get", "--raw", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"]);
    assert!(!left.contains("widgets.example.com"), "{left}");
}

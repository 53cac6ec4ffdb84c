//! Black-box: every `kubectl create` generator of kubectl 1.32 and `kubectl autoscale` against a
//! real `berth server`. kubectl sends each object as protobuf and never retries with JSON, so
//! each is checked as `kubectl get -o json` prints it back.

mod common;

use std::process::Command;

use berth_testkit::BerthServer;
use common::{json, ok, server};
use serde_json::json;

/// kubectl's request log (`-v=8`) for one command, which must succeed.
fn sent(server: &BerthServer, args: &[&str]) -> String {
    let mut all = args.to_vec();
    all.push("-v=8");
    let output = server.kubectl(&all).expect("kubectl");
    let log = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success(),
        "kubectl {}: {log}\nserver log:\n{}",
        args.join(" "),
        server.log()
    );
    log
}

#[test]
fn rbac_generators() {
    let server = server(&[]);
    let log = sent(
        &server,
        &[
            "create",
            "role",
            "reader",
            "--verb=get,list",
            "--resource=pods,deployments.apps",
            "--resource-name=web",
        ],
    );
    assert!(log.contains("Content-Type: application/vnd.kubernetes.protobuf"), "{log}");
    let role = json(&server, &["get", "role", "reader"]);
    assert_eq!(
        role["rules"],
        json!([
            {"verbs": ["get", "list"], "apiGroups": [""], "resources": ["pods"], "resourceNames": ["web"]},
            {"verbs": ["get", "list"], "apiGroups": ["apps"], "resources": ["deployments"], "resourceNames": ["web"]},
        ])
    );

    ok(
        &server,
        &["create", "clusterrole", "monitoring", "--aggregation-rule=example.com/agg=true"],
    );
    let aggregated = json(&server, &["get", "clusterrole", "monitoring"]);
    assert_eq!(
        aggregated["aggregationRule"],
        json!({"clusterRoleSelectors": [{"matchLabels": {"example.com/agg": "true"}}]})
    );
    ok(&server, &["create", "clusterrole", "logs", "--verb=get", "--non-resource-url=/logs/*"]);
    let logs = json(&server, &["get", "clusterrole", "logs"]);
    assert_eq!(logs["rules"], json!([{"verbs": ["get"], "nonResourceURLs": ["/logs/*"]}]));

    let subjects = json!([
        {"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "ann"},
        {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "ops"},
        {"kind": "ServiceAccount", "name": "bot", "namespace": "default"},
    ]);
    let who = ["--user=ann", "--group=ops", "--serviceaccount=default:bot"];
    let mut args = vec!["create", "rolebinding", "rb", "--role=reader"];
    args.extend(who);
    ok(&server, &args);
    let binding = json(&server, &["get", "rolebinding", "rb"]);
    assert_eq!(binding["subjects"], subjects);
    assert_eq!(
        binding["roleRef"],
        json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"})
    );
    let mut args = vec!["create", "clusterrolebinding", "crb", "--clusterrole=monitoring"];
    args.extend(who);
    ok(&server, &args);
    let binding = json(&server, &["get", "clusterrolebinding", "crb"]);
    assert_eq!(binding["subjects"], subjects);
    assert_eq!(binding["roleRef"]["kind"], "ClusterRole");
    assert_eq!(binding["roleRef"]["name"], "monitoring");
}

#[test]
fn quota_pdb_priorityclass_and_autoscale() {
    let server = server(&[]);
    ok(&server, &["create", "quota", "q", "--hard=cpu=1,pods=10", "--scopes=BestEffort"]);
    let quota = json(&server, &["get", "quota", "q"]);
    assert_eq!(
        quota["spec"],
        json!({"hard": {"cpu": "1", "pods": "10"}, "scopes": ["BestEffort"]})
    );

    ok(&server, &["create", "pdb", "by-count", "--selector=app=web", "--min-available=2"]);
    ok(&server, &["create", "pdb", "by-share", "--selector=app=web", "--max-unavailable=50%"]);
    ok(&server, &["create", "pdb", "none", "--selector=app=web", "--min-available=0"]);
    let count = json(&server, &["get", "pdb", "by-count"]);
    assert_eq!(count["spec"]["minAvailable"], 2);
    assert_eq!(count["spec"]["selector"], json!({"matchLabels": {"app": "web"}}));
    let share = json(&server, &["get", "pdb", "by-share"]);
    assert_eq!(share["spec"]["maxUnavailable"], "50%");
    assert!(share["spec"].get("minAvailable").is_none(), "{share}");
    assert_eq!(json(&server, &["get", "pdb", "none"])["spec"]["minAvailable"], 0);

    ok(
        &server,
        &[
            "create",
            "priorityclass",
            "high",
            "--value=1000",
            "--global-default=true",
            "--preemption-policy=Never",
            "--description=important",
        ],
    );
    let high = json(&server, &["get", "priorityclass", "high"]);
    assert_eq!(high["value"], 1000);
    assert_eq!(high["globalDefault"], true);
    assert_eq!(high["preemptionPolicy"], "Never");
    assert_eq!(high["description"], "important");
    ok(&server, &["create", "priorityclass", "zero", "--value=0"]);
    assert_eq!(json(&server, &["get", "priorityclass", "zero"])["value"], 0, "0 is kept");

    // kubectl 1.32 posts an autoscaling/v1 object; it reads back in the preferred v2.
    ok(&server, &["create", "deployment", "web", "--image=nginx:1.27"]);
    let log = sent(
        &server,
        &["autoscale", "deployment", "web", "--min=2", "--max=5", "--cpu-percent=80"],
    );
    assert!(log.contains("/horizontalpodautoscalers"), "{log}");
    let hpa = json(&server, &["get", "hpa", "web"]);
    assert_eq!(hpa["apiVersion"], "autoscaling/v2");
    assert_eq!(hpa["spec"]["minReplicas"], 2);
    assert_eq!(hpa["spec"]["maxReplicas"], 5);
    assert_eq!(
        hpa["spec"]["scaleTargetRef"],
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"})
    );
    assert_eq!(
        hpa["spec"]["metrics"],
        json!([{"type": "Resource", "resource": {
            "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}])
    );
}

#[test]
fn ingress_generator() {
    let server = server(&[]);
    ok(
        &server,
        &[
            "create",
            "ingress",
            "web",
            "--class=nginx",
            "--default-backend=fallback:80",
            "--rule=example.com/api*=api:http,tls=cert",
            "--rule=example.com/=web:8080",
            "--annotation=team=a",
        ],
    );
    let ingress = json(&server, &["get", "ingress", "web"]);
    assert_eq!(ingress["metadata"]["annotations"]["team"], "a");
    assert_eq!(
        ingress["spec"],
        json!({
            "ingressClassName": "nginx",
            "defaultBackend": {"service": {"name": "fallback", "port": {"number": 80}}},
            "rules": [{"host": "example.com", "http": {"paths": [
                {"path": "/api", "pathType": "Prefix",
                 "backend": {"service": {"name": "api", "port": {"name": "http"}}}},
                {"path": "/", "pathType": "Exact",
                 "backend": {"service": {"name": "web", "port": {"number": 8080}}}},
            ]}}],
            "tls": [{"hosts": ["example.com"], "secretName": "cert"}],
        })
    );
}

#[test]
fn secret_service_and_cronjob_variants() {
    let server = server(&[]);
    ok(
        &server,
        &[
            "create",
            "secret",
            "docker-registry",
            "reg",
            "--docker-server=r.example.com",
            "--docker-username=u",
            "--docker-password=p",
        ],
    );
    let registry = json(&server, &["get", "secret", "reg"]);
    assert_eq!(registry["type"], "kubernetes.io/dockerconfigjson");
    assert!(registry["data"][".dockerconfigjson"].as_str().is_some_and(|d| !d.is_empty()));

    let dir = server.scratch();
    let (cert, key) = (dir.join("tls.crt"), dir.join("tls.key"));
    let made = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=t"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl");
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let cert_arg = format!("--cert={}", cert.display());
    let key_arg = format!("--key={}", key.display());
    ok(&server, &["create", "secret", "tls", "tls", &cert_arg, &key_arg]);
    let tls = json(&server, &["get", "secret", "tls"]);
    assert_eq!(tls["type"], "kubernetes.io/tls");
    let keys: Vec<&String> = tls["data"].as_object().expect("data").keys().collect();
    assert_eq!(keys, ["tls.crt", "tls.key"]);

    ok(&server, &["create", "service", "nodeport", "np", "--tcp=80:8080", "--node-port=30080"]);
    let node_port = json(&server, &["get", "service", "np"]);
    assert_eq!(node_port["spec"]["type"], "NodePort");
    assert_eq!(node_port["spec"]["ports"][0]["nodePort"], 30080);
    assert_eq!(node_port["spec"]["ports"][0]["targetPort"], 8080);
    ok(&server, &["create", "service", "loadbalancer", "lb", "--tcp=443:8443"]);
    let balancer = json(&server, &["get", "service", "lb"]);
    assert_eq!(balancer["spec"]["type"], "LoadBalancer");
    assert_eq!(balancer["spec"]["ports"][0]["port"], 443);
    ok(&server, &["create", "service", "externalname", "ext", "--external-name=example.com"]);
    let external = json(&server, &["get", "service", "ext"]);
    assert_eq!(external["spec"]["type"], "ExternalName");
    assert_eq!(external["spec"]["externalName"], "example.com");

    ok(
        &server,
        &[
            "create",
            "cronjob",
            "cj",
            "--image=busybox",
            "--schedule=*/5 * * * *",
            "--restart=OnFailure",
            "--",
            "date",
        ],
    );
    let cron_job = json(&server, &["get", "cronjob", "cj"]);
    let pod = &cron_job["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    assert_eq!(pod["restartPolicy"], "OnFailure");
    ok(&server, &["create", "job", "from-cron", "--from=cronjob/cj"]);
    let job = json(&server, &["get", "job", "from-cron"]);
    assert_eq!(job["metadata"]["ownerReferences"][0]["kind"], "CronJob");
    assert_eq!(job["spec"]["template"]["spec"]["restartPolicy"], "OnFailure");
}

//! What the `kubectl create` generators and `kubectl autoscale` build, each decoded to the
//! JSON kubectl would have sent with `-o json`.

use k8s_pb::api::autoscaling::v2 as autoscaling;
use k8s_pb::api::networking::v1 as networking;
use k8s_pb::api::policy::v1 as policy;
use k8s_pb::api::rbac::v1 as rbac;
use k8s_pb::api::scheduling::v1 as scheduling;

use super::*;

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn rule(verbs: &[&str], groups: &[&str], resources: &[&str]) -> rbac::PolicyRule {
    let strings = |items: &[&str]| items.iter().map(|s| s.to_string()).collect();
    rbac::PolicyRule {
        verbs: strings(verbs),
        api_groups: strings(groups),
        resources: strings(resources),
        ..Default::default()
    }
}

/// `kubectl create role reader --verb=get,list --resource=pods,deployments.apps
/// --resource-name=web`: the core group is an empty string, which a list keeps.
#[test]
fn roles_keep_the_empty_core_group() {
    let mut pods = rule(&["get", "list"], &[""], &["pods"]);
    pods.resource_names = vec!["web".into()];
    let role = rbac::Role {
        metadata: Some(object_meta("reader", &[])),
        rules: vec![pods, rule(&["get", "list"], &["apps"], &["deployments"])],
    };
    let body = envelope("rbac.authorization.k8s.io/v1", "Role", &role);
    let object = decode(&body, def("rbac.authorization.k8s.io", "roles")).expect("decodes");
    assert_eq!(
        object,
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
        "metadata": {"name": "reader"},
        "rules": [
            {"verbs": ["get", "list"], "apiGroups": [""], "resources": ["pods"],
             "resourceNames": ["web"]},
            {"verbs": ["get", "list"], "apiGroups": ["apps"], "resources": ["deployments"]},
        ]})
    );
}

/// `kubectl create clusterrole monitoring --aggregation-rule=…` and one with
/// `--non-resource-url=/logs/*`.
#[test]
fn cluster_roles_with_aggregation_rules_and_urls() {
    let aggregated = rbac::ClusterRole {
        metadata: Some(object_meta("monitoring", &[])),
        rules: vec![],
        aggregation_rule: Some(rbac::AggregationRule {
            cluster_role_selectors: vec![meta::LabelSelector {
                match_labels: labels(&[("rbac.example.com/aggregate-to-monitoring", "true")]),
                match_expressions: vec![],
            }],
        }),
    };
    let clusterroles = def("rbac.authorization.k8s.io", "clusterroles");
    let body = envelope("rbac.authorization.k8s.io/v1", "ClusterRole", &aggregated);
    let object = decode(&body, clusterroles).expect("decodes");
    assert_eq!(
        object["aggregationRule"],
        json!({"clusterRoleSelectors": [
            {"matchLabels": {"rbac.example.com/aggregate-to-monitoring": "true"}}]})
    );
    assert!(object.get("rules").is_none());

    let mut logs = rule(&["get"], &[], &[]);
    logs.non_resource_ur_ls = vec!["/logs/*".into()];
    let urls = rbac::ClusterRole {
        metadata: Some(object_meta("logs", &[])),
        rules: vec![logs],
        aggregation_rule: None,
    };
    let body = envelope("rbac.authorization.k8s.io/v1", "ClusterRole", &urls);
    let object = decode(&body, clusterroles).expect("decodes");
    assert_eq!(object["rules"], json!([{"verbs": ["get"], "nonResourceURLs": ["/logs/*"]}]));
}

/// `kubectl create rolebinding|clusterrolebinding --clusterrole=view --user=ann
/// --serviceaccount=demo:bot --group=ops`.
#[test]
fn bindings_carry_their_subjects_and_role() {
    let subject = |kind: &str, group: &str, name: &str, namespace: &str| rbac::Subject {
        kind: Some(kind.into()),
        api_group: Some(group.into()),
        name: Some(name.into()),
        namespace: Some(namespace.into()),
    };
    let subjects = vec![
        subject("User", "rbac.authorization.k8s.io", "ann", ""),
        subject("Group", "rbac.authorization.k8s.io", "ops", ""),
        subject("ServiceAccount", "", "bot", "demo"),
    ];
    let role_ref = rbac::RoleRef {
        api_group: Some("rbac.authorization.k8s.io".into()),
        kind: Some("ClusterRole".into()),
        name: Some("view".into()),
    };
    let expected_subjects = json!([
        {"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "ann"},
        {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "ops"},
        {"kind": "ServiceAccount", "name": "bot", "namespace": "demo"},
    ]);
    let expected_ref =
        json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"});
    let binding = rbac::RoleBinding {
        metadata: Some(object_meta("b", &[])),
        subjects: subjects.clone(),
        role_ref: Some(role_ref.clone()),
    };
    let body = envelope("rbac.authorization.k8s.io/v1", "RoleBinding", &binding);
    let object = decode(&body, def("rbac.authorization.k8s.io", "rolebindings")).expect("decodes");
    assert_eq!(object["subjects"], expected_subjects);
    assert_eq!(object["roleRef"], expected_ref);
    let binding = rbac::ClusterRoleBinding {
        metadata: Some(object_meta("cb", &[])),
        subjects,
        role_ref: Some(role_ref),
    };
    let body = envelope("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", &binding);
    let clusterrolebindings = def("rbac.authorization.k8s.io", "clusterrolebindings");
    let object = decode(&body, clusterrolebindings).expect("decodes");
    assert_eq!(object["kind"], "ClusterRoleBinding");
    assert_eq!(object["subjects"], expected_subjects);
    assert_eq!(object["roleRef"], expected_ref);
}

/// `kubectl create quota q --hard=cpu=1,pods=10 --scopes=BestEffort`.
#[test]
fn quotas_carry_hard_limits_and_scopes() {
    let quota = core::ResourceQuota {
        metadata: Some(object_meta("q", &[])),
        spec: Some(core::ResourceQuotaSpec {
            hard: BTreeMap::from([("cpu".into(), quantity("1")), ("pods".into(), quantity("10"))]),
            scopes: vec!["BestEffort".into()],
            scope_selector: None,
        }),
        status: Some(core::ResourceQuotaStatus::default()),
    };
    let object =
        decode(&envelope("v1", "ResourceQuota", &quota), def("", "resourcequotas")).expect("ok");
    assert_eq!(
        object["spec"],
        json!({"hard": {"cpu": "1", "pods": "10"}, "scopes": ["BestEffort"]})
    );
    assert_eq!(object["status"], json!({}));
}

/// `kubectl create pdb --min-available=2`, `--max-unavailable=50%`: an IntOrString pointer.
#[test]
fn disruption_budgets_take_numbers_and_percentages() {
    let pdb = |min: Option<IntOrString>, max: Option<IntOrString>| policy::PodDisruptionBudget {
        metadata: Some(object_meta("pdb", &[])),
        spec: Some(policy::PodDisruptionBudgetSpec {
            min_available: min,
            selector: Some(meta::LabelSelector {
                match_labels: labels(&[("app", "web")]),
                match_expressions: vec![],
            }),
            max_unavailable: max,
            unhealthy_pod_eviction_policy: None,
        }),
        status: Some(policy::PodDisruptionBudgetStatus {
            observed_generation: Some(0),
            disruptions_allowed: Some(0),
            current_healthy: Some(0),
            desired_healthy: Some(0),
            expected_pods: Some(0),
            ..Default::default()
        }),
    };
    let pdbs = def("policy", "poddisruptionbudgets");
    let body = envelope("policy/v1", "PodDisruptionBudget", &pdb(Some(int(2)), None));
    let object = decode(&body, pdbs).expect("decodes");
    assert_eq!(
        object["spec"],
        json!({"minAvailable": 2, "selector": {"matchLabels": {"app": "web"}}})
    );
    assert_eq!(object["status"], json!({}));
    let body = envelope("policy/v1", "PodDisruptionBudget", &pdb(None, Some(string("50%"))));
    let object = decode(&body, pdbs).expect("decodes");
    assert_eq!(object["spec"]["maxUnavailable"], "50%");
    assert!(object["spec"].get("minAvailable").is_none());
    let body = envelope("policy/v1", "PodDisruptionBudget", &pdb(Some(int(0)), None));
    let object = decode(&body, pdbs).expect("decodes");
    assert_eq!(object["spec"]["minAvailable"], 0, "a pointer set to zero is set");
}

fn backend(service: &str, port: networking::ServiceBackendPort) -> networking::IngressBackend {
    networking::IngressBackend {
        service: Some(networking::IngressServiceBackend {
            name: Some(service.into()),
            port: Some(port),
        }),
        resource: None,
    }
}

fn port_number(number: i32) -> networking::ServiceBackendPort {
    networking::ServiceBackendPort { name: Some(String::new()), number: Some(number) }
}

/// `kubectl create ingress web --class=nginx --default-backend=fallback:80
/// --rule="example.com/api*=api:http,tls=cert" --rule="example.com/=web:8080"
/// --annotation=a=b`.
#[test]
fn ingresses_carry_rules_backends_and_tls() {
    let path = |path: &str, kind: &str, backend| networking::HttpIngressPath {
        path: Some(path.into()),
        path_type: Some(kind.into()),
        backend: Some(backend),
    };
    let named = networking::ServiceBackendPort { name: Some("http".into()), number: Some(0) };
    let mut metadata = object_meta("web", &[]);
    metadata.annotations = labels(&[("a", "b")]);
    let ingress = networking::Ingress {
        metadata: Some(metadata),
        spec: Some(networking::IngressSpec {
            ingress_class_name: Some("nginx".into()),
            default_backend: Some(backend("fallback", port_number(80))),
            tls: vec![networking::IngressTls {
                hosts: vec!["example.com".into()],
                secret_name: Some("cert".into()),
            }],
            rules: vec![networking::IngressRule {
                host: Some("example.com".into()),
                ingress_rule_value: Some(networking::IngressRuleValue {
                    http: Some(networking::HttpIngressRuleValue {
                        paths: vec![
                            path("/api", "Prefix", backend("api", named)),
                            path("/", "Exact", backend("web", port_number(8080))),
                        ],
                    }),
                }),
            }],
        }),
        status: Some(networking::IngressStatus {
            load_balancer: Some(networking::IngressLoadBalancerStatus::default()),
        }),
    };
    let body = envelope("networking.k8s.io/v1", "Ingress", &ingress);
    let object = decode(&body, def("networking.k8s.io", "ingresses")).expect("decodes");
    assert_eq!(
        object,
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
               "metadata": {"name": "web", "annotations": {"a": "b"}},
               "spec": {
                   "defaultBackend": {"service": {"name": "fallback", "port": {"number": 80}}},
                   "tls": [{"hosts": ["example.com"], "secretName": "cert"}],
                   "rules": [{"host": "example.com", "http": {"paths": [
                       {"path": "/api", "pathType": "Prefix",
                        "backend": {"service": {"name": "api", "port": {"name": "http"}}}},
                       {"path": "/", "pathType": "Exact",
                        "backend": {"service": {"name": "web", "port": {"number": 8080}}}},
                   ]}}],
                   "ingressClassName": "nginx",
               },
               "status": {"loadBalancer": {}}})
    );
}

/// `kubectl create priorityclass`: `value` has no `omitempty`, so 0 stays.
#[test]
fn priority_classes_keep_a_zero_value() {
    let class = |value: i32, global: bool, policy: Option<&str>| scheduling::PriorityClass {
        metadata: Some(object_meta("pc", &[])),
        value: Some(value),
        global_default: Some(global),
        description: Some("important".into()),
        preemption_policy: policy.map(str::to_owned),
    };
    let classes = def("scheduling.k8s.io", "priorityclasses");
    let body = envelope("scheduling.k8s.io/v1", "PriorityClass", &class(1000, true, Some("Never")));
    let object = decode(&body, classes).expect("decodes");
    assert_eq!(
        object,
        json!({"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
               "metadata": {"name": "pc"}, "value": 1000, "globalDefault": true,
               "description": "important", "preemptionPolicy": "Never"})
    );
    let body = envelope("scheduling.k8s.io/v1", "PriorityClass", &class(0, false, None));
    let object = decode(&body, classes).expect("decodes");
    assert_eq!(object["value"], 0);
    assert!(object.get("globalDefault").is_none());
}

/// `kubectl autoscale deployment web --min=2 --max=5 --cpu-percent=80` (autoscaling/v2).
#[test]
fn horizontal_pod_autoscalers_carry_their_metrics() {
    let target = autoscaling::MetricTarget {
        r#type: Some("Utilization".into()),
        average_utilization: Some(80),
        ..Default::default()
    };
    let hpa = autoscaling::HorizontalPodAutoscaler {
        metadata: Some(object_meta("web", &[])),
        spec: Some(autoscaling::HorizontalPodAutoscalerSpec {
            scale_target_ref: Some(autoscaling::CrossVersionObjectReference {
                kind: Some("Deployment".into()),
                name: Some("web".into()),
                api_version: Some("apps/v1".into()),
            }),
            min_replicas: Some(2),
            max_replicas: Some(5),
            metrics: vec![autoscaling::MetricSpec {
                r#type: Some("Resource".into()),
                resource: Some(autoscaling::ResourceMetricSource {
                    name: Some("cpu".into()),
                    target: Some(target),
                }),
                ..Default::default()
            }],
            behavior: Some(autoscaling::HorizontalPodAutoscalerBehavior {
                scale_down: Some(autoscaling::HpaScalingRules {
                    stabilization_window_seconds: Some(0),
                    policies: vec![autoscaling::HpaScalingPolicy {
                        r#type: Some("Percent".into()),
                        value: Some(10),
                        period_seconds: Some(60),
                    }],
                    tolerance: Some(quantity("0.05")),
                    ..Default::default()
                }),
                scale_up: None,
            }),
        }),
        status: Some(autoscaling::HorizontalPodAutoscalerStatus {
            current_replicas: Some(0),
            desired_replicas: Some(0),
            ..Default::default()
        }),
    };
    let body = envelope("autoscaling/v2", "HorizontalPodAutoscaler", &hpa);
    let object = decode(&body, def("autoscaling", "horizontalpodautoscalers")).expect("decodes");
    assert_eq!(
        object["spec"],
        json!({
            "scaleTargetRef": {"kind": "Deployment", "name": "web", "apiVersion": "apps/v1"},
            "minReplicas": 2, "maxReplicas": 5,
            "metrics": [{"type": "Resource", "resource": {
                "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}],
            "behavior": {"scaleDown": {
                "policies": [{"type": "Percent", "value": 10, "periodSeconds": 60}],
                "stabilizationWindowSeconds": 0, "tolerance": "0.05"}},
        })
    );
    assert_eq!(object["status"], json!({}));
}

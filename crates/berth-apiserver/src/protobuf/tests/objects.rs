//! Each kind of the table, as kubectl and typical clients build it, decodes to its JSON.

use super::*;

#[test]
fn namespace_decodes_to_its_json() {
    let namespace = core::Namespace {
        metadata: Some(object_meta("demo", &[])),
        spec: Some(core::NamespaceSpec::default()),
        status: Some(core::NamespaceStatus { phase: Some(String::new()), conditions: vec![] }),
    };
    let body = envelope("v1", "Namespace", &namespace);
    let object = decode(&body, def("", "namespaces")).expect("decodes");
    assert_eq!(
        object,
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "demo"},
               "spec": {}, "status": {}})
    );
}

/// What `kubectl create deployment web --image=nginx:1.27 --replicas=2 --port=80` builds, plus
/// the field kinds with a JSON form of their own.
#[test]
fn deployment_decodes_to_its_json() {
    let labels = [("app", "web")];
    let mut nginx = container("nginx", "nginx:1.27");
    nginx.command = vec!["nginx".into(), "-g".into()];
    nginx.ports = vec![core::ContainerPort {
        name: Some(String::new()),
        container_port: Some(80),
        host_port: Some(0),
        protocol: Some(String::new()),
        host_ip: Some(String::new()),
    }];
    nginx.env = vec![core::EnvVar {
        name: Some("MODE".into()),
        value: Some(String::new()),
        ..Default::default()
    }];
    nginx.resources = Some(core::ResourceRequirements {
        limits: BTreeMap::from([
            ("cpu".into(), quantity("500m")),
            ("memory".into(), quantity("1Gi")),
        ]),
        ..Default::default()
    });
    let mut spec = pod_spec(vec![nginx]);
    spec.volumes = vec![core::Volume {
        name: Some("cache".into()),
        volume_source: Some(core::VolumeSource {
            empty_dir: Some(core::EmptyDirVolumeSource {
                medium: Some(String::new()),
                size_limit: None,
            }),
            ..Default::default()
        }),
    }];
    let deployment = apps::Deployment {
        metadata: Some(object_meta("web", &labels)),
        spec: Some(apps::DeploymentSpec {
            replicas: Some(2),
            revision_history_limit: Some(0),
            selector: Some(meta::LabelSelector {
                match_labels: BTreeMap::from([("app".into(), "web".into())]),
                match_expressions: vec![],
            }),
            template: Some(pod_template(&labels, spec)),
            strategy: Some(apps::DeploymentStrategy {
                r#type: Some("RollingUpdate".into()),
                rolling_update: Some(apps::RollingUpdateDeployment {
                    max_surge: Some(string("25%")),
                    max_unavailable: Some(int(1)),
                }),
            }),
            min_ready_seconds: Some(0),
            paused: Some(false),
            ..Default::default()
        }),
        status: Some(apps::DeploymentStatus {
            observed_generation: Some(0),
            replicas: Some(0),
            updated_replicas: Some(0),
            ready_replicas: Some(0),
            available_replicas: Some(0),
            unavailable_replicas: Some(0),
            ..Default::default()
        }),
    };
    let body = envelope("apps/v1", "Deployment", &deployment);
    let object = decode(&body, def("apps", "deployments")).expect("decodes");
    let expected = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "volumes": [{"name": "cache", "emptyDir": {}}],
                    "containers": [{
                        "name": "nginx", "image": "nginx:1.27", "command": ["nginx", "-g"],
                        "ports": [{"containerPort": 80}],
                        "env": [{"name": "MODE"}],
                        "resources": {"limits": {"cpu": "500m", "memory": "1Gi"}},
                    }],
                },
            },
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": "25%"}},
            "revisionHistoryLimit": 0,
        },
        "status": {},
    });
    assert_eq!(object, expected);
    let keys: Vec<&String> = object.as_object().expect("an object").keys().collect();
    assert_eq!(keys, ["apiVersion", "kind", "metadata", "spec", "status"]);
}

/// A `*int32` set to zero is set: `kubectl create deployment --replicas=0` must stay at 0.
#[test]
fn pointer_zeros_stay_and_plain_zeros_go() {
    let deployment = apps::Deployment {
        metadata: Some(object_meta("web", &[])),
        spec: Some(apps::DeploymentSpec {
            replicas: Some(0),
            min_ready_seconds: Some(0),
            paused: Some(false),
            ..Default::default()
        }),
        status: None,
    };
    let body = envelope("apps/v1", "Deployment", &deployment);
    let object = decode(&body, def("apps", "deployments")).expect("decodes");
    assert_eq!(object["spec"], json!({"replicas": 0}));
}

#[test]
fn secret_bytes_are_base64_and_maps_keep_empty_values() {
    let secret = core::Secret {
        metadata: Some(object_meta("s", &[("empty", "")])),
        data: BTreeMap::from([("p".into(), b"q".to_vec()), ("z".into(), vec![0, 255])]),
        r#type: Some(String::new()),
        immutable: Some(false),
        ..Default::default()
    };
    let object = decode(&envelope("v1", "Secret", &secret), def("", "secrets")).expect("decodes");
    assert_eq!(object["data"], json!({"p": "cQ==", "z": "AP8="}));
    assert_eq!(object["metadata"]["labels"], json!({"empty": ""}));
    assert_eq!(object["immutable"], json!(false), "a *bool set to false stays");
    assert!(object.get("type").is_none(), "an empty plain string is unset");
}

#[test]
fn config_maps_and_service_accounts() {
    let config_map = core::ConfigMap {
        metadata: Some(object_meta("c", &[])),
        data: BTreeMap::from([("a".into(), "b".into())]),
        binary_data: BTreeMap::from([("bin".into(), vec![1, 2, 3])]),
        immutable: None,
    };
    let object =
        decode(&envelope("v1", "ConfigMap", &config_map), def("", "configmaps")).expect("decodes");
    assert_eq!(object["data"], json!({"a": "b"}));
    assert_eq!(object["binaryData"], json!({"bin": "AQID"}));
    let account = core::ServiceAccount {
        metadata: Some(object_meta("sa1", &[])),
        secrets: vec![core::ObjectReference { name: Some("tok".into()), ..Default::default() }],
        image_pull_secrets: vec![core::LocalObjectReference { name: Some("reg".into()) }],
        automount_service_account_token: Some(false),
    };
    let body = envelope("v1", "ServiceAccount", &account);
    let object = decode(&body, def("", "serviceaccounts")).expect("decodes");
    assert_eq!(
        object,
        json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "sa1"},
               "secrets": [{"name": "tok"}], "imagePullSecrets": [{"name": "reg"}],
               "automountServiceAccountToken": false})
    );
}

#[test]
fn object_meta_carries_every_common_field() {
    let mut metadata = object_meta("", &[("a", "1")]);
    metadata.generate_name = Some("web-".into());
    metadata.namespace = Some("demo".into());
    metadata.annotations = BTreeMap::from([("note".into(), "hi".into())]);
    metadata.finalizers = vec!["example.com/keep".into()];
    metadata.creation_timestamp = Some(meta::Time { seconds: Some(1_764_169_445), nanos: Some(0) });
    metadata.deletion_grace_period_seconds = Some(0);
    metadata.owner_references = vec![meta::OwnerReference {
        api_version: Some("apps/v1".into()),
        kind: Some("ReplicaSet".into()),
        name: Some("web-1".into()),
        uid: Some("u-1".into()),
        controller: Some(true),
        block_owner_deletion: Some(false),
    }];
    metadata.managed_fields = vec![meta::ManagedFieldsEntry {
        manager: Some("kubectl".into()),
        operation: Some("Update".into()),
        api_version: Some("v1".into()),
        time: Some(meta::Time { seconds: Some(0), nanos: Some(0) }),
        fields_type: Some("FieldsV1".into()),
        fields_v1: Some(meta::FieldsV1 { raw: Some(br#"{"f:data":{}}"#.to_vec()) }),
        subresource: Some(String::new()),
    }];
    let config_map = core::ConfigMap { metadata: Some(metadata), ..Default::default() };
    let object =
        decode(&envelope("v1", "ConfigMap", &config_map), def("", "configmaps")).expect("decodes");
    assert_eq!(
        object["metadata"],
        json!({
            "generateName": "web-", "namespace": "demo",
            "creationTimestamp": "2025-11-26T15:04:05Z",
            "deletionGracePeriodSeconds": 0,
            "labels": {"a": "1"}, "annotations": {"note": "hi"},
            "ownerReferences": [{"kind": "ReplicaSet", "name": "web-1", "uid": "u-1",
                                 "apiVersion": "apps/v1", "controller": true,
                                 "blockOwnerDeletion": false}],
            "finalizers": ["example.com/keep"],
            "managedFields": [{"manager": "kubectl", "operation": "Update", "apiVersion": "v1",
                               "time": "1970-01-01T00:00:00Z", "fieldsType": "FieldsV1",
                               "fieldsV1": {"f:data": {}}}],
        })
    );
}

/// The pod fields typical clients set, with their inlined structs (`VolumeSource`,
/// `ProbeHandler`, `LocalObjectReference`) and pointer zeros.
#[test]
fn pod_spec_fields_decode() {
    let mut app = container("app", "busybox");
    app.args = vec!["sleep".into(), "1d".into()];
    app.working_dir = Some("/work".into());
    app.image_pull_policy = Some("Always".into());
    app.tty = Some(true);
    app.env = vec![
        core::EnvVar {
            name: Some("PASSWORD".into()),
            value: Some(String::new()),
            value_from: Some(core::EnvVarSource {
                secret_key_ref: Some(core::SecretKeySelector {
                    local_object_reference: Some(core::LocalObjectReference {
                        name: Some("db".into()),
                    }),
                    key: Some("password".into()),
                    optional: Some(false),
                }),
                ..Default::default()
            }),
        },
        core::EnvVar {
            name: Some("NODE".into()),
            value: Some(String::new()),
            value_from: Some(core::EnvVarSource {
                field_ref: Some(core::ObjectFieldSelector {
                    api_version: Some("v1".into()),
                    field_path: Some("spec.nodeName".into()),
                }),
                ..Default::default()
            }),
        },
    ];
    app.env_from = vec![core::EnvFromSource {
        prefix: Some(String::new()),
        config_map_ref: Some(core::ConfigMapEnvSource {
            local_object_reference: Some(core::LocalObjectReference { name: Some("cfg".into()) }),
            optional: None,
        }),
        secret_ref: None,
    }];
    app.resources = Some(core::ResourceRequirements {
        requests: BTreeMap::from([("cpu".into(), quantity("100m"))]),
        ..Default::default()
    });
    app.volume_mounts = vec![core::VolumeMount {
        name: Some("cfg".into()),
        read_only: Some(true),
        mount_path: Some("/etc/cfg".into()),
        sub_path: Some(String::new()),
        sub_path_expr: Some(String::new()),
        ..Default::default()
    }];
    app.liveness_probe = Some(core::Probe {
        handler: Some(core::ProbeHandler {
            http_get: Some(core::HttpGetAction {
                path: Some("/healthz".into()),
                port: Some(string("http")),
                host: Some(String::new()),
                scheme: Some("HTTP".into()),
                http_headers: vec![],
            }),
            ..Default::default()
        }),
        initial_delay_seconds: Some(5),
        timeout_seconds: Some(0),
        period_seconds: Some(10),
        success_threshold: Some(0),
        failure_threshold: Some(0),
        termination_grace_period_seconds: None,
    });
    app.readiness_probe = Some(core::Probe {
        handler: Some(core::ProbeHandler {
            tcp_socket: Some(core::TcpSocketAction { port: Some(int(8080)), host: None }),
            ..Default::default()
        }),
        ..Default::default()
    });
    app.lifecycle = Some(core::Lifecycle {
        pre_stop: Some(core::LifecycleHandler {
            sleep: Some(core::SleepAction { seconds: Some(3) }),
            ..Default::default()
        }),
        ..Default::default()
    });
    app.security_context = Some(core::SecurityContext {
        run_as_user: Some(0),
        allow_privilege_escalation: Some(false),
        capabilities: Some(core::Capabilities { add: vec![], drop: vec!["ALL".into()] }),
        ..Default::default()
    });
    let mut init = container("init", "busybox");
    init.command = vec!["true".into()];
    let mut spec = pod_spec(vec![app]);
    spec.init_containers = vec![init];
    spec.restart_policy = Some("Always".into());
    spec.termination_grace_period_seconds = Some(0);
    spec.active_deadline_seconds = Some(60);
    spec.dns_policy = Some("ClusterFirst".into());
    spec.node_selector = BTreeMap::from([("disk".into(), "ssd".into())]);
    spec.service_account_name = Some("runner".into());
    spec.node_name = Some("node1".into());
    spec.host_network = Some(true);
    spec.priority_class_name = Some("high".into());
    spec.image_pull_secrets = vec![core::LocalObjectReference { name: Some("reg".into()) }];
    spec.security_context = Some(core::PodSecurityContext {
        run_as_non_root: Some(true),
        fs_group: Some(2000),
        supplemental_groups: vec![1, 2],
        ..Default::default()
    });
    spec.tolerations = vec![core::Toleration {
        key: Some("dedicated".into()),
        operator: Some("Equal".into()),
        value: Some("batch".into()),
        effect: Some("NoSchedule".into()),
        toleration_seconds: None,
    }];
    let volume = |name: &str, source: core::VolumeSource| core::Volume {
        name: Some(name.into()),
        volume_source: Some(source),
    };
    spec.volumes = vec![
        volume(
            "cfg",
            core::VolumeSource {
                config_map: Some(core::ConfigMapVolumeSource {
                    local_object_reference: Some(core::LocalObjectReference {
                        name: Some("cfg".into()),
                    }),
                    items: vec![core::KeyToPath {
                        key: Some("a".into()),
                        path: Some("a.txt".into()),
                        mode: Some(0o400),
                    }],
                    default_mode: Some(0o644),
                    optional: None,
                }),
                ..Default::default()
            },
        ),
        volume(
            "tls",
            core::VolumeSource {
                secret: Some(core::SecretVolumeSource {
                    secret_name: Some("tls".into()),
                    ..Default::default()
                }),
                ..Default::default()
            },
        ),
        volume(
            "host",
            core::VolumeSource {
                host_path: Some(core::HostPathVolumeSource {
                    path: Some("/var/log".into()),
                    r#type: Some(String::new()),
                }),
                ..Default::default()
            },
        ),
        volume(
            "data",
            core::VolumeSource {
                persistent_volume_claim: Some(core::PersistentVolumeClaimVolumeSource {
                    claim_name: Some("data".into()),
                    read_only: Some(false),
                }),
                ..Default::default()
            },
        ),
    ];
    let pod = core::Pod {
        metadata: Some(object_meta("p", &[])),
        spec: Some(spec),
        status: Some(core::PodStatus {
            phase: Some(String::new()),
            message: Some(String::new()),
            reason: Some(String::new()),
            host_ip: Some(String::new()),
            pod_ip: Some(String::new()),
            qos_class: Some(String::new()),
            nominated_node_name: Some(String::new()),
            ..Default::default()
        }),
    };
    let object = decode(&envelope("v1", "Pod", &pod), def("", "pods")).expect("decodes");
    let expected = json!({
        "volumes": [
            {"name": "cfg", "configMap": {"name": "cfg", "items": [{"key": "a", "path": "a.txt", "mode": 256}], "defaultMode": 420}},
            {"name": "tls", "secret": {"secretName": "tls"}},
            {"name": "host", "hostPath": {"path": "/var/log", "type": ""}},
            {"name": "data", "persistentVolumeClaim": {"claimName": "data"}},
        ],
        "containers": [{
            "name": "app", "image": "busybox", "args": ["sleep", "1d"], "workingDir": "/work",
            "env": [
                {"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password", "optional": false}}},
                {"name": "NODE", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "spec.nodeName"}}},
            ],
            "resources": {"requests": {"cpu": "100m"}},
            "volumeMounts": [{"name": "cfg", "readOnly": true, "mountPath": "/etc/cfg"}],
            "livenessProbe": {"httpGet": {"path": "/healthz", "port": "http", "scheme": "HTTP"},
                              "initialDelaySeconds": 5, "periodSeconds": 10},
            "readinessProbe": {"tcpSocket": {"port": 8080}},
            "lifecycle": {"preStop": {"sleep": {"seconds": 3}}},
            "imagePullPolicy": "Always",
            "securityContext": {"capabilities": {"drop": ["ALL"]}, "runAsUser": 0, "allowPrivilegeEscalation": false},
            "tty": true,
            "envFrom": [{"configMapRef": {"name": "cfg"}}],
        }],
        "restartPolicy": "Always",
        "terminationGracePeriodSeconds": 0,
        "activeDeadlineSeconds": 60,
        "dnsPolicy": "ClusterFirst",
        "nodeSelector": {"disk": "ssd"},
        "serviceAccountName": "runner",
        "nodeName": "node1",
        "hostNetwork": true,
        "securityContext": {"runAsNonRoot": true, "supplementalGroups": [1, 2], "fsGroup": 2000},
        "imagePullSecrets": [{"name": "reg"}],
        "initContainers": [{"name": "init", "image": "busybox", "command": ["true"], "resources": {}}],
        "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "batch", "effect": "NoSchedule"}],
        "priorityClassName": "high",
    });
    assert_eq!(object["spec"], expected);
    assert_eq!(object["status"], json!({}));
}

/// `kubectl create job` and `kubectl create cronjob`.
#[test]
fn jobs_and_cron_jobs_decode() {
    let mut hi = container("j", "busybox");
    hi.command = vec!["echo".into(), "hi".into()];
    let mut spec = pod_spec(vec![hi]);
    spec.restart_policy = Some("Never".into());
    let job_spec = batch::JobSpec {
        template: Some(pod_template(&[], spec)),
        backoff_limit: Some(0),
        suspend: Some(false),
        ..Default::default()
    };
    let job = batch::Job {
        metadata: Some(object_meta("j", &[])),
        spec: Some(job_spec.clone()),
        status: Some(batch::JobStatus {
            active: Some(0),
            succeeded: Some(0),
            failed: Some(0),
            completed_indexes: Some(String::new()),
            ..Default::default()
        }),
    };
    let object = decode(&envelope("batch/v1", "Job", &job), def("batch", "jobs")).expect("decodes");
    assert_eq!(
        object["spec"],
        json!({"template": {"metadata": {}, "spec": {
                   "containers": [{"name": "j", "image": "busybox", "command": ["echo", "hi"], "resources": {}}],
                   "restartPolicy": "Never"}},
               "backoffLimit": 0, "suspend": false})
    );
    assert_eq!(object["status"], json!({}));
    let cron_job = batch::CronJob {
        metadata: Some(object_meta("cj", &[])),
        spec: Some(batch::CronJobSpec {
            schedule: Some("*/5 * * * *".into()),
            concurrency_policy: Some(String::new()),
            job_template: Some(batch::JobTemplateSpec {
                metadata: Some(object_meta("cj", &[])),
                spec: Some(job_spec),
            }),
            ..Default::default()
        }),
        status: Some(batch::CronJobStatus::default()),
    };
    let object = decode(&envelope("batch/v1", "CronJob", &cron_job), def("batch", "cronjobs"))
        .expect("decodes");
    assert_eq!(object["spec"]["schedule"], "*/5 * * * *");
    assert_eq!(object["spec"]["jobTemplate"]["metadata"], json!({"name": "cj"}));
    let containers = &object["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"];
    assert_eq!(containers[0]["command"], json!(["echo", "hi"]));
}

/// `kubectl create service clusterip svc --tcp=80:8080`.
#[test]
fn services_decode() {
    let port = |name: &str, port: i32, target: IntOrString| core::ServicePort {
        name: Some(name.into()),
        protocol: Some("TCP".into()),
        port: Some(port),
        target_port: Some(target),
        node_port: Some(0),
        app_protocol: None,
    };
    let service = core::Service {
        metadata: Some(object_meta("svc", &[("app", "svc")])),
        spec: Some(core::ServiceSpec {
            ports: vec![port("80-8080", 80, int(8080)), port("web", 443, string("https"))],
            selector: BTreeMap::from([("app".into(), "svc".into())]),
            cluster_ip: Some(String::new()),
            r#type: Some("ClusterIP".into()),
            session_affinity: Some(String::new()),
            load_balancer_ip: Some(String::new()),
            external_name: Some(String::new()),
            external_traffic_policy: Some(String::new()),
            health_check_node_port: Some(0),
            publish_not_ready_addresses: Some(false),
            ..Default::default()
        }),
        status: Some(core::ServiceStatus {
            load_balancer: Some(core::LoadBalancerStatus::default()),
            conditions: vec![],
        }),
    };
    let object =
        decode(&envelope("v1", "Service", &service), def("", "services")).expect("decodes");
    assert_eq!(
        object["spec"],
        json!({"ports": [{"name": "80-8080", "protocol": "TCP", "port": 80, "targetPort": 8080},
                         {"name": "web", "protocol": "TCP", "port": 443, "targetPort": "https"}],
               "selector": {"app": "svc"}, "type": "ClusterIP"})
    );
    assert_eq!(object["status"], json!({"loadBalancer": {}}));
}

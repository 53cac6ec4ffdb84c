//! What typed clients (controllers, operators, client-go's event recorder and leader election)
//! commonly write, each decoded to its JSON.

use k8s_pb::api::coordination::v1 as coordination;
use k8s_pb::api::discovery::v1 as discovery;
use k8s_pb::api::events::v1 as events;
use k8s_pb::api::networking::v1 as networking;
use k8s_pb::api::policy::v1 as policy;

use super::*;

const NOW: i64 = 1_764_169_445;

fn reference(kind: &str, name: &str) -> core::ObjectReference {
    core::ObjectReference {
        kind: Some(kind.into()),
        namespace: Some("demo".into()),
        name: Some(name.into()),
        uid: Some(String::new()),
        api_version: Some("v1".into()),
        resource_version: Some(String::new()),
        field_path: Some(String::new()),
    }
}

pub(super) fn selector(key: &str, value: &str) -> meta::LabelSelector {
    meta::LabelSelector {
        match_labels: BTreeMap::from([(key.into(), value.into())]),
        match_expressions: vec![],
    }
}

pub(super) fn decode_as(
    api_version: &str,
    kind: &str,
    plural: &str,
    object: &impl Message,
) -> Value {
    let group = api_version.rsplit_once('/').map_or("", |(group, _)| group);
    decode(&envelope(api_version, kind, object), def(group, plural)).expect("decodes")
}

/// client-go's event recorder (core/v1) and the events.k8s.io/v1 broadcaster: `MicroTime`
/// keeps microseconds, a zero `Time` is left out.
#[test]
fn events_of_both_groups() {
    let event = core::Event {
        metadata: Some(object_meta("web.1", &[])),
        involved_object: Some(reference("Pod", "web")),
        reason: Some("Scheduled".into()),
        message: Some("assigned".into()),
        source: Some(core::EventSource {
            component: Some("sched".into()),
            host: Some(String::new()),
        }),
        first_timestamp: Some(meta::Time { seconds: Some(NOW), nanos: Some(0) }),
        last_timestamp: Some(meta::Time::default()),
        count: Some(1),
        r#type: Some("Normal".into()),
        event_time: Some(meta::MicroTime { seconds: Some(NOW), nanos: Some(5_000) }),
        action: Some(String::new()),
        reporting_component: Some(String::new()),
        reporting_instance: Some(String::new()),
        ..Default::default()
    };
    let object = decode_as("v1", "Event", "events", &event);
    assert_eq!(
        object,
        json!({"apiVersion": "v1", "kind": "Event", "metadata": {"name": "web.1"},
               "involvedObject": {"kind": "Pod", "namespace": "demo", "name": "web", "apiVersion": "v1"},
               "reason": "Scheduled", "message": "assigned", "source": {"component": "sched"},
               "firstTimestamp": "2025-11-26T15:04:05Z", "count": 1, "type": "Normal",
               "eventTime": "2025-11-26T15:04:05.000005Z"})
    );
    let event = events::Event {
        metadata: Some(object_meta("web.2", &[])),
        event_time: Some(meta::MicroTime { seconds: Some(NOW), nanos: Some(0) }),
        series: Some(events::EventSeries {
            count: Some(2),
            last_observed_time: Some(meta::MicroTime { seconds: Some(NOW), nanos: Some(0) }),
        }),
        reporting_controller: Some("example.com/ctl".into()),
        reporting_instance: Some("ctl-1".into()),
        action: Some("Bind".into()),
        reason: Some("Scheduled".into()),
        regarding: Some(reference("Pod", "web")),
        note: Some("hello".into()),
        r#type: Some("Normal".into()),
        deprecated_source: Some(core::EventSource::default()),
        deprecated_first_timestamp: Some(meta::Time::default()),
        deprecated_last_timestamp: Some(meta::Time::default()),
        deprecated_count: Some(0),
        ..Default::default()
    };
    let object = decode_as("events.k8s.io/v1", "Event", "events", &event);
    assert_eq!(
        object,
        json!({"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": "web.2"},
               "eventTime": "2025-11-26T15:04:05.000000Z",
               "series": {"count": 2, "lastObservedTime": "2025-11-26T15:04:05.000000Z"},
               "reportingController": "example.com/ctl", "reportingInstance": "ctl-1",
               "action": "Bind", "reason": "Scheduled",
               "regarding": {"kind": "Pod", "namespace": "demo", "name": "web", "apiVersion": "v1"},
               "note": "hello", "type": "Normal", "deprecatedSource": {}})
    );
}

/// Leader election's Lease: every field a pointer, so zero transitions stay.
#[test]
fn leases_keep_zero_pointers() {
    let lease = coordination::Lease {
        metadata: Some(object_meta("leader", &[])),
        spec: Some(coordination::LeaseSpec {
            holder_identity: Some("a_1".into()),
            lease_duration_seconds: Some(15),
            acquire_time: Some(meta::MicroTime { seconds: Some(NOW), nanos: Some(123_000) }),
            renew_time: Some(meta::MicroTime { seconds: Some(NOW), nanos: Some(0) }),
            lease_transitions: Some(0),
            ..Default::default()
        }),
    };
    let object = decode_as("coordination.k8s.io/v1", "Lease", "leases", &lease);
    assert_eq!(
        object["spec"],
        json!({"holderIdentity": "a_1", "leaseDurationSeconds": 15,
               "acquireTime": "2025-11-26T15:04:05.000123Z",
               "renewTime": "2025-11-26T15:04:05.000000Z", "leaseTransitions": 0})
    );
}

/// The endpoint controllers' objects: `ready: false` is a pointer and stays.
#[test]
fn endpoint_slices_and_endpoints() {
    let slice = discovery::EndpointSlice {
        metadata: Some(object_meta("web-abc", &[("kubernetes.io/service-name", "web")])),
        address_type: Some("IPv4".into()),
        endpoints: vec![discovery::Endpoint {
            addresses: vec!["10.0.0.5".into()],
            conditions: Some(discovery::EndpointConditions {
                ready: Some(false),
                serving: Some(true),
                terminating: Some(false),
            }),
            target_ref: Some(reference("Pod", "web-1")),
            node_name: Some("n1".into()),
            ..Default::default()
        }],
        ports: vec![discovery::EndpointPort {
            name: Some(String::new()),
            protocol: Some("TCP".into()),
            port: Some(8080),
            app_protocol: None,
        }],
    };
    let object = decode_as("discovery.k8s.io/v1", "EndpointSlice", "endpointslices", &slice);
    assert_eq!(object["addressType"], "IPv4");
    assert_eq!(
        object["endpoints"],
        json!([{"addresses": ["10.0.0.5"],
                "conditions": {"ready": false, "serving": true, "terminating": false},
                "targetRef": {"kind": "Pod", "namespace": "demo", "name": "web-1", "apiVersion": "v1"},
                "nodeName": "n1"}])
    );
    assert_eq!(object["ports"], json!([{"name": "", "protocol": "TCP", "port": 8080}]));

    let address = |ip: &str| core::EndpointAddress {
        ip: Some(ip.into()),
        hostname: Some(String::new()),
        ..Default::default()
    };
    let endpoints = core::Endpoints {
        metadata: Some(object_meta("web", &[])),
        subsets: vec![core::EndpointSubset {
            addresses: vec![address("10.0.0.5")],
            not_ready_addresses: vec![address("10.0.0.6")],
            ports: vec![core::EndpointPort {
                name: Some(String::new()),
                port: Some(8080),
                protocol: Some("TCP".into()),
                app_protocol: None,
            }],
        }],
    };
    let object = decode_as("v1", "Endpoints", "endpoints", &endpoints);
    assert_eq!(
        object["subsets"],
        json!([{"addresses": [{"ip": "10.0.0.5"}], "notReadyAddresses": [{"ip": "10.0.0.6"}],
                "ports": [{"port": 8080, "protocol": "TCP"}]}])
    );
}

/// Limit ranges and network policies; an empty pod selector (every pod) is written as `{}`.
#[test]
fn limit_ranges_and_network_policies() {
    let limits = core::LimitRange {
        metadata: Some(object_meta("limits", &[])),
        spec: Some(core::LimitRangeSpec {
            limits: vec![core::LimitRangeItem {
                r#type: Some("Container".into()),
                default: BTreeMap::from([("cpu".into(), quantity("500m"))]),
                default_request: BTreeMap::from([("cpu".into(), quantity("100m"))]),
                ..Default::default()
            }],
        }),
    };
    let object = decode_as("v1", "LimitRange", "limitranges", &limits);
    assert_eq!(
        object["spec"],
        json!({"limits": [{"type": "Container", "default": {"cpu": "500m"},
                           "defaultRequest": {"cpu": "100m"}}]})
    );
    let policy = networking::NetworkPolicy {
        metadata: Some(object_meta("deny", &[])),
        spec: Some(networking::NetworkPolicySpec {
            pod_selector: Some(meta::LabelSelector::default()),
            ingress: vec![networking::NetworkPolicyIngressRule {
                ports: vec![networking::NetworkPolicyPort {
                    protocol: Some("TCP".into()),
                    port: Some(int(80)),
                    end_port: None,
                }],
                from: vec![networking::NetworkPolicyPeer {
                    namespace_selector: Some(selector("team", "a")),
                    ip_block: Some(networking::IpBlock {
                        cidr: Some("10.0.0.0/8".into()),
                        except: vec!["10.1.0.0/16".into()],
                    }),
                    pod_selector: None,
                }],
            }],
            egress: vec![],
            policy_types: vec!["Ingress".into(), "Egress".into()],
        }),
    };
    let object = decode_as("networking.k8s.io/v1", "NetworkPolicy", "networkpolicies", &policy);
    assert_eq!(
        object["spec"],
        json!({"podSelector": {},
               "ingress": [{"ports": [{"protocol": "TCP", "port": 80}],
                            "from": [{"namespaceSelector": {"matchLabels": {"team": "a"}},
                                      "ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}}]}],
               "policyTypes": ["Ingress", "Egress"]})
    );
}

/// A node as a kubelet registers it: the daemon endpoint's key is `Port`, capital P.
#[test]
fn nodes_decode() {
    let node = core::Node {
        metadata: Some(object_meta("n1", &[("kubernetes.io/hostname", "n1")])),
        spec: Some(core::NodeSpec {
            pod_cidr: Some("10.244.1.0/24".into()),
            pod_cid_rs: vec!["10.244.1.0/24".into()],
            external_id: Some(String::new()),
            provider_id: Some(String::new()),
            unschedulable: Some(true),
            taints: vec![core::Taint {
                key: Some("node.kubernetes.io/unschedulable".into()),
                value: Some(String::new()),
                effect: Some("NoSchedule".into()),
                time_added: Some(meta::Time { seconds: Some(NOW), nanos: Some(0) }),
            }],
            config_source: None,
        }),
        status: Some(core::NodeStatus {
            capacity: BTreeMap::from([("pods".into(), quantity("110"))]),
            phase: Some(String::new()),
            conditions: vec![core::NodeCondition {
                r#type: Some("Ready".into()),
                status: Some("True".into()),
                last_heartbeat_time: Some(meta::Time { seconds: Some(NOW), nanos: Some(0) }),
                last_transition_time: Some(meta::Time::default()),
                reason: Some("KubeletReady".into()),
                message: Some(String::new()),
            }],
            addresses: vec![core::NodeAddress {
                r#type: Some("InternalIP".into()),
                address: Some("192.168.0.10".into()),
            }],
            daemon_endpoints: Some(core::NodeDaemonEndpoints {
                kubelet_endpoint: Some(core::DaemonEndpoint { port: Some(10250) }),
            }),
            node_info: Some(core::NodeSystemInfo {
                machine_id: Some("m".into()),
                kubelet_version: Some("v1.32.0".into()),
                operating_system: Some("linux".into()),
                architecture: Some("amd64".into()),
                ..Default::default()
            }),
            ..Default::default()
        }),
    };
    let object = decode_as("v1", "Node", "nodes", &node);
    assert_eq!(
        object["spec"],
        json!({"podCIDR": "10.244.1.0/24", "unschedulable": true,
               "taints": [{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule",
                           "timeAdded": "2025-11-26T15:04:05Z"}],
               "podCIDRs": ["10.244.1.0/24"]})
    );
    assert_eq!(
        object["status"],
        json!({"capacity": {"pods": "110"},
               "conditions": [{"type": "Ready", "status": "True",
                               "lastHeartbeatTime": "2025-11-26T15:04:05Z", "reason": "KubeletReady"}],
               "addresses": [{"type": "InternalIP", "address": "192.168.0.10"}],
               "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
               "nodeInfo": {"machineID": "m", "kubeletVersion": "v1.32.0",
                            "operatingSystem": "linux", "architecture": "amd64"}})
    );
}

/// Pods with scheduling constraints, and their status with a container that exited 0.
#[test]
fn pod_scheduling_constraints_and_container_statuses() {
    let term = core::PodAffinityTerm {
        label_selector: Some(selector("app", "db")),
        topology_key: Some("kubernetes.io/hostname".into()),
        ..Default::default()
    };
    let mut spec = pod_spec(vec![container("db", "postgres:17")]);
    spec.affinity = Some(core::Affinity {
        pod_anti_affinity: Some(core::PodAntiAffinity {
            required_during_scheduling_ignored_during_execution: vec![term.clone()],
            preferred_during_scheduling_ignored_during_execution: vec![
                core::WeightedPodAffinityTerm { weight: Some(50), pod_affinity_term: Some(term) },
            ],
        }),
        ..Default::default()
    });
    spec.topology_spread_constraints = vec![core::TopologySpreadConstraint {
        max_skew: Some(1),
        topology_key: Some("zone".into()),
        when_unsatisfiable: Some("DoNotSchedule".into()),
        label_selector: Some(selector("app", "db")),
        ..Default::default()
    }];
    spec.readiness_gates =
        vec![core::PodReadinessGate { condition_type: Some("example.com/ready".into()) }];
    let terminated = core::ContainerStateTerminated {
        exit_code: Some(0),
        signal: Some(0),
        reason: Some("Completed".into()),
        message: Some(String::new()),
        started_at: Some(meta::Time::default()),
        finished_at: Some(meta::Time { seconds: Some(NOW), nanos: Some(0) }),
        container_id: Some(String::new()),
    };
    let status = core::PodStatus {
        phase: Some("Succeeded".into()),
        container_statuses: vec![core::ContainerStatus {
            name: Some("db".into()),
            state: Some(core::ContainerState {
                terminated: Some(terminated),
                ..Default::default()
            }),
            last_state: Some(core::ContainerState::default()),
            ready: Some(false),
            restart_count: Some(0),
            image: Some("postgres:17".into()),
            image_id: Some(String::new()),
            container_id: Some(String::new()),
            started: Some(false),
            ..Default::default()
        }],
        ..Default::default()
    };
    let pod = core::Pod {
        metadata: Some(object_meta("db-0", &[])),
        spec: Some(spec),
        status: Some(status),
    };
    let object = decode_as("v1", "Pod", "pods", &pod);
    let term = json!({"labelSelector": {"matchLabels": {"app": "db"}},
                      "topologyKey": "kubernetes.io/hostname"});
    assert_eq!(
        object["spec"]["affinity"],
        json!({"podAntiAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [term],
            "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 50, "podAffinityTerm": term}]}})
    );
    assert_eq!(
        object["spec"]["topologySpreadConstraints"],
        json!([{"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule",
                "labelSelector": {"matchLabels": {"app": "db"}}}])
    );
    assert_eq!(object["spec"]["readinessGates"], json!([{"conditionType": "example.com/ready"}]));
    assert_eq!(
        object["status"]["containerStatuses"],
        json!([{"name": "db",
                "state": {"terminated": {"exitCode": 0, "reason": "Completed",
                                         "finishedAt": "2025-11-26T15:04:05Z"}},
                "lastState": {}, "image": "postgres:17", "started": false}]),
        "exitCode has no omitempty: 0 stays"
    );
}

/// Bodies of subresources: `kubectl drain`'s Eviction and a scheduler's Binding, both posted
/// to a pod.
#[test]
fn eviction_and_binding_bodies() {
    let eviction = policy::Eviction {
        metadata: Some(object_meta("web-1", &[])),
        delete_options: Some(meta::DeleteOptions {
            grace_period_seconds: Some(0),
            dry_run: vec!["All".into()],
            ..Default::default()
        }),
    };
    let object =
        decode(&envelope("policy/v1", "Eviction", &eviction), def("", "pods")).expect("ok");
    assert_eq!(
        object,
        json!({"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "web-1"},
               "deleteOptions": {"gracePeriodSeconds": 0, "dryRun": ["All"]}})
    );
    let binding = core::Binding {
        metadata: Some(object_meta("web-1", &[])),
        target: Some(core::ObjectReference {
            kind: Some("Node".into()),
            name: Some("n1".into()),
            ..Default::default()
        }),
    };
    let object = decode(&envelope("v1", "Binding", &binding), def("", "pods")).expect("ok");
    assert_eq!(object["target"], json!({"kind": "Node", "name": "n1"}));
}

//! Table tests: Endpoints and EndpointSlices from a Service and its pods.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Container, ContainerPort, PodCondition, PodSpec, PodStatus, ServicePort, ServiceSpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;

use super::*;

fn service(target: IntOrString, headless: bool, publish: bool) -> Service {
    Service {
        metadata: ObjectMeta {
            name: Some("web".into()),
            namespace: Some("ns".into()),
            ..ObjectMeta::default()
        },
        spec: Some(ServiceSpec {
            selector: Some(BTreeMap::from([("app".into(), "web".into())])),
            cluster_ip: headless.then(|| "None".into()),
            publish_not_ready_addresses: Some(publish),
            ports: Some(vec![ServicePort {
                name: Some("http".into()),
                port: 80,
                target_port: Some(target),
                ..ServicePort::default()
            }]),
            ..ServiceSpec::default()
        }),
        status: None,
    }
}

fn pod(name: &str, ip: Option<&str>, ready: bool, port_name: &str, port: i32) -> Arc<Pod> {
    Arc::new(Pod {
        metadata: ObjectMeta {
            name: Some(name.into()),
            namespace: Some("ns".into()),
            labels: Some(BTreeMap::from([("app".into(), "web".into())])),
            ..ObjectMeta::default()
        },
        spec: Some(PodSpec {
            node_name: Some("node-1".into()),
            hostname: Some(name.into()),
            subdomain: Some("web".into()),
            containers: vec![Container {
                name: "c".into(),
                ports: Some(vec![ContainerPort {
                    name: Some(port_name.into()),
                    container_port: port,
                    ..ContainerPort::default()
                }]),
                ..Container::default()
            }],
            ..PodSpec::default()
        }),
        status: Some(PodStatus {
            phase: Some("Running".into()),
            pod_ip: ip.map(str::to_owned),
            conditions: Some(vec![PodCondition {
                type_: "Ready".into(),
                status: if ready { "True" } else { "False" }.into(),
                last_transition_time: Some(Time(Timestamp::UNIX_EPOCH)),
                ..PodCondition::default()
            }]),
            ..PodStatus::default()
        }),
    })
}

/// (ready addresses, not-ready addresses, ports) of the single subset.
fn summary(subsets: &[EndpointSubset]) -> (Vec<String>, Vec<String>, Vec<i32>) {
    let ips = |list: &Option<Vec<EndpointAddress>>| {
        list.iter().flatten().map(|a| a.ip.clone()).collect::<Vec<_>>()
    };
    let mut out = (Vec::new(), Vec::new(), Vec::new());
    for s in subsets {
        out.0.extend(ips(&s.addresses));
        out.1.extend(ips(&s.not_ready_addresses));
        out.2.extend(s.ports.iter().flatten().map(|p| p.port));
    }
    out
}

#[test]
#[allow(clippy::type_complexity)] // a table
fn endpoints_from_pods() {
    let named = IntOrString::String("web".into());
    let cases: Vec<(&str, Service, Vec<Arc<Pod>>, (Vec<&str>, Vec<&str>, Vec<i32>))> = vec![
        (
            "ready and not ready",
            service(IntOrString::Int(8080), false, false),
            vec![
                pod("a", Some("10.0.0.1"), true, "web", 8080),
                pod("b", Some("10.0.0.2"), false, "web", 8080),
            ],
            (vec!["10.0.0.1"], vec!["10.0.0.2"], vec![8080]),
        ),
        (
            "pods without an IP do not count",
            service(IntOrString::Int(8080), false, false),
            vec![pod("a", None, true, "web", 8080)],
            (vec![], vec![], vec![]),
        ),
        (
            "publishNotReadyAddresses",
            service(IntOrString::Int(8080), false, true),
            vec![pod("b", Some("10.0.0.2"), false, "web", 8080)],
            (vec!["10.0.0.2"], vec![], vec![8080]),
        ),
        (
            "named target ports resolve per pod",
            service(named.clone(), false, false),
            vec![
                pod("a", Some("10.0.0.1"), true, "web", 8080),
                pod("b", Some("10.0.0.2"), true, "web", 9090),
            ],
            (vec!["10.0.0.1", "10.0.0.2"], vec![], vec![8080, 9090]),
        ),
        (
            "a pod without the named port is left out",
            service(named, false, false),
            vec![pod("a", Some("10.0.0.1"), true, "other", 8080)],
            (vec![], vec![], vec![]),
        ),
    ];
    for (name, service, pods, want) in cases {
        let backends = backends(&service, &pods).expect("a selector");
        let got = summary(&subsets(&backends));
        let want = (
            want.0.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            want.1.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            want.2,
        );
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn headless_services_carry_hostnames_and_no_selector_means_hands_off() {
    let pods = vec![pod("a", Some("10.0.0.1"), true, "web", 80)];
    let headless = backends(&service(IntOrString::Int(80), true, false), &pods).expect("selector");
    assert_eq!(headless[0].hostname.as_deref(), Some("a"));
    assert_eq!(headless[0].node.as_deref(), Some("node-1"));
    let plain = backends(&service(IntOrString::Int(80), false, false), &pods).expect("selector");
    assert_eq!(plain[0].hostname, None);
    let mut manual = service(IntOrString::Int(80), false, false);
    if let Some(spec) = manual.spec.as_mut() {
        spec.selector = None;
    }
    assert!(backends(&manual, &pods).is_none());
}

#[test]
fn slices_hold_at_most_100_endpoints() {
    let pods: Vec<Arc<Pod>> = (0..250)
        .map(|i| {
            pod(
                &format!("p{i}"),
                Some(&format!("10.0.{}.{}", i / 200, i % 200)),
                i % 2 == 0,
                "web",
                80,
            )
        })
        .collect();
    let backends = backends(&service(IntOrString::Int(80), false, false), &pods).expect("selector");
    let slices = crate::endpointslice::slices(&backends);
    let sizes: Vec<usize> = slices.iter().map(|s| s.0.len()).collect();
    assert_eq!(sizes, [100, 100, 50]);
    let ready = slices
        .iter()
        .flat_map(|s| &s.0)
        .filter(|e| e.conditions.as_ref().and_then(|c| c.ready) == Some(true))
        .count();
    assert_eq!(ready, 125);
}

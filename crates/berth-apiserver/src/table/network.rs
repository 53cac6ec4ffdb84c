//! Rows of the networking kinds: Services, Endpoints, EndpointSlices, Ingresses,
//! IngressClasses and NetworkPolicies.

use std::collections::BTreeSet;

use serde_json::Value;

use super::{AGE, NAME, Printer, age, first_of, format_labels, format_selector, int_of, list_of};
use super::{name, or_none, str_of, text, wide};

pub(super) static SERVICE: Printer = Printer {
    columns: &[
        NAME,
        text("Type", "How the service is exposed."),
        text("Cluster-IP", "Virtual IP of the service inside the cluster."),
        text("External-IP", "Addresses the service is reachable at from outside."),
        text("Port(s)", "Ports the service exposes, with node ports."),
        AGE,
        wide("Selector", "Labels of the pods that back the service."),
    ],
    row: service,
};

pub(super) static ENDPOINTS: Printer = Printer {
    columns: &[NAME, text("Endpoints", "Addresses and ports of the endpoints."), AGE],
    row: endpoints,
};

pub(super) static ENDPOINT_SLICE: Printer = Printer {
    columns: &[
        NAME,
        text("AddressType", "Kind of addresses in the slice."),
        text("Ports", "Ports of the endpoints."),
        text("Endpoints", "Addresses of the endpoints."),
        AGE,
    ],
    row: endpoint_slice,
};

pub(super) static INGRESS: Printer = Printer {
    columns: &[
        NAME,
        text("Class", "IngressClass that handles this ingress."),
        text("Hosts", "Hosts the rules match."),
        text("Address", "Addresses of the load balancer."),
        text("Ports", "Ports the ingress listens on."),
        AGE,
    ],
    row: ingress,
};

pub(super) static INGRESS_CLASS: Printer = Printer {
    columns: &[
        NAME,
        text("Controller", "Controller that implements the class."),
        text("Parameters", "Object with extra configuration for the controller."),
        AGE,
    ],
    row: ingress_class,
};

pub(super) static NETWORK_POLICY: Printer = Printer {
    columns: &[NAME, text("Pod-Selector", "Pods the policy applies to."), AGE],
    row: network_policy,
};

fn service(svc: &Value, now: i64) -> Vec<Value> {
    let spec = &svc["spec"];
    let cluster_ip = list_of(&spec["clusterIPs"]).first().map_or("", str_of);
    let cluster_ip = if cluster_ip.is_empty() { str_of(&spec["clusterIP"]) } else { cluster_ip };
    let ports = list_of(&spec["ports"]).iter().map(service_port).collect::<Vec<_>>().join(",");
    vec![
        name(svc),
        str_of(&spec["type"]).into(),
        or_none(cluster_ip).into(),
        external_ip(svc).into(),
        or_none(&ports).into(),
        age(svc, now),
        format_labels(&spec["selector"]).into(),
    ]
}

/// `80/TCP`, or `80:30080/TCP` with a node port.
fn service_port(port: &Value) -> String {
    let protocol = port["protocol"].as_str().unwrap_or("TCP");
    match int_of(&port["nodePort"]) {
        0 => format!("{}/{protocol}", int_of(&port["port"])),
        node_port => format!("{}:{node_port}/{protocol}", int_of(&port["port"])),
    }
}

/// The `External-IP` cell: external IPs, load balancer ingress (`<pending>` until there is
/// one) or the external name.
fn external_ip(svc: &Value) -> String {
    let spec = &svc["spec"];
    let external: Vec<&str> = list_of(&spec["externalIPs"]).iter().map(str_of).collect();
    match str_of(&spec["type"]) {
        "ClusterIP" | "NodePort" if external.is_empty() => "<none>".to_owned(),
        "ClusterIP" | "NodePort" => external.join(","),
        "LoadBalancer" => {
            let mut all = load_balancer(&svc["status"]["loadBalancer"]);
            all.extend(external.iter().map(|ip| (*ip).to_owned()));
            if all.is_empty() { "<pending>".to_owned() } else { all.join(",") }
        }
        "ExternalName" => str_of(&spec["externalName"]).to_owned(),
        _ => "<unknown>".to_owned(),
    }
}

/// The IPs (or else hostnames) of a load balancer status, sorted and without repeats.
fn load_balancer(status: &Value) -> Vec<String> {
    let addresses: BTreeSet<&str> = list_of(&status["ingress"])
        .iter()
        .map(|i| match str_of(&i["ip"]) {
            "" => str_of(&i["hostname"]),
            ip => ip,
        })
        .filter(|a| !a.is_empty())
        .collect();
    addresses.into_iter().map(str::to_owned).collect()
}

fn endpoints(ep: &Value, now: i64) -> Vec<Value> {
    let subsets = list_of(&ep["subsets"]);
    let cell = if subsets.is_empty() {
        "<none>".to_owned()
    } else {
        let mut list = Vec::new();
        for subset in subsets {
            let addresses = list_of(&subset["addresses"]);
            let ports = list_of(&subset["ports"]);
            if ports.is_empty() {
                list.extend(addresses.iter().map(|a| str_of(&a["ip"]).to_owned()));
            }
            for port in ports {
                let port = int_of(&port["port"]);
                list.extend(addresses.iter().map(|a| host_port(str_of(&a["ip"]), port)));
            }
        }
        first_of(&list, list.len(), 3)
    };
    vec![name(ep), cell.into(), age(ep, now)]
}

/// `ip:port`, with brackets around IPv6 addresses.
fn host_port(ip: &str, port: i64) -> String {
    if ip.contains(':') { format!("[{ip}]:{port}") } else { format!("{ip}:{port}") }
}

fn endpoint_slice(slice: &Value, now: i64) -> Vec<Value> {
    let ports: Vec<String> = list_of(&slice["ports"])
        .iter()
        .map(|p| match (p["port"].as_i64(), p["name"].as_str()) {
            (Some(port), _) => port.to_string(),
            (None, Some(name)) => name.to_owned(),
            (None, None) => "*".to_owned(),
        })
        .collect();
    let addresses: Vec<String> = list_of(&slice["endpoints"])
        .iter()
        .flat_map(|e| list_of(&e["addresses"]).iter().map(|a| str_of(a).to_owned()))
        .collect();
    let unset = |s: String| if s.is_empty() { "<unset>".to_owned() } else { s };
    vec![
        name(slice),
        str_of(&slice["addressType"]).into(),
        unset(first_of(&ports, ports.len(), 3)).into(),
        unset(first_of(&addresses, addresses.len(), 3)).into(),
        age(slice, now),
    ]
}

fn ingress(ing: &Value, now: i64) -> Vec<Value> {
    let spec = &ing["spec"];
    let rules = list_of(&spec["rules"]);
    // As kubectl counts: once three hosts are shown, every further rule is "more".
    let (mut hosts, mut more) = (Vec::new(), false);
    for rule in rules {
        more |= hosts.len() == 3;
        if !more && !str_of(&rule["host"]).is_empty() {
            hosts.push(str_of(&rule["host"]));
        }
    }
    let hosts = match hosts.join(",") {
        shown if shown.is_empty() => "*".to_owned(),
        shown if more => format!("{shown} + {} more...", rules.len() - 3),
        shown => shown,
    };
    let ports = if list_of(&spec["tls"]).is_empty() { "80" } else { "80, 443" };
    vec![
        name(ing),
        spec["ingressClassName"].as_str().unwrap_or("<none>").into(),
        hosts.into(),
        load_balancer(&ing["status"]["loadBalancer"]).join(",").into(),
        ports.into(),
        age(ing, now),
    ]
}

fn ingress_class(class: &Value, now: i64) -> Vec<Value> {
    let parameters = &class["spec"]["parameters"];
    let parameters = if parameters.is_object() {
        let kind = match parameters["apiGroup"].as_str() {
            Some(group) => format!("{}.{group}", str_of(&parameters["kind"])),
            None => str_of(&parameters["kind"]).to_owned(),
        };
        format!("{kind}/{}", str_of(&parameters["name"]))
    } else {
        "<none>".to_owned()
    };
    let controller = str_of(&class["spec"]["controller"]);
    vec![name(class), controller.into(), parameters.into(), age(class, now)]
}

fn network_policy(policy: &Value, now: i64) -> Vec<Value> {
    vec![name(policy), format_selector(&policy["spec"]["podSelector"]).into(), age(policy, now)]
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const NOW: i64 = 1_800_000_000;

    #[test]
    fn service_ports_and_addresses() {
        let svc = json!({"metadata": {"name": "web"}, "spec": {
            "type": "NodePort", "clusterIP": "10.96.0.10", "clusterIPs": ["10.96.0.10"],
            "selector": {"app": "web"},
            "ports": [{"port": 80, "nodePort": 30080, "protocol": "TCP"},
                      {"port": 53, "protocol": "UDP"}]}});
        let row = service(&svc, NOW);
        assert_eq!(
            row,
            [json!("web"), json!("NodePort"), json!("10.96.0.10"), json!("<none>")]
                .into_iter()
                .chain([json!("80:30080/TCP,53/UDP"), json!("<unknown>"), json!("app=web")])
                .collect::<Vec<_>>()
        );
        let headless = json!({"spec": {"type": "ClusterIP", "clusterIP": "None"}});
        assert_eq!(
            service(&headless, NOW)[2..5],
            [json!("None"), json!("<none>"), json!("<none>")]
        );
        assert_eq!(service_port(&json!({"port": 443})), "443/TCP");
    }

    #[test]
    fn load_balancer_external_ip() {
        let pending = json!({"spec": {"type": "LoadBalancer"}});
        assert_eq!(external_ip(&pending), "<pending>");
        let ready = json!({"spec": {"type": "LoadBalancer", "externalIPs": ["9.9.9.9"]},
                           "status": {"loadBalancer": {"ingress": [{"ip": "5.6.7.8"},
                                                                   {"hostname": "lb.example"},
                                                                   {"ip": "1.2.3.4"}]}}});
        assert_eq!(external_ip(&ready), "1.2.3.4,5.6.7.8,lb.example,9.9.9.9");
        let named = json!({"spec": {"type": "ExternalName", "externalName": "db.example"}});
        assert_eq!(external_ip(&named), "db.example");
    }

    #[test]
    fn endpoints_show_three_and_count_the_rest() {
        let ep = json!({"subsets": [{"addresses": [{"ip": "10.0.0.1"}, {"ip": "10.0.0.2"},
                                                  {"ip": "fd00::3"}, {"ip": "10.0.0.4"}],
                                     "ports": [{"port": 8080}]}]});
        assert_eq!(
            endpoints(&ep, NOW)[1],
            "10.0.0.1:8080,10.0.0.2:8080,[fd00::3]:8080 + 1 more..."
        );
        assert_eq!(endpoints(&json!({}), NOW)[1], "<none>");
    }

    #[test]
    fn ingress_hosts_and_ports() {
        let ing = json!({"spec": {"ingressClassName": "nginx", "tls": [{}],
                                  "rules": [{"host": "a.example"}, {}, {"host": "b.example"}]}});
        assert_eq!(
            ingress(&ing, NOW)[1..5],
            [json!("nginx"), json!("a.example,b.example"), json!(""), json!("80, 443")]
        );
        assert_eq!(ingress(&json!({}), NOW)[1..3], [json!("<none>"), json!("*")]);
        let many = json!({"spec": {"rules": [{"host": "a"}, {}, {"host": "b"}, {"host": "c"},
                                             {"host": "d"}, {"host": "e"}]}});
        assert_eq!(ingress(&many, NOW)[2], "a,b,c + 3 more...");
    }
}

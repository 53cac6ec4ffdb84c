//! Rows of the cluster-level and configuration kinds: Namespaces, Nodes, ConfigMaps, Secrets,
//! ServiceAccounts, ResourceQuotas, Events (core and `events.k8s.io`), Leases,
//! PriorityClasses and RBAC bindings.

use std::collections::BTreeSet;

use serde_json::Value;

use super::{AGE, Column, NAME, Printer, age, col, condition_true, int_of, integer, list_of};
use super::{name, or_none, since, str_of, text, wide};

pub(super) static NAMESPACE: Printer =
    Printer { columns: &[NAME, text("Status", "Phase of the namespace."), AGE], row: namespace };

pub(super) static NODE: Printer = Printer {
    columns: &[
        NAME,
        text("Status", "Readiness of the node, and whether pods may be scheduled on it."),
        text("Roles", "Roles from the node's role labels."),
        AGE,
        text("Version", "Version of the node's kubelet."),
        wide("Internal-IP", "First internal address of the node."),
        wide("External-IP", "First external address of the node."),
        wide("OS-Image", "Operating system image of the node."),
        wide("Kernel-Version", "Kernel version of the node."),
        wide("Container-Runtime", "Container runtime and its version."),
    ],
    row: node,
};

pub(super) static CONFIG_MAP: Printer = Printer {
    columns: &[NAME, text("Data", "Number of keys in data and binaryData."), AGE],
    row: config_map,
};

pub(super) static SECRET: Printer = Printer {
    columns: &[
        NAME,
        text("Type", "Type of the secret's contents."),
        text("Data", "Number of keys in data."),
        AGE,
    ],
    row: secret,
};

pub(super) static SERVICE_ACCOUNT: Printer = Printer {
    columns: &[NAME, text("Secrets", "Number of secrets listed on the account."), AGE],
    row: service_account,
};

pub(super) static RESOURCE_QUOTA: Printer = Printer {
    columns: &[
        NAME,
        text("Request", "Used and hard limits of every quota but the limits.* ones."),
        text("Limit", "Used and hard limits of the limits.* quotas."),
        AGE,
    ],
    row: resource_quota,
};

const EVENT_COLUMNS: &[Column] = &[
    text("Last Seen", "Time since the event last happened."),
    text("Type", "Normal or Warning."),
    text("Reason", "Short, machine-readable cause of the event."),
    text("Object", "Object the event is about."),
    wide("Subobject", "Part of the object the event is about."),
    wide("Source", "Component that reported the event."),
    text("Message", "What happened, for humans."),
    wide("First Seen", "Time since the event first happened."),
    wide("Count", "How many times the event happened."),
    Column { priority: 1, ..NAME },
];

pub(super) static EVENT: Printer = Printer { columns: EVENT_COLUMNS, row: core_event };

pub(super) static EVENTS_V1_EVENT: Printer =
    Printer { columns: EVENT_COLUMNS, row: events_v1_event };

pub(super) static LEASE: Printer = Printer {
    columns: &[NAME, text("Holder", "Identity of the lease's current holder."), AGE],
    row: lease,
};

pub(super) static PRIORITY_CLASS: Printer = Printer {
    columns: &[
        NAME,
        integer("Value", "Priority of the pods in this class."),
        col("Global-Default", "boolean", 0, "Whether pods without a class get this one."),
        AGE,
        text("PreemptionPolicy", "Whether these pods may preempt lower-priority pods."),
    ],
    row: priority_class,
};

/// RoleBindings and ClusterRoleBindings.
pub(super) static ROLE_BINDING: Printer = Printer {
    columns: &[
        NAME,
        text("Role", "Role or ClusterRole the binding grants."),
        AGE,
        wide("Users", "Users the binding grants the role to."),
        wide("Groups", "Groups the binding grants the role to."),
        wide("ServiceAccounts", "Service accounts the binding grants the role to."),
    ],
    row: role_binding,
};

fn namespace(ns: &Value, now: i64) -> Vec<Value> {
    vec![name(ns), str_of(&ns["status"]["phase"]).into(), age(ns, now)]
}

fn node(node: &Value, now: i64) -> Vec<Value> {
    let status = &node["status"];
    let ready = list_of(&status["conditions"]).iter().any(|c| c["type"] == "Ready");
    let mut state = match (ready, condition_true(&status["conditions"], "Ready")) {
        (false, _) => "Unknown",
        (true, true) => "Ready",
        (true, false) => "NotReady",
    }
    .to_owned();
    if node["spec"]["unschedulable"] == true {
        state.push_str(",SchedulingDisabled");
    }
    let info = &status["nodeInfo"];
    let unknown = |field: &str| match str_of(&info[field]) {
        "" => "<unknown>".to_owned(),
        v => v.to_owned(),
    };
    vec![
        name(node),
        state.into(),
        roles(node).into(),
        age(node, now),
        str_of(&info["kubeletVersion"]).into(),
        address(node, "InternalIP").into(),
        address(node, "ExternalIP").into(),
        unknown("osImage").into(),
        unknown("kernelVersion").into(),
        unknown("containerRuntimeVersion").into(),
    ]
}

/// Roles from `node-role.kubernetes.io/<role>` label keys and `kubernetes.io/role` values.
fn roles(node: &Value) -> String {
    let Some(labels) = node["metadata"]["labels"].as_object() else {
        return "<none>".to_owned();
    };
    let roles: BTreeSet<&str> = labels
        .iter()
        .filter_map(|(key, value)| match key.strip_prefix("node-role.kubernetes.io/") {
            Some(role) => Some(role),
            None if key == "kubernetes.io/role" => value.as_str(),
            None => None,
        })
        .filter(|role| !role.is_empty())
        .collect();
    or_none(&roles.into_iter().collect::<Vec<_>>().join(","))
}

/// The first address of a type in `status.addresses`, or `<none>`.
fn address(node: &Value, kind: &str) -> String {
    let found = list_of(&node["status"]["addresses"]).iter().find(|a| a["type"] == kind);
    or_none(found.map_or("", |a| str_of(&a["address"])))
}

fn config_map(cm: &Value, now: i64) -> Vec<Value> {
    let keys = |v: &Value| v.as_object().map_or(0, |m| m.len());
    let count = keys(&cm["data"]) + keys(&cm["binaryData"]);
    vec![name(cm), (count as i64).into(), age(cm, now)]
}

fn secret(secret: &Value, now: i64) -> Vec<Value> {
    let count = secret["data"].as_object().map_or(0, |m| m.len());
    let kind = str_of(&secret["type"]);
    vec![name(secret), kind.into(), (count as i64).into(), age(secret, now)]
}

fn service_account(sa: &Value, now: i64) -> Vec<Value> {
    vec![name(sa), (list_of(&sa["secrets"]).len() as i64).into(), age(sa, now)]
}

fn resource_quota(quota: &Value, now: i64) -> Vec<Value> {
    let status = &quota["status"];
    let mut resources: Vec<&String> =
        status["hard"].as_object().map_or(vec![], |m| m.keys().collect());
    resources.sort();
    let (mut requests, mut limits) = (Vec::new(), Vec::new());
    for resource in resources {
        let used = status["used"][resource.as_str()].as_str().unwrap_or("0");
        let hard = str_of(&status["hard"][resource.as_str()]);
        let entry = format!("{resource}: {used}/{hard}");
        if resource.starts_with("limits.") {
            limits.push(entry);
        } else {
            requests.push(entry);
        }
    }
    vec![name(quota), requests.join(", ").into(), limits.join(", ").into(), age(quota, now)]
}

/// Where a core/v1 Event and an `events.k8s.io/v1` Event keep the fields the row shows.
struct EventFields {
    first: &'static str,
    last: &'static str,
    count: &'static str,
    regarding: &'static str,
    message: &'static str,
    source: &'static str,
    controller: &'static str,
}

fn core_event(event: &Value, now: i64) -> Vec<Value> {
    let fields = EventFields {
        first: "firstTimestamp",
        last: "lastTimestamp",
        count: "count",
        regarding: "involvedObject",
        message: "message",
        source: "source",
        controller: "reportingComponent",
    };
    event_row(event, now, &fields)
}

fn events_v1_event(event: &Value, now: i64) -> Vec<Value> {
    let fields = EventFields {
        first: "deprecatedFirstTimestamp",
        last: "deprecatedLastTimestamp",
        count: "deprecatedCount",
        regarding: "regarding",
        message: "note",
        source: "deprecatedSource",
        controller: "reportingController",
    };
    event_row(event, now, &fields)
}

fn event_row(event: &Value, now: i64, f: &EventFields) -> Vec<Value> {
    let set = |v: &Value| v.as_str().is_some_and(|s| !s.is_empty());
    let first = if set(&event[f.first]) { &event[f.first] } else { &event["eventTime"] };
    let first = since(first, now);
    let mut last = if set(&event[f.last]) { since(&event[f.last], now) } else { first.clone() };
    let mut count = int_of(&event[f.count]);
    let series = &event["series"];
    if series.is_object() {
        last = since(&series["lastObservedTime"], now);
        count = int_of(&series["count"]);
    } else if count == 0 {
        count = 1;
    }
    let regarding = &event[f.regarding];
    let kind = str_of(&regarding["kind"]).to_lowercase();
    let object = match str_of(&regarding["name"]) {
        "" => kind,
        name => format!("{kind}/{name}"),
    };
    let source = &event[f.source];
    let component = first_set(str_of(&source["component"]), str_of(&event[f.controller]));
    let instance = first_set(str_of(&source["host"]), str_of(&event["reportingInstance"]));
    let source =
        if instance.is_empty() { component.to_owned() } else { format!("{component}, {instance}") };
    vec![
        last.into(),
        str_of(&event["type"]).into(),
        str_of(&event["reason"]).into(),
        object.into(),
        str_of(&regarding["fieldPath"]).into(),
        source.into(),
        str_of(&event[f.message]).trim().into(),
        first.into(),
        count.into(),
        name(event),
    ]
}

fn first_set<'a>(a: &'a str, b: &'a str) -> &'a str {
    if a.is_empty() { b } else { a }
}

fn lease(lease: &Value, now: i64) -> Vec<Value> {
    vec![name(lease), str_of(&lease["spec"]["holderIdentity"]).into(), age(lease, now)]
}

fn priority_class(pc: &Value, now: i64) -> Vec<Value> {
    vec![
        name(pc),
        int_of(&pc["value"]).into(),
        (pc["globalDefault"] == true).into(),
        age(pc, now),
        str_of(&pc["preemptionPolicy"]).into(),
    ]
}

fn role_binding(binding: &Value, now: i64) -> Vec<Value> {
    let role = &binding["roleRef"];
    let (mut users, mut groups, mut accounts) = (Vec::new(), Vec::new(), Vec::new());
    for subject in list_of(&binding["subjects"]) {
        let subject_name = str_of(&subject["name"]);
        match str_of(&subject["kind"]) {
            "User" => users.push(subject_name.to_owned()),
            "Group" => groups.push(subject_name.to_owned()),
            "ServiceAccount" => {
                accounts.push(format!("{}/{subject_name}", str_of(&subject["namespace"])));
            }
            _ => {}
        }
    }
    vec![
        name(binding),
        format!("{}/{}", str_of(&role["kind"]), str_of(&role["name"])).into(),
        age(binding, now),
        users.join(", ").into(),
        groups.join(", ").into(),
        accounts.join(", ").into(),
    ]
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::meta::format_rfc3339;

    const NOW: i64 = 1_800_000_000;

    #[test]
    fn node_status_roles_and_addresses() {
        let n = json!({
            "metadata": {"name": "node1", "labels": {
                "node-role.kubernetes.io/control-plane": "", "kubernetes.io/role": "master"}},
            "spec": {"unschedulable": true},
            "status": {"conditions": [{"type": "Ready", "status": "True"}],
                       "addresses": [{"type": "InternalIP", "address": "192.168.1.10"}],
                       "nodeInfo": {"kubeletVersion": "v1.32.0", "osImage": "Debian"}},
        });
        let row = node(&n, NOW);
        assert_eq!(row[1..3], [json!("Ready,SchedulingDisabled"), json!("control-plane,master")]);
        assert_eq!(
            row[4..9],
            ["v1.32.0", "192.168.1.10", "<none>", "Debian", "<unknown>"].map(Value::from)
        );
        assert_eq!(node(&json!({}), NOW)[1..3], [json!("Unknown"), json!("<none>")]);
    }

    #[test]
    fn core_event_row() {
        let e = json!({
            "metadata": {"name": "web.17a"},
            "involvedObject": {"kind": "Pod", "name": "web", "fieldPath": "spec.containers{app}"},
            "reason": "Started", "message": "Started container app\n", "type": "Normal",
            "count": 2, "firstTimestamp": format_rfc3339(NOW - 600),
            "lastTimestamp": format_rfc3339(NOW - 30),
            "source": {"component": "kubelet", "host": "node1"},
        });
        let row = core_event(&e, NOW);
        assert_eq!(
            row,
            ["30s", "Normal", "Started", "pod/web", "spec.containers{app}", "kubelet, node1"]
                .map(Value::from)
                .into_iter()
                .chain([json!("Started container app"), json!("10m"), json!(2), json!("web.17a")])
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn events_v1_event_row() {
        let e = json!({
            "metadata": {"name": "x"}, "regarding": {"kind": "Node", "name": "node1"},
            "note": "ok", "type": "Warning", "reason": "R",
            "eventTime": "2027-01-15T08:00:00.000000Z", "reportingController": "berth",
            "series": {"count": 4, "lastObservedTime": format_rfc3339(NOW - 5)},
        });
        let row = events_v1_event(&e, NOW);
        assert_eq!(row[0], "5s");
        assert_eq!(row[3], "node/node1");
        assert_eq!(row[5], "berth");
        assert_eq!(row[8], 4);
    }

    #[test]
    fn quota_splits_requests_and_limits() {
        let q = json!({"status": {"hard": {"pods": "10", "limits.cpu": "2", "requests.cpu": "1"},
                                  "used": {"pods": "3"}}});
        let row = resource_quota(&q, NOW);
        assert_eq!(row[1..3], [json!("pods: 3/10, requests.cpu: 0/1"), json!("limits.cpu: 0/2")]);
    }

    #[test]
    fn bindings_list_subjects() {
        let rb = json!({"roleRef": {"kind": "ClusterRole", "name": "view"}, "subjects": [
            {"kind": "User", "name": "alice"}, {"kind": "Group", "name": "devs"},
            {"kind": "ServiceAccount", "name": "ci", "namespace": "build"},
            {"kind": "User", "name": "bob"}]});
        let row = role_binding(&rb, NOW);
        assert_eq!(row[1], "ClusterRole/view");
        assert_eq!(row[3..6], ["alice, bob", "devs", "build/ci"].map(Value::from));
    }
}

//! Which nodes a DaemonSet's pod belongs on: the template's nodeSelector, its required node
//! affinity and the node's taints, with the tolerations Kubernetes gives every daemon pod
//! (not-ready, unreachable, unschedulable, pressure). Pure functions, tested without tokio.
//!
//! The daemon pod is pinned to its node the way Kubernetes does it: a required node affinity on
//! `metadata.name` ([`pin_to`]), which the scheduler honours; [`target_node`] reads it back.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Affinity, Node, NodeAffinity, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, Pod,
    PodSpec, Taint, Toleration,
};

/// Whether a daemon pod should be on a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fit {
    /// A pod should be created there.
    pub should_run: bool,
    /// A pod already there may stay (only NoExecute taints evict).
    pub should_continue: bool,
}

/// How `spec` (with the daemon tolerations) fits `node`.
pub fn fit(node: &Node, spec: &PodSpec) -> Fit {
    let labels = node.metadata.labels.clone().unwrap_or_default();
    let selected = spec
        .node_selector
        .as_ref()
        .is_none_or(|wanted| wanted.iter().all(|(k, v)| labels.get(k) == Some(v)));
    let required = spec
        .affinity
        .as_ref()
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|a| a.required_during_scheduling_ignored_during_execution.as_ref());
    let affine = required.is_none_or(|selector| selector_matches(selector, node));
    if !selected || !affine {
        return Fit { should_run: false, should_continue: false };
    }
    let mut tolerations = spec.tolerations.clone().unwrap_or_default();
    tolerations.extend(daemon_tolerations(spec.host_network == Some(true)));
    let taints = node.spec.as_ref().and_then(|s| s.taints.as_deref()).unwrap_or_default();
    let untolerated = |effect: &str| {
        taints.iter().any(|t| t.effect == effect && !tolerations.iter().any(|x| tolerates(x, t)))
    };
    let evicts = untolerated("NoExecute");
    Fit { should_run: !evicts && !untolerated("NoSchedule"), should_continue: !evicts }
}

/// The tolerations Kubernetes adds to every daemon pod.
pub fn daemon_tolerations(host_network: bool) -> Vec<Toleration> {
    let toleration = |key: &str, effect: &str| Toleration {
        key: Some(format!("node.kubernetes.io/{key}")),
        operator: Some("Exists".to_owned()),
        effect: Some(effect.to_owned()),
        ..Toleration::default()
    };
    let mut all = vec![
        toleration("not-ready", "NoExecute"),
        toleration("unreachable", "NoExecute"),
        toleration("disk-pressure", "NoSchedule"),
        toleration("memory-pressure", "NoSchedule"),
        toleration("pid-pressure", "NoSchedule"),
        toleration("unschedulable", "NoSchedule"),
    ];
    if host_network {
        all.push(toleration("network-unavailable", "NoSchedule"));
    }
    all
}

/// Does the toleration tolerate the taint?
pub fn tolerates(toleration: &Toleration, taint: &Taint) -> bool {
    if toleration.effect.as_deref().is_some_and(|e| !e.is_empty() && e != taint.effect) {
        return false;
    }
    let key = toleration.key.as_deref().unwrap_or_default();
    match toleration.operator.as_deref().unwrap_or("Equal") {
        "Exists" => key.is_empty() || key == taint.key,
        _ => {
            key == taint.key
                && toleration.value.as_deref().unwrap_or_default()
                    == taint.value.as_deref().unwrap_or_default()
        }
    }
}

/// A node selector matches when any of its terms does.
pub fn selector_matches(selector: &NodeSelector, node: &Node) -> bool {
    selector.node_selector_terms.iter().any(|term| term_matches(term, node))
}

/// A term matches when all its expressions (on labels) and fields (`metadata.name`) do; an
/// empty term matches nothing.
pub fn term_matches(term: &NodeSelectorTerm, node: &Node) -> bool {
    let expressions = term.match_expressions.as_deref().unwrap_or_default();
    let fields = term.match_fields.as_deref().unwrap_or_default();
    if expressions.is_empty() && fields.is_empty() {
        return false;
    }
    let empty = BTreeMap::new();
    let labels = node.metadata.labels.as_ref().unwrap_or(&empty);
    let name = node.metadata.name.as_deref();
    expressions.iter().all(|r| requirement_matches(r, labels.get(&r.key).map(String::as_str)))
        && fields.iter().all(|r| r.key == "metadata.name" && requirement_matches(r, name))
}

/// One requirement against the value (absent: no such label).
pub fn requirement_matches(requirement: &NodeSelectorRequirement, value: Option<&str>) -> bool {
    let values = requirement.values.as_deref().unwrap_or_default();
    let number = |s: &str| s.parse::<i64>().ok();
    match requirement.operator.as_str() {
        "In" => value.is_some_and(|v| values.iter().any(|x| x == v)),
        "NotIn" => value.is_none_or(|v| !values.iter().any(|x| x == v)),
        "Exists" => value.is_some(),
        "DoesNotExist" => value.is_none(),
        "Gt" | "Lt" => {
            let (Some(have), Some(bound)) =
                (value.and_then(number), values.first().and_then(|s| number(s)))
            else {
                return false;
            };
            if requirement.operator == "Gt" { have > bound } else { have < bound }
        }
        _ => false,
    }
}

/// Requires the pod to land on `node` (by name), replacing the template's required terms
/// (the node already satisfies them), and adds the daemon tolerations.
pub fn pin_to(spec: &mut PodSpec, node: &str) {
    let term = NodeSelectorTerm {
        match_expressions: None,
        match_fields: Some(vec![NodeSelectorRequirement {
            key: "metadata.name".to_owned(),
            operator: "In".to_owned(),
            values: Some(vec![node.to_owned()]),
        }]),
    };
    let affinity = spec.affinity.get_or_insert_with(Affinity::default);
    let node_affinity = affinity.node_affinity.get_or_insert_with(NodeAffinity::default);
    node_affinity.required_during_scheduling_ignored_during_execution =
        Some(NodeSelector { node_selector_terms: vec![term] });
    let tolerations = spec.tolerations.get_or_insert_with(Vec::new);
    for extra in daemon_tolerations(spec.host_network == Some(true)) {
        if !tolerations.contains(&extra) {
            tolerations.push(extra);
        }
    }
}

/// The node a daemon pod is on or pinned to.
pub fn target_node(pod: &Pod) -> Option<&str> {
    let spec = pod.spec.as_ref()?;
    if let Some(node) = spec.node_name.as_deref().filter(|n| !n.is_empty()) {
        return Some(node);
    }
    let required = spec
        .affinity
        .as_ref()?
        .node_affinity
        .as_ref()?
        .required_during_scheduling_ignored_during_execution
        .as_ref()?;
    required.node_selector_terms.iter().find_map(|term| {
        let field = term.match_fields.as_ref()?.iter().find(|f| f.key == "metadata.name")?;
        match (field.operator.as_str(), field.values.as_deref()) {
            ("In", Some([node])) => Some(node.as_str()),
            _ => None,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn node(labels: serde_json::Value, taints: serde_json::Value) -> Node {
        serde_json::from_value(json!({
            "metadata": {"name": "n1", "labels": labels},
            "spec": {"taints": taints}
        }))
        .expect("a node")
    }

    fn spec(value: serde_json::Value) -> PodSpec {
        let mut value = value;
        value["containers"] = json!([{"name": "c"}]);
        serde_json::from_value(value).expect("a pod spec")
    }

    #[test]
    fn eligibility() {
        const RUN: Fit = Fit { should_run: true, should_continue: true };
        const NO: Fit = Fit { should_run: false, should_continue: false };
        const STAY: Fit = Fit { should_run: false, should_continue: true };
        let linux = json!({"kubernetes.io/os": "linux", "zone": "a", "cores": "8"});
        let affinity = |expr: serde_json::Value| {
            json!({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution":
                {"nodeSelectorTerms": [{"matchExpressions": [expr]}]}}}})
        };
        let taint = |key: &str, effect: &str| json!([{"key": key, "effect": effect}]);
        let cases = [
            ("no constraints", json!({}), json!([]), json!({}), RUN),
            (
                "selector matches",
                linux.clone(),
                json!([]),
                json!({"nodeSelector": {"zone": "a"}}),
                RUN,
            ),
            (
                "selector misses",
                linux.clone(),
                json!([]),
                json!({"nodeSelector": {"zone": "b"}}),
                NO,
            ),
            (
                "affinity In",
                linux.clone(),
                json!([]),
                affinity(json!({"key": "zone", "operator": "In", "values": ["a", "c"]})),
                RUN,
            ),
            (
                "affinity NotIn",
                linux.clone(),
                json!([]),
                affinity(json!({"key": "zone", "operator": "NotIn", "values": ["a"]})),
                NO,
            ),
            (
                "affinity Gt",
                linux.clone(),
                json!([]),
                affinity(json!({"key": "cores", "operator": "Gt", "values": ["4"]})),
                RUN,
            ),
            (
                "affinity DoesNotExist",
                linux.clone(),
                json!([]),
                affinity(json!({"key": "gpu", "operator": "DoesNotExist"})),
                RUN,
            ),
            (
                "untolerated NoSchedule keeps old pods",
                json!({}),
                taint("dedicated", "NoSchedule"),
                json!({}),
                STAY,
            ),
            (
                "untolerated NoExecute evicts",
                json!({}),
                taint("dedicated", "NoExecute"),
                json!({}),
                NO,
            ),
            (
                "PreferNoSchedule is ignored",
                json!({}),
                taint("dedicated", "PreferNoSchedule"),
                json!({}),
                RUN,
            ),
            (
                "tolerated by the template",
                json!({}),
                taint("dedicated", "NoExecute"),
                json!({"tolerations": [{"key": "dedicated", "operator": "Exists"}]}),
                RUN,
            ),
            (
                "not-ready is tolerated",
                json!({}),
                taint("node.kubernetes.io/not-ready", "NoExecute"),
                json!({}),
                RUN,
            ),
            (
                "unschedulable is tolerated",
                json!({}),
                taint("node.kubernetes.io/unschedulable", "NoSchedule"),
                json!({}),
                RUN,
            ),
            (
                "network-unavailable only with hostNetwork",
                json!({}),
                taint("node.kubernetes.io/network-unavailable", "NoSchedule"),
                json!({}),
                STAY,
            ),
        ];
        for (name, labels, taints, pod, want) in cases {
            assert_eq!(fit(&node(labels, taints), &spec(pod)), want, "{name}");
        }
    }

    #[test]
    fn a_pinned_pod_names_its_node() {
        let mut spec = spec(json!({"nodeSelector": {"zone": "a"}}));
        pin_to(&mut spec, "n7");
        let pod = Pod { spec: Some(spec.clone()), ..Pod::default() };
        assert_eq!(target_node(&pod), Some("n7"));
        let n7: Node = serde_json::from_value(json!({"metadata": {"name": "n7"}})).expect("node");
        let n1 = node(json!({}), json!([]));
        let required = spec.affinity.and_then(|a| a.node_affinity);
        let required = required.and_then(|a| a.required_during_scheduling_ignored_during_execution);
        let required = required.expect("a required node selector");
        assert!(selector_matches(&required, &n7));
        assert!(!selector_matches(&required, &n1));
        assert!(spec.tolerations.unwrap_or_default().len() >= 6);
    }
}

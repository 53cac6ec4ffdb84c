//! The Node objects of the simulator: what each one looks like (pure builders) and how it is
//! registered (created, or adopted when it exists already, as a restarted kubelet does).

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use k8s_openapi::api::core::v1::{
    Node, NodeAddress, NodeCondition, NodeDaemonEndpoints, NodeSpec, NodeStatus, NodeSystemInfo,
    Taint,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use k8s_openapi::jiff::Timestamp;
use kube::Api;
use kube::api::{Patch, PatchParams, PostParams};

use crate::addresses::{node_ip, pod_cidr};
use crate::{Config, Error};

/// Value of `node.kubernetes.io/instance-type` on every simulated node.
pub const INSTANCE_TYPE: &str = "berth-sim";
/// The version simulated kubelets report.
pub const KUBELET_VERSION: &str = "v1.33.0-berth-sim";

/// One simulated node: its name and its index (which picks its addresses).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimNode {
    pub name: String,
    pub index: usize,
}

impl SimNode {
    /// The node's InternalIP (a documentation address; nothing connects to it).
    pub fn ip(&self) -> Ipv4Addr {
        node_ip(self.index)
    }

    /// The node's pod range, `198.18.i.0/24`.
    pub fn pod_cidr(&self) -> String {
        let (network, bits) = pod_cidr(self.index);
        format!("{network}/{bits}")
    }
}

/// The standard labels of a node plus the configured ones (which win).
pub fn labels(config: &Config, node: &SimNode) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::from([
        ("kubernetes.io/hostname".to_owned(), node.name.clone()),
        ("kubernetes.io/os".to_owned(), "linux".to_owned()),
        ("kubernetes.io/arch".to_owned(), "amd64".to_owned()),
        ("node.kubernetes.io/instance-type".to_owned(), INSTANCE_TYPE.to_owned()),
        ("type".to_owned(), "sim".to_owned()),
    ]);
    labels.extend(config.labels.clone());
    labels
}

/// The Node to create: labels, pod range, provider ID and taints (status comes separately).
pub fn node_object(config: &Config, node: &SimNode) -> Node {
    Node {
        metadata: ObjectMeta {
            name: Some(node.name.clone()),
            labels: Some(labels(config, node)),
            ..ObjectMeta::default()
        },
        spec: Some(NodeSpec {
            pod_cidr: Some(node.pod_cidr()),
            pod_cidrs: Some(vec![node.pod_cidr()]),
            provider_id: Some(format!("berth-sim://{}", node.name)),
            taints: (!config.taints.is_empty()).then(|| config.taints.clone()),
            ..NodeSpec::default()
        }),
        status: None,
    }
}

/// An existing Node adopted: our labels, pod range and taints added, everything else kept
/// (taints other components put there, such as the node lifecycle controller's, stay).
pub fn adopt(config: &Config, node: &SimNode, mut existing: Node) -> Node {
    existing.metadata.labels.get_or_insert_with(BTreeMap::new).extend(labels(config, node));
    let spec = existing.spec.get_or_insert_with(NodeSpec::default);
    spec.pod_cidr.get_or_insert_with(|| node.pod_cidr());
    spec.pod_cidrs.get_or_insert_with(|| vec![node.pod_cidr()]);
    let taints = spec.taints.get_or_insert_with(Vec::new);
    for wanted in &config.taints {
        if !taints.iter().any(|t: &Taint| t.key == wanted.key && t.effect == wanted.effect) {
            taints.push(wanted.clone());
        }
    }
    existing
}

/// A healthy node's status; conditions keep their lastTransitionTime from `previous` when their
/// status did not change.
pub fn node_status(
    config: &Config,
    node: &SimNode,
    previous: Option<&NodeStatus>,
    now: Timestamp,
) -> NodeStatus {
    let resources: BTreeMap<String, Quantity> =
        config.resources().into_iter().map(|(name, q)| (name, Quantity(q))).collect();
    let conditions = [
        ("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
        (
            "MemoryPressure",
            "False",
            "KubeletHasSufficientMemory",
            "kubelet has sufficient memory available",
        ),
        ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
    ];
    let old = previous.and_then(|s| s.conditions.as_ref());
    let conditions = conditions
        .into_iter()
        .map(|(type_, status, reason, message)| {
            let kept = old
                .and_then(|c| c.iter().find(|c| c.type_ == type_ && c.status == status))
                .and_then(|c| c.last_transition_time.clone());
            NodeCondition {
                type_: type_.into(),
                status: status.into(),
                reason: Some(reason.into()),
                message: Some(message.into()),
                last_heartbeat_time: Some(Time(now)),
                last_transition_time: Some(kept.unwrap_or(Time(now))),
            }
        })
        .collect();
    let id = format!("berth-sim-{:08x}", node.index);
    NodeStatus {
        addresses: Some(vec![
            NodeAddress { type_: "InternalIP".into(), address: node.ip().to_string() },
            NodeAddress { type_: "Hostname".into(), address: node.name.clone() },
        ]),
        capacity: Some(resources.clone()),
        allocatable: Some(resources),
        conditions: Some(conditions),
        daemon_endpoints: Some(NodeDaemonEndpoints {
            kubelet_endpoint: Some(k8s_openapi::api::core::v1::DaemonEndpoint { port: 10250 }),
        }),
        node_info: Some(NodeSystemInfo {
            architecture: "amd64".into(),
            boot_id: id.clone(),
            container_runtime_version: "sim://0.1.0".into(),
            kernel_version: "berth-sim".into(),
            kube_proxy_version: String::new(),
            kubelet_version: KUBELET_VERSION.into(),
            machine_id: id.clone(),
            operating_system: "linux".into(),
            os_image: "berth simulated node".into(),
            system_uuid: id,
            ..NodeSystemInfo::default()
        }),
        ..NodeStatus::default()
    }
}

/// Creates the Node, or adopts the one that exists, then writes its status. Returns the Node.
pub(crate) async fn register(
    api: &Api<Node>,
    config: &Config,
    node: &SimNode,
) -> Result<Node, Error> {
    let stored = match api.create(&PostParams::default(), &node_object(config, node)).await {
        Ok(stored) => stored,
        Err(kube::Error::Api(status)) if status.code == 409 => {
            adopt_existing(api, config, node).await?
        }
        Err(e) => return Err(Error::api("creating the node", &node.name, e)),
    };
    write_status(api, config, node, stored.status.as_ref()).await
}

async fn adopt_existing(api: &Api<Node>, config: &Config, node: &SimNode) -> Result<Node, Error> {
    let mut attempts = 0;
    loop {
        let existing =
            api.get(&node.name).await.map_err(|e| Error::api("reading the node", &node.name, e))?;
        let wanted = adopt(config, node, existing.clone());
        if wanted == existing {
            return Ok(existing);
        }
        match api.replace(&node.name, &PostParams::default(), &wanted).await {
            Ok(stored) => return Ok(stored),
            Err(kube::Error::Api(status)) if status.code == 409 && attempts < 5 => attempts += 1,
            Err(e) => return Err(Error::api("adopting the node", &node.name, e)),
        }
    }
}

/// Writes a healthy status (merge patch on the status subresource).
pub(crate) async fn write_status(
    api: &Api<Node>,
    config: &Config,
    node: &SimNode,
    previous: Option<&NodeStatus>,
) -> Result<Node, Error> {
    let status = node_status(config, node, previous, Timestamp::now());
    let patch = serde_json::json!({ "status": status });
    api.patch_status(&node.name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map_err(|e| Error::api("writing the node status", &node.name, e))
}

#[cfg(test)]
#[path = "node_tests.rs"]
mod tests;

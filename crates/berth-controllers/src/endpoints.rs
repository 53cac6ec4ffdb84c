//! The endpoints controller: keeps an Endpoints object (same name as the Service) listing the
//! addresses of the pods a Service selects.
//!
//! Start at [`backends`]: the pure function both this controller and [`crate::endpointslice`]
//! use to turn a Service and its pods into addresses (ready or not, serving, terminating, node,
//! hostname for headless services, each port resolved per pod: a named `targetPort` looks up the
//! pod's container port of that name). Only pods with a `podIP` count. Services without a
//! selector are left alone. Endpoints whose Service is gone are deleted by a periodic sweep
//! (only those this controller manages, by their `endpoints.kubernetes.io/managed-by` label).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use k8s_openapi::api::core::v1::{
    EndpointAddress, EndpointPort, EndpointSubset, Endpoints, ObjectReference, Pod, Service,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::api::{DeleteParams, PostParams};
use kube::runtime::Controller;
use kube::runtime::controller::Action;
use kube::runtime::reflector::{ObjectRef, Store};
use kube::{Api, ResourceExt};

use crate::{Context, Error, cache};

const MANAGED_BY: &str = "endpoints.kubernetes.io/managed-by";

/// A resolved port: (service port name, port number on the pod, protocol).
pub type PortKey = (Option<String>, i32, String);

/// One pod behind a service.
#[derive(Debug, Clone, PartialEq)]
pub struct Backend {
    pub ip: String,
    pub ready: bool,
    pub serving: bool,
    pub terminating: bool,
    pub node: Option<String>,
    pub hostname: Option<String>,
    pub pod: ObjectReference,
    /// (name, port, protocol) for each service port this pod serves.
    pub ports: Vec<PortKey>,
}

/// The pods of `service` as backends; `None` for a service without a selector.
pub fn backends(service: &Service, pods: &[Arc<Pod>]) -> Option<Vec<Backend>> {
    let spec = service.spec.as_ref()?;
    let selector = spec.selector.clone().filter(|s| !s.is_empty())?;
    let selector = LabelSelector { match_labels: Some(selector), ..LabelSelector::default() };
    let namespace = service.namespace();
    let headless = spec.cluster_ip.as_deref() == Some("None");
    let publish = spec.publish_not_ready_addresses == Some(true);
    let mut out = Vec::new();
    for pod in pods {
        if pod.namespace() != namespace
            || !crate::pods::selects(Some(&selector), pod.metadata.labels.as_ref())
        {
            continue;
        }
        let Some(ip) =
            pod.status.as_ref().and_then(|s| s.pod_ip.clone()).filter(|ip| !ip.is_empty())
        else {
            continue;
        };
        if crate::pods::is_terminal(pod) {
            continue;
        }
        let terminating = pod.metadata.deletion_timestamp.is_some();
        let serving = crate::pods::is_ready(pod);
        let pod_spec = pod.spec.clone().unwrap_or_default();
        let hostname = match (&pod_spec.hostname, &pod_spec.subdomain) {
            (Some(h), Some(sub)) if headless && sub == &service.name_any() => Some(h.clone()),
            _ => None,
        };
        let ports = spec.ports.iter().flatten().filter_map(|p| {
            let protocol = p.protocol.clone().unwrap_or_else(|| "TCP".into());
            let number = match &p.target_port {
                None => p.port,
                Some(IntOrString::Int(n)) => *n,
                Some(IntOrString::String(name)) => {
                    pod_spec
                        .containers
                        .iter()
                        .flat_map(|c| c.ports.iter().flatten())
                        .find(|cp| {
                            cp.name.as_deref() == Some(name)
                                && cp.protocol.as_deref().unwrap_or("TCP") == protocol
                        })?
                        .container_port
                }
            };
            Some((p.name.clone(), number, protocol))
        });
        out.push(Backend {
            ip,
            ready: (serving || publish) && !terminating,
            serving: serving || publish,
            terminating,
            node: pod_spec.node_name.clone(),
            hostname,
            pod: ObjectReference {
                kind: Some("Pod".into()),
                name: pod.metadata.name.clone(),
                namespace: pod.metadata.namespace.clone(),
                uid: pod.metadata.uid.clone(),
                ..ObjectReference::default()
            },
            ports: ports.collect(),
        });
    }
    out.sort_by(|a, b| a.ip.cmp(&b.ip).then(a.pod.name.cmp(&b.pod.name)));
    Some(out)
}

/// The Endpoints subsets for these backends: one subset per distinct port set; terminating pods
/// are left out, as the Endpoints API has no way to say "terminating".
pub fn subsets(backends: &[Backend]) -> Vec<EndpointSubset> {
    let mut by_ports: BTreeMap<Vec<PortKey>, EndpointSubset> = BTreeMap::new();
    for b in backends.iter().filter(|b| !b.terminating && !b.ports.is_empty()) {
        let subset = by_ports.entry(b.ports.clone()).or_insert_with(|| EndpointSubset {
            ports: Some(
                b.ports
                    .iter()
                    .map(|(name, port, protocol)| EndpointPort {
                        name: name.clone(),
                        port: *port,
                        protocol: Some(protocol.clone()),
                        app_protocol: None,
                    })
                    .collect(),
            ),
            ..EndpointSubset::default()
        });
        let address = EndpointAddress {
            ip: b.ip.clone(),
            hostname: b.hostname.clone(),
            node_name: b.node.clone(),
            target_ref: Some(b.pod.clone()),
        };
        let list = if b.ready { &mut subset.addresses } else { &mut subset.not_ready_addresses };
        list.get_or_insert_with(Vec::new).push(address);
    }
    by_ports.into_values().collect()
}

struct State {
    ctx: Arc<Context>,
    pods: Store<Pod>,
    endpoints: Store<Endpoints>,
}

pub async fn run(ctx: Arc<Context>) -> Result<(), Error> {
    let client = ctx.client.clone();
    let (pods, pod_events) = cache::watch_trigger(Api::<Pod>::all(client.clone()));
    let (endpoints, ep_events) = cache::watch_trigger(Api::<Endpoints>::all(client.clone()));
    let controller = Controller::new(Api::<Service>::all(client), Default::default());
    let services = controller.store();
    let by_pod = services.clone();
    let state = Arc::new(State { ctx, pods, endpoints });
    let sweep = sweep(state.clone(), services);
    let controller = controller
        .watches_stream(pod_events, move |pod: Pod| services_selecting(&by_pod, &pod))
        .watches_stream(ep_events, |ep: Endpoints| {
            Some(ObjectRef::new(&ep.name_any()).within(&ep.namespace().unwrap_or_default()))
        })
        .run(reconcile, error_policy, state)
        .for_each(|_| async {});
    tokio::select! {
        () = controller => {}
        () = sweep => {}
    }
    Err(Error::Stopped("endpoints"))
}

/// The services whose selector selects the pod (a service without a selector selects nothing).
pub fn services_selecting(services: &Store<Service>, pod: &Pod) -> Vec<ObjectRef<Service>> {
    let labels = pod.metadata.labels.clone().unwrap_or_default();
    services
        .state()
        .into_iter()
        .filter(|s| s.namespace() == pod.namespace())
        .filter(|s| {
            let selector = s.spec.as_ref().and_then(|spec| spec.selector.as_ref());
            selector.is_some_and(|selector| {
                !selector.is_empty() && selector.iter().all(|(k, v)| labels.get(k) == Some(v))
            })
        })
        .map(|s| ObjectRef::from_obj(&*s))
        .collect()
}

fn error_policy(_s: Arc<Service>, error: &Error, _state: Arc<State>) -> Action {
    tracing::debug!(%error, "endpoints reconcile failed");
    Action::requeue(Duration::from_secs(if error.is_conflict() { 1 } else { 5 }))
}

async fn reconcile(service: Arc<Service>, state: Arc<State>) -> Result<Action, Error> {
    let Some(backends) = backends(&service, &state.pods.state()) else {
        return Ok(Action::await_change());
    };
    let namespace = service.namespace().unwrap_or_default();
    let name = service.name_any();
    let subsets = subsets(&backends);
    let current = state.endpoints.get(&ObjectRef::new(&name).within(&namespace));
    let api: Api<Endpoints> = Api::namespaced(state.ctx.client.clone(), &namespace);
    let labels = {
        let mut labels = service.labels().clone();
        labels.insert(MANAGED_BY.into(), "endpoint-controller".into());
        labels
    };
    let want = Some(subsets).filter(|s| !s.is_empty());
    match current {
        Some(current)
            if current.subsets == want && current.metadata.labels.as_ref() == Some(&labels) => {}
        Some(current) => {
            let mut next = (*current).clone();
            next.subsets = want;
            next.metadata.labels = Some(labels);
            state.ctx.ensure_leader()?;
            api.replace(&name, &PostParams::default(), &next)
                .await
                .map_err(|e| Error::api(format!("updating endpoints {namespace}/{name}"), e))?;
        }
        None => {
            let endpoints = Endpoints {
                metadata: ObjectMeta {
                    name: Some(name.clone()),
                    namespace: Some(namespace.clone()),
                    labels: Some(labels),
                    ..ObjectMeta::default()
                },
                subsets: want,
            };
            state.ctx.ensure_leader()?;
            match api.create(&PostParams::default(), &endpoints).await {
                Ok(_) => {}
                Err(kube::Error::Api(s)) if s.code == 409 => {
                    return Ok(Action::requeue(Duration::from_secs(1)));
                }
                Err(e) => {
                    return Err(Error::api(format!("creating endpoints {namespace}/{name}"), e));
                }
            }
        }
    }
    Ok(Action::await_change())
}

/// Deletes managed Endpoints whose Service no longer exists.
async fn sweep(state: Arc<State>, services: Store<Service>) {
    loop {
        tokio::time::sleep(Duration::from_secs(2)).await;
        if !state.ctx.leadership.is_leader() || !crate::cache::is_ready(&services) {
            continue;
        }
        for ep in state.endpoints.state() {
            let managed = ep.labels().get(MANAGED_BY).is_some_and(|v| v == "endpoint-controller");
            let namespace = ep.namespace().unwrap_or_default();
            if !managed
                || services.get(&ObjectRef::new(&ep.name_any()).within(&namespace)).is_some()
            {
                continue;
            }
            let api: Api<Endpoints> = Api::namespaced(state.ctx.client.clone(), &namespace);
            if let Err(error) = api.delete(&ep.name_any(), &DeleteParams::default()).await {
                tracing::debug!(%error, "deleting orphaned endpoints");
            }
        }
    }
}

#[cfg(test)]
#[path = "endpoints_tests.rs"]
mod tests;

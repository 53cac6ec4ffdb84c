//! The endpointslice controller: the pods behind each Service as `discovery.k8s.io/v1`
//! EndpointSlices of at most 100 endpoints, IPv4, labelled `kubernetes.io/service-name` and
//! managed by `endpointslice-controller.k8s.io`, owned by the Service (so the garbage
//! collector removes them with it; this controller also deletes slices it no longer needs).
//!
//! The addresses come from [`crate::endpoints::backends`]; [`slices`] cuts them into slices and
//! is pure. Slice names are the service name, a uid prefix and the slice number, so a lagging
//! cache meets a 409 instead of creating a second copy.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use k8s_openapi::api::core::v1::{Pod, Service};
use k8s_openapi::api::discovery::v1::{Endpoint, EndpointConditions, EndpointPort, EndpointSlice};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{DeleteParams, PostParams};
use kube::runtime::Controller;
use kube::runtime::controller::Action;
use kube::runtime::reflector::Store;
use kube::{Api, ResourceExt};

use crate::endpoints::{Backend, PortKey, backends, services_selecting};
use crate::{Context, Error, cache};

pub const SERVICE_NAME: &str = "kubernetes.io/service-name";
pub const MANAGED_BY: &str = "endpointslice.kubernetes.io/managed-by";
pub const CONTROLLER: &str = "endpointslice-controller.k8s.io";
pub const MAX_ENDPOINTS: usize = 100;

/// The (endpoints, ports) of each slice: backends grouped by port set, at most 100 a slice.
pub fn slices(backends: &[Backend]) -> Vec<(Vec<Endpoint>, Vec<EndpointPort>)> {
    let mut groups: Vec<(&[PortKey], Vec<&Backend>)> = Vec::new();
    for b in backends
        .iter()
        .filter(|b| !b.ports.is_empty() || backends.iter().all(|x| x.ports.is_empty()))
    {
        match groups.iter_mut().find(|(ports, _)| *ports == b.ports) {
            Some((_, members)) => members.push(b),
            None => groups.push((&b.ports, vec![b])),
        }
    }
    let mut out = Vec::new();
    for (ports, members) in groups {
        for chunk in members.chunks(MAX_ENDPOINTS) {
            let endpoints = chunk.iter().map(|b| Endpoint {
                addresses: vec![b.ip.clone()],
                conditions: Some(EndpointConditions {
                    ready: Some(b.ready),
                    serving: Some(b.serving),
                    terminating: Some(b.terminating),
                }),
                hostname: b.hostname.clone(),
                node_name: b.node.clone(),
                target_ref: Some(b.pod.clone()),
                ..Endpoint::default()
            });
            let ports = ports.iter().map(|(name, port, protocol)| EndpointPort {
                name: name.clone(),
                port: Some(*port),
                protocol: Some(protocol.clone()),
                app_protocol: None,
            });
            out.push((endpoints.collect(), ports.collect()));
        }
    }
    out
}

struct State {
    ctx: Arc<Context>,
    pods: Store<Pod>,
    slices: Store<EndpointSlice>,
}

pub async fn run(ctx: Arc<Context>) -> Result<(), Error> {
    let client = ctx.client.clone();
    let (pods, pod_events) = cache::watch_trigger(Api::<Pod>::all(client.clone()));
    let (slices, slice_events) = cache::watch_trigger(Api::<EndpointSlice>::all(client.clone()));
    let controller = Controller::new(Api::<Service>::all(client), Default::default());
    let services = controller.store();
    let state = Arc::new(State { ctx, pods, slices });
    controller
        .owns_stream(slice_events)
        .watches_stream(pod_events, move |pod: Pod| services_selecting(&services, &pod))
        .run(reconcile, error_policy, state)
        .for_each(|_| async {})
        .await;
    Err(Error::Stopped("endpointslice"))
}

fn error_policy(_s: Arc<Service>, error: &Error, _state: Arc<State>) -> Action {
    tracing::debug!(%error, "endpointslice reconcile failed");
    Action::requeue(Duration::from_secs(if error.is_conflict() { 1 } else { 5 }))
}

async fn reconcile(service: Arc<Service>, state: Arc<State>) -> Result<Action, Error> {
    if service.metadata.deletion_timestamp.is_some() {
        return Ok(Action::await_change());
    }
    let Some(backends) = backends(&service, &state.pods.state()) else {
        return Ok(Action::await_change());
    };
    let namespace = service.namespace().unwrap_or_default();
    let name = service.name_any();
    let uid = service.uid().unwrap_or_default();
    let api: Api<EndpointSlice> = Api::namespaced(state.ctx.client.clone(), &namespace);
    let existing: Vec<Arc<EndpointSlice>> = state
        .slices
        .state()
        .into_iter()
        .filter(|s| s.namespace().as_deref() == Some(&namespace))
        .filter(|s| {
            s.labels().get(SERVICE_NAME) == Some(&name)
                && s.labels().get(MANAGED_BY).map(String::as_str) == Some(CONTROLLER)
        })
        .collect();
    let mut wanted = slices(&backends);
    if wanted.is_empty() {
        wanted.push((Vec::new(), Vec::new()));
    }
    let prefix: String = uid.chars().filter(char::is_ascii_alphanumeric).take(5).collect();
    let mut names = Vec::new();
    for (i, (endpoints, ports)) in wanted.into_iter().enumerate() {
        let slice_name = format!("{name}-{prefix}{i}");
        let mut labels = service.labels().clone();
        labels.insert(SERVICE_NAME.into(), name.clone());
        labels.insert(MANAGED_BY.into(), CONTROLLER.into());
        let owner = crate::pods::controller_ref("v1", "Service", &name, &uid);
        let slice = EndpointSlice {
            metadata: ObjectMeta {
                name: Some(slice_name.clone()),
                namespace: Some(namespace.clone()),
                labels: Some(labels),
                owner_references: Some(vec![owner]),
                ..ObjectMeta::default()
            },
            address_type: "IPv4".into(),
            endpoints,
            ports: Some(ports).filter(|p| !p.is_empty()),
        };
        let current = existing.iter().find(|s| s.name_any() == slice_name);
        state.ctx.ensure_leader()?;
        let result = match current {
            Some(c)
                if c.endpoints == slice.endpoints
                    && c.ports == slice.ports
                    && c.metadata.labels == slice.metadata.labels =>
            {
                Ok(())
            }
            Some(c) => {
                let mut next = slice.clone();
                next.metadata.resource_version = c.resource_version();
                api.replace(&slice_name, &PostParams::default(), &next).await.map(drop)
            }
            None => api.create(&PostParams::default(), &slice).await.map(drop),
        };
        result.map_err(|e| {
            Error::api(format!("writing endpointslice {namespace}/{slice_name}"), e)
        })?;
        names.push(slice_name);
    }
    for old in existing.iter().filter(|s| !names.contains(&s.name_any())) {
        state.ctx.ensure_leader()?;
        match api.delete(&old.name_any(), &DeleteParams::default()).await {
            Ok(_) => {}
            Err(kube::Error::Api(s)) if s.code == 404 => {}
            Err(e) => {
                return Err(Error::api(format!("deleting endpointslice {}", old.name_any()), e));
            }
        }
    }
    Ok(Action::await_change())
}

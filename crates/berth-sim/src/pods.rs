//! The pod side of the simulated nodes: one pod watch for all of them (pods with a node name,
//! filtered by our node names), a plan per pod event ([`crate::plan::next_step`]) and a task per
//! planned step that waits for its time and writes the pod status (or deletes the pod).
//!
//! At most `max_in_flight` writes run at once over all nodes. A step already queued for a pod
//! is not queued twice; a write that fails is retried with backoff after re-reading the pod,
//! as long as the fresh pod still calls for the same step. Pod addresses are handed out here,
//! in the one task that sees every event, so there is no race over them.

use std::collections::{HashMap, HashSet};
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::jiff::Timestamp;
use kube::api::{DeleteParams, PostParams, Preconditions};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::addresses::PodIps;
use crate::node::SimNode;
use crate::plan::{self, Step, Timing};
use crate::{Error, Shared, pod_status};

/// What the step tasks share.
struct Ctx {
    client: Client,
    shared: Arc<Shared>,
    timing: Timing,
    limiter: Semaphore,
}

/// Follows the pods bound to any node and acts for those on our live nodes. Runs until aborted.
pub(crate) async fn run(client: Client, shared: Arc<Shared>) -> Result<(), Error> {
    let config = &shared.config;
    let timing = Timing {
        startup_delay: config.startup_delay,
        stop_delay: config.stop_delay,
        fail_fraction: config.fail_fraction,
    };
    let ctx = Arc::new(Ctx {
        client: client.clone(),
        limiter: Semaphore::new(config.max_in_flight),
        shared: shared.clone(),
        timing,
    });
    let api: Api<Pod> = Api::all(client);
    let stream =
        watcher(api, watcher::Config::default().fields("spec.nodeName!=")).default_backoff();
    let mut stream = std::pin::pin!(stream);
    let mut driver = Driver {
        ctx,
        ips: HashMap::new(),
        assigned: HashMap::new(),
        queued: HashMap::new(),
        relist: None,
        tasks: JoinSet::new(),
    };
    loop {
        tokio::select! {
            Some(_) = driver.tasks.join_next(), if !driver.tasks.is_empty() => {}
            event = stream.next() => match event {
                Some(Ok(event)) => driver.on_event(event),
                Some(Err(error)) => tracing::warn!(%error, "watching pods for simulated nodes"),
                None => return Ok(()),
            },
        }
    }
}

struct Driver {
    ctx: Arc<Ctx>,
    /// Pod addresses by node name.
    ips: HashMap<String, PodIps>,
    /// Pod UID → (node, address) handed out.
    assigned: HashMap<String, (String, Ipv4Addr)>,
    /// Pod UID → the step last queued for it.
    queued: HashMap<String, Step>,
    /// UIDs seen since the watch started a new list.
    relist: Option<HashSet<String>>,
    tasks: JoinSet<()>,
}

impl Driver {
    fn on_event(&mut self, event: watcher::Event<Pod>) {
        match event {
            watcher::Event::Init => self.relist = Some(HashSet::new()),
            watcher::Event::InitApply(pod) => {
                if let (Some(seen), Some(uid)) = (self.relist.as_mut(), pod.metadata.uid.as_ref()) {
                    seen.insert(uid.clone());
                }
                self.observe(pod);
            }
            watcher::Event::InitDone => {
                // Pods deleted while the watch was down never sent a Delete.
                if let Some(seen) = self.relist.take() {
                    let gone: Vec<String> = self
                        .queued
                        .keys()
                        .chain(self.assigned.keys())
                        .filter(|uid| !seen.contains(*uid))
                        .cloned()
                        .collect();
                    for uid in gone {
                        self.forget(&uid);
                    }
                }
            }
            watcher::Event::Apply(pod) => self.observe(pod),
            watcher::Event::Delete(pod) => {
                if let Some(uid) = &pod.metadata.uid {
                    self.forget(uid);
                }
            }
        }
    }

    fn forget(&mut self, uid: &str) {
        self.queued.remove(uid);
        self.release(uid);
    }

    fn release(&mut self, uid: &str) {
        if let Some((node, ip)) = self.assigned.remove(uid)
            && let Some(ips) = self.ips.get_mut(&node)
        {
            ips.release(ip);
        }
    }

    /// Plans the next step for a pod of one of our live nodes and queues it.
    fn observe(&mut self, pod: Pod) {
        let Some(uid) = pod.metadata.uid.clone() else { return };
        let Some(node_name) = pod.spec.as_ref().and_then(|s| s.node_name.as_deref()) else {
            return;
        };
        let Some(sim) = self.ctx.shared.alive_node(node_name) else { return };
        let host_network = pod.spec.as_ref().and_then(|s| s.host_network).unwrap_or(false);
        let status = pod.status.as_ref();
        let terminal =
            matches!(status.and_then(|s| s.phase.as_deref()), Some("Succeeded" | "Failed"));
        if terminal {
            self.release(&uid);
        } else if !host_network
            && !self.assigned.contains_key(&uid)
            && let Some(ip) =
                status.and_then(|s| s.pod_ip.as_deref()).and_then(|ip| ip.parse().ok())
        {
            // A pod a previous run started: its address stays taken.
            if self.node_ips(&sim).reserve(ip) {
                self.assigned.insert(uid.clone(), (sim.name.clone(), ip));
            }
        }
        let step = plan::next_step(&pod, &self.ctx.timing, Timestamp::now());
        if step == Step::Nothing || self.queued.get(&uid).is_some_and(|q| q.same_work(&step)) {
            return;
        }
        let ip = match step {
            Step::Start { fail: false, .. } if host_network => sim.ip(),
            Step::Start { fail: false, .. } => match self.pod_ip(&uid, &sim) {
                Some(ip) => ip,
                None => {
                    tracing::warn!(node = %sim.name, pod = %uid, "simulated node is out of pod addresses");
                    return;
                }
            },
            _ => sim.ip(),
        };
        self.queued.insert(uid, step.clone());
        self.tasks.spawn(perform(self.ctx.clone(), pod, sim, step, ip));
    }

    fn node_ips(&mut self, sim: &SimNode) -> &mut PodIps {
        self.ips.entry(sim.name.clone()).or_insert_with(|| PodIps::for_node(sim.index))
    }

    fn pod_ip(&mut self, uid: &str, sim: &SimNode) -> Option<Ipv4Addr> {
        if let Some((_, ip)) = self.assigned.get(uid) {
            return Some(*ip);
        }
        let ip = self.node_ips(sim).allocate()?;
        self.assigned.insert(uid.to_owned(), (sim.name.clone(), ip));
        Some(ip)
    }
}

/// Waits for the step's time, then writes it; retries with backoff while the pod still calls
/// for the same step and its node is alive.
async fn perform(ctx: Arc<Ctx>, mut pod: Pod, sim: SimNode, step: Step, ip: Ipv4Addr) {
    tokio::time::sleep(wait_for(&step, Timestamp::now())).await;
    let name = pod.metadata.name.clone().unwrap_or_default();
    let namespace = pod.metadata.namespace.clone().unwrap_or_default();
    let api: Api<Pod> = Api::namespaced(ctx.client.clone(), &namespace);
    let mut backoff = Duration::from_millis(50);
    loop {
        if ctx.shared.alive_node(&sim.name).is_none() {
            return;
        }
        let result = match ctx.limiter.acquire().await {
            Ok(_permit) => write(&api, &pod, &sim, &step, ip).await,
            Err(_) => return,
        };
        match result {
            Ok(()) => return,
            Err(kube::Error::Api(status)) if status.code == 404 => return,
            Err(kube::Error::Api(status)) if status.code == 409 => {}
            Err(error) => {
                tracing::warn!(%error, pod = %name, node = %sim.name, "simulated node pod write")
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(30));
        pod = match api.get_opt(&name).await {
            Ok(Some(fresh)) if fresh.metadata.uid == pod.metadata.uid => fresh,
            Ok(_) => return,
            Err(_) => continue,
        };
        if !plan::next_step(&pod, &ctx.timing, Timestamp::now()).same_work(&step) {
            return;
        }
    }
}

/// How long until the step is due.
fn wait_for(step: &Step, now: Timestamp) -> Duration {
    match step {
        Step::Start { at, .. } | Step::Exit { at, .. } => {
            Duration::try_from(now.duration_until(*at)).unwrap_or(Duration::ZERO)
        }
        Step::Delete { after } => *after,
        Step::SetReady(_) | Step::Nothing => Duration::ZERO,
    }
}

async fn write(
    api: &Api<Pod>,
    pod: &Pod,
    sim: &SimNode,
    step: &Step,
    ip: Ipv4Addr,
) -> Result<(), kube::Error> {
    let name = pod.metadata.name.as_deref().unwrap_or_default();
    let now = Timestamp::now();
    let status = match *step {
        Step::Nothing => return Ok(()),
        Step::Delete { .. } => {
            let params = DeleteParams {
                grace_period_seconds: Some(0),
                preconditions: Some(Preconditions {
                    uid: pod.metadata.uid.clone(),
                    resource_version: None,
                }),
                ..DeleteParams::default()
            };
            return api.delete(name, &params).await.map(drop);
        }
        Step::Start { fail: true, .. } => pod_status::failed_to_start(pod, sim.ip(), now),
        Step::Start { fail: false, .. } => {
            pod_status::running(pod, sim.ip(), ip, plan::wants_ready(pod), now)
        }
        Step::Exit { code, .. } => pod_status::exited(pod, code, now),
        Step::SetReady(ready) => pod_status::with_ready(pod, ready, now),
    };
    let mut updated = pod.clone();
    updated.status = Some(status);
    api.replace_status(name, &PostParams::default(), &updated).await.map(drop)
}

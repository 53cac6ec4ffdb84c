//! The statuses a simulated node writes for its pods, built from the pod and the clock: what
//! a kubelet would report after starting, failing, finishing or restarting the containers.
//!
//! Pure functions; [`crate::pods`] writes their results through the status subresource.

use std::net::Ipv4Addr;

use k8s_openapi::api::core::v1::{
    Container, ContainerState, ContainerStateRunning, ContainerStateTerminated, ContainerStatus,
    HostIP, Pod, PodCondition, PodIP, PodStatus,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;

/// Reason of pods the failure fraction picked.
pub const SIMULATED_FAILURE: &str = "SimulatedFailure";

/// The pod started: Running, every container running (ready unless the pod asks otherwise).
pub fn running(
    pod: &Pod,
    host_ip: Ipv4Addr,
    pod_ip: Ipv4Addr,
    ready: bool,
    now: Timestamp,
) -> PodStatus {
    let mut status = base(pod, host_ip, now);
    status.phase = Some("Running".into());
    status.pod_ip = Some(pod_ip.to_string());
    status.pod_ips = Some(vec![PodIP { ip: pod_ip.to_string() }]);
    status.init_container_statuses = init_statuses(pod, now);
    status.container_statuses = Some(
        containers(pod)
            .iter()
            .map(|c| container_status(pod, c, running_state(now), ready, 0))
            .collect(),
    );
    set_readiness(&mut status, ready, "ContainersNotReady", now);
    status
}

/// The failure fraction picked the pod: Failed before any container ran.
pub fn failed_to_start(pod: &Pod, host_ip: Ipv4Addr, now: Timestamp) -> PodStatus {
    let mut status = base(pod, host_ip, now);
    status.phase = Some("Failed".into());
    status.reason = Some(SIMULATED_FAILURE.into());
    status.message = Some("berth-sim: the simulated node failed this pod".into());
    status.container_statuses = Some(
        containers(pod)
            .iter()
            .map(|c| {
                let state = terminated(1, "Error", None, now);
                container_status(pod, c, state, false, 0)
            })
            .collect(),
    );
    set_readiness(&mut status, false, "PodFailed", now);
    status
}

/// The running containers exited with `code`: the pod ends (Succeeded/Failed) when its restart
/// policy says so, otherwise its containers restart.
pub fn exited(pod: &Pod, code: i32, now: Timestamp) -> PodStatus {
    let mut status = pod.status.clone().unwrap_or_default();
    let policy = pod.spec.as_ref().and_then(|s| s.restart_policy.as_deref()).unwrap_or("Always");
    let terminal = match policy {
        "Never" => true,
        "OnFailure" => code == 0,
        _ => false,
    };
    let reason = if code == 0 { "Completed" } else { "Error" };
    for container in status.container_statuses.iter_mut().flatten() {
        let started = container
            .state
            .as_ref()
            .and_then(|s| s.running.as_ref())
            .and_then(|r| r.started_at.clone());
        let ended = terminated(code, reason, started, now);
        if terminal {
            container.state = Some(ended);
            container.ready = false;
            container.started = Some(false);
        } else {
            container.last_state = Some(ended);
            container.state = Some(running_state(now));
            container.restart_count += 1;
        }
    }
    if terminal {
        status.phase = Some(if code == 0 { "Succeeded" } else { "Failed" }.into());
        set_readiness(&mut status, false, "PodCompleted", now);
    }
    status
}

/// The same status with the containers' readiness set to `ready`.
pub fn with_ready(pod: &Pod, ready: bool, now: Timestamp) -> PodStatus {
    let mut status = pod.status.clone().unwrap_or_default();
    for container in status.container_statuses.iter_mut().flatten() {
        container.ready = ready;
    }
    set_readiness(&mut status, ready, "ContainersNotReady", now);
    status
}

/// What every status a node writes shares: scheduled, initialised, host address, start time.
fn base(pod: &Pod, host_ip: Ipv4Addr, now: Timestamp) -> PodStatus {
    let mut status = pod.status.clone().unwrap_or_default();
    status.host_ip = Some(host_ip.to_string());
    status.host_ips = Some(vec![HostIP { ip: host_ip.to_string() }]);
    status.start_time.get_or_insert(Time(now));
    status.qos_class = Some(qos_class(pod).into());
    let conditions = status.conditions.get_or_insert_with(Vec::new);
    set_condition(conditions, "PodScheduled", true, None, now);
    set_condition(conditions, "PodReadyToStartContainers", true, None, now);
    set_condition(conditions, "Initialized", true, None, now);
    status
}

fn set_readiness(status: &mut PodStatus, ready: bool, reason: &str, now: Timestamp) {
    let conditions = status.conditions.get_or_insert_with(Vec::new);
    let reason = (!ready).then_some(reason);
    set_condition(conditions, "ContainersReady", ready, reason, now);
    set_condition(conditions, "Ready", ready, reason, now);
}

/// Sets one condition; its lastTransitionTime moves only when its status changes.
fn set_condition(
    conditions: &mut Vec<PodCondition>,
    type_: &str,
    value: bool,
    reason: Option<&str>,
    now: Timestamp,
) {
    let status = if value { "True" } else { "False" };
    let position = conditions.iter().position(|c| c.type_ == type_);
    let index = position.unwrap_or_else(|| {
        conditions.push(PodCondition { type_: type_.into(), ..PodCondition::default() });
        conditions.len() - 1
    });
    let condition = &mut conditions[index];
    if condition.status != status || condition.last_transition_time.is_none() {
        condition.last_transition_time = Some(Time(now));
    }
    condition.status = status.into();
    condition.reason = reason.map(str::to_owned);
}

fn containers(pod: &Pod) -> &[Container] {
    pod.spec.as_ref().map(|s| s.containers.as_slice()).unwrap_or_default()
}

/// Init containers all ran to completion before the pod started.
fn init_statuses(pod: &Pod, now: Timestamp) -> Option<Vec<ContainerStatus>> {
    let init = pod.spec.as_ref()?.init_containers.as_ref()?;
    let done = |c: &Container| {
        container_status(pod, c, terminated(0, "Completed", Some(Time(now)), now), true, 0)
    };
    Some(init.iter().map(done).collect())
}

fn container_status(
    pod: &Pod,
    container: &Container,
    state: ContainerState,
    ready: bool,
    restarts: i32,
) -> ContainerStatus {
    let uid = pod.metadata.uid.as_deref().unwrap_or_default();
    let image = container.image.clone().unwrap_or_default();
    let running = state.running.is_some();
    ContainerStatus {
        name: container.name.clone(),
        image_id: format!("sim://image/{image}"),
        image,
        container_id: Some(format!("sim://{uid}/{}", container.name)),
        ready: ready && running,
        started: Some(running),
        restart_count: restarts,
        state: Some(state),
        ..ContainerStatus::default()
    }
}

fn running_state(now: Timestamp) -> ContainerState {
    ContainerState {
        running: Some(ContainerStateRunning { started_at: Some(Time(now)) }),
        ..ContainerState::default()
    }
}

fn terminated(code: i32, reason: &str, started: Option<Time>, now: Timestamp) -> ContainerState {
    ContainerState {
        terminated: Some(ContainerStateTerminated {
            exit_code: code,
            reason: Some(reason.into()),
            started_at: started,
            finished_at: Some(Time(now)),
            ..ContainerStateTerminated::default()
        }),
        ..ContainerState::default()
    }
}

/// Guaranteed when every container limits cpu and memory to what it requests, BestEffort when
/// none asks for anything, Burstable otherwise.
pub fn qos_class(pod: &Pod) -> &'static str {
    let all: Vec<&Container> = pod
        .spec
        .iter()
        .flat_map(|s| s.containers.iter().chain(s.init_containers.iter().flatten()))
        .collect();
    let empty = |c: &&Container| {
        c.resources.as_ref().is_none_or(|r| {
            r.requests.as_ref().is_none_or(|m| m.is_empty())
                && r.limits.as_ref().is_none_or(|m| m.is_empty())
        })
    };
    if all.iter().all(empty) {
        return "BestEffort";
    }
    let guaranteed = all.iter().all(|c| {
        let Some(resources) = c.resources.as_ref() else { return false };
        let limits = resources.limits.as_ref();
        ["cpu", "memory"].iter().all(|name| {
            let limit = limits.and_then(|l| l.get(*name));
            let request = resources.requests.as_ref().and_then(|r| r.get(*name)).or(limit);
            limit.is_some() && request == limit
        })
    });
    if guaranteed { "Guaranteed" } else { "Burstable" }
}

#[cfg(test)]
#[path = "pod_status_tests.rs"]
mod tests;

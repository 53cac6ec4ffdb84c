//! What pods request and nodes offer, in the units the filters compare: cpu in millicores,
//! memory and ephemeral storage in bytes, and extended resources (`example.com/gpu`,
//! `hugepages-2Mi`, …) as whole units by name.
//!
//! [`pod_requests`] follows kube-scheduler: the containers' sum plus restartable init
//! containers (sidecars), or the largest init container if that is more, plus the pod
//! overhead; a container's request falls back to its limit.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, PodSpec};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use berth_api::quantity::{parse_bytes, parse_cpu_millis};

/// Requests (or allocatable) of the resources every node has.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Resources {
    pub cpu_millis: i64,
    pub memory: i64,
    pub ephemeral_storage: i64,
}

impl Resources {
    pub fn plus(self, other: Resources) -> Resources {
        Resources {
            cpu_millis: self.cpu_millis + other.cpu_millis,
            memory: self.memory + other.memory,
            ephemeral_storage: self.ephemeral_storage + other.ephemeral_storage,
        }
    }

    pub fn minus(self, other: Resources) -> Resources {
        Resources {
            cpu_millis: self.cpu_millis - other.cpu_millis,
            memory: self.memory - other.memory,
            ephemeral_storage: self.ephemeral_storage - other.ephemeral_storage,
        }
    }
}

/// Extended resources by name, a short list (most pods have none).
pub type Scalars = Vec<(String, i64)>;

/// Default requests for containers that do not ask for cpu or memory (an explicit 0 stays 0),
/// used only by the least-allocated and balanced-allocation scores, never by the filters: as
/// kube-scheduler's `DefaultMilliCPURequest` and `DefaultMemoryRequest`.
pub const DEFAULT_CPU_MILLIS: i64 = 100;
pub const DEFAULT_MEMORY: i64 = 200 * 1024 * 1024;

/// Whether the filters track this resource by name: extended resources (a domain-prefixed
/// name), huge pages and attachable volumes, as kube-scheduler's `IsScalarResourceName`.
pub fn is_scalar(name: &str) -> bool {
    !matches!(name, "cpu" | "memory" | "ephemeral-storage" | "pods")
        && (name.contains('/')
            || name.starts_with("hugepages-")
            || name.starts_with("attachable-volumes-"))
        && !name.starts_with("requests.")
}

fn request<'a>(container: &'a Container, resource: &str) -> Option<&'a Quantity> {
    let resources = container.resources.as_ref()?;
    resources
        .requests
        .as_ref()
        .and_then(|r| r.get(resource))
        .or_else(|| resources.limits.as_ref().and_then(|l| l.get(resource)))
}

/// One quantity of the whole pod from one quantity per container.
fn effective(spec: &PodSpec, per_container: impl Fn(&Container) -> i64) -> i64 {
    let sum: i64 = spec.containers.iter().map(&per_container).sum();
    let (mut sidecars, mut init) = (0, 0);
    for container in spec.init_containers.iter().flatten() {
        let amount = per_container(container);
        if container.restart_policy.as_deref() == Some("Always") {
            sidecars += amount;
            init = init.max(sidecars);
        } else {
            init = init.max(amount + sidecars);
        }
    }
    (sum + sidecars).max(init)
}

/// What a pod asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PodRequests {
    pub requests: Resources,
    /// With the scoring defaults for containers that ask for no cpu or memory.
    pub non_zero: Resources,
    pub scalars: Scalars,
}

pub fn pod_requests(spec: &PodSpec) -> PodRequests {
    let quantity = |name: &'static str, parse: fn(&str) -> i64, default: i64| {
        move |c: &Container| request(c, name).map_or(default, |q| parse(&q.0))
    };
    let overhead = |name: &str, parse: fn(&str) -> i64| {
        spec.overhead.as_ref().and_then(|o| o.get(name)).map_or(0, |q| parse(&q.0))
    };
    let ephemeral = effective(spec, quantity("ephemeral-storage", parse_bytes, 0))
        + overhead("ephemeral-storage", parse_bytes);
    let requests = Resources {
        cpu_millis: effective(spec, quantity("cpu", parse_cpu_millis, 0))
            + overhead("cpu", parse_cpu_millis),
        memory: effective(spec, quantity("memory", parse_bytes, 0))
            + overhead("memory", parse_bytes),
        ephemeral_storage: ephemeral,
    };
    let non_zero = Resources {
        cpu_millis: effective(spec, quantity("cpu", parse_cpu_millis, DEFAULT_CPU_MILLIS))
            + overhead("cpu", parse_cpu_millis),
        memory: effective(spec, quantity("memory", parse_bytes, DEFAULT_MEMORY))
            + overhead("memory", parse_bytes),
        ephemeral_storage: ephemeral,
    };
    let mut names: Vec<&String> = Vec::new();
    for container in spec.containers.iter().chain(spec.init_containers.iter().flatten()) {
        let Some(resources) = container.resources.as_ref() else { continue };
        for map in [resources.requests.as_ref(), resources.limits.as_ref()].into_iter().flatten() {
            for name in map.keys().filter(|n| is_scalar(n)) {
                if !names.contains(&name) {
                    names.push(name);
                }
            }
        }
    }
    let scalars = names
        .into_iter()
        .map(|name| {
            let amount = effective(spec, |c| request(c, name).map_or(0, |q| parse_bytes(&q.0)));
            (name.clone(), amount + overhead(name, parse_bytes))
        })
        .filter(|(_, amount)| *amount > 0)
        .collect();
    PodRequests { requests, non_zero, scalars }
}

/// What a node offers: (resources, pods, extended resources).
pub fn node_allocatable(
    allocatable: Option<&BTreeMap<String, Quantity>>,
) -> (Resources, i64, Scalars) {
    let get = |key: &str| allocatable.and_then(|a| a.get(key)).map(|q| q.0.as_str());
    let resources = Resources {
        cpu_millis: get("cpu").map_or(0, parse_cpu_millis),
        memory: get("memory").map_or(0, parse_bytes),
        ephemeral_storage: get("ephemeral-storage").map_or(0, parse_bytes),
    };
    let pods = get("pods").map_or(0, |p| parse_cpu_millis(p) / 1000);
    let scalars = allocatable
        .into_iter()
        .flatten()
        .filter(|(name, _)| is_scalar(name))
        .map(|(name, q)| (name.clone(), parse_bytes(&q.0)))
        .collect();
    (resources, pods, scalars)
}

/// The amount of `name` in a list of scalars (0 when absent).
pub fn scalar(scalars: &[(String, i64)], name: &str) -> i64 {
    scalars.iter().find(|(n, _)| n == name).map_or(0, |(_, q)| *q)
}

/// Adds (`sign` 1) or takes away (-1) `amounts` from `into`, dropping entries that reach 0.
pub fn add_scalars(into: &mut Scalars, amounts: &[(String, i64)], sign: i64) {
    for (name, amount) in amounts {
        match into.iter().position(|(n, _)| n == name) {
            Some(i) => {
                into[i].1 += sign * amount;
                if into[i].1 == 0 {
                    into.swap_remove(i);
                }
            }
            None => into.push((name.clone(), sign * amount)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_resources_are_tracked_by_name() {
        let cases = [
            ("cpu", false),
            ("memory", false),
            ("ephemeral-storage", false),
            ("pods", false),
            ("example.com/gpu", true),
            ("nvidia.com/gpu", true),
            ("hugepages-2Mi", true),
            ("attachable-volumes-aws-ebs", true),
            ("storage", false),
        ];
        for (name, want) in cases {
            assert_eq!(is_scalar(name), want, "{name}");
        }
    }
}

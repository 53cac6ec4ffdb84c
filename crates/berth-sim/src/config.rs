//! What the simulated nodes look like and how they behave: [`Config`] and its defaults.
//!
//! The defaults follow a kubelet where one exists (a Lease renewed every 10 s, a node status
//! written every 5 minutes) and make pods start at once. The CLI builds a `Config` from its flags
//! with the parsers in [`crate::parse`].

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::core::v1::Taint;

use crate::Error;

/// How many nodes to simulate, what they offer and how their pods behave.
#[derive(Clone, Debug)]
pub struct Config {
    /// Number of nodes `<name_prefix>0 … <name_prefix>N-1` (ignored when `names` is set).
    pub count: usize,
    /// Prefix of generated node names.
    pub name_prefix: String,
    /// Explicit node names instead of `name_prefix` + index.
    pub names: Option<Vec<String>>,
    /// CPU capacity (and allocatable) of each node.
    pub cpu: String,
    /// Memory capacity (and allocatable).
    pub memory: String,
    /// Pod capacity (and allocatable).
    pub pods: String,
    /// Ephemeral storage capacity (and allocatable).
    pub ephemeral_storage: String,
    /// Further resources (extended resources such as `example.com/gpu`), name → quantity.
    pub extra_resources: BTreeMap<String, String>,
    /// Labels beyond the standard ones (hostname, os, arch, instance type, `type=sim`).
    pub labels: BTreeMap<String, String>,
    /// Taints every node carries.
    pub taints: Vec<Taint>,
    /// How often each node renews its Lease in `kube-node-lease`.
    pub lease_interval: Duration,
    /// `leaseDurationSeconds` written into each Lease.
    pub lease_duration_seconds: i32,
    /// How often each node rewrites its status (conditions' `lastHeartbeatTime`).
    pub status_interval: Duration,
    /// Time from a pod being bound to it being Running (counted from `PodScheduled`).
    pub startup_delay: Duration,
    /// Time from a pod being marked for deletion to the node deleting it.
    pub stop_delay: Duration,
    /// Fraction (0–1) of pods that go to Failed instead of Running; picked by pod UID.
    pub fail_fraction: f64,
    /// Most status writes and deletes in flight at once, over all nodes.
    pub max_in_flight: usize,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            count: 1,
            name_prefix: "sim-node-".into(),
            names: None,
            cpu: "32".into(),
            memory: "256Gi".into(),
            pods: "110".into(),
            ephemeral_storage: "1Ti".into(),
            extra_resources: BTreeMap::new(),
            labels: BTreeMap::new(),
            taints: Vec::new(),
            lease_interval: Duration::from_secs(10),
            lease_duration_seconds: 40,
            status_interval: Duration::from_secs(300),
            startup_delay: Duration::ZERO,
            stop_delay: Duration::ZERO,
            fail_fraction: 0.0,
            max_in_flight: 64,
        }
    }
}

impl Config {
    /// The node names, in index order: the explicit list, or `<prefix>0 … <prefix>N-1`.
    pub fn node_names(&self) -> Vec<String> {
        match &self.names {
            Some(names) => names.clone(),
            None => (0..self.count).map(|i| format!("{}{i}", self.name_prefix)).collect(),
        }
    }

    /// Capacity and allocatable of each node, resource name → quantity.
    pub fn resources(&self) -> BTreeMap<String, String> {
        let mut resources = self.extra_resources.clone();
        resources.insert("cpu".into(), self.cpu.clone());
        resources.insert("memory".into(), self.memory.clone());
        resources.insert("pods".into(), self.pods.clone());
        resources.insert("ephemeral-storage".into(), self.ephemeral_storage.clone());
        resources
    }

    /// Refuses settings that cannot work (no nodes, duplicate names, a fraction outside 0–1).
    pub fn validate(&self) -> Result<(), Error> {
        let names = self.node_names();
        if names.is_empty() {
            return Err(Error::Config("no nodes to simulate".into()));
        }
        let mut seen = std::collections::HashSet::new();
        for name in &names {
            if name.is_empty() || !seen.insert(name) {
                return Err(Error::Config(format!("node name {name:?} is empty or repeated")));
            }
        }
        if !(0.0..=1.0).contains(&self.fail_fraction) {
            return Err(Error::Config(format!(
                "fail fraction {} is not between 0 and 1",
                self.fail_fraction
            )));
        }
        if self.lease_interval.is_zero() || self.status_interval.is_zero() {
            return Err(Error::Config("heartbeat intervals must be above zero".into()));
        }
        if self.max_in_flight == 0 {
            return Err(Error::Config("max in flight must be at least 1".into()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_names_come_from_prefix_and_count_or_the_explicit_list() {
        let config = Config { count: 3, ..Config::default() };
        assert_eq!(config.node_names(), ["sim-node-0", "sim-node-1", "sim-node-2"]);
        let config = Config { names: Some(vec!["a".into(), "b".into()]), ..Config::default() };
        assert_eq!(config.node_names(), ["a", "b"]);
    }

    #[test]
    fn validate_refuses_what_cannot_work() {
        let cases: [(Config, bool); 5] = [
            (Config::default(), true),
            (Config { count: 0, ..Config::default() }, false),
            (Config { names: Some(vec!["a".into(), "a".into()]), ..Config::default() }, false),
            (Config { fail_fraction: 1.5, ..Config::default() }, false),
            (Config { lease_interval: Duration::ZERO, ..Config::default() }, false),
        ];
        for (config, ok) in cases {
            assert_eq!(config.validate().is_ok(), ok, "{config:?}");
        }
    }

    #[test]
    fn resources_hold_the_standard_four_and_the_extras() {
        let mut config = Config::default();
        config.extra_resources.insert("example.com/gpu".into(), "4".into());
        let resources = config.resources();
        assert_eq!(resources["cpu"], "32");
        assert_eq!(resources["memory"], "256Gi");
        assert_eq!(resources["pods"], "110");
        assert_eq!(resources["example.com/gpu"], "4");
    }
}

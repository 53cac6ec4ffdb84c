//! Pods the scheduler has bound but not yet seen bound in the watch ("assumed"): they hold
//! their place in the snapshot so that the next decisions see their requests.
//!
//! An assumption lives while its binding is in flight, then for a time to live once the
//! binding has succeeded; if the watch has not shown the pod bound by then, the assumption
//! expires and the pod leaves the snapshot (kube-scheduler's assumed-pod TTL), so a binding
//! whose result never shows up cannot hold room forever.

use std::collections::HashMap;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    node: String,
    /// None while the binding is in flight.
    expires: Option<Instant>,
}

#[derive(Debug, Default)]
pub struct Assumed {
    entries: HashMap<String, Entry>,
    ttl: Duration,
}

impl Assumed {
    pub fn new(ttl: Duration) -> Assumed {
        Assumed { entries: HashMap::new(), ttl }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn contains(&self, key: &str) -> bool {
        self.entries.contains_key(key)
    }

    /// The pod is placed on `node` and its binding starts.
    pub fn assume(&mut self, key: &str, node: &str) {
        self.entries.insert(key.to_owned(), Entry { node: node.to_owned(), expires: None });
    }

    /// The binding succeeded at `now`: the watch has the time to live to show it.
    pub fn bound(&mut self, key: &str, now: Instant) {
        if let Some(entry) = self.entries.get_mut(key) {
            entry.expires = Some(now + self.ttl);
        }
    }

    /// The watch showed the pod (bound, gone, or failed to bind): no longer assumed. Returns
    /// the node it was assumed on.
    pub fn forget(&mut self, key: &str) -> Option<String> {
        self.entries.remove(key).map(|e| e.node)
    }

    /// Removes and returns (key, node) of every assumption whose time ran out by `now`.
    pub fn expire(&mut self, now: Instant) -> Vec<(String, String)> {
        let expired: Vec<String> = self
            .entries
            .iter()
            .filter(|(_, e)| e.expires.is_some_and(|at| at <= now))
            .map(|(k, _)| k.clone())
            .collect();
        expired
            .into_iter()
            .filter_map(|key| self.entries.remove(&key).map(|e| (key, e.node)))
            .collect()
    }

    /// When the earliest assumption expires.
    pub fn next_expiry(&self) -> Option<Instant> {
        self.entries.values().filter_map(|e| e.expires).min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    enum Step {
        Assume(&'static str, &'static str),
        Bound(&'static str, u64),
        Forget(&'static str),
        /// Expire at this many seconds; the keys expected to go.
        Expire(u64, &'static [&'static str]),
    }

    #[test]
    fn assumptions_expire_only_after_a_successful_binding() {
        use Step::*;
        let cases: Vec<(&str, Vec<Step>)> = vec![
            ("a binding in flight never expires", vec![Assume("a", "n1"), Expire(1000, &[])]),
            (
                "a bound pod the watch never shows expires after the ttl",
                vec![Assume("a", "n1"), Bound("a", 5), Expire(34, &[]), Expire(35, &["a"])],
            ),
            (
                "a pod the watch showed is not expired",
                vec![Assume("a", "n1"), Bound("a", 0), Forget("a"), Expire(100, &[])],
            ),
            (
                "each assumption has its own clock",
                vec![
                    Assume("a", "n1"),
                    Assume("b", "n2"),
                    Bound("a", 0),
                    Bound("b", 20),
                    Expire(40, &["a"]),
                    Expire(50, &["b"]),
                ],
            ),
        ];
        for (name, steps) in cases {
            let start = Instant::now();
            let at = |s: u64| start + Duration::from_secs(s);
            let mut assumed = Assumed::new(Duration::from_secs(30));
            for step in steps {
                match step {
                    Assume(key, node) => assumed.assume(key, node),
                    Bound(key, s) => assumed.bound(key, at(s)),
                    Forget(key) => {
                        assumed.forget(key);
                    }
                    Expire(s, want) => {
                        let mut got: Vec<String> =
                            assumed.expire(at(s)).into_iter().map(|(k, _)| k).collect();
                        got.sort();
                        assert_eq!(got, *want, "case: {name} at {s}s");
                        assert!(want.iter().all(|k| !assumed.contains(k)), "case: {name}");
                    }
                }
            }
        }
    }
}

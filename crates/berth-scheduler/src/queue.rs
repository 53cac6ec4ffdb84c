//! The scheduling queue, kube-scheduler's three queues in one pure structure driven by the
//! caller's clock: an active queue (highest priority first, then first come), a backoff queue
//! (1 s doubling to 10 s per failed attempt) and the unschedulable pods, which go back when the
//! cluster changes ([`Queue::move_all`]) or after a minute.
//!
//! A popped pod is in flight until [`Queue::done`], [`Queue::failed`] or [`Queue::retry`];
//! updates that arrive meanwhile replace the stored pod without queueing it twice.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Pod;

/// Backoff and retry timings; Kubernetes' defaults.
#[derive(Debug, Clone, Copy)]
pub struct Timings {
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// How long an unschedulable pod waits for a cluster change before it is tried again.
    pub unschedulable_timeout: Duration,
}

impl Default for Timings {
    fn default() -> Timings {
        Timings {
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(10),
            unschedulable_timeout: Duration::from_secs(60),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Active(u64),
    Backoff(u64),
    Unschedulable(Instant, u64),
    InFlight,
}

#[derive(Debug)]
struct Entry {
    pod: Arc<Pod>,
    priority: i32,
    attempts: u32,
    last_attempt: Option<Instant>,
    place: Place,
    /// The move counter when the pod was popped: a move since then means the failure may be stale.
    popped_at_move: u64,
}

#[derive(Debug, Default)]
pub struct Queue {
    timings: Timings,
    entries: HashMap<String, Entry>,
    /// (priority, earlier first, key); stale heap items are skipped on pop.
    active: BinaryHeap<(i32, Reverse<u64>, String)>,
    backoff: BinaryHeap<Reverse<(Instant, u64, String)>>,
    /// Unschedulable pods in the order they failed; stale items are skipped.
    unschedulable: VecDeque<(Instant, u64, String)>,
    seq: u64,
    moves: u64,
}

fn key_of(pod: &Pod) -> String {
    format!(
        "{}/{}",
        pod.metadata.namespace.as_deref().unwrap_or_default(),
        pod.metadata.name.as_deref().unwrap_or_default()
    )
}

impl Queue {
    pub fn new(timings: Timings) -> Queue {
        Queue { timings, ..Queue::default() }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.entries.keys()
    }

    fn activate(&mut self, key: &str) {
        self.seq += 1;
        let Some(entry) = self.entries.get_mut(key) else { return };
        entry.place = Place::Active(self.seq);
        self.active.push((entry.priority, Reverse(self.seq), key.to_owned()));
    }

    fn back_off(&mut self, key: &str, now: Instant) {
        self.seq += 1;
        let Some(entry) = self.entries.get_mut(key) else { return };
        let doublings = entry.attempts.saturating_sub(1).min(16);
        let wait =
            (self.timings.initial_backoff * 2u32.pow(doublings)).min(self.timings.max_backoff);
        let until = entry.last_attempt.map_or(now, |t| t + wait);
        if until <= now {
            self.activate(key);
            return;
        }
        entry.place = Place::Backoff(self.seq);
        self.backoff.push(Reverse((until, self.seq, key.to_owned())));
    }

    /// A pending pod was seen (added or updated). New pods go to the active queue; an
    /// unschedulable pod whose spec or labels changed is tried again.
    pub fn upsert(&mut self, pod: Arc<Pod>) {
        let key = key_of(&pod);
        let priority = pod.spec.as_ref().and_then(|s| s.priority).unwrap_or(0);
        match self.entries.get_mut(&key) {
            Some(entry) => {
                let changed =
                    entry.pod.spec != pod.spec || entry.pod.metadata.labels != pod.metadata.labels;
                entry.pod = pod;
                entry.priority = priority;
                if changed && matches!(entry.place, Place::Unschedulable(..)) {
                    self.activate(&key);
                }
            }
            None => {
                let entry = Entry {
                    pod,
                    priority,
                    attempts: 0,
                    last_attempt: None,
                    place: Place::InFlight,
                    popped_at_move: 0,
                };
                self.entries.insert(key.clone(), entry);
                self.activate(&key);
            }
        }
    }

    /// The pod is gone, bound by someone else, or no longer ours.
    pub fn remove(&mut self, key: &str) {
        self.entries.remove(key);
    }

    /// Moves due backoff and timed-out unschedulable pods to the active queue.
    fn flush(&mut self, now: Instant) {
        while let Some(Reverse((until, seq, _))) = self.backoff.peek() {
            if *until > now {
                break;
            }
            let (seq, key) =
                (*seq, self.backoff.pop().map(|Reverse((_, _, k))| k).unwrap_or_default());
            if self.entries.get(&key).is_some_and(|e| e.place == Place::Backoff(seq)) {
                self.activate(&key);
            }
        }
        let timeout = self.timings.unschedulable_timeout;
        while let Some((since, seq, _)) = self.unschedulable.front() {
            if now < *since + timeout {
                break;
            }
            let (since, seq) = (*since, *seq);
            let key = self.unschedulable.pop_front().map(|(_, _, k)| k).unwrap_or_default();
            if self.entries.get(&key).is_some_and(|e| e.place == Place::Unschedulable(since, seq)) {
                self.activate(&key);
            }
        }
    }

    /// The next pod to schedule, if one is ready at `now`.
    pub fn pop(&mut self, now: Instant) -> Option<(String, Arc<Pod>)> {
        self.flush(now);
        while let Some((_, Reverse(seq), key)) = self.active.pop() {
            let moves = self.moves;
            let Some(entry) = self.entries.get_mut(&key) else { continue };
            if entry.place != Place::Active(seq) {
                continue;
            }
            entry.place = Place::InFlight;
            entry.attempts += 1;
            entry.last_attempt = Some(now);
            entry.popped_at_move = moves;
            return Some((key, entry.pod.clone()));
        }
        None
    }

    /// Whether [`Queue::pop`] would return a pod now (without flushing).
    pub fn has_active(&self) -> bool {
        !self.active.is_empty()
    }

    /// When the earliest backoff or unschedulable timeout ends.
    pub fn next_wakeup(&self) -> Option<Instant> {
        let backoff = self.backoff.peek().map(|Reverse((t, _, _))| *t);
        let unschedulable = self
            .unschedulable
            .front()
            .map(|(since, _, _)| *since + self.timings.unschedulable_timeout);
        backoff.into_iter().chain(unschedulable).min()
    }

    /// The pod was bound: forget it.
    pub fn done(&mut self, key: &str) {
        self.entries.remove(key);
    }

    /// The pod fits nowhere. If the cluster changed while it was being scheduled it goes to
    /// backoff, otherwise it waits for a change.
    pub fn failed(&mut self, key: &str, now: Instant) {
        let moves = self.moves;
        let Some(entry) = self.entries.get_mut(key) else { return };
        if entry.popped_at_move != moves {
            self.back_off(key, now);
        } else {
            self.seq += 1;
            entry.place = Place::Unschedulable(now, self.seq);
            self.unschedulable.push_back((now, self.seq, key.to_owned()));
        }
    }

    /// Something went wrong on the way (binding failed): try again after the backoff.
    pub fn retry(&mut self, key: &str, now: Instant) {
        if self.entries.contains_key(key) {
            self.back_off(key, now);
        }
    }

    /// The cluster changed in a way that may let unschedulable pods fit.
    pub fn move_all(&mut self, now: Instant) {
        self.moves += 1;
        let waiting: Vec<String> = std::mem::take(&mut self.unschedulable)
            .into_iter()
            .filter(|(since, seq, key)| {
                self.entries.get(key).is_some_and(|e| e.place == Place::Unschedulable(*since, *seq))
            })
            .map(|(_, _, key)| key)
            .collect();
        for key in waiting {
            self.back_off(&key, now);
        }
    }
}

#[cfg(test)]
mod tests;

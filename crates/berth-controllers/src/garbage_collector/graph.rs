//! The garbage collector's picture of the cluster: every object that can own or be owned, by
//! uid, with its owner references, and for each owner the uids that name it. Pure: the watch
//! loop feeds it ([`Graph::upsert`], [`Graph::remove`]), which say which objects to look at
//! next; [`Graph::decide`] says what to do with one, and [`verdict`] judges a dependent once
//! the state of each of its owners is known.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;

pub const FOREGROUND: &str = "foregroundDeletion";
pub const ORPHAN: &str = "orphan";

/// A resource kind the collector watches: how to reach its objects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kind {
    pub resource: kube::discovery::ApiResource,
    pub namespaced: bool,
}

/// One object as the collector sees it.
#[derive(Debug, Clone)]
pub struct Node {
    pub kind: Arc<Kind>,
    pub namespace: Option<String>,
    pub name: String,
    pub owners: Vec<OwnerReference>,
    pub deleting: bool,
    pub finalizers: Vec<String>,
}

impl Node {
    fn has(&self, finalizer: &str) -> bool {
        self.finalizers.iter().any(|f| f == finalizer)
    }

    /// Marked for deletion and waiting for its dependents to go first.
    pub fn deleting_dependents(&self) -> bool {
        self.deleting && self.has(FOREGROUND)
    }

    fn orphaning(&self) -> bool {
        self.deleting && self.has(ORPHAN)
    }
}

/// Objects by uid and, for every owner uid, the uids of its dependents.
#[derive(Debug, Default)]
pub struct Graph {
    nodes: HashMap<String, Node>,
    dependents: HashMap<String, HashSet<String>>,
}

/// What to do with one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Nothing,
    /// Look at these objects (dependents of an owner in foreground deletion).
    Visit(Vec<String>),
    /// Remove this finalizer from the object: its work is done.
    RemoveFinalizer(&'static str),
    /// Remove the owner reference to this object from these dependents, then its `orphan`
    /// finalizer.
    Orphan(Vec<String>),
    /// Check the object's owners (live) and delete it if none is left.
    CheckOwners,
}

/// An owner of a dependent, as found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerState {
    /// Exists and is not waiting for its dependents.
    Solid,
    /// Gone (or replaced by another object of the same name).
    Dangling,
    /// Being deleted in the foreground: waits for its dependents.
    Waiting,
}

/// What to do with a dependent given its owners.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Keep,
    /// Some owner is solid: just drop the references to these (gone or waiting) owners.
    RemoveReferences(Vec<String>),
    /// No solid owner: delete, in the foreground when an owner waits on it.
    Delete {
        foreground: bool,
    },
}

/// Judges a dependent from its owners' states (by owner uid). A dependent that an owner waits
/// on goes in the foreground itself when it has dependents of its own.
pub fn verdict(owners: &[(String, OwnerState)], has_dependents: bool) -> Verdict {
    if owners.is_empty() {
        return Verdict::Keep;
    }
    if owners.iter().any(|(_, s)| *s == OwnerState::Solid) {
        let drop: Vec<String> = owners
            .iter()
            .filter(|(_, s)| *s != OwnerState::Solid)
            .map(|(u, _)| u.clone())
            .collect();
        return if drop.is_empty() { Verdict::Keep } else { Verdict::RemoveReferences(drop) };
    }
    let foreground = has_dependents && owners.iter().any(|(_, s)| *s == OwnerState::Waiting);
    Verdict::Delete { foreground }
}

impl Graph {
    pub fn get(&self, uid: &str) -> Option<&Node> {
        self.nodes.get(uid)
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Uids of the objects of `kind` (to find the ones a relist no longer shows).
    pub fn uids_of(&self, kind: &Kind) -> Vec<String> {
        self.nodes.iter().filter(|(_, n)| n.kind.as_ref() == kind).map(|(u, _)| u.clone()).collect()
    }

    /// Records `node`; returns the uids to look at because of the change.
    pub fn upsert(&mut self, uid: &str, node: Node) -> Vec<String> {
        let mut visit = Vec::new();
        let previous = self.nodes.remove(uid);
        if let Some(previous) = &previous {
            for owner in &previous.owners {
                if !node.owners.iter().any(|o| o.uid == owner.uid) {
                    self.unlink(&owner.uid, uid);
                    // A dependent let go: an owner waiting for it may finish.
                    if self.nodes.get(&owner.uid).is_some_and(Node::deleting_dependents) {
                        visit.push(owner.uid.clone());
                    }
                }
            }
        }
        for owner in &node.owners {
            self.dependents.entry(owner.uid.clone()).or_default().insert(uid.to_owned());
            match self.nodes.get(&owner.uid) {
                None => visit.push(uid.to_owned()),
                Some(o) if o.deleting_dependents() => visit.push(uid.to_owned()),
                Some(_) => {}
            }
        }
        if node.deleting_dependents() || node.orphaning() {
            visit.push(uid.to_owned());
        }
        let deleting_dependents = node.deleting_dependents();
        self.nodes.insert(uid.to_owned(), node);
        if deleting_dependents {
            visit.extend(self.dependents.get(uid).into_iter().flatten().cloned());
        }
        visit.sort();
        visit.dedup();
        visit
    }

    /// Forgets `uid`; returns its dependents (their owner is gone) and owners waiting for it.
    pub fn remove(&mut self, uid: &str) -> Vec<String> {
        let mut visit: Vec<String> =
            self.dependents.get(uid).into_iter().flatten().cloned().collect();
        if let Some(node) = self.nodes.remove(uid) {
            for owner in &node.owners {
                self.unlink(&owner.uid, uid);
                if self.nodes.get(&owner.uid).is_some_and(|o| o.deleting) {
                    visit.push(owner.uid.clone());
                }
            }
        }
        visit.sort();
        visit.dedup();
        visit
    }

    fn unlink(&mut self, owner: &str, dependent: &str) {
        if let Some(set) = self.dependents.get_mut(owner) {
            set.remove(dependent);
            if set.is_empty() {
                self.dependents.remove(owner);
            }
        }
    }

    /// The dependents of `uid` that are in the graph.
    pub fn dependents_of(&self, uid: &str) -> Vec<String> {
        let set = self.dependents.get(uid).into_iter().flatten();
        set.filter(|d| self.nodes.contains_key(*d)).cloned().collect()
    }

    /// What to do with `uid` now.
    pub fn decide(&self, uid: &str) -> Decision {
        let Some(node) = self.nodes.get(uid) else { return Decision::Nothing };
        if node.orphaning() {
            return Decision::Orphan(self.dependents_of(uid));
        }
        if node.deleting_dependents() {
            let dependents = self.dependents_of(uid);
            let blocking = dependents.iter().any(|d| {
                self.nodes.get(d).is_some_and(|dep| {
                    dep.owners.iter().any(|o| o.uid == uid && o.block_owner_deletion == Some(true))
                })
            });
            if !blocking {
                return Decision::RemoveFinalizer(FOREGROUND);
            }
            let waiting: Vec<String> = dependents
                .into_iter()
                .filter(|d| self.nodes.get(d).is_some_and(|dep| !dep.deleting))
                .collect();
            return Decision::Visit(waiting);
        }
        if node.deleting || node.owners.is_empty() {
            return Decision::Nothing;
        }
        Decision::CheckOwners
    }

    /// An owner's state as far as the graph knows: `None` when it is not in the graph (then
    /// only a live read can tell).
    pub fn owner_state(&self, owner: &OwnerReference) -> Option<OwnerState> {
        let node = self.nodes.get(&owner.uid)?;
        Some(if node.deleting_dependents() { OwnerState::Waiting } else { OwnerState::Solid })
    }
}

#[cfg(test)]
mod tests;

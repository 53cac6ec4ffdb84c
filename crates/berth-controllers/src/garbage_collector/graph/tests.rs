//! Table-driven tests of the collector's decisions.

use super::*;
use kube::discovery::ApiResource;

fn kind() -> Arc<Kind> {
    Arc::new(Kind {
        resource: ApiResource {
            group: "apps".into(),
            version: "v1".into(),
            api_version: "apps/v1".into(),
            kind: "ReplicaSet".into(),
            plural: "replicasets".into(),
        },
        namespaced: true,
    })
}

fn reference(uid: &str, block: bool) -> OwnerReference {
    OwnerReference {
        api_version: "apps/v1".into(),
        kind: "Deployment".into(),
        name: uid.into(),
        uid: uid.into(),
        controller: Some(true),
        block_owner_deletion: Some(block),
    }
}

fn node(owners: &[(&str, bool)], deleting: bool, finalizers: &[&str]) -> Node {
    Node {
        kind: kind(),
        namespace: Some("default".into()),
        name: "x".into(),
        owners: owners.iter().map(|(u, b)| reference(u, *b)).collect(),
        deleting,
        finalizers: finalizers.iter().map(|f| (*f).to_owned()).collect(),
    }
}

#[test]
fn verdicts_delete_only_without_a_solid_owner() {
    use OwnerState::*;
    let cases: [(&[OwnerState], bool, Verdict); 7] = [
        (&[], false, Verdict::Keep),
        (&[Solid], false, Verdict::Keep),
        (&[Dangling], false, Verdict::Delete { foreground: false }),
        (&[Dangling, Dangling], true, Verdict::Delete { foreground: false }),
        (&[Waiting], true, Verdict::Delete { foreground: true }),
        (&[Waiting], false, Verdict::Delete { foreground: false }),
        (
            &[Solid, Dangling, Waiting],
            true,
            Verdict::RemoveReferences(vec!["o1".into(), "o2".into()]),
        ),
    ];
    for (states, has_dependents, expected) in cases {
        let owners: Vec<(String, OwnerState)> =
            states.iter().enumerate().map(|(i, s)| (format!("o{i}"), *s)).collect();
        assert_eq!(verdict(&owners, has_dependents), expected, "{states:?}");
    }
}

#[test]
fn a_dependent_whose_owner_is_unknown_is_looked_at() {
    let mut graph = Graph::default();
    assert_eq!(
        graph.upsert("child", node(&[("owner", true)], false, &[])),
        vec!["child".to_owned()]
    );
    assert_eq!(graph.decide("child"), Decision::CheckOwners);
    assert!(graph.upsert("owner", node(&[], false, &[])).is_empty());
    assert_eq!(graph.owner_state(&reference("owner", true)), Some(OwnerState::Solid));
    assert_eq!(graph.remove("owner"), vec!["child".to_owned()]);
    assert_eq!(graph.owner_state(&reference("owner", true)), None);
}

#[test]
fn foreground_deletion_waits_for_blocking_dependents() {
    let mut graph = Graph::default();
    graph.upsert("owner", node(&[], false, &[]));
    graph.upsert("blocking", node(&[("owner", true)], false, &[]));
    graph.upsert("loose", node(&[("owner", false)], false, &[]));
    let visit = graph.upsert("owner", node(&[], true, &[FOREGROUND]));
    assert_eq!(visit, vec!["blocking".to_owned(), "loose".to_owned(), "owner".to_owned()]);
    assert_eq!(graph.owner_state(&reference("owner", true)), Some(OwnerState::Waiting));
    let Decision::Visit(mut waiting) = graph.decide("owner") else { panic!("expected Visit") };
    waiting.sort();
    assert_eq!(waiting, vec!["blocking".to_owned(), "loose".to_owned()]);
    // The blocking dependent goes: the owner is looked at again and may finish.
    assert_eq!(graph.remove("blocking"), vec!["owner".to_owned()]);
    assert_eq!(graph.decide("owner"), Decision::RemoveFinalizer(FOREGROUND));
}

#[test]
fn orphaning_lists_every_dependent() {
    let mut graph = Graph::default();
    graph.upsert("owner", node(&[], false, &[]));
    graph.upsert("a", node(&[("owner", true)], false, &[]));
    graph.upsert("b", node(&[("owner", false)], false, &[]));
    assert_eq!(graph.upsert("owner", node(&[], true, &[ORPHAN])), vec!["owner".to_owned()]);
    let Decision::Orphan(mut dependents) = graph.decide("owner") else { panic!("expected Orphan") };
    dependents.sort();
    assert_eq!(dependents, vec!["a".to_owned(), "b".to_owned()]);
    // Once a dependent let go of its owner it is no longer listed.
    graph.upsert("a", node(&[], false, &[]));
    assert_eq!(graph.decide("owner"), Decision::Orphan(vec!["b".to_owned()]));
}

#[test]
fn objects_being_deleted_or_without_owners_need_nothing() {
    let mut graph = Graph::default();
    graph.upsert("free", node(&[], false, &[]));
    graph.upsert("going", node(&[("x", true)], true, &["example.com/other"]));
    assert_eq!(graph.decide("free"), Decision::Nothing);
    assert_eq!(graph.decide("going"), Decision::Nothing);
    assert_eq!(graph.decide("unknown"), Decision::Nothing);
}

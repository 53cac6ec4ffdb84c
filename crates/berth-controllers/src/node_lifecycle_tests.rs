//! Table tests of node health by lease age and of eviction times.

use super::*;

fn at(second: i64) -> Timestamp {
    Timestamp::from_second(second).unwrap_or(Timestamp::UNIX_EPOCH)
}

#[test]
fn health_by_lease_age() {
    let grace = Duration::from_secs(40);
    // (reported Ready, lease renewed, created, now) → health
    let cases = [
        (Some("True"), Some(100), 0, 130, Health::Ready),
        (Some("True"), Some(100), 0, 140, Health::Ready),
        (Some("True"), Some(100), 0, 141, Health::Unknown),
        (Some("False"), Some(100), 0, 120, Health::NotReady),
        (Some("False"), Some(100), 0, 200, Health::Unknown),
        (Some("Unknown"), Some(190), 0, 200, Health::Ready),
        (None, None, 100, 120, Health::Ready),
        (None, None, 100, 141, Health::Unknown),
    ];
    for (ready, renewed, created, now, want) in cases {
        assert_eq!(
            health(ready, renewed.map(at), at(created), at(now), grace),
            want,
            "{ready:?} {renewed:?} {now}"
        );
    }
}

fn taint(key: &str, effect: &str, added: i64) -> Taint {
    Taint { key: key.into(), effect: effect.into(), time_added: Some(Time(at(added))), value: None }
}

fn toleration(key: Option<&str>, seconds: Option<i64>) -> Toleration {
    Toleration {
        key: key.map(str::to_owned),
        operator: Some("Exists".into()),
        effect: Some("NoExecute".into()),
        toleration_seconds: seconds,
        value: None,
    }
}

#[test]
fn eviction_times() {
    let unreachable = taint(UNREACHABLE, "NoExecute", 100);
    /// (what, the pod's tolerations, the node's taints, seconds until eviction)
    type Case = (&'static str, Vec<Toleration>, Vec<Taint>, Option<i64>);
    let cases: Vec<Case> = vec![
        ("no taint", vec![], vec![], None),
        ("NoSchedule only", vec![], vec![taint(UNREACHABLE, "NoSchedule", 100)], None),
        ("untolerated: at once", vec![], vec![unreachable.clone()], Some(100)),
        (
            "default 300 s",
            vec![toleration(Some(UNREACHABLE), Some(300))],
            vec![unreachable.clone()],
            Some(400),
        ),
        (
            "tolerated for ever",
            vec![toleration(Some(UNREACHABLE), None)],
            vec![unreachable.clone()],
            None,
        ),
        ("a wildcard toleration", vec![toleration(None, None)], vec![unreachable.clone()], None),
        (
            "other key does not help",
            vec![toleration(Some(NOT_READY), Some(5))],
            vec![unreachable.clone()],
            Some(100),
        ),
        (
            "earliest taint wins",
            vec![toleration(Some(UNREACHABLE), Some(300)), toleration(Some(NOT_READY), Some(5))],
            vec![unreachable, taint(NOT_READY, "NoExecute", 150)],
            Some(155),
        ),
    ];
    for (name, tolerations, taints, want) in cases {
        assert_eq!(evict_at(&tolerations, &taints), want.map(at), "{name}");
    }
}

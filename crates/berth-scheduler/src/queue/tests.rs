//! The queue's order, backoff and retry rules, on a hand-driven clock.

use std::sync::Arc;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Pod;
use serde_json::json;

use super::{Queue, Timings};

fn pod(name: &str, priority: i32) -> Arc<Pod> {
    Arc::new(
        serde_json::from_value(json!({"metadata": {"name": name, "namespace": "ns"}, "spec": {"containers": [], "priority": priority}}))
            .expect("pod"),
    )
}

fn names(queue: &mut Queue, now: Instant) -> Vec<String> {
    std::iter::from_fn(|| queue.pop(now).map(|(k, _)| k)).collect()
}

#[test]
fn higher_priority_first_then_first_come() {
    let mut queue = Queue::new(Timings::default());
    let now = Instant::now();
    queue.upsert(pod("a", 0));
    queue.upsert(pod("b", 10));
    queue.upsert(pod("c", 0));
    queue.upsert(pod("a", 0));
    assert_eq!(names(&mut queue, now), ["ns/b", "ns/a", "ns/c"]);
}

#[test]
fn backoff_doubles_up_to_the_maximum() {
    let mut queue = Queue::new(Timings::default());
    let t0 = Instant::now();
    queue.upsert(pod("a", 0));
    let mut now = t0;
    for want in [1, 2, 4, 8, 10, 10] {
        assert!(queue.pop(now).is_some());
        queue.retry("ns/a", now);
        assert!(
            queue.pop(now + Duration::from_millis(want * 1000 - 1)).is_none(),
            "before {want}s"
        );
        assert_eq!(queue.next_wakeup(), Some(now + Duration::from_secs(want)));
        now += Duration::from_secs(want);
    }
    assert!(queue.pop(now).is_some());
}

#[test]
fn unschedulable_pods_wait_for_a_change_or_a_minute() {
    let mut queue = Queue::new(Timings::default());
    let t0 = Instant::now();
    queue.upsert(pod("a", 0));
    queue.upsert(pod("b", 0));
    let (a, _) = queue.pop(t0).expect("a");
    let (b, _) = queue.pop(t0).expect("b");
    queue.failed(&a, t0);
    queue.failed(&b, t0);
    assert!(queue.pop(t0 + Duration::from_secs(30)).is_none());
    // A change moves them to backoff: ready one second after their attempt.
    queue.move_all(t0 + Duration::from_millis(500));
    assert!(queue.pop(t0 + Duration::from_millis(900)).is_none());
    assert_eq!(names(&mut queue, t0 + Duration::from_secs(1)).len(), 2);
    queue.failed("ns/a", t0 + Duration::from_secs(1));
    assert!(queue.pop(t0 + Duration::from_secs(60)).is_none());
    assert_eq!(names(&mut queue, t0 + Duration::from_secs(61)), ["ns/a"]);
}

#[test]
fn a_change_during_the_attempt_sends_the_failure_to_backoff() {
    let mut queue = Queue::new(Timings::default());
    let t0 = Instant::now();
    queue.upsert(pod("a", 0));
    let (a, _) = queue.pop(t0).expect("a");
    queue.move_all(t0);
    queue.failed(&a, t0);
    assert_eq!(names(&mut queue, t0 + Duration::from_secs(1)), ["ns/a"]);
}

#[test]
fn an_edited_unschedulable_pod_is_tried_at_once_and_removed_pods_never() {
    let mut queue = Queue::new(Timings::default());
    let t0 = Instant::now();
    queue.upsert(pod("a", 0));
    queue.upsert(pod("b", 0));
    let (a, _) = queue.pop(t0).expect("a");
    queue.failed(&a, t0);
    queue.upsert(pod("a", 0));
    assert_eq!(names(&mut queue, t0), ["ns/b"]);
    queue.upsert(pod("a", 5));
    queue.remove("ns/b");
    assert_eq!(names(&mut queue, t0), ["ns/a"]);
    queue.done("ns/a");
    assert!(queue.is_empty());
}

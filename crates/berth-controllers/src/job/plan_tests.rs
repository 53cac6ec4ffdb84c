//! Table tests of the job plan.

use super::*;

fn at(second: i64) -> Timestamp {
    Timestamp::from_second(second).unwrap_or(Timestamp::UNIX_EPOCH)
}

fn pod(name: &str, phase: &str) -> PodView {
    PodView {
        name: name.into(),
        uid: format!("u-{name}"),
        phase: phase.into(),
        tracked: true,
        ..PodView::default()
    }
}

fn job(completions: Option<u32>, parallelism: u32) -> JobView {
    JobView {
        completions,
        parallelism,
        backoff_limit: 6,
        start_time: Some(at(0)),
        ..JobView::default()
    }
}

#[test]
fn creates_deletes_and_counts() {
    struct Case {
        name: &'static str,
        job: JobView,
        pods: Vec<PodView>,
        create: usize,
        delete: usize,
        succeeded: u32,
        failed: u32,
    }
    let mut indexed = job(Some(3), 2);
    indexed.indexed = true;
    let cases = vec![
        Case {
            name: "new job starts parallelism pods",
            job: job(Some(3), 2),
            pods: vec![],
            create: 2,
            delete: 0,
            succeeded: 0,
            failed: 0,
        },
        Case {
            name: "never more than the completions left",
            job: JobView { succeeded: 2, ..job(Some(3), 2) },
            pods: vec![],
            create: 1,
            delete: 0,
            succeeded: 2,
            failed: 0,
        },
        Case {
            name: "a success is counted and replaced",
            job: job(Some(3), 2),
            pods: vec![pod("a", "Succeeded"), pod("b", "Running")],
            create: 1,
            delete: 0,
            succeeded: 1,
            failed: 0,
        },
        Case {
            name: "a counted pod is not counted twice",
            job: JobView { succeeded: 1, ..job(Some(3), 2) },
            pods: vec![PodView { uncounted: true, ..pod("a", "Succeeded") }, pod("b", "Running")],
            create: 1,
            delete: 0,
            succeeded: 1,
            failed: 0,
        },
        Case {
            name: "a failure is counted and retried",
            job: job(Some(1), 1),
            pods: vec![pod("a", "Failed")],
            create: 1,
            delete: 0,
            succeeded: 0,
            failed: 1,
        },
        Case {
            name: "a pod deleted while running counts as failed",
            job: job(Some(1), 1),
            pods: vec![PodView { deleting: true, ..pod("a", "Running") }],
            create: 1,
            delete: 0,
            succeeded: 0,
            failed: 1,
        },
        Case {
            name: "parallelism lowered deletes the extra pods",
            job: job(Some(5), 1),
            pods: vec![pod("a", "Running"), pod("b", "Pending")],
            create: 0,
            delete: 1,
            succeeded: 0,
            failed: 0,
        },
        Case {
            name: "suspended deletes all active pods",
            job: JobView { suspend: true, ..job(Some(5), 2) },
            pods: vec![pod("a", "Running")],
            create: 0,
            delete: 1,
            succeeded: 0,
            failed: 0,
        },
        Case {
            name: "work queue: one success ends it",
            job: job(None, 3),
            pods: vec![pod("a", "Succeeded"), pod("b", "Running")],
            create: 0,
            delete: 1,
            succeeded: 1,
            failed: 0,
        },
        Case {
            name: "indexed creates the missing indexes",
            job: indexed.clone(),
            pods: vec![PodView { index: Some(0), ..pod("a", "Succeeded") }],
            create: 2,
            delete: 0,
            succeeded: 1,
            failed: 0,
        },
        Case {
            name: "indexed deletes a duplicate index",
            job: indexed,
            pods: vec![
                PodView { index: Some(1), ..pod("a", "Running") },
                PodView { index: Some(1), ..pod("b", "Running") },
            ],
            create: 1,
            delete: 1,
            succeeded: 0,
            failed: 0,
        },
    ];
    for case in cases {
        let plan = plan(&case.job, &case.pods, at(10));
        assert_eq!(
            (plan.create.len(), plan.delete.len()),
            (case.create, case.delete),
            "{}",
            case.name
        );
        assert_eq!((plan.succeeded, plan.failed), (case.succeeded, case.failed), "{}", case.name);
    }
}

#[test]
#[allow(clippy::type_complexity)] // a table
fn terminal_conditions() {
    // (job, pods, now) → (fail reason, success, finished)
    let over_limit = JobView { failed: 6, ..job(Some(2), 1) };
    let deadline = JobView { active_deadline: Some(30), ..job(Some(2), 1) };
    let cases: Vec<(&str, JobView, Vec<PodView>, i64, Option<&str>, bool, bool)> = vec![
        (
            "backoff limit: failure target while a pod runs",
            over_limit.clone(),
            vec![pod("a", "Failed"), pod("b", "Running")],
            10,
            Some("BackoffLimitExceeded"),
            false,
            false,
        ),
        (
            "backoff limit: failed once nothing runs",
            over_limit,
            vec![pod("a", "Failed")],
            10,
            Some("BackoffLimitExceeded"),
            false,
            true,
        ),
        (
            "deadline not reached",
            deadline.clone(),
            vec![pod("a", "Running")],
            10,
            None,
            false,
            false,
        ),
        (
            "deadline passed",
            deadline,
            vec![pod("a", "Running")],
            31,
            Some("DeadlineExceeded"),
            false,
            false,
        ),
        (
            "completions reached, one pod still running",
            JobView { succeeded: 1, ..job(Some(2), 1) },
            vec![pod("b", "Succeeded"), pod("c", "Running")],
            10,
            None,
            true,
            false,
        ),
        (
            "completions reached, all counted",
            JobView { succeeded: 2, ..job(Some(2), 2) },
            vec![],
            10,
            None,
            true,
            true,
        ),
    ];
    for (name, job, pods, now, reason, success, finished) in cases {
        let plan = plan(&job, &pods, at(now));
        assert_eq!(plan.fail.as_ref().map(|f| f.0.as_str()), reason, "{name}");
        assert_eq!((plan.success, plan.finished), (success, finished), "{name}");
        if reason.is_some() {
            assert!(plan.create.is_empty(), "{name}: a failing job creates nothing");
        }
    }
}

#[test]
fn completed_indexes_round_trip() {
    for text in ["", "0", "0-2", "1,3-5,7"] {
        assert_eq!(format_indexes(&parse_indexes(text)), text);
    }
}

//! Tests of cron parsing and next run times, across time zones and DST changes.

use super::*;

fn ts(text: &str) -> Timestamp {
    text.parse().expect("test timestamp")
}

fn next(expr: &str, zone: Option<&str>, after: &str) -> Option<String> {
    let schedule = Schedule::parse(expr).expect("valid schedule");
    let zone = time_zone(zone).expect("valid zone");
    schedule.next_after(ts(after), &zone).map(|t| t.to_string())
}

#[test]
fn next_times() {
    let cases: &[(&str, Option<&str>, &str, Option<&str>)] = &[
        ("*/1 * * * *", None, "2024-03-01T10:00:00Z", Some("2024-03-01T10:01:00Z")),
        ("*/1 * * * *", None, "2024-03-01T10:00:59.9Z", Some("2024-03-01T10:01:00Z")),
        ("*/15 * * * *", None, "2024-03-01T10:14:00Z", Some("2024-03-01T10:15:00Z")),
        ("5/20 * * * *", None, "2024-03-01T10:06:00Z", Some("2024-03-01T10:25:00Z")),
        ("0 0 * * *", None, "2024-12-31T23:59:00Z", Some("2025-01-01T00:00:00Z")),
        ("@hourly", None, "2024-03-01T10:30:00Z", Some("2024-03-01T11:00:00Z")),
        ("@daily", None, "2024-03-01T10:30:00Z", Some("2024-03-02T00:00:00Z")),
        ("@weekly", None, "2024-03-01T10:30:00Z", Some("2024-03-03T00:00:00Z")),
        ("@monthly", None, "2024-03-01T10:30:00Z", Some("2024-04-01T00:00:00Z")),
        ("@yearly", None, "2024-03-01T10:30:00Z", Some("2025-01-01T00:00:00Z")),
        ("30 9 * jan-mar mon-fri", None, "2024-03-29T09:30:00Z", Some("2025-01-01T09:30:00Z")),
        ("0 12 * * SAT,sun", None, "2024-03-01T00:00:00Z", Some("2024-03-02T12:00:00Z")),
        // Day of month and day of week both restricted: either matches.
        ("0 0 13 * 5", None, "2024-03-01T00:00:00Z", Some("2024-03-08T00:00:00Z")),
        // One of them a star: both must match (Friday the 13th).
        ("0 0 13 * ?", None, "2024-03-01T00:00:00Z", Some("2024-03-13T00:00:00Z")),
        ("0 0 29 2 *", None, "2024-03-01T00:00:00Z", Some("2028-02-29T00:00:00Z")),
        ("0 0 30 2 *", None, "2024-03-01T00:00:00Z", None),
        // Time zones: 09:00 in Tokyo is 00:00 UTC.
        ("0 9 * * *", Some("Asia/Tokyo"), "2024-03-01T00:00:00Z", Some("2024-03-02T00:00:00Z")),
        ("0 0 * * *", Some("UTC"), "2024-03-01T00:00:00Z", Some("2024-03-02T00:00:00Z")),
        // DST: 2024-03-31 Berlin jumps 02:00 → 03:00; 02:30 does not exist, runs at 03:30 CEST.
        ("30 2 * * *", Some("Europe/Berlin"), "2024-03-30T12:00:00Z", Some("2024-03-31T01:30:00Z")),
        ("30 2 * * *", Some("Europe/Berlin"), "2024-03-31T01:30:00Z", Some("2024-04-01T00:30:00Z")),
        // 2024-10-27 Berlin 03:00 → 02:00: 02:30 happens twice, runs once (the first, CEST).
        ("30 2 * * *", Some("Europe/Berlin"), "2024-10-26T12:00:00Z", Some("2024-10-27T00:30:00Z")),
        ("30 2 * * *", Some("Europe/Berlin"), "2024-10-27T00:30:00Z", Some("2024-10-28T01:30:00Z")),
        // New York, hourly across the spring-forward gap: 01:00 EST then 03:00 EDT.
        (
            "0 * * * *",
            Some("America/New_York"),
            "2024-03-10T06:00:00Z",
            Some("2024-03-10T07:00:00Z"),
        ),
    ];
    for (expr, zone, after, want) in cases {
        assert_eq!(next(expr, *zone, after).as_deref(), *want, "{expr} in {zone:?} after {after}");
    }
}

#[test]
fn invalid_schedules_are_refused() {
    let cases: &[(&str, &str)] = &[
        ("", "expected exactly 5 fields"),
        ("* * * *", "expected exactly 5 fields"),
        ("* * * * * *", "expected exactly 5 fields"),
        ("60 * * * *", "out of range"),
        ("* 24 * * *", "out of range"),
        ("* * 0 * *", "out of range"),
        ("* * * 13 *", "out of range"),
        ("* * * * 7", "out of range"),
        ("*/0 * * * *", "step must be positive"),
        ("5-1 * * * *", "beyond end of range"),
        ("a * * * *", "bad value"),
        ("* * * foo *", "bad value"),
        ("@every 5m", "unrecognized descriptor"),
        ("@reboot", "unrecognized descriptor"),
        ("CRON_TZ=UTC 0 * * * *", "cannot use TZ or CRON_TZ"),
        ("TZ=Europe/Berlin 0 * * * *", "cannot use TZ or CRON_TZ"),
    ];
    for (expr, want) in cases {
        let error = Schedule::parse(expr).expect_err(expr).to_string();
        assert!(error.contains(want), "{expr:?}: {error}");
    }
}

#[test]
fn time_zones_must_be_known_and_explicit() {
    assert!(time_zone(Some("Europe/Berlin")).is_ok());
    assert!(time_zone(None).is_ok());
    assert_eq!(time_zone(Some("Local")).err(), Some(CronError::LocalZone));
    assert_eq!(time_zone(Some("")).err(), Some(CronError::LocalZone));
    assert_eq!(
        time_zone(Some("Mars/Olympus")).err(),
        Some(CronError::UnknownZone("Mars/Olympus".to_owned()))
    );
}

//! When a CronJob runs next: the pure part of the cronjob controller. [`due`] looks at the
//! schedule times between the last run and now and picks the one to start, if any.

use berth_api::cron::Schedule;
use k8s_openapi::jiff::Timestamp;
use k8s_openapi::jiff::tz::TimeZone;

/// More missed start times than this and Kubernetes stops counting and complains.
pub const MAX_MISSED: usize = 100;

/// What [`due`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    /// The latest schedule time in (earliest, now], if it is still within the starting deadline.
    pub run: Option<Timestamp>,
    /// How many schedule times were passed over (including `run`).
    pub missed: usize,
    /// The first schedule time after now.
    pub next: Option<Timestamp>,
}

/// The schedule times after `last` (lastScheduleTime, or the creation time) up to `now`;
/// with a starting deadline, only those not older than it count.
pub fn due(
    schedule: &Schedule,
    zone: &TimeZone,
    last: Timestamp,
    now: Timestamp,
    deadline: Option<i64>,
) -> Due {
    let mut earliest = last;
    if let Some(deadline) = deadline {
        let floor = Timestamp::from_second(now.as_second() - deadline).unwrap_or(last);
        earliest = earliest.max(floor);
    }
    let mut latest = None;
    let mut missed = 0;
    let mut t = earliest;
    while let Some(at) = schedule.next_after(t, zone).filter(|at| *at <= now) {
        latest = Some(at);
        missed += 1;
        t = at;
        if missed > MAX_MISSED {
            // Too many to walk one by one: take the last one before now and stop counting.
            latest = last_before(schedule, zone, now).or(latest);
            break;
        }
    }
    let run = latest.filter(|at| deadline.is_none_or(|d| at.as_second() + d >= now.as_second()));
    Due { run, missed, next: schedule.next_after(now, zone) }
}

/// The latest schedule time at or before `now`, searching back up to a day, then a year.
fn last_before(schedule: &Schedule, zone: &TimeZone, now: Timestamp) -> Option<Timestamp> {
    for window in [60 * 60 * 24, 60 * 60 * 24 * 366] {
        let mut t = Timestamp::from_second(now.as_second() - window).ok()?;
        let mut found = None;
        while let Some(at) = schedule.next_after(t, zone).filter(|at| *at <= now) {
            found = Some(at);
            t = at;
        }
        if found.is_some() {
            return found;
        }
    }
    None
}

/// The job's name: `<cronjob>-<scheduled time in minutes since the epoch>`, the same for the same
/// schedule time whoever creates it.
pub fn job_name(cronjob: &str, scheduled: Timestamp) -> String {
    format!("{cronjob}-{}", scheduled.as_second().div_euclid(60))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().expect("timestamp")
    }

    #[test]
    #[allow(clippy::type_complexity)] // a table
    fn what_is_due() {
        let every_minute = Schedule::parse("*/1 * * * *").expect("schedule");
        let hourly = Schedule::parse("@hourly").expect("schedule");
        let utc = TimeZone::UTC;
        // (schedule, last, now, deadline) → (run, missed, next)
        let cases: Vec<(&Schedule, &str, &str, Option<i64>, Option<&str>, usize, &str)> = vec![
            (
                &every_minute,
                "2024-01-01T10:00:00Z",
                "2024-01-01T10:00:30Z",
                None,
                None,
                0,
                "2024-01-01T10:01:00Z",
            ),
            (
                &every_minute,
                "2024-01-01T10:00:00Z",
                "2024-01-01T10:01:00Z",
                None,
                Some("2024-01-01T10:01:00Z"),
                1,
                "2024-01-01T10:02:00Z",
            ),
            (
                &every_minute,
                "2024-01-01T10:00:00Z",
                "2024-01-01T10:03:10Z",
                None,
                Some("2024-01-01T10:03:00Z"),
                3,
                "2024-01-01T10:04:00Z",
            ),
            (
                &hourly,
                "2024-01-01T10:00:00Z",
                "2024-01-01T11:05:00Z",
                Some(60),
                None,
                0,
                "2024-01-01T12:00:00Z",
            ),
            (
                &hourly,
                "2024-01-01T10:00:00Z",
                "2024-01-01T11:00:30Z",
                Some(60),
                Some("2024-01-01T11:00:00Z"),
                1,
                "2024-01-01T12:00:00Z",
            ),
            (
                &every_minute,
                "2024-01-01T00:00:00Z",
                "2024-01-01T05:00:00Z",
                None,
                Some("2024-01-01T05:00:00Z"),
                101,
                "2024-01-01T05:01:00Z",
            ),
        ];
        for (schedule, last, now, deadline, run, missed, next) in cases {
            let due = due(schedule, &utc, at(last), at(now), deadline);
            assert_eq!(due.run, run.map(at), "{last} {now}");
            assert_eq!(due.missed, missed, "{last} {now}");
            assert_eq!(due.next, Some(at(next)), "{last} {now}");
        }
    }

    #[test]
    fn job_names_are_minutes_since_the_epoch() {
        assert_eq!(job_name("backup", at("2024-01-01T10:01:00Z")), "backup-28401721");
    }
}

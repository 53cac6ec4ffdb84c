//! CronJob schedules: the five-field cron syntax Kubernetes accepts, and the next run time in a
//! time zone.
//!
//! [`Schedule::parse`] reads `minute hour day-of-month month day-of-week` with lists (`1,15`),
//! ranges (`1-5`), steps (`*/10`, `0-30/5`, `5/15`), `?` for `*`, month and weekday names
//! (`jan`, `MON`) and the descriptors `@yearly`/`@annually`, `@monthly`, `@weekly`,
//! `@daily`/`@midnight` and `@hourly`. A `TZ=`/`CRON_TZ=` prefix is refused in favour of
//! `spec.timeZone`, as Kubernetes refuses it. [`Schedule::next_after`] walks wall-clock time in
//! the schedule's zone: a time skipped by a DST jump runs right after the jump, a time that
//! happens twice runs once (the first time). [`time_zone`] resolves `spec.timeZone` from the
//! system tz database. The API server validates with these and the cronjob controller
//! schedules with them, so both agree on what a schedule means.

use jiff::Timestamp;
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;

/// Why a schedule or a time zone is not valid; the text is the 422 message's detail.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CronError {
    #[error("expected exactly 5 fields, found {0}: {1}")]
    FieldCount(usize, String),
    #[error("unrecognized descriptor: {0}")]
    Descriptor(String),
    #[error("failed to parse {field} {value:?}: {reason}")]
    Field { field: &'static str, value: String, reason: String },
    #[error("cannot use TZ or CRON_TZ in schedule, use timeZone field instead")]
    TzPrefix,
    #[error("unknown time zone {0}")]
    UnknownZone(String),
    #[error("timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones")]
    LocalZone,
}

/// A parsed schedule: one bit per allowed value of each field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    minutes: u64,
    hours: u64,
    days: u64,
    months: u64,
    weekdays: u64,
    /// Day-of-month or day-of-week was `*`/`?`: then both must match, else either may.
    day_star: bool,
}

struct Field {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

const MINUTE: Field = Field { name: "minute", min: 0, max: 59, names: &[] };
const HOUR: Field = Field { name: "hour", min: 0, max: 23, names: &[] };
const DAY: Field = Field { name: "day of month", min: 1, max: 31, names: &[] };
const MONTH: Field = Field {
    name: "month",
    min: 1,
    max: 12,
    names: &["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
};
const WEEKDAY: Field = Field {
    name: "day of week",
    min: 0,
    max: 6,
    names: &["sun", "mon", "tue", "wed", "thu", "fri", "sat"],
};

/// How far ahead [`Schedule::next_after`] looks before deciding a schedule never fires.
const HORIZON_YEARS: i16 = 5;

impl Schedule {
    /// Parses a Kubernetes CronJob schedule.
    pub fn parse(expr: &str) -> Result<Schedule, CronError> {
        let expr = expr.trim();
        if expr.contains("TZ") {
            return Err(CronError::TzPrefix);
        }
        let expanded = match expr {
            "@yearly" | "@annually" => "0 0 1 1 *",
            "@monthly" => "0 0 1 * *",
            "@weekly" => "0 0 * * 0",
            "@daily" | "@midnight" => "0 0 * * *",
            "@hourly" => "0 * * * *",
            other if other.starts_with('@') => {
                return Err(CronError::Descriptor(other.to_owned()));
            }
            other => other,
        };
        let fields: Vec<&str> = expanded.split_whitespace().collect();
        let [minute, hour, day, month, weekday] = fields[..] else {
            return Err(CronError::FieldCount(fields.len(), expr.to_owned()));
        };
        let (days, day_is_star) = parse_field(day, &DAY)?;
        let (weekdays, weekday_is_star) = parse_field(weekday, &WEEKDAY)?;
        Ok(Schedule {
            minutes: parse_field(minute, &MINUTE)?.0,
            hours: parse_field(hour, &HOUR)?.0,
            days,
            months: parse_field(month, &MONTH)?.0,
            weekdays,
            day_star: day_is_star || weekday_is_star,
        })
    }

    /// The first scheduled time strictly after `after`, in `zone`'s wall clock; `None` when the
    /// schedule never fires (for example `0 0 30 2 *`).
    pub fn next_after(&self, after: Timestamp, zone: &TimeZone) -> Option<Timestamp> {
        let start = after.to_zoned(zone.clone()).datetime();
        let mut t = start.date().at(start.hour(), start.minute(), 0, 0);
        t = add_minute(t)?;
        let last_year = start.year().saturating_add(HORIZON_YEARS);
        while t.year() <= last_year {
            if !bit(self.months, t.month()) {
                t = first_of_next_month(t.date())?.at(0, 0, 0, 0);
            } else if !self.day_matches(t.date()) {
                t = t.date().tomorrow().ok()?.at(0, 0, 0, 0);
            } else if !bit(self.hours, t.hour()) {
                t = next_hour(t)?;
            } else if !bit(self.minutes, t.minute()) {
                t = add_minute(t)?;
            } else {
                let at = zone.to_ambiguous_zoned(t).compatible().ok()?.timestamp();
                if at > after {
                    return Some(at);
                }
                t = add_minute(t)?;
            }
        }
        None
    }

    fn day_matches(&self, date: Date) -> bool {
        let day = bit(self.days, date.day());
        let weekday = bit(self.weekdays, date.weekday().to_sunday_zero_offset());
        if self.day_star { day && weekday } else { day || weekday }
    }
}

/// Resolves `spec.timeZone`; `None` means UTC.
pub fn time_zone(name: Option<&str>) -> Result<TimeZone, CronError> {
    match name {
        None => Ok(TimeZone::UTC),
        Some(name) if name.eq_ignore_ascii_case("local") || name.is_empty() => {
            Err(CronError::LocalZone)
        }
        Some(name) => TimeZone::get(name).map_err(|_| CronError::UnknownZone(name.to_owned())),
    }
}

fn bit(set: u64, value: i8) -> bool {
    u32::try_from(value).is_ok_and(|v| set & (1 << v) != 0)
}

fn add_minute(t: DateTime) -> Option<DateTime> {
    if t.minute() < 59 { Some(t.date().at(t.hour(), t.minute() + 1, 0, 0)) } else { next_hour(t) }
}

fn next_hour(t: DateTime) -> Option<DateTime> {
    if t.hour() < 23 {
        Some(t.date().at(t.hour() + 1, 0, 0, 0))
    } else {
        Some(t.date().tomorrow().ok()?.at(0, 0, 0, 0))
    }
}

fn first_of_next_month(date: Date) -> Option<Date> {
    let (year, month) =
        if date.month() == 12 { (date.year() + 1, 1) } else { (date.year(), date.month() + 1) };
    Date::new(year, month, 1).ok()
}

/// One field: its bit set and whether it was written as a plain `*`/`?` (possibly `*/1`).
fn parse_field(text: &str, field: &Field) -> Result<(u64, bool), CronError> {
    let fail =
        |reason: String| CronError::Field { field: field.name, value: text.to_owned(), reason };
    let mut bits = 0u64;
    let mut star = false;
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((range, step)) => {
                let step: u32 = step.parse().map_err(|_| fail(format!("bad step {step:?}")))?;
                if step == 0 {
                    return Err(fail("step must be positive".to_owned()));
                }
                (range, Some(step))
            }
            None => (part, None),
        };
        let (low, high) = if range == "*" || range == "?" {
            star = step.is_none_or(|s| s == 1);
            (field.min, field.max)
        } else if let Some((low, high)) = range.split_once('-') {
            (value(low, field).map_err(fail)?, value(high, field).map_err(fail)?)
        } else {
            let low = value(range, field).map_err(fail)?;
            (low, if step.is_some() { field.max } else { low })
        };
        if low > high {
            return Err(fail(format!("beginning of range ({low}) beyond end of range ({high})")));
        }
        let step = step.unwrap_or(1);
        bits |= (low..=high).step_by(step as usize).fold(0, |acc, v| acc | (1u64 << v));
    }
    Ok((bits, star))
}

fn value(text: &str, field: &Field) -> Result<u32, String> {
    let lower = text.to_ascii_lowercase();
    let number = match field.names.iter().position(|n| *n == lower) {
        Some(i) => field.min + i as u32,
        None => text.parse::<u32>().map_err(|_| format!("bad value {text:?}"))?,
    };
    if number < field.min || number > field.max {
        return Err(format!("{number} out of range [{}, {}]", field.min, field.max));
    }
    Ok(number)
}

#[cfg(test)]
#[path = "cron_tests.rs"]
mod tests;

//! Kubernetes API object helpers shared by berth's components, with no IO.
//!
//! Objects are handled as JSON values (`serde_json::Value`), the way the API server stores and
//! serves them. [`selector`] parses and matches label and field selectors; [`patch`] applies the
//! four Kubernetes patch types; [`cron`] parses CronJob schedules and computes their next run;
//! [`quantity`] reads resource quantities as integers.

pub mod apply;
pub mod cron;
pub mod patch;
pub mod quantity;
pub mod selector;

//! Assigns unscheduled pods to nodes.
//!
//! The decision itself is [`plan::schedule`], a pure function that most tests call without tokio.

pub mod plan;

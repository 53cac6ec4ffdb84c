//! Kubernetes API object helpers shared by berth's components, with no IO.
//!
//! Objects are handled as JSON values (`serde_json::Value`), the way the API server stores and
//! serves them. [`selector`] parses and matches label and field selectors; [`patch`] applies the
//! four Kubernetes patch types.

pub mod apply;
pub mod patch;
pub mod selector;

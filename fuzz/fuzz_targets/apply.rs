//! Server-side apply and the field ownership of other writes. The input is the live object
//! (`null` when the apply creates it), the applied configuration and, optionally, options:
//! `{"manager": "m", "force": true, "subresource": "status", "kind": "Pod", "apiVersion": "v1",
//! "schema": {"type": "object", ...}}` (by default a non-forced apply by `fuzz` of the
//! configuration's own kind and version, a Deployment's when it names none; `schema`, a CRD's
//! `openAPIV3Schema`, gives the rules of a custom resource instead of the kind's). Applying the
//! same configuration again by the same manager changes nothing, not even the time in
//! `managedFields`.
#![no_main]

use berth_api::apply::{ApplyOutcome, ApplyRequest, Schema, apply, record_update};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

const NOW: &str = "2025-01-01T00:00:00Z";
const LATER: &str = "2025-01-01T00:05:00Z";

fuzz_target!(|data: &[u8]| {
    let documents = berth_fuzz::documents(data, 3);
    let (live, applied, options) = match &documents[..] {
        [live, applied] => (live, applied, &Value::Null),
        [live, applied, options] => (live, applied, options),
        _ => return,
    };
    let kind = named(options, applied, "kind").unwrap_or("Deployment");
    let api_version = named(options, applied, "apiVersion").unwrap_or("apps/v1");
    let manager = options.get("manager").and_then(Value::as_str).unwrap_or("fuzz");
    let subresource = options.get("subresource").and_then(Value::as_str);
    let live = (!live.is_null()).then_some(live);
    let schema = options.get("schema").map_or_else(|| Schema::for_kind(kind), Schema::structural);
    let request = ApplyRequest {
        live,
        applied,
        manager,
        force: options.get("force") == Some(&Value::Bool(true)),
        kind,
        api_version,
        schema: &schema,
        subresource,
        now: NOW,
    };
    if let Ok(ApplyOutcome::Applied(object)) = apply(&request) {
        let again = ApplyRequest { live: Some(&object), force: false, now: LATER, ..request };
        match apply(&again) {
            Ok(ApplyOutcome::Applied(same)) => assert_eq!(same, object, "re-apply changed it"),
            other => panic!("re-applying the same configuration gave {other:?}"),
        }
    }
    let mut written = applied.clone();
    record_update(&schema, live, &mut written, manager, api_version, NOW, subresource);
});

/// The non-empty string `name` of the options, else of the applied configuration.
fn named<'a>(options: &'a Value, applied: &'a Value, name: &str) -> Option<&'a str> {
    [options, applied].into_iter().find_map(|v| v.get(name)?.as_str().filter(|s| !s.is_empty()))
}

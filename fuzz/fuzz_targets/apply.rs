//! Server-side apply and the field ownership of other writes. The input is the live object
//! (`null` when the apply creates it), the applied configuration and, optionally, the request:
//! `{"manager": "m", "force": true, "subresource": "status", "kind": "Pod", "apiVersion": "v1"}`
//! (by default a non-forced apply by `fuzz` of the configuration's own kind and version,
//! a Deployment's when it names none).
#![no_main]

use berth_api::apply::{ApplyRequest, apply, record_update};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

const NOW: &str = "2025-01-01T00:00:00Z";

fuzz_target!(|data: &[u8]| {
    let documents = berth_fuzz::documents(data, 3);
    let (live, applied, request) = match &documents[..] {
        [live, applied] => (live, applied, &Value::Null),
        [live, applied, request] => (live, applied, request),
        _ => return,
    };
    let kind = named(request, applied, "kind").unwrap_or("Deployment");
    let api_version = named(request, applied, "apiVersion").unwrap_or("apps/v1");
    let manager = request.get("manager").and_then(Value::as_str).unwrap_or("fuzz");
    let subresource = request.get("subresource").and_then(Value::as_str);
    let live = (!live.is_null()).then_some(live);
    let _ = apply(&ApplyRequest {
        live,
        applied,
        manager,
        force: request.get("force") == Some(&Value::Bool(true)),
        kind,
        api_version,
        subresource,
        now: NOW,
    });
    let mut written = applied.clone();
    record_update(live, &mut written, manager, api_version, NOW, subresource);
});

/// The non-empty string `name` of the request document, else of the applied configuration.
fn named<'a>(request: &'a Value, applied: &'a Value, name: &str) -> Option<&'a str> {
    [request, applied].into_iter().find_map(|v| v.get(name)?.as_str().filter(|s| !s.is_empty()))
}

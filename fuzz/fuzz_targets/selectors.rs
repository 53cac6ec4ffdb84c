//! Label and field selectors as query strings, and label selectors as `metav1.LabelSelector`
//! JSON. A selector that parses prints in a canonical form that parses back to it.
#![no_main]

use berth_api::selector::{FieldSelector, LabelSelector};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value, json};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(selector) = LabelSelector::parse(text) {
            round_trip_label(&selector);
        }
        if let Ok(selector) = FieldSelector::parse(text) {
            let printed = selector.to_string();
            let reparsed = FieldSelector::parse(&printed);
            assert_eq!(reparsed.as_ref(), Ok(&selector), "{text:?} printed as {printed:?}");
            let _ = selector.validate_for("", "pods");
            let _ = selector.matches_object(&json!({"metadata": {"name": text}}));
        }
    }
    if let Ok(json) = serde_json::from_slice::<Value>(data)
        && let Ok(selector) = LabelSelector::from_label_selector_json(&json)
        && !selector.is_nothing()
    {
        round_trip_label(&selector);
    }
});

/// Parsing the printed form gives the selector back, and matching labels built from the
/// selector's own values works.
fn round_trip_label(selector: &LabelSelector) {
    let printed = selector.to_string();
    let reparsed = LabelSelector::parse(&printed);
    assert_eq!(reparsed.as_ref(), Ok(selector), "printed as {printed:?}");
    let labels: Map<String, Value> = selector
        .requirements()
        .iter()
        .map(|r| (r.key().to_owned(), json!(r.values().first().cloned().unwrap_or_default())))
        .collect();
    let _ = selector.matches(&labels);
}

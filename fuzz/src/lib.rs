//! What berth's fuzz targets share: reading one fuzz input as several JSON documents.
//!
//! The targets live in `fuzz_targets/`, one per decoder or patch type; `cargo xtask fuzz`
//! runs each briefly and CI runs that. An input for a target that takes an object and a patch
//! is the two JSON documents one after the other, as the seed files in `corpus/` show.

use serde_json::Value;

/// The JSON documents at the start of `data`, written one after another, at most `max` of
/// them; reading stops at the first one that does not parse. serde_json's recursion limit
/// (128 levels) bounds their nesting, as it bounds request bodies in the API server.
pub fn documents(data: &[u8], max: usize) -> Vec<Value> {
    serde_json::Deserializer::from_slice(data)
        .into_iter::<Value>()
        .take(max)
        .map_while(Result::ok)
        .collect()
}

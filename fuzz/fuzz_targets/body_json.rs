//! What the API server decodes from a request before it reaches the store: the URL path
//! (`request::route`, with no custom resources defined), the query string (`request::Query`),
//! timestamps, and a JSON body, which every built-in resource's defaulting and validation then
//! read. The input is used as all of them: a path with an optional `?query`, a timestamp, and
//! a body.
//!
//! The body is decoded as `handlers::decode_json` (crate-private) does: any JSON, kept when it
//! is an object. `request_body` sends bodies through the real decoders.
#![no_main]

use berth_apiserver::crds::Crds;
use berth_apiserver::request::{Query, route};
use berth_apiserver::resources::BUILTINS;
use berth_apiserver::{defaults, meta};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let (path, query) = text.split_once('?').unwrap_or((text, ""));
        let _ = route(path, &Crds::default());
        let query = Query::parse(Some(query));
        let _ = (query.get("labelSelector"), query.flag("watch"), query.number("limit"));
        let _ = meta::parse_rfc3339(text);
    }
    if let Ok(body @ Value::Object(_)) = serde_json::from_slice::<Value>(data) {
        for def in BUILTINS {
            let mut object = body.clone();
            defaults::apply(def, &mut object);
            let _ = defaults::validate(def, &object, Some(&body));
        }
    }
});

//! `GET /openapi/v2`: content negotiation, caching and ETags for the v2 document.
//!
//! The representation follows `Accept` as kube-apiserver's does: JSON for `application/json`,
//! `*/*` or no header; gnostic protobuf for `application/com.github.proto-openapi.spec.v2@v1.0+protobuf`
//! (what kubectl and client-go send), labelled with the dotted form of that type as
//! kube-apiserver labels it; 406 for anything else. Each representation is built once
//! per change of the served CRDs ([`Crds::memo`]), off the async threads, and stored with its
//! hash in front so that a body and its ETag can never come from two different builds. A
//! request whose `If-None-Match` names the current ETag gets 304.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

use super::{catalog, gnostic, hash, v2};
use crate::crds::Crds;
use crate::status::ApiError;

/// The media type of gnostic's protobuf `Document`, as kubectl and client-go ask for it.
pub const PROTOBUF: &str = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf";
/// The same with a dot for the `@`: what the answer is labelled with, since Go's media type
/// parser, which client-go runs on every `Content-Type`, refuses an `@`.
pub const PROTOBUF_DOTTED: &str = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

/// The representations `/openapi/v2` serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    Protobuf,
}

impl Format {
    fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Protobuf => PROTOBUF_DOTTED,
        }
    }
}

/// The representation an `Accept` header asks for (the highest `q`, the first on a tie), or
/// `None` when it accepts neither.
pub fn negotiate(accept: Option<&str>) -> Option<Format> {
    let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else {
        return Some(Format::Json);
    };
    let mut best: Option<(f32, Format)> = None;
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let quality = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let format = match media.as_str() {
            "application/json" | "application/*" | "*/*" => Format::Json,
            PROTOBUF | PROTOBUF_DOTTED => Format::Protobuf,
            _ => continue,
        };
        if quality > 0.0 && best.is_none_or(|(q, _)| quality > q) {
            best = Some((quality, format));
        }
    }
    best.map(|(_, format)| format)
}

/// Whether an `If-None-Match` header names `etag` (weak tags compare equal, `*` matches all).
pub fn not_modified(if_none_match: Option<&str>, etag: &str) -> bool {
    if_none_match.is_some_and(|tags| {
        tags.split(',').map(str::trim).any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag)
    })
}

/// The body of a representation and its (quoted) ETag, built once per CRD change.
pub fn body(crds: &Crds, format: Format) -> (Bytes, String) {
    let key = match format {
        Format::Json => "openapi/v2",
        Format::Protobuf => "openapi/v2.pb",
    };
    let stored = crds.memo(key, || {
        let document = v2::document(catalog(), crds);
        let body = match format {
            Format::Json => document.to_string().into_bytes(),
            Format::Protobuf => gnostic::encode(&document),
        };
        let mut stored = hash(&body).into_bytes();
        stored.extend_from_slice(&body);
        Bytes::from(stored)
    });
    // The hash is 16 hex digits ahead of the body.
    let split = 16;
    let etag = format!("\"{}\"", String::from_utf8_lossy(&stored[..split]));
    (stored.slice(split..), etag)
}

/// Answers `GET /openapi/v2`.
pub async fn serve(crds: Crds, headers: &HeaderMap) -> Response {
    let text = |name| headers.get(name).and_then(|v: &HeaderValue| v.to_str().ok());
    let Some(format) = negotiate(text(header::ACCEPT)) else {
        let message = format!("only application/json and {PROTOBUF} are served");
        return ApiError::new(406, "NotAcceptable", message).into_response();
    };
    let Ok((body, etag)) = tokio::task::spawn_blocking(move || body(&crds, format)).await else {
        return ApiError::internal("building the OpenAPI v2 document failed").into_response();
    };
    let mut response = if not_modified(text(header::IF_NONE_MATCH), &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (StatusCode::OK, body).into_response()
    };
    let out = response.headers_mut();
    out.insert(header::CONTENT_TYPE, HeaderValue::from_static(format.content_type()));
    out.insert(header::VARY, HeaderValue::from_static("Accept"));
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache, private"));
    if let Ok(value) = HeaderValue::from_str(&etag) {
        out.insert(header::ETAG, value);
    }
    response
}

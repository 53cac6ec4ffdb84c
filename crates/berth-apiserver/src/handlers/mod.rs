//! The REST handlers for resources: one entry point that parses the URL and dispatches by verb.
//!
//! Reads are in [`read`], writes (create, update, patch) in [`write`], deletes in [`delete`],
//! server-side apply in [`apply`], evictions in [`eviction`], watches in [`watch`]. Subresources that need a node agent answer a clear error until it exists.

mod apply;
mod delete;
mod eviction;
mod read;
mod watch;
mod write;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::ApiState;
use crate::discovery;
use crate::request::{Query, Route, Target, route};
use crate::resources::Sub;
use crate::status::ApiError;

/// Request bodies above this are refused with 413, as kube-apiserver does at 3 MiB.
pub const MAX_BODY_BYTES: usize = 3 * 1024 * 1024;

/// `/api…` and `/apis…`.
pub async fn serve(State(state): State<ApiState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let query = Query::parse(parts.uri.query());
    let crds = &state.crds;
    let result = match route(parts.uri.path(), crds) {
        Ok(Route::Root { core }) => Ok(discovery::root(core, &parts.headers, crds)),
        Ok(Route::Group(group)) => discovery::group(&group, crds),
        Ok(Route::GroupVersion { group, version }) => {
            Ok(discovery::group_version(&group, &version, crds))
        }
        Ok(Route::Resource(target)) => {
            let ctx = Ctx { state, target, query, headers: parts.headers };
            dispatch(ctx, parts.method, body).await
        }
        Err(error) => Err(error),
    };
    result.unwrap_or_else(IntoResponse::into_response)
}

/// Everything a handler needs about one request.
pub(crate) struct Ctx {
    pub state: ApiState,
    pub target: Target,
    pub query: Query,
    pub headers: HeaderMap,
}

impl Ctx {
    fn dry_run(&self) -> bool {
        self.query.get("dryRun") == Some("All")
    }

    pub(crate) fn namespace(&self) -> Option<&str> {
        self.target.namespace.as_deref()
    }
}

async fn dispatch(ctx: Ctx, method: Method, body: Body) -> Result<Response, ApiError> {
    let sub = ctx.target.sub;
    let has_name = ctx.target.name.is_some();
    if let Some(sub @ (Sub::Log | Sub::Exec | Sub::Attach | Sub::PortForward)) = sub {
        return read::needs_node_agent(&ctx, sub).await;
    }
    match (method, has_name, sub) {
        (Method::GET, false, _) if ctx.query.flag("watch") => watch::watch(ctx).await,
        (Method::GET, false, _) => read::list(&ctx).await,
        (Method::GET, true, None | Some(Sub::Status)) => read::get(&ctx).await,
        (Method::GET, true, Some(Sub::Scale)) => read::get_scale(&ctx).await,
        (Method::POST, false, None) => write::create(&ctx, read_body(&ctx, body).await?).await,
        (Method::POST, true, Some(Sub::Binding)) => {
            write::bind(&ctx, read_body(&ctx, body).await?).await
        }
        (Method::POST, true, Some(Sub::Eviction)) => {
            eviction::evict(&ctx, read_body(&ctx, body).await?).await
        }
        (Method::POST, true, Some(Sub::Token)) => {
            // A missing service account is a 404, as in Kubernetes; an existing one cannot get
            // a token until the server authenticates requests (TLS and authn, a later issue).
            read::get_object(&ctx).await?;
            Err(ApiError::new(
                503,
                "ServiceUnavailable",
                "serviceaccounts/token: this berth server does not issue service account tokens yet (it does not authenticate requests)",
            ))
        }
        (Method::PUT, true, None | Some(Sub::Status | Sub::Finalize)) => {
            write::replace(&ctx, read_body(&ctx, body).await?).await
        }
        (Method::PUT, true, Some(Sub::Scale)) => {
            write::replace_scale(&ctx, read_body(&ctx, body).await?).await
        }
        (Method::PATCH, true, None | Some(Sub::Status | Sub::Scale)) => {
            let content_type = content_type(&ctx.headers);
            write::patch(&ctx, &content_type, read_raw(&ctx, body).await?).await
        }
        (Method::DELETE, true, None) => {
            let raw = read_raw(&ctx, body).await?;
            delete::delete(&ctx, &raw).await
        }
        (Method::DELETE, false, None) => {
            let raw = read_raw(&ctx, body).await?;
            delete::delete_collection(&ctx, &raw).await
        }
        (method, _, _) => Err(ApiError::method_not_allowed(format!(
            "the server does not allow this method on the requested resource ({method})"
        ))),
    }
}

fn content_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
        .unwrap_or_default()
}

/// The body's bytes, refusing more than [`MAX_BODY_BYTES`].
async fn read_raw(_ctx: &Ctx, body: Body) -> Result<bytes::Bytes, ApiError> {
    axum::body::to_bytes(body, MAX_BODY_BYTES).await.map_err(|error| {
        let too_large = std::error::Error::source(&error)
            .is_some_and(|s| s.to_string().contains("length limit exceeded"))
            || error.to_string().contains("length limit exceeded");
        if too_large {
            ApiError::too_large(MAX_BODY_BYTES)
        } else {
            ApiError::bad_request(format!("reading the request body: {error}"))
        }
    })
}

/// A JSON object body for create and update. A missing Content-Type is JSON, as the
/// official Python client sends it.
async fn read_body(ctx: &Ctx, body: Body) -> Result<Value, ApiError> {
    let content_type = content_type(&ctx.headers);
    let raw = read_raw(ctx, body).await?;
    match content_type.as_str() {
        "" | "application/json" | "*/*" => decode_json(&raw),
        "application/yaml" => decode_yaml(&raw),
        crate::protobuf::MEDIA_TYPE => crate::protobuf::decode(&raw, ctx.target.def),
        other => Err(ApiError::unsupported_media_type(other)),
    }
}

/// Parses a YAML (or JSON, which is YAML) document that must be an object.
pub(crate) fn decode_yaml(raw: &[u8]) -> Result<Value, ApiError> {
    // JSON first: it is what kubectl sends, and the faster parser.
    if let Ok(value) = serde_json::from_slice::<Value>(raw) {
        return if value.is_object() {
            Ok(value)
        } else {
            Err(ApiError::bad_request("the request body must be an object"))
        };
    }
    // The YAML parser recurses per level of nesting: refuse deep documents before it sees
    // them (JSON's parser stops at 128 levels on its own).
    if yaml_depth(raw) > MAX_YAML_DEPTH {
        return Err(ApiError::bad_request(format!(
            "the request body is nested more than {MAX_YAML_DEPTH} levels deep"
        )));
    }
    let value: Value = serde_norway::from_slice(raw)
        .map_err(|e| ApiError::bad_request(format!("the request body is not valid YAML: {e}")))?;
    if !value.is_object() {
        return Err(ApiError::bad_request("the request body must be an object"));
    }
    Ok(value)
}

/// The deepest nesting a YAML body may have, as JSON's parser allows.
const MAX_YAML_DEPTH: usize = 128;

/// An upper bound of a YAML document's nesting: open flow brackets (counted inside quoted
/// strings too, so that no quoting trick hides them; JSON in a string is balanced) plus block
/// indentation (each level indents at least one column).
fn yaml_depth(raw: &[u8]) -> usize {
    let (mut flow, mut deepest, mut indent, mut line_start) = (0usize, 0, 0, true);
    for &byte in raw {
        if line_start && (byte == b' ' || byte == b'-') {
            indent += 1;
            continue;
        }
        line_start = false;
        match byte {
            b'{' | b'[' => flow += 1,
            b'}' | b']' => flow = flow.saturating_sub(1),
            b'\n' => {
                line_start = true;
                indent = 0;
            }
            _ => {}
        }
        deepest = deepest.max(flow + indent);
    }
    deepest
}

/// Parses a JSON document that must be an object.
pub(crate) fn decode_json(raw: &[u8]) -> Result<Value, ApiError> {
    let value: Value = serde_json::from_slice(raw)
        .map_err(|e| ApiError::bad_request(format!("the request body is not valid JSON: {e}")))?;
    if !value.is_object() {
        return Err(ApiError::bad_request("the request body must be a JSON object"));
    }
    Ok(value)
}

/// A JSON response whose body is produced while it is sent.
pub(crate) fn streamed_response(
    code: StatusCode,
    chunks: impl futures_util::Stream<Item = Result<bytes::Bytes, std::io::Error>> + Send + 'static,
) -> Response {
    let mut response = (code, Body::from_stream(chunks)).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, axum::http::HeaderValue::from_static("application/json"));
    response
}

/// A JSON response with the given status code.
pub(crate) fn json_response(code: StatusCode, value: &Value) -> Response {
    let mut response = (code, value.to_string()).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, axum::http::HeaderValue::from_static("application/json"));
    response
}

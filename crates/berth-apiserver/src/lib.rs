//! berth's Kubernetes API server: the REST API that kubectl and the client libraries drive,
//! on top of the cluster store.
//!
//! Start at [`router`]: `/api…` and `/apis…` go to [`handlers::serve`], which parses the URL
//! against the resource table ([`resources::BUILTINS`]) and the custom resources of
//! established CRDs ([`crds::Crds`]) and dispatches by verb; discovery and OpenAPI documents
//! are built from the same two. Objects are JSON values stored under
//! `/registry/<group>/<resource>/…`; `resourceVersion` is the store's revision.
//!
//! Flow of a write: URL → [`request::route`] → handler → defaults and validation
//! ([`defaults`]) → compare-and-swap in the store ([`objects::Objects`]) → the object back.

pub mod autoscaling;
pub mod cache;
pub mod conversion;
pub mod crds;
pub mod defaults;
pub mod discovery;
pub mod handlers;
pub mod meta;
pub mod objects;
pub mod openapi;
pub mod partial;
pub mod priority;
pub mod protobuf;
pub mod request;
pub mod resources;
pub mod services;
pub mod status;
pub mod table;

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use berth_store::Store;
use serde_json::json;

use crate::objects::Objects;
use crate::status::ApiError;

/// What every handler shares.
#[derive(Debug, Clone)]
pub struct ApiState {
    pub objects: Objects,
    pub config: Arc<ApiConfig>,
    /// Serves LIST and WATCH when present (the server always starts one).
    pub cache: Option<Arc<cache::Cache>>,
    /// The custom resources served (kept current by [`crds::sync::run`]).
    pub crds: crds::Crds,
}

/// Cluster settings the API server needs.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// Where service cluster IPs come from.
    pub service_cidr: services::Cidr,
    /// tolerationSeconds of the not-ready/unreachable tolerations every new pod gets.
    pub default_toleration_seconds: i64,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            service_cidr: services::Cidr {
                base: u32::from(std::net::Ipv4Addr::new(198, 19, 0, 0)),
                bits: 16,
            },
            default_toleration_seconds: defaults::DEFAULT_TOLERATION_SECONDS,
        }
    }
}

impl ApiState {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self::with_config(store, ApiConfig::default())
    }

    pub fn with_config(store: Arc<dyn Store>, config: ApiConfig) -> Self {
        ApiState {
            objects: Objects::new(store),
            config: Arc::new(config),
            cache: None,
            crds: crds::Crds::default(),
        }
    }

    /// Fills the watch cache from the store and serves lists and watches from it from now on.
    pub async fn start_cache(&mut self) -> Result<(), berth_store::StoreError> {
        self.cache = Some(cache::Cache::start(self.objects.store().clone()).await?);
        Ok(())
    }
}

/// The whole HTTP surface of the API server.
pub fn router(state: ApiState) -> Router {
    Router::new()
        .route("/version", get(version))
        // The Python client (kubernetes 37) asks for `/version/`; kube-apiserver serves both.
        .route("/version/", get(version))
        .route("/healthz", get(healthz))
        .route("/livez", get(livez))
        .route("/readyz", get(readyz))
        .route("/openapi/v2", get(openapi_v2))
        .route("/openapi/v3", get(openapi_index))
        .route("/openapi/v3/{*path}", get(openapi_document))
        .fallback(fallback)
        .with_state(state)
}

async fn fallback(state: State<ApiState>, request: axum::extract::Request) -> Response {
    let path = request.uri().path();
    if path == "/api" || path.starts_with("/api/") || path == "/apis" || path.starts_with("/apis/")
    {
        return handlers::serve(state, request).await;
    }
    ApiError::no_route().into_response()
}

/// `/version`: kubectl and client libraries read the minor version from here.
async fn version() -> Response {
    let body = json!({
        "major": "1",
        "minor": "32",
        "gitVersion": format!("v1.32.0-berth.{}", env!("CARGO_PKG_VERSION")),
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2026-11-26T00:00:00Z",
        "goVersion": "rust",
        "compiler": "rustc",
        "platform": format!("{}/{}", std::env::consts::OS, if cfg!(target_arch = "x86_64") { "amd64" } else { std::env::consts::ARCH }),
    });
    handlers::json_response(StatusCode::OK, &body)
}

fn text(code: StatusCode, body: &'static str) -> Response {
    let mut response = (code, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    response
}

async fn livez() -> Response {
    text(StatusCode::OK, "ok")
}

async fn healthz(state: State<ApiState>) -> Response {
    readyz(state).await
}

/// Ready when the store answers.
async fn readyz(State(state): State<ApiState>) -> Response {
    match state.objects.store().current_revision().await {
        Ok(_) => text(StatusCode::OK, "ok"),
        Err(error) => {
            tracing::warn!(%error, "readyz: the store does not answer");
            text(StatusCode::SERVICE_UNAVAILABLE, "the store is not ready")
        }
    }
}

async fn openapi_v2(State(state): State<ApiState>, headers: axum::http::HeaderMap) -> Response {
    openapi::v2_http::serve(state.crds.clone(), &headers).await
}

async fn openapi_index(State(state): State<ApiState>) -> Response {
    handlers::json_response(StatusCode::OK, &openapi::index_with(&state.crds))
}

async fn openapi_document(State(state): State<ApiState>, Path(path): Path<String>) -> Response {
    match openapi::document_json_with(&path, &state.crds) {
        Some(body) => {
            let mut response = (StatusCode::OK, body).into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, immutable"));
            response
        }
        None => ApiError::no_route().into_response(),
    }
}

/// Creates the namespaces every cluster has (`default`, `kube-system`, `kube-public`,
/// `kube-node-lease`) and the system PriorityClasses when they are missing, and serves the
/// custom resources of the stored CRDs.
pub async fn bootstrap(state: &ApiState) -> Result<(), ApiError> {
    state.crds.load(&state.objects).await?;
    let def = resources::find("", "v1", "namespaces").ok_or_else(ApiError::no_route)?;
    for name in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        match state.objects.get(def, None, name).await {
            Ok(_) => continue,
            Err(error) if error.code == 404 => {}
            Err(error) => return Err(error),
        }
        let mut namespace = json!({
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "uid": meta::new_uid(), "creationTimestamp": meta::now_rfc3339()},
        });
        defaults::apply(def, &mut namespace);
        match state.objects.create(def, None, name, &namespace).await {
            Ok(_) => {}
            Err(error) if error.code == 409 => {}
            Err(error) => return Err(error),
        }
    }
    priority::bootstrap(&state.objects).await
}

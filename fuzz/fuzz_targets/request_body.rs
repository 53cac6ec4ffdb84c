//! Request bodies through the whole API server, for the decoders the pure targets cannot
//! reach (JSON, YAML and protobuf bodies, delete options, every patch content type). The
//! input's first line is `METHOD PATH CONTENT-TYPE`, the rest is the body. Each input gets a
//! fresh in-memory store holding the default namespaces and the Deployment `default/web`.
//! Whatever the body, the answer is a success or a 4xx `Status`, never a 5xx.
#![no_main]

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, Request, header};
use berth_apiserver::{ApiState, bootstrap, router};
use berth_store::memory::MemoryStore;
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt;

const WEB: &str = r#"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"nginx","image":"nginx"}]}}}}"#;

fuzz_target!(|data: &[u8]| {
    let Some(newline) = data.iter().position(|&b| b == b'\n') else { return };
    let Ok(head) = std::str::from_utf8(&data[..newline]) else { return };
    let [method, path, content_type] = head.split(' ').collect::<Vec<_>>()[..] else { return };
    // A GET may start a watch, which never ends; reads decode no body anyway.
    let method = match method {
        "POST" => Method::POST,
        "PUT" => Method::PUT,
        "PATCH" => Method::PATCH,
        "DELETE" => Method::DELETE,
        _ => return,
    };
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
        return;
    };
    let body = data[newline + 1..].to_vec();
    runtime.block_on(async {
        let state = ApiState::new(Arc::new(MemoryStore::new()));
        bootstrap(&state).await.expect("the default namespaces");
        let app = router(state);
        let create = request(
            Method::POST,
            "/apis/apps/v1/namespaces/default/deployments",
            "application/json",
            WEB.into(),
        );
        let created = app.clone().oneshot(create.expect("a request")).await;
        assert!(created.is_ok_and(|r| r.status().is_success()), "creating default/web");
        let Ok(request) = request(method, path, content_type, body) else { return };
        let Ok(response) = app.oneshot(request).await;
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX).await;
        let body = body.map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
        assert!(!status.is_server_error(), "a request body gave {status}: {body}");
    });
});

fn request(
    method: Method,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
) -> Result<Request<Body>, axum::http::Error> {
    Request::builder()
        .method(method)
        .uri(path)
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
}

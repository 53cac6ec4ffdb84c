//! `?watch=true`: a chunked stream of `{"type": …, "object": …}` lines.
//!
//! Without a resourceVersion (or with "0") the stream starts with an ADDED event for every
//! matching object; with one it replays every change after it. An object that starts or stops
//! matching the selectors arrives as ADDED or DELETED. A resourceVersion older than the
//! retained history gets an ERROR event carrying a 410 `Expired` Status, as kube-apiserver
//! sends it.

use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use berth_store::{Event, EventKind, Revision, StoreError};
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::Ctx;
use super::read::{Filter, list_items};
use crate::objects;
use crate::status::ApiError;

pub(crate) async fn watch(ctx: Ctx) -> Result<Response, ApiError> {
    let filter = Filter::from_query(&ctx)?;
    let def = ctx.target.def;
    let timeout = match ctx.query.number("timeoutSeconds")? {
        Some(seconds) if seconds > 0 => Duration::from_secs(seconds as u64),
        // kube-apiserver picks 30–60 minutes.
        _ => Duration::from_secs(1800 + fastrand::u64(..1800)),
    };
    let bookmarks = ctx.query.flag("allowWatchBookmarks");
    let initial_events = ctx.query.get("sendInitialEvents").map(|v| v == "true");
    let resource_version = ctx.query.get("resourceVersion").filter(|v| !v.is_empty());
    let (tx, rx) = mpsc::channel::<Result<bytes::Bytes, std::io::Error>>(64);
    let mut initial = Vec::new();
    let from: Revision = match (resource_version, initial_events) {
        (_, Some(true)) | (None | Some("0"), None) => {
            let listed = list_items(&ctx, &filter).await?;
            initial = listed.items;
            listed.revision
        }
        (Some(rv), _) => rv
            .parse()
            .map_err(|_| ApiError::bad_request(format!("invalid resourceVersion {rv:?}")))?,
        (None, Some(false)) => ctx
            .state
            .objects
            .store()
            .current_revision()
            .await
            .map_err(|e| ApiError::from_store(e, def, ""))?,
    };
    let prefix = filter.prefix(def, ctx.namespace());
    let stream = ctx.state.objects.store().watch(&prefix, from + 1).await;
    let kind = def.kind;
    let api_version = def.api_version();
    // With a Table Accept, every event's object is a one-row Table (columns on the first).
    let table = super::read::table_request(&ctx).map(str::to_owned);
    let mut first_row = true;
    let mut shape = move |mut line: Value| -> Value {
        if let Some(include) = &table
            && line["type"] != "BOOKMARK"
            && line["type"] != "ERROR"
        {
            let object = line["object"].take();
            let rv = object
                .pointer("/metadata/resourceVersion")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            line["object"] = crate::table::table(
                def,
                &[object],
                &rv,
                None,
                include,
                super::read::now(),
                first_row,
            );
            first_row = false;
        }
        line
    };
    tokio::spawn(async move {
        let send = |line: Value| {
            let tx = tx.clone();
            async move {
                let mut bytes = line.to_string().into_bytes();
                bytes.push(b'\n');
                tx.send(Ok(bytes::Bytes::from(bytes))).await.is_ok()
            }
        };
        let mut stream = match stream {
            Ok(stream) => stream,
            Err(error) => {
                let _ = send(error_event(&error, from)).await;
                return;
            }
        };
        for object in initial {
            if !send(shape(json!({"type": "ADDED", "object": object}))).await {
                return;
            }
        }
        if initial_events == Some(true) {
            let marker = json!({"type": "BOOKMARK", "object": {"kind": kind, "apiVersion": api_version,
                "metadata": {"resourceVersion": from.to_string(), "annotations": {"k8s.io/initial-events-end": "true"}}}});
            if !send(marker).await {
                return;
            }
        }
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        let mut last = from;
        let mut ticker = tokio::time::interval(Duration::from_secs(30));
        ticker.tick().await;
        loop {
            tokio::select! {
                () = &mut deadline => return,
                () = tx.closed() => return,
                _ = ticker.tick(), if bookmarks => {
                    let bookmark = json!({"type": "BOOKMARK", "object": {"kind": kind, "apiVersion": api_version, "metadata": {"resourceVersion": last.to_string()}}});
                    if !send(bookmark).await { return; }
                }
                item = stream.next() => match item {
                    Some(Ok(event)) => {
                        last = event.revision();
                        if let Some(line) = translate(&event, &filter)
                            && !send(shape(line)).await { return; }
                    }
                    Some(Err(error)) => {
                        let _ = send(error_event(&error, last)).await;
                        return;
                    }
                    None => return,
                },
            }
        }
    });
    let body = Body::from_stream(tokio_stream(rx));
    let mut response = (StatusCode::OK, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(response)
}

/// A store event as a watch line for this watcher, or nothing when it does not concern it.
fn translate(event: &Event, filter: &Filter) -> Option<Value> {
    let revision = event.revision();
    let now = objects::decode(&event.kv).ok().map(|s| s.object);
    let before = event.prev.as_ref().and_then(|p| objects::decode(p).ok()).map(|s| s.object);
    let matched_before = before.as_ref().is_some_and(|o| filter.matches(o));
    match event.kind {
        EventKind::Delete => {
            let mut object = before.filter(|_| matched_before)?;
            objects::set_resource_version(&mut object, revision);
            Some(json!({"type": "DELETED", "object": object}))
        }
        EventKind::Create | EventKind::Update => {
            let object = now?;
            let matches = filter.matches(&object);
            match (matched_before && event.kind == EventKind::Update, matches) {
                (true, true) => Some(json!({"type": "MODIFIED", "object": object})),
                (false, true) => Some(json!({"type": "ADDED", "object": object})),
                (true, false) => {
                    let mut object = object;
                    objects::set_resource_version(&mut object, revision);
                    Some(json!({"type": "DELETED", "object": object}))
                }
                (false, false) => None,
            }
        }
    }
}

fn error_event(error: &StoreError, revision: Revision) -> Value {
    let status = match error {
        StoreError::Compacted { compacted, .. } => {
            ApiError::gone(format!("too old resource version: {revision} ({compacted})"))
        }
        other => ApiError::internal(other.to_string()),
    };
    json!({"type": "ERROR", "object": status.to_status()})
}

/// The receiving end of the line channel, as the stream a chunked body reads.
fn tokio_stream(
    mut rx: mpsc::Receiver<Result<bytes::Bytes, std::io::Error>>,
) -> impl futures_util::Stream<Item = Result<bytes::Bytes, std::io::Error>> {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

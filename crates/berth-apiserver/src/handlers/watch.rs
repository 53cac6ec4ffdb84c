//! `?watch=true`: a chunked stream of `{"type": …, "object": …}` lines.
//!
//! Without a resourceVersion (or with "0") the stream starts with an ADDED event for every
//! matching object; with one it replays every change after it. An object that starts matching
//! the selectors arrives as ADDED; one that stops matching as DELETED (carrying the last state
//! that matched, as kube-apiserver sends it). Watches are served from the watch cache
//! ([`crate::cache`]); a resourceVersion older than its window is replayed from the store, and
//! one older than the store's history gets an ERROR event carrying a 410 `Expired` Status.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use berth_store::{Event, EventKind, Revision, StoreError, WatchStream};
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc};

use super::Ctx;
use super::read::{Filter, list_items};
use crate::cache::{Cache, CacheEvent, CacheWatch, Entry};
use crate::objects;
use crate::resources::ResourceDef;
use crate::status::ApiError;

type Chunk = Result<bytes::Bytes, std::io::Error>;

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
    let start = match (resource_version, initial_events) {
        (_, Some(true)) | (None | Some("0"), None) => Start::Snapshot,
        (Some(rv), _) => Start::After(
            rv.parse()
                .map_err(|_| ApiError::bad_request(format!("invalid resourceVersion {rv:?}")))?,
        ),
        (None, Some(false)) => Start::Now,
    };
    let prefix = filter.prefix(def, ctx.namespace());
    let (tx, rx) = mpsc::channel::<Chunk>(64);
    let emitter = Emitter {
        tx,
        def,
        table: super::read::table_request(&ctx).map(str::to_owned),
        metadata: super::read::view_request(&ctx, crate::partial::OBJECT),
        first_row: true,
        bookmarks,
        initial_end: initial_events == Some(true),
        timeout,
    };
    let source = match ctx.state.cache.clone() {
        Some(cache) => cached_source(&cache, &prefix, &filter, start).await,
        None => None,
    };
    let source = match source {
        Some(source) => source,
        None => store_source(&ctx, &filter, &prefix, start).await?,
    };
    tokio::spawn(emitter.run(source, filter, prefix));
    let body = Body::from_stream(receiver_stream(rx));
    let mut response = (StatusCode::OK, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(response)
}

/// Where a watch starts.
#[derive(Clone, Copy, Debug)]
enum Start {
    /// ADDED for every current object first.
    Snapshot,
    /// Every change after this revision.
    After(Revision),
    /// Changes from now on.
    Now,
}

/// Where a watch's events come from.
enum Source {
    Cache { cache: Arc<Cache>, initial: Vec<Arc<Entry>>, watch: CacheWatch },
    Store { initial: Vec<Value>, from: Revision, stream: Result<WatchStream, StoreError> },
}

/// The cache serves every start it still holds the history for.
async fn cached_source(
    cache: &Arc<Cache>,
    prefix: &str,
    filter: &Filter,
    start: Start,
) -> Option<Source> {
    let (initial, watch) = match start {
        Start::Snapshot | Start::Now => {
            if !cache.wait_current(Duration::from_secs(3)).await {
                return None;
            }
            let (entries, watch) = cache.snapshot(prefix);
            let initial = match start {
                Start::Snapshot => {
                    entries.into_iter().filter(|e| filter.matches_view(&e.view)).collect()
                }
                _ => Vec::new(),
            };
            (initial, watch)
        }
        Start::After(revision) => {
            if !cache.wait_for(revision, Duration::from_secs(3)).await {
                return None;
            }
            (Vec::new(), cache.watch(prefix, revision).ok()?)
        }
    };
    Some(Source::Cache { cache: cache.clone(), initial, watch })
}

async fn store_source(
    ctx: &Ctx,
    filter: &Filter,
    prefix: &str,
    start: Start,
) -> Result<Source, ApiError> {
    let store = ctx.state.objects.store();
    let (initial, from) = match start {
        Start::Snapshot => {
            let listed = list_items(ctx, filter).await?;
            (listed.items, listed.revision)
        }
        Start::After(revision) => (Vec::new(), revision),
        Start::Now => {
            let revision = store
                .current_revision()
                .await
                .map_err(|e| ApiError::from_store(e, ctx.target.def, ""))?;
            (Vec::new(), revision)
        }
    };
    let stream = store.watch(prefix, from + 1).await;
    Ok(Source::Store { initial, from, stream })
}

/// What an event line carries.
enum Object {
    /// JSON bytes as stored (with their resourceVersion).
    Raw(Arc<Entry>),
    Parsed(Value),
}

/// Writes the lines of one watch.
struct Emitter {
    tx: mpsc::Sender<Chunk>,
    def: &'static ResourceDef,
    /// With a Table Accept, every event's object is a one-row Table (columns on the first).
    table: Option<String>,
    /// With a `PartialObjectMetadata` Accept, the `meta.k8s.io` version events carry it in.
    metadata: Option<&'static str>,
    first_row: bool,
    bookmarks: bool,
    initial_end: bool,
    timeout: Duration,
}

impl Emitter {
    async fn line(&self, bytes: Vec<u8>) -> bool {
        let mut bytes = bytes;
        bytes.push(b'\n');
        self.tx.send(Ok(bytes::Bytes::from(bytes))).await.is_ok()
    }

    async fn event(&mut self, kind: &str, object: Object) -> bool {
        // An object watched in another version than the one it is stored in.
        let object = match object {
            Object::Raw(entry) if crate::conversion::needs_conversion(self.def) => {
                let value = entry.object().unwrap_or(Value::Null);
                Object::Parsed(crate::conversion::converted(self.def, value))
            }
            Object::Parsed(value) => Object::Parsed(crate::conversion::converted(self.def, value)),
            raw => raw,
        };
        if let Some(include) = &self.table {
            let object = match object {
                Object::Raw(entry) => entry.object().unwrap_or(Value::Null),
                Object::Parsed(value) => value,
            };
            let rv = object
                .pointer("/metadata/resourceVersion")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let table = crate::table::table(
                self.def,
                &[object],
                &rv,
                None,
                include,
                super::read::now(),
                self.first_row,
            );
            self.first_row = false;
            return self
                .line(json!({"type": kind, "object": table}).to_string().into_bytes())
                .await;
        }
        let object = match (self.metadata, object) {
            (Some(version), Object::Raw(entry)) => Object::Parsed(crate::partial::object(
                entry.object().unwrap_or(Value::Null),
                version,
            )),
            (Some(version), Object::Parsed(value)) => {
                Object::Parsed(crate::partial::object(value, version))
            }
            (None, object) => object,
        };
        let bytes = match object {
            Object::Raw(entry) => {
                let mut bytes = Vec::with_capacity(entry.raw.len() + 32);
                bytes.extend_from_slice(format!("{{\"type\":\"{kind}\",\"object\":").as_bytes());
                bytes.extend_from_slice(&entry.raw);
                bytes.push(b'}');
                bytes
            }
            Object::Parsed(value) => {
                json!({"type": kind, "object": value}).to_string().into_bytes()
            }
        };
        self.line(bytes).await
    }

    async fn bookmark(&self, revision: Revision, initial_end: bool) -> bool {
        let mut metadata = json!({"resourceVersion": revision.to_string()});
        if initial_end {
            metadata["annotations"] = json!({"k8s.io/initial-events-end": "true"});
        }
        let object = match self.metadata {
            Some(version) => json!({"kind": crate::partial::OBJECT,
                "apiVersion": format!("meta.k8s.io/{version}"), "metadata": metadata}),
            None => {
                json!({"kind": self.def.kind, "apiVersion": self.def.api_version(), "metadata": metadata})
            }
        };
        self.line(json!({"type": "BOOKMARK", "object": object}).to_string().into_bytes()).await
    }

    async fn error(&self, status: ApiError) {
        let _ = self
            .line(json!({"type": "ERROR", "object": status.to_status()}).to_string().into_bytes())
            .await;
    }

    async fn run(mut self, source: Source, filter: Filter, prefix: String) {
        let deadline = tokio::time::sleep(self.timeout);
        tokio::pin!(deadline);
        let mut ticker = tokio::time::interval(Duration::from_secs(30));
        ticker.tick().await;
        match source {
            Source::Cache { cache, initial, watch } => {
                for entry in initial {
                    if !self.event("ADDED", Object::Raw(entry)).await {
                        return;
                    }
                }
                let CacheWatch { replay, mut live, mut through } = watch;
                if self.initial_end && !self.bookmark(through, true).await {
                    return;
                }
                for event in replay {
                    through = through.max(event.revision);
                    if !self.cached(&event, &filter).await {
                        return;
                    }
                }
                loop {
                    tokio::select! {
                        () = &mut deadline => return,
                        () = self.tx.closed() => return,
                        _ = ticker.tick(), if self.bookmarks => if !self.bookmark(through, false).await { return },
                        received = live.recv() => match received {
                            Ok(event) => {
                                if event.revision <= through {
                                    continue;
                                }
                                through = event.revision;
                                if event.key.starts_with(&prefix) && !self.cached(&event, &filter).await {
                                    return;
                                }
                            }
                            Err(broadcast::error::RecvError::Lagged(_)) => match cache.since(&prefix, through) {
                                Ok(missed) => {
                                    for event in missed {
                                        through = through.max(event.revision);
                                        if !self.cached(&event, &filter).await {
                                            return;
                                        }
                                    }
                                }
                                Err(_) => {
                                    self.error(ApiError::gone(format!("too old resource version: {through}"))).await;
                                    return;
                                }
                            },
                            Err(broadcast::error::RecvError::Closed) => return,
                        },
                    }
                }
            }
            Source::Store { initial, from, stream } => {
                let mut stream = match stream {
                    Ok(stream) => stream,
                    Err(error) => {
                        self.error(store_error(&error, from)).await;
                        return;
                    }
                };
                for object in initial {
                    if !self.event("ADDED", Object::Parsed(object)).await {
                        return;
                    }
                }
                if self.initial_end && !self.bookmark(from, true).await {
                    return;
                }
                let mut last = from;
                loop {
                    tokio::select! {
                        () = &mut deadline => return,
                        () = self.tx.closed() => return,
                        _ = ticker.tick(), if self.bookmarks => if !self.bookmark(last, false).await { return },
                        item = stream.next() => match item {
                            Some(Ok(event)) => {
                                last = event.revision();
                                if let Some((kind, object)) = translate(&event, &filter)
                                    && !self.event(kind, Object::Parsed(object)).await
                                {
                                    return;
                                }
                            }
                            Some(Err(error)) => {
                                self.error(store_error(&error, last)).await;
                                return;
                            }
                            None => return,
                        },
                    }
                }
            }
        }
    }

    /// One cache event for this watcher (nothing when it does not concern it).
    async fn cached(&mut self, event: &CacheEvent, filter: &Filter) -> bool {
        let before = event.before.as_ref().filter(|e| filter.matches_view(&e.view));
        let now = event.now.as_ref().filter(|e| filter.matches_view(&e.view));
        match (event.kind, before, now) {
            (EventKind::Delete, Some(before), _) | (_, Some(before), None) => {
                let object = before.object_at(event.revision).unwrap_or(Value::Null);
                self.event("DELETED", Object::Parsed(object)).await
            }
            (EventKind::Update, Some(_), Some(now)) => {
                self.event("MODIFIED", Object::Raw(now.clone())).await
            }
            (_, None, Some(now)) => self.event("ADDED", Object::Raw(now.clone())).await,
            _ => true,
        }
    }
}

/// A store event as a watch line for this watcher, or nothing when it does not concern it.
fn translate(event: &Event, filter: &Filter) -> Option<(&'static str, Value)> {
    let revision = event.revision();
    let now = objects::decode(&event.kv).ok().map(|s| s.object).filter(|o| filter.matches(o));
    let before = event.prev.as_ref().and_then(|p| objects::decode(p).ok()).map(|s| s.object);
    let before = before.filter(|o| filter.matches(o));
    match (event.kind, before, now) {
        (EventKind::Delete, Some(mut before), _) | (_, Some(mut before), None) => {
            objects::set_resource_version(&mut before, revision);
            Some(("DELETED", before))
        }
        (EventKind::Update, Some(_), Some(now)) => Some(("MODIFIED", now)),
        (_, None, Some(now)) => Some(("ADDED", now)),
        _ => None,
    }
}

fn store_error(error: &StoreError, revision: Revision) -> ApiError {
    match error {
        StoreError::Compacted { compacted, .. } => {
            ApiError::gone(format!("too old resource version: {revision} ({compacted})"))
        }
        other => ApiError::internal(other.to_string()),
    }
}

/// The receiving end of the line channel, as the stream a chunked body reads.
fn receiver_stream(mut rx: mpsc::Receiver<Chunk>) -> impl futures_util::Stream<Item = Chunk> {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

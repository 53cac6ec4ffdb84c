//! GET of one object, of a collection (selectors, paging, resourceVersion), and of `/scale`.

use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine;
use berth_api::selector::{FieldSelector, LabelSelector};
use berth_store::{ListOptions, Revision};
use serde_json::{Value, json};

use super::{Ctx, json_response};
use crate::objects::{self, Objects};
use crate::partial;
use crate::resources::{ResourceDef, Sub};
use crate::status::ApiError;
use crate::table;

/// Store pages are read this many keys at a time while filtering.
const CHUNK: usize = 500;

pub(crate) async fn get(ctx: &Ctx) -> Result<Response, ApiError> {
    let stored = get_object(ctx).await?;
    if let Some(include) = table_request(ctx) {
        let rv = stored.revision.to_string();
        let table = table::table(ctx.target.def, &[stored.object], &rv, None, include, now(), true);
        return Ok(json_response(StatusCode::OK, &table));
    }
    if let Some(version) = view_request(ctx, partial::OBJECT) {
        return Ok(json_response(StatusCode::OK, &partial::object(stored.object, version)));
    }
    Ok(json_response(StatusCode::OK, &stored.object))
}

/// The `meta.k8s.io` version in which the client asks for a metadata-only `view`.
pub(crate) fn view_request(ctx: &Ctx, view: &str) -> Option<&'static str> {
    let accept = ctx.headers.get(axum::http::header::ACCEPT).and_then(|v| v.to_str().ok())?;
    partial::requested(accept, view)
}

/// When the client asks for a `Table` (kubectl's printing), what each row should embed.
pub(crate) fn table_request(ctx: &Ctx) -> Option<&str> {
    let accept = ctx.headers.get(axum::http::header::ACCEPT).and_then(|v| v.to_str().ok())?;
    table::wants_table(accept).then(|| ctx.query.get("includeObject").unwrap_or("Metadata"))
}

/// Seconds since the epoch, for ages.
pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

pub(crate) async fn get_object(ctx: &Ctx) -> Result<objects::Stored, ApiError> {
    let name = ctx.target.name.as_deref().unwrap_or_default();
    if let Some(stored) = cached_object(ctx, name).await {
        return Ok(stored);
    }
    ctx.state.objects.get(ctx.target.def, ctx.namespace(), name).await
}

/// The object from the watch cache when the cache may answer: `resourceVersion=0` takes any
/// state, and a read that must be current (no resourceVersion) waits until the cache holds
/// every write the store has acknowledged, which is cheap only when the store knows its
/// revision locally (sqlite; with etcd it would cost a round trip, so the store answers).
/// `None` reads the store, also when the cache lacks the object (the store's 404 is the
/// one to give).
async fn cached_object(ctx: &Ctx, name: &str) -> Option<objects::Stored> {
    let cache = ctx.state.cache.as_ref()?;
    let fresh = match ctx.query.get("resourceVersion").filter(|v| !v.is_empty()) {
        None if ctx.state.objects.store().local_revision() => {
            cache.wait_current(std::time::Duration::from_secs(3)).await
        }
        Some("0") => true,
        _ => false,
    };
    if !fresh {
        return None;
    }
    let def = ctx.target.def;
    let entry = cache.get(&Objects::key(def, ctx.namespace(), name))?;
    let mut object = entry.object()?;
    crate::conversion::convert(def, &mut object);
    Some(objects::Stored { object, revision: entry.revision })
}

/// The selectors of a list or watch request, checked against what the resource supports.
pub(crate) struct Filter {
    pub labels: LabelSelector,
    pub fields: FieldSelector,
}

impl Filter {
    pub(crate) fn from_query(ctx: &Ctx) -> Result<Self, ApiError> {
        let bad = |e: berth_api::selector::SelectorError| ApiError::bad_request(e.to_string());
        let labels =
            LabelSelector::parse(ctx.query.get("labelSelector").unwrap_or("")).map_err(bad)?;
        let fields =
            FieldSelector::parse(ctx.query.get("fieldSelector").unwrap_or("")).map_err(bad)?;
        fields.validate_for(ctx.target.def.group, ctx.target.def.plural).map_err(bad)?;
        Ok(Filter { labels, fields })
    }

    pub(crate) fn is_everything(&self) -> bool {
        self.labels.is_everything() && self.fields.is_everything()
    }

    pub(crate) fn matches(&self, object: &Value) -> bool {
        self.labels.matches_object(object) && self.fields.matches_object(object)
    }

    /// Whether a cached object's view satisfies both selectors.
    pub(crate) fn matches_view(&self, view: &crate::cache::View) -> bool {
        view.matches(&self.labels, &self.fields)
    }

    /// The narrowest storage prefix these selectors allow.
    pub(crate) fn prefix(&self, def: &ResourceDef, namespace: Option<&str>) -> String {
        match (namespace, self.fields.exact_namespace()) {
            (None, Some(ns)) if def.namespaced => Objects::prefix(def, Some(ns)),
            _ => Objects::prefix(def, namespace),
        }
    }
}

/// The position a `continue` token carries: the revision of the first page and the next key.
struct Continue {
    revision: Revision,
    start: String,
}

impl Continue {
    fn encode(&self) -> String {
        let token = json!({"v": "meta.k8s.io/v1", "rv": self.revision, "start": self.start});
        base64::engine::general_purpose::STANDARD.encode(token.to_string())
    }

    fn decode(token: &str) -> Result<Self, ApiError> {
        let invalid = || ApiError::bad_request(format!("invalid continue token {token:?}"));
        let raw = base64::engine::general_purpose::STANDARD.decode(token).map_err(|_| invalid())?;
        let value: Value = serde_json::from_slice(&raw).map_err(|_| invalid())?;
        let revision = value.get("rv").and_then(Value::as_i64).ok_or_else(invalid)?;
        let start = value.get("start").and_then(Value::as_str).ok_or_else(invalid)?;
        Ok(Continue { revision, start: start.to_owned() })
    }
}

/// The items of a list request, the revision they were read at and the continue token.
pub(crate) struct Listed {
    pub items: Vec<Value>,
    pub revision: Revision,
    pub next: Option<String>,
}

/// Items either as parsed objects, or as the JSON bytes a plain list answers with (which
/// skips parsing and re-encoding every object when nothing needs to look inside it).
enum Items {
    Parsed(Vec<Value>),
    Raw(Vec<Vec<u8>>),
}

impl Items {
    fn len(&self) -> usize {
        match self {
            Items::Parsed(items) => items.len(),
            Items::Raw(items) => items.len(),
        }
    }

    fn push(&mut self, kv: &berth_store::KeyValue, filter: &Filter) -> Result<(), ApiError> {
        if let Items::Raw(items) = self
            && filter.is_everything()
            && let Some(raw) = objects::raw_with_revision(kv)
        {
            items.push(raw);
            return Ok(());
        }
        let stored = objects::decode(kv)?;
        if !filter.matches(&stored.object) {
            return Ok(());
        }
        match self {
            Items::Parsed(items) => items.push(stored.object),
            Items::Raw(items) => items.push(stored.object.to_string().into_bytes()),
        }
        Ok(())
    }
}

pub(crate) async fn list_items(ctx: &Ctx, filter: &Filter) -> Result<Listed, ApiError> {
    let (items, revision, next) = collect(ctx, filter, Items::Parsed(Vec::new())).await?;
    let items = match items {
        Items::Parsed(items) => {
            items.into_iter().map(|i| crate::conversion::converted(ctx.target.def, i)).collect()
        }
        Items::Raw(_) => Vec::new(),
    };
    Ok(Listed { items, revision, next })
}

async fn collect(
    ctx: &Ctx,
    filter: &Filter,
    mut items: Items,
) -> Result<(Items, Revision, Option<String>), ApiError> {
    let def = ctx.target.def;
    let limit = ctx.query.number("limit")?.filter(|l| *l > 0).map(|l| l as usize);
    let resource_version = ctx.query.get("resourceVersion").filter(|v| !v.is_empty());
    let (mut start, mut revision) = match ctx.query.get("continue").filter(|c| !c.is_empty()) {
        Some(token) => {
            if resource_version.is_some_and(|rv| rv != "0") {
                return Err(ApiError::bad_request(
                    "specifying resource version is not allowed when using continue",
                ));
            }
            let position = Continue::decode(token)?;
            (Some(position.start), Some(position.revision))
        }
        None => (None, exact_revision(ctx, resource_version)?),
    };
    let prefix = filter.prefix(def, ctx.namespace());
    loop {
        let want = limit.map_or(CHUNK, |l| (l - items.len()).clamp(1, CHUNK));
        let options = ListOptions {
            prefix: prefix.clone(),
            start: start.clone(),
            limit: Some(want),
            revision,
        };
        let page =
            ctx.state.objects.list_page(def, &options).await.map_err(|e| expired(e, revision))?;
        revision = Some(page.revision);
        let mut last_key = None;
        for (index, kv) in page.kvs.iter().enumerate() {
            items.push(kv, filter)?;
            last_key = Some(kv.key.clone());
            if limit.is_some_and(|l| items.len() >= l) {
                let more = page.more || index + 1 < page.kvs.len();
                let next = more.then(|| {
                    Continue { revision: page.revision, start: format!("{}\0", kv.key) }.encode()
                });
                return Ok((items, page.revision, next));
            }
        }
        if !page.more {
            return Ok((items, page.revision, None));
        }
        start = last_key.map(|k| format!("{k}\0"));
    }
}

/// `resourceVersion=N&resourceVersionMatch=Exact` reads at N; every other form reads the
/// newest state, which is never older than anything a client has seen.
fn exact_revision(ctx: &Ctx, resource_version: Option<&str>) -> Result<Option<Revision>, ApiError> {
    let Some(rv) = resource_version else { return Ok(None) };
    let parsed: Revision = rv
        .parse()
        .map_err(|_| ApiError::bad_request(format!("invalid resource version {rv:?}")))?;
    match ctx.query.get("resourceVersionMatch") {
        Some("Exact") if parsed > 0 => Ok(Some(parsed)),
        Some("Exact") => {
            Err(ApiError::bad_request("resourceVersionMatch=Exact needs a resourceVersion"))
        }
        Some("NotOlderThan") | None | Some("") => Ok(None),
        Some(other) => {
            Err(ApiError::bad_request(format!("unsupported resourceVersionMatch {other:?}")))
        }
    }
}

fn expired(error: ApiError, revision: Option<Revision>) -> ApiError {
    if error.code == 410 {
        let rv = revision.unwrap_or_default();
        return ApiError::gone(format!(
            "The provided continue parameter is too old to display a consistent list result (resource version {rv}). You can start a new list without the continue parameter."
        ));
    }
    error
}

pub(crate) async fn list(ctx: &Ctx) -> Result<Response, ApiError> {
    let filter = Filter::from_query(ctx)?;
    let def = ctx.target.def;
    let metadata = view_request(ctx, partial::LIST);
    let include = table_request(ctx);
    if include.is_some() || metadata.is_some() {
        let listed = match cached_list(ctx, &filter).await? {
            Some(page) => {
                let items = page
                    .items
                    .iter()
                    .filter_map(|r| serde_json::from_slice(r).ok())
                    .map(|item| crate::conversion::converted(def, item))
                    .collect();
                Listed { items, revision: page.revision, next: page.next }
            }
            None => list_items(ctx, &filter).await?,
        };
        let rv = listed.revision.to_string();
        let next = listed.next.as_deref();
        let view = match (include, metadata) {
            (Some(include), _) => table::table(def, &listed.items, &rv, next, include, now(), true),
            (None, version) => partial::list(listed.items, &rv, next, version.unwrap_or("v1")),
        };
        return Ok(json_response(StatusCode::OK, &view));
    }
    let page = match cached_list(ctx, &filter).await? {
        Some(page) => page,
        None => {
            let (items, revision, next) = collect(ctx, &filter, Items::Raw(Vec::new())).await?;
            let Items::Raw(items) = items else {
                return Err(ApiError::internal("a raw list came back parsed"));
            };
            let items = items.into_iter().map(bytes::Bytes::from).collect();
            RawPage { items, revision, next, remaining: None }
        }
    };
    let RawPage { mut items, revision, next, remaining } = page;
    crate::conversion::convert_raw(def, &mut items);
    let mut metadata = json!({"resourceVersion": revision.to_string()});
    if let Some(next) = next {
        metadata["continue"] = json!(next);
    }
    if let Some(remaining) = remaining {
        metadata["remainingItemCount"] = json!(remaining);
    }
    let head = json!({"kind": format!("{}List", def.kind), "apiVersion": def.api_version(), "metadata": metadata});
    let mut head = head.to_string().into_bytes();
    head.pop();
    head.extend_from_slice(b",\"items\":[");
    Ok(super::streamed_response(StatusCode::OK, list_chunks(head, items)))
}

/// The body of a list, built lazily in chunks of about 64 KiB from the items' shared bytes, so
/// that a large list never sits in memory twice.
fn list_chunks(
    head: Vec<u8>,
    items: Vec<bytes::Bytes>,
) -> impl futures_util::Stream<Item = Result<bytes::Bytes, std::io::Error>> + Send {
    const CHUNK_BYTES: usize = 64 * 1024;
    let state = (Some(head), items.into_iter().enumerate(), false);
    futures_util::stream::unfold(state, |(head, mut items, done)| async move {
        if done {
            return None;
        }
        let mut chunk = head.unwrap_or_default();
        let mut finished = false;
        while chunk.len() < CHUNK_BYTES {
            match items.next() {
                Some((index, item)) => {
                    if index > 0 {
                        chunk.push(b',');
                    }
                    chunk.extend_from_slice(&item);
                }
                None => {
                    chunk.extend_from_slice(b"]}");
                    finished = true;
                    break;
                }
            }
        }
        Some((Ok(bytes::Bytes::from(chunk)), (None, items, finished)))
    })
}

/// A list served by the watch cache: every form except an exact revision and a continue token
/// (those read the store at their revision). A current read first waits until the cache holds
/// every acknowledged write; when it cannot catch up in time the store answers instead.
async fn cached_list(ctx: &Ctx, filter: &Filter) -> Result<Option<RawPage>, ApiError> {
    let Some(cache) = &ctx.state.cache else { return Ok(None) };
    let continues = ctx.query.get("continue").is_some_and(|c| !c.is_empty());
    if continues || ctx.query.get("resourceVersionMatch") == Some("Exact") {
        return Ok(None);
    }
    let wait = std::time::Duration::from_secs(3);
    let current = match ctx.query.get("resourceVersion").filter(|v| !v.is_empty()) {
        None => cache.wait_current(wait).await,
        Some("0") => true,
        Some(rv) => {
            let revision: Revision = rv
                .parse()
                .map_err(|_| ApiError::bad_request(format!("invalid resource version {rv:?}")))?;
            cache.wait_for(revision, wait).await
        }
    };
    if !current {
        return Ok(None);
    }
    let limit = ctx.query.number("limit")?.filter(|l| *l > 0).map(|l| l as usize);
    let prefix = filter.prefix(ctx.target.def, ctx.namespace());
    let matches = |entry: &crate::cache::Entry| filter.matches_view(&entry.view);
    let keep: Option<&dyn Fn(&crate::cache::Entry) -> bool> =
        (!filter.is_everything()).then_some(&matches);
    let listed = cache.list(&prefix, None, limit, keep);
    let next = listed.next.map(|start| Continue { revision: listed.revision, start }.encode());
    let items = listed.entries.iter().map(|e| e.raw.clone()).collect();
    Ok(Some(RawPage { items, revision: listed.revision, next, remaining: listed.remaining }))
}

/// A list page as the JSON of its items.
pub(crate) struct RawPage {
    items: Vec<bytes::Bytes>,
    revision: Revision,
    next: Option<String>,
    remaining: Option<usize>,
}

/// The `autoscaling/v1` `Scale` view of a workload.
pub(crate) fn scale_of(object: &Value) -> Value {
    let selector = object
        .pointer("/spec/selector")
        .and_then(|s| LabelSelector::from_label_selector_json(s).ok())
        .map(|s| s.to_string())
        .unwrap_or_default();
    let spec = object.pointer("/spec/replicas").cloned().unwrap_or(json!(1));
    let status = object.pointer("/status/replicas").cloned().unwrap_or(json!(0));
    crate::crds::scale::scale(object, spec, status, Some(&selector))
}

pub(crate) async fn get_scale(ctx: &Ctx) -> Result<Response, ApiError> {
    let stored = get_object(ctx).await?;
    Ok(json_response(StatusCode::OK, &super::write::scale_view(ctx.target.def, &stored.object)))
}

/// logs, exec, attach and port-forward are served by the node agent, which berth does not
/// have yet: a pod without a node gets Kubernetes' own answer, one with a node a clear 503.
pub(crate) async fn needs_node_agent(ctx: &Ctx, sub: Sub) -> Result<Response, ApiError> {
    let stored = get_object(ctx).await?;
    let name = ctx.target.name.as_deref().unwrap_or_default();
    match stored.object.pointer("/spec/nodeName").and_then(Value::as_str) {
        Some(node) if !node.is_empty() => Err(ApiError::new(
            503,
            "ServiceUnavailable",
            format!(
                "pods/{} for pod {name} on node {node} needs berth's node agent, which this build does not have yet",
                sub.name()
            ),
        )),
        _ => Err(ApiError::bad_request(format!("pod {name} does not have a host assigned"))),
    }
}

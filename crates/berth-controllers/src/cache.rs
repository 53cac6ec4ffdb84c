//! Caches for reconcilers driven by `kube::runtime::applier`: one reflector per kind whose
//! stream both fills the cache and says which object to reconcile.
//!
//! [`watch`] gives a kind's [`Store`] and the stream of objects that changed (applied or
//! deleted), already in the store when they come out; a controller maps those to the keys of
//! the objects it reconciles ([`owner`] for children) and merges them into its queue. Because
//! the trigger and the cache are the same watch, a reconcile never sees a cache older than the
//! event that started it. Watch errors are logged and retried with kube's default backoff.
//! [`reconcile_queue`] then runs the reconciler over that queue.

use std::convert::Infallible;
use std::fmt::Debug;
use std::hash::Hash;
use std::sync::Arc;
use std::time::Duration;

use futures_util::stream::BoxStream;
use futures_util::{FutureExt, Stream, StreamExt, TryStreamExt};
use k8s_openapi::serde::de::DeserializeOwned;
use kube::Resource;
use kube::api::Api;
use kube::runtime::controller::{self, Action, applier};
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{WatchStreamExt, watcher};

use crate::Error;

/// A cache of every `K` the API holds, and the stream of objects as they change.
pub fn watch<K>(api: Api<K>) -> (Store<K>, BoxStream<'static, K>)
where
    K: Resource + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
    K::DynamicType: Default + Eq + Hash + Clone + Send + Sync,
{
    let (store, writer) = reflector::store();
    let stream = reflector::reflector(writer, watcher(api, watcher::Config::default()))
        .default_backoff()
        .touched_objects()
        .inspect_err(|error| tracing::warn!(%error, kind = %K::kind(&K::DynamicType::default()), "watch failed"))
        .filter_map(|r| std::future::ready(r.ok()))
        .boxed();
    (store, stream)
}

/// [`watch`] for a `kube::runtime::Controller`: the changed objects as the trigger stream its
/// `owns_stream` and `watches_stream` take (watch errors are already logged and retried).
pub fn watch_trigger<K>(api: Api<K>) -> (Store<K>, BoxStream<'static, Result<K, watcher::Error>>)
where
    K: Resource + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
    K::DynamicType: Default + Eq + Hash + Clone + Send + Sync,
{
    let (store, changed) = watch(api);
    (store, changed.map(Ok).boxed())
}

/// The key of the object's controller, when that is a `P`.
pub fn owner<P, K>(object: &K) -> Option<ObjectRef<P>>
where
    P: Resource<DynamicType = ()>,
    K: Resource,
{
    let meta = object.meta();
    let reference = meta.owner_references.as_ref()?.iter().find(|r| r.controller == Some(true))?;
    if reference.kind != P::kind(&()) {
        return None;
    }
    let key = ObjectRef::new(&reference.name);
    Some(match meta.namespace.as_deref() {
        Some(namespace) => key.within(namespace),
        None => key,
    })
}

/// True once the store holds its first full list (never waits: the stream that fills it may
/// be the caller's own).
pub fn is_ready<K>(store: &Store<K>) -> bool
where
    K: Resource + Clone + 'static,
    K::DynamicType: Eq + Hash + Clone,
{
    store.wait_until_ready().now_or_never().is_some_and(|r| r.is_ok())
}

/// Waits until the store holds its first full list. Unlike `Store::wait_until_ready`, this is
/// safe with many concurrent waiters: kube's readiness is a oneshot channel that keeps only the
/// last waiter's waker, so of several reconciles waiting at start-up all but one would hang for
/// ever (seen: a ReplicaSet never synced after a restart). Polls every 20 ms instead.
pub async fn ready<K>(store: &Store<K>)
where
    K: Resource + Clone + 'static,
    K::DynamicType: Eq + Hash + Clone,
{
    while !is_ready(store) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A whole-cluster controller's triggers: one item per watch event of any of its caches
/// (including the end of each initial list), and one every [`RESYNC`].
pub fn changes(streams: Vec<BoxStream<'static, ()>>) -> BoxStream<'static, ()> {
    let resync = futures_util::stream::unfold((), |()| async {
        tokio::time::sleep(RESYNC).await;
        Some(((), ()))
    });
    futures_util::stream::select(futures_util::stream::select_all(streams), resync).boxed()
}

/// How often a whole-cluster controller looks again without being told.
pub const RESYNC: Duration = Duration::from_secs(30);

/// A cache of every `K` and a stream with one item per watch event (for [`changes`]).
pub fn watch_all<K>(api: Api<K>) -> (Store<K>, BoxStream<'static, ()>)
where
    K: Resource + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
    K::DynamicType: Default + Eq + Hash + Clone + Send + Sync,
{
    let (store, writer) = reflector::store();
    let stream = reflector::reflector(writer, watcher(api, watcher::Config::default()))
        .default_backoff()
        .filter_map(|r| {
            if let Err(error) = &r {
                tracing::warn!(%error, kind = %K::kind(&K::DynamicType::default()), "watch failed");
            }
            std::future::ready(r.ok().map(|_| ()))
        })
        .boxed();
    (store, stream)
}

/// Runs `pass` after each batch of changes until the changes end; a failed pass is logged and
/// followed by a growing pause (no hot loop), losing leadership ends the loop.
pub async fn passes<F, Fut>(
    changes: BoxStream<'static, ()>,
    controller: &'static str,
    mut pass: F,
) -> Result<(), Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), Error>>,
{
    let mut batches = changes.ready_chunks(4096);
    let mut pause = Duration::from_millis(500);
    while batches.next().await.is_some() {
        match pass().await {
            Ok(()) => pause = Duration::from_millis(500),
            Err(Error::NotLeader) => return Err(Error::NotLeader),
            Err(error) => {
                tracing::warn!(%error, controller, "pass failed");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(30));
            }
        }
    }
    Err(Error::Stopped(controller))
}

/// How long to wait after a failed reconcile: soon after a conflict, else a while (no hot loop).
pub fn retry(error: &Error) -> Action {
    if error.is_conflict() {
        Action::requeue(Duration::from_secs(1))
    } else {
        Action::requeue(Duration::from_secs(10))
    }
}

/// Runs `reconcile` on each object of `objects` that `queue` names (a `None` names nothing)
/// until the queue ends. A failed reconcile is logged and retried after [`retry`]; objects
/// queued again while one runs are reconciled once more after it.
pub async fn reconcile_queue<K, S, F, Fut>(
    controller: &'static str,
    objects: Store<K>,
    queue: impl Stream<Item = Option<ObjectRef<K>>> + Send + 'static,
    state: Arc<S>,
    mut reconcile: F,
) -> Result<(), Error>
where
    K: Resource<DynamicType = ()> + Clone + Debug + Send + Sync + 'static,
    F: FnMut(Arc<K>, Arc<S>) -> Fut,
    Fut: Future<Output = Result<Action, Error>> + Send + 'static,
{
    let queue = queue.filter_map(|key| std::future::ready(key.map(Ok::<_, Infallible>))).boxed();
    applier(
        |object, state| Box::pin(reconcile(object, state)),
        |_, error, _| retry(error),
        state,
        objects,
        queue,
        controller::Config::default(),
    )
    .for_each(|result| async move {
        if let Err(error) = result {
            tracing::warn!(%error, controller, "reconcile failed");
        }
    })
    .await;
    Err(Error::Stopped(controller))
}

//! The store contract, run against every backend: the same functions for memory, sqlite and a
//! real etcd. A backend is done when all of these pass for it.
//!
//! Assertions compare revisions the test itself was given, never absolute numbers, so that they
//! hold on etcd too (where the revision counts every write of the cluster).

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use berth_store::{EventKind, ListOptions, MAX_ENTRY_BYTES, Store, StoreError};
use bytes::Bytes;
use common::{assert_quiet, next_event};

fn b(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

async fn create_then_get(store: Arc<dyn Store>) {
    let kv = store.create("/registry/pods/default/a", b("one")).await.expect("create");
    assert_eq!(kv.create_revision, kv.mod_revision);
    assert_eq!(kv.version, 1);
    assert_eq!(kv.value, b("one"));
    let got = store.get("/registry/pods/default/a").await.expect("get");
    assert_eq!(got, kv);
    assert!(store.current_revision().await.expect("revision") >= kv.mod_revision);
    assert!(matches!(
        store.get("/registry/pods/default/missing").await,
        Err(StoreError::NotFound { .. })
    ));
}

async fn create_existing_is_refused(store: Arc<dyn Store>) {
    let first = store.create("/k", b("1")).await.expect("create");
    match store.create("/k", b("2")).await {
        Err(StoreError::AlreadyExists { key, current }) => {
            assert_eq!(key, "/k");
            assert_eq!(current.as_deref(), Some(&first));
        }
        other => panic!("expected AlreadyExists, got {other:?}"),
    }
    assert_eq!(store.get("/k").await.expect("get").value, b("1"));
}

async fn every_write_advances_the_revision(store: Arc<dyn Store>) {
    let a = store.create("/r/a", b("1")).await.expect("create");
    let a2 = store.update("/r/a", b("2"), a.mod_revision).await.expect("update");
    let a3 = store.update("/r/a", b("3"), a2.mod_revision).await.expect("update");
    assert!(a2.mod_revision > a.mod_revision && a3.mod_revision > a2.mod_revision);
    assert_eq!((a3.create_revision, a3.version), (a.create_revision, 3));
    let deleted = store.delete("/r/a", None).await.expect("delete");
    assert_eq!(deleted, a3);
    let after_delete = store.current_revision().await.expect("revision");
    assert!(after_delete > a3.mod_revision);
    let again = store.create("/r/a", b("4")).await.expect("recreate");
    assert!(again.create_revision > after_delete - 1);
    assert_eq!(again.version, 1);
}

async fn update_is_compare_and_swap(store: Arc<dyn Store>) {
    let kv = store.create("/cas", b("1")).await.expect("create");
    let updated = store.update("/cas", b("2"), kv.mod_revision).await.expect("update");
    match store.update("/cas", b("stale"), kv.mod_revision).await {
        Err(StoreError::Conflict { expected, current, .. }) => {
            assert_eq!(expected, kv.mod_revision);
            assert_eq!(*current, updated);
        }
        other => panic!("expected Conflict, got {other:?}"),
    }
    assert_eq!(store.get("/cas").await.expect("get").value, b("2"));
    assert!(matches!(store.update("/nope", b("x"), 1).await, Err(StoreError::NotFound { .. })));
    // An expected revision of 0 never creates the key.
    assert!(matches!(store.update("/nope", b("x"), 0).await, Err(StoreError::NotFound { .. })));
    assert!(matches!(store.get("/nope").await, Err(StoreError::NotFound { .. })));
}

async fn delete_is_compare_and_swap(store: Arc<dyn Store>) {
    let kv = store.create("/del", b("1")).await.expect("create");
    let updated = store.update("/del", b("2"), kv.mod_revision).await.expect("update");
    assert!(matches!(
        store.delete("/del", Some(kv.mod_revision)).await,
        Err(StoreError::Conflict { .. })
    ));
    let removed = store.delete("/del", Some(updated.mod_revision)).await.expect("delete");
    assert_eq!(removed, updated);
    assert!(matches!(store.get("/del").await, Err(StoreError::NotFound { .. })));
    assert!(matches!(store.delete("/del", None).await, Err(StoreError::NotFound { .. })));
}

async fn list_is_ordered_and_pages(store: Arc<dyn Store>) {
    let names = ["c", "a", "e", "b", "d", "f", "g"];
    for name in names {
        store.create(&format!("/list/{name}"), b(name)).await.expect("create");
    }
    store.create("/listx/other", b("x")).await.expect("create");
    store.create("/lis", b("x")).await.expect("create");
    let all = store.list(&ListOptions::prefix("/list/")).await.expect("list");
    let keys: Vec<&str> = all.kvs.iter().map(|kv| kv.key.as_str()).collect();
    assert_eq!(keys, ["/list/a", "/list/b", "/list/c", "/list/d", "/list/e", "/list/f", "/list/g"]);
    assert!(!all.more);

    let mut opts = ListOptions { limit: Some(3), ..ListOptions::prefix("/list/") };
    let mut paged = Vec::new();
    let mut pages = 0;
    loop {
        let page = store.list(&opts).await.expect("page");
        pages += 1;
        paged.extend(page.kvs.iter().map(|kv| kv.key.clone()));
        match page.continue_key() {
            Some(next) => {
                opts.start = Some(next);
                opts.revision = Some(page.revision);
            }
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(paged, keys);
}

async fn list_at_an_older_revision(store: Arc<dyn Store>) {
    let a = store.create("/old/a", b("a1")).await.expect("create");
    let bb = store.create("/old/b", b("b1")).await.expect("create");
    let c = store.create("/old/c", b("c1")).await.expect("create");
    let then = store.current_revision().await.expect("revision");
    store.update("/old/a", b("a2"), a.mod_revision).await.expect("update");
    store.delete("/old/b", Some(bb.mod_revision)).await.expect("delete");
    store.create("/old/d", b("d1")).await.expect("create");
    store.create("/old/b", b("b2")).await.expect("recreate");

    let past = store
        .list(&ListOptions { revision: Some(then), ..ListOptions::prefix("/old/") })
        .await
        .expect("list at revision");
    assert_eq!(past.revision, then);
    assert_eq!(past.kvs, vec![a.clone(), bb.clone(), c.clone()]);

    // Paging at a past revision sees the same state.
    let first = store
        .list(&ListOptions { revision: Some(then), limit: Some(2), ..ListOptions::prefix("/old/") })
        .await
        .expect("page 1");
    assert_eq!(first.kvs, vec![a, bb]);
    assert!(first.more);
    let second = store
        .list(&ListOptions {
            revision: Some(then),
            start: first.continue_key(),
            ..ListOptions::prefix("/old/")
        })
        .await
        .expect("page 2");
    assert_eq!(second.kvs, vec![c]);

    let now = store.list(&ListOptions::prefix("/old/")).await.expect("list now");
    let values: Vec<&[u8]> = now.kvs.iter().map(|kv| kv.value.as_ref()).collect();
    assert_eq!(values, [&b"a2"[..], b"b2", b"c1", b"d1"]);

    let future = now.revision + 1000;
    assert!(matches!(
        store.list(&ListOptions { revision: Some(future), ..ListOptions::prefix("/old/") }).await,
        Err(StoreError::FutureRevision { .. })
    ));
}

async fn watch_replays_history_then_follows(store: Arc<dyn Store>) {
    let a = store.create("/w/a", b("1")).await.expect("create");
    let a2 = store.update("/w/a", b("2"), a.mod_revision).await.expect("update");
    store.create("/other/x", b("x")).await.expect("create elsewhere");
    let mut watch = store.watch("/w/", a.mod_revision).await.expect("watch");
    let e1 = next_event(&mut watch).await;
    assert_eq!((e1.kind, e1.kv.clone(), e1.prev.clone()), (EventKind::Create, a.clone(), None));
    let e2 = next_event(&mut watch).await;
    assert_eq!((e2.kind, &e2.kv, e2.prev.as_ref()), (EventKind::Update, &a2, Some(&a)));
    let removed = store.delete("/w/a", None).await.expect("delete");
    let e3 = next_event(&mut watch).await;
    assert_eq!(e3.kind, EventKind::Delete);
    assert_eq!(e3.kv.key, "/w/a");
    assert!(e3.kv.mod_revision > a2.mod_revision);
    assert_eq!(e3.prev.as_ref(), Some(&removed));
    let b1 = store.create("/w/b", b("b")).await.expect("create");
    assert_eq!(next_event(&mut watch).await.kv, b1);
    assert_quiet(&mut watch).await;
}

async fn watch_from_now_sees_only_later_writes(store: Arc<dyn Store>) {
    store.create("/now/a", b("1")).await.expect("create");
    let mut watch = store.watch("/now/", 0).await.expect("watch");
    let later = store.create("/now/b", b("2")).await.expect("create");
    let event = next_event(&mut watch).await;
    assert_eq!(event.kv, later);
    assert_quiet(&mut watch).await;
}

/// Ordered, no gaps, no duplicates: the watch delivers exactly the revisions the writes got.
async fn watch_delivers_every_write_once_in_order(store: Arc<dyn Store>) {
    let mut watch = store.watch("/seq/", 0).await.expect("watch");
    let writers = 8;
    let per_writer = 25;
    let mut tasks = Vec::new();
    for w in 0..writers {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut revisions = Vec::new();
            let mut kv = store.create(&format!("/seq/{w}"), Bytes::from_static(b"0")).await?;
            revisions.push(kv.mod_revision);
            for i in 1..per_writer {
                kv = store.update(&kv.key, Bytes::from(i.to_string()), kv.mod_revision).await?;
                revisions.push(kv.mod_revision);
            }
            Ok::<_, StoreError>(revisions)
        }));
    }
    let mut written = Vec::new();
    for task in tasks {
        written.extend(task.await.expect("writer task").expect("writes"));
    }
    written.sort_unstable();
    let mut seen = Vec::new();
    while seen.len() < written.len() {
        seen.push(next_event(&mut watch).await.revision());
    }
    assert_eq!(seen, written, "watch must deliver every write once, in revision order");
    assert_quiet(&mut watch).await;
}

async fn watch_resumes_from_any_revision(store: Arc<dyn Store>) {
    let mut revisions = Vec::new();
    let mut kv = store.create("/resume/k", b("0")).await.expect("create");
    revisions.push(kv.mod_revision);
    for i in 1..10 {
        kv = store.update("/resume/k", b(&i.to_string()), kv.mod_revision).await.expect("update");
        revisions.push(kv.mod_revision);
    }
    for (index, from) in revisions.iter().enumerate() {
        let mut watch = store.watch("/resume/", *from).await.expect("watch");
        for expected in &revisions[index..] {
            assert_eq!(next_event(&mut watch).await.revision(), *expected);
        }
    }
}

async fn compaction_discards_history_only(store: Arc<dyn Store>) {
    let keep = store.create("/c/unchanged", b("old")).await.expect("create");
    let mut kv = store.create("/c/k", b("0")).await.expect("create");
    let early = kv.mod_revision;
    for i in 1..5 {
        kv = store.update("/c/k", b(&i.to_string()), kv.mod_revision).await.expect("update");
    }
    let gone = store.create("/c/gone", b("x")).await.expect("create");
    store.delete("/c/gone", None).await.expect("delete");
    let point = store.current_revision().await.expect("revision");
    let after = store.update("/c/k", b("after"), kv.mod_revision).await.expect("update");
    store.compact(point).await.expect("compact");

    assert!(matches!(
        store.list(&ListOptions { revision: Some(early), ..ListOptions::prefix("/c/") }).await,
        Err(StoreError::Compacted { .. })
    ));
    assert!(matches!(store.watch("/c/", early).await, Err(StoreError::Compacted { .. })));
    assert!(matches!(
        store.watch("/c/", gone.mod_revision).await,
        Err(StoreError::Compacted { .. })
    ));

    // The state at the compaction point and everything since stay readable.
    let at_point = store
        .list(&ListOptions { revision: Some(point), ..ListOptions::prefix("/c/") })
        .await
        .expect("list at the compaction point");
    assert_eq!(at_point.kvs, vec![kv.clone(), keep.clone()]);
    let now = store.list(&ListOptions::prefix("/c/")).await.expect("list now");
    assert_eq!(now.kvs, vec![after.clone(), keep.clone()]);
    let mut watch = store.watch("/c/", point + 1).await.expect("watch after compaction");
    let event = next_event(&mut watch).await;
    assert_eq!((event.kv, event.prev), (after.clone(), Some(kv)));
    assert_eq!(store.get("/c/unchanged").await.expect("get"), keep);
    // Writes go on after a compaction.
    store.update("/c/k", b("later"), after.mod_revision).await.expect("update after compaction");
}

async fn oversized_and_invalid_writes_are_refused(store: Arc<dyn Store>) {
    let big = Bytes::from(vec![b'x'; MAX_ENTRY_BYTES + 1]);
    assert!(matches!(store.create("/big", big.clone()).await, Err(StoreError::TooLarge { .. })));
    let kv = store.create("/big", b("small")).await.expect("create");
    assert!(matches!(
        store.update("/big", big, kv.mod_revision).await,
        Err(StoreError::TooLarge { .. })
    ));
    let huge_key = "/k".repeat(MAX_ENTRY_BYTES);
    assert!(matches!(store.create(&huge_key, b("v")).await, Err(StoreError::TooLarge { .. })));
    assert!(matches!(store.create("", b("v")).await, Err(StoreError::InvalidKey { .. })));
    // A large value under the limit is stored whole.
    let large = Bytes::from(vec![b'y'; 1024 * 1024]);
    let stored = store.update("/big", large.clone(), kv.mod_revision).await.expect("1 MiB value");
    assert_eq!(store.get("/big").await.expect("get").value, large);
    assert_eq!(stored.version, 2);
}

/// 32 tasks × 200 read-modify-write increments of one key end at exactly 6,400; every
/// refused write was a conflict.
async fn compare_and_swap_counts_exactly(store: Arc<dyn Store>) {
    const TASKS: usize = 32;
    const INCREMENTS: usize = 200;
    store.create("/counter", b("0")).await.expect("create");
    let conflicts = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..TASKS {
        let store = store.clone();
        let conflicts = conflicts.clone();
        tasks.push(tokio::spawn(async move {
            let mut current = store.get("/counter").await?;
            for _ in 0..INCREMENTS {
                loop {
                    let n: u64 = std::str::from_utf8(&current.value)
                        .expect("utf-8 counter")
                        .parse()
                        .expect("number");
                    let value = Bytes::from((n + 1).to_string());
                    match store.update("/counter", value, current.mod_revision).await {
                        Ok(kv) => {
                            current = kv;
                            break;
                        }
                        Err(StoreError::Conflict { current: now, .. }) => {
                            conflicts.fetch_add(1, Ordering::Relaxed);
                            current = *now;
                        }
                        Err(other) => return Err(other),
                    }
                }
            }
            Ok::<_, StoreError>(())
        }));
    }
    for task in tasks {
        task.await.expect("task").expect("increments");
    }
    let total = store.get("/counter").await.expect("get");
    assert_eq!(total.value, Bytes::from((TASKS * INCREMENTS).to_string()));
    assert_eq!(total.version as usize, TASKS * INCREMENTS + 1);
    eprintln!(
        "{} conflicts for {} increments",
        conflicts.load(Ordering::Relaxed),
        TASKS * INCREMENTS
    );
}

/// 1,000 concurrent watchers each receive every event.
async fn a_thousand_watchers_see_everything(store: Arc<dyn Store>) {
    const WATCHERS: usize = 1000;
    const WRITES: usize = 50;
    let mut watches = Vec::with_capacity(WATCHERS);
    for _ in 0..WATCHERS {
        watches.push(store.watch("/fan/", 0).await.expect("watch"));
    }
    let mut written = Vec::new();
    let mut kv = store.create("/fan/k", b("0")).await.expect("create");
    written.push(kv.mod_revision);
    for i in 1..WRITES {
        kv = store.update("/fan/k", b(&i.to_string()), kv.mod_revision).await.expect("update");
        written.push(kv.mod_revision);
    }
    let mut readers = tokio::task::JoinSet::new();
    for mut watch in watches {
        let expected = written.clone();
        readers.spawn(async move {
            let mut seen = Vec::with_capacity(expected.len());
            while seen.len() < expected.len() {
                seen.push(next_event(&mut watch).await.revision());
            }
            seen == expected
        });
    }
    let mut complete = 0;
    while let Some(result) = readers.join_next().await {
        complete += usize::from(result.expect("reader"));
    }
    assert_eq!(complete, WATCHERS, "every watcher must see all {WRITES} events in order");
}

/// A watcher that does not read while thousands of writes go by (more than any buffer holds)
/// still gets every one of them, in order, when it reads again.
async fn a_slow_watcher_misses_nothing(store: Arc<dyn Store>) {
    const WRITERS: usize = 32;
    const PER_WRITER: usize = 200;
    let mut watch = store.watch("/slow/", 0).await.expect("watch");
    let mut tasks = tokio::task::JoinSet::new();
    for w in 0..WRITERS {
        let store = store.clone();
        tasks.spawn(async move {
            let mut revisions = Vec::with_capacity(PER_WRITER);
            for i in 0..PER_WRITER {
                let kv = store.create(&format!("/slow/{w}/{i}"), Bytes::from_static(b"v")).await?;
                revisions.push(kv.mod_revision);
            }
            Ok::<_, StoreError>(revisions)
        });
    }
    let mut written = Vec::new();
    while let Some(done) = tasks.join_next().await {
        written.extend(done.expect("writer").expect("writes"));
    }
    written.sort_unstable();
    let mut seen = Vec::with_capacity(written.len());
    while seen.len() < written.len() {
        seen.push(next_event(&mut watch).await.revision());
    }
    assert_eq!(seen, written);
    assert_quiet(&mut watch).await;
}

async fn values_round_trip_as_bytes(store: Arc<dyn Store>) {
    let binary = Bytes::from((0..=255u8).collect::<Vec<_>>());
    store.create("/bin/ключ", binary.clone()).await.expect("create");
    assert_eq!(store.get("/bin/ключ").await.expect("get").value, binary);
    let listed = store.list(&ListOptions::prefix("/bin/")).await.expect("list");
    assert_eq!(listed.kvs.len(), 1);
    assert_eq!(listed.kvs[0].key, "/bin/ключ");
    let mut map = BTreeMap::new();
    map.insert(listed.kvs[0].key.clone(), listed.kvs[0].value.clone());
    assert_eq!(map["/bin/ключ"], binary);
}

macro_rules! conformance {
    ($backend:ident) => {
        mod $backend {
            use super::*;

            macro_rules! case {
                ($name:ident) => {
                    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                    async fn $name() {
                        let fixture = common::$backend().await;
                        super::$name(fixture.store.clone()).await;
                    }
                };
            }

            case!(create_then_get);
            case!(create_existing_is_refused);
            case!(every_write_advances_the_revision);
            case!(update_is_compare_and_swap);
            case!(delete_is_compare_and_swap);
            case!(list_is_ordered_and_pages);
            case!(list_at_an_older_revision);
            case!(watch_replays_history_then_follows);
            case!(watch_from_now_sees_only_later_writes);
            case!(watch_delivers_every_write_once_in_order);
            case!(watch_resumes_from_any_revision);
            case!(compaction_discards_history_only);
            case!(oversized_and_invalid_writes_are_refused);
            case!(compare_and_swap_counts_exactly);
            case!(a_thousand_watchers_see_everything);
            case!(values_round_trip_as_bytes);
            case!(a_slow_watcher_misses_nothing);
        }
    };
}

conformance!(memory);
conformance!(sqlite);
conformance!(etcd);

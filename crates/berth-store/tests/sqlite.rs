//! What only the sqlite backend has to show: it keeps everything across a reopen, refuses
//! damaged or foreign files without touching them, allows one process per file, and compacts
//! on a schedule.

use std::time::Duration;

use berth_store::sqlite::{SqliteOptions, SqliteStore};
use berth_store::{ListOptions, Store, StoreError};
use bytes::Bytes;

fn options() -> SqliteOptions {
    SqliteOptions { compaction_interval: None, ..SqliteOptions::default() }
}

#[tokio::test]
async fn reopen_keeps_data_and_revisions_go_on() {
    let dir = berth_testkit::temp_dir("berth-sqlite").expect("temp dir");
    let path = dir.path().join("state.db");
    let (kept, last) = {
        let store = SqliteStore::open(&path, options()).await.expect("open");
        let a = store.create("/a", Bytes::from_static(b"1")).await.expect("create");
        let a = store.update("/a", Bytes::from_static(b"2"), a.mod_revision).await.expect("update");
        store.create("/b", Bytes::from_static(b"x")).await.expect("create");
        let b = store.delete("/b", None).await.expect("delete");
        (a, b.mod_revision.max(store.current_revision().await.expect("revision")))
    };
    let store = SqliteStore::open(&path, options()).await.expect("reopen");
    assert_eq!(store.current_revision().await.expect("revision"), last);
    assert_eq!(store.get("/a").await.expect("get"), kept);
    assert!(matches!(store.get("/b").await, Err(StoreError::NotFound { .. })));
    let next = store.create("/c", Bytes::from_static(b"3")).await.expect("create");
    assert_eq!(next.mod_revision, last + 1);
}

#[tokio::test]
async fn garbage_file_is_refused_and_left_alone() {
    let dir = berth_testkit::temp_dir("berth-sqlite").expect("temp dir");
    let path = dir.path().join("state.db");
    let garbage: Vec<u8> = (0..64 * 1024).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&path, &garbage).expect("write garbage");
    match SqliteStore::open(&path, options()).await {
        Err(StoreError::Corrupt { message, .. }) => assert!(message.contains("not a database")),
        other => panic!("expected Corrupt, got {other:?}"),
    }
    assert_eq!(std::fs::read(&path).expect("read back"), garbage, "the file must not change");
}

#[tokio::test]
async fn foreign_database_is_refused_and_left_alone() {
    let dir = berth_testkit::temp_dir("berth-sqlite").expect("temp dir");
    let path = dir.path().join("state.db");
    {
        let conn = rusqlite::Connection::open(&path).expect("create foreign db");
        conn.execute_batch("CREATE TABLE users (name TEXT); INSERT INTO users VALUES ('ada');")
            .expect("fill foreign db");
    }
    match SqliteStore::open(&path, options()).await {
        Err(StoreError::Corrupt { message, .. }) => {
            assert!(message.contains("not a berth store"), "{message}")
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
    let conn = rusqlite::Connection::open(&path).expect("reopen foreign db");
    let name: String =
        conn.query_row("SELECT name FROM users", [], |r| r.get(0)).expect("foreign data kept");
    assert_eq!(name, "ada");
}

#[tokio::test]
async fn damaged_pages_give_a_corrupt_error_not_an_empty_store() {
    let dir = berth_testkit::temp_dir("berth-sqlite").expect("temp dir");
    let path = dir.path().join("state.db");
    {
        let store = SqliteStore::open(&path, options()).await.expect("open");
        for i in 0..2000 {
            let value = Bytes::from(vec![b'v'; 512]);
            store.create(&format!("/k/{i:05}"), value).await.expect("create");
        }
    }
    // Overwrite the middle of the file (the store was closed, so the WAL is checkpointed).
    let mut bytes = std::fs::read(&path).expect("read");
    let len = bytes.len();
    assert!(len > 100_000, "expected a sizeable database, got {len} bytes");
    for byte in &mut bytes[len / 3..len / 3 + 64 * 1024] {
        *byte = 0xa5;
    }
    std::fs::write(&path, &bytes).expect("damage");
    let outcome = async {
        let store = SqliteStore::open(&path, options()).await?;
        store.list(&ListOptions::prefix("/k/")).await
    }
    .await;
    match outcome {
        Err(StoreError::Corrupt { .. }) => {}
        other => panic!("expected Corrupt, got {:?}", other.map(|l| l.kvs.len())),
    }
}

#[tokio::test]
async fn one_process_per_file() {
    let dir = berth_testkit::temp_dir("berth-sqlite").expect("temp dir");
    let path = dir.path().join("state.db");
    let first = SqliteStore::open(&path, options()).await.expect("open");
    match SqliteStore::open(&path, options()).await {
        Err(StoreError::Unavailable { message, .. }) => assert!(message.contains("in use")),
        other => panic!("expected Unavailable, got {other:?}"),
    }
    drop(first);
    SqliteStore::open(&path, options()).await.expect("open after the first closed");
}

#[tokio::test]
async fn compacts_on_schedule() {
    let dir = berth_testkit::temp_dir("berth-sqlite").expect("temp dir");
    let options = SqliteOptions {
        compaction_interval: Some(Duration::from_millis(100)),
        ..SqliteOptions::default()
    };
    let store = SqliteStore::open(&dir.path().join("state.db"), options).await.expect("open");
    let mut kv = store.create("/s", Bytes::from_static(b"0")).await.expect("create");
    let first = kv.mod_revision;
    for i in 1..20 {
        kv = store.update("/s", Bytes::from(i.to_string()), kv.mod_revision).await.expect("update");
    }
    // The first tick records the revision, the second compacts up to it.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let at_first = ListOptions { revision: Some(first), ..ListOptions::prefix("/s") };
        match store.list(&at_first).await {
            Err(StoreError::Compacted { .. }) => break,
            Ok(_) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            other => panic!("expected the schedule to compact, got {other:?}"),
        }
    }
    assert_eq!(store.get("/s").await.expect("get"), kv);
}

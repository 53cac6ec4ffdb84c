//! Acknowledged writes survive SIGKILL. A child process (this test binary, re-run as
//! `crash_child`) writes from many tasks and records each acknowledgement; the parent kills it
//! at a random moment, reopens the store and checks every acknowledged write, the file's
//! integrity and that revisions never go backwards or repeat.
//!
//! `BERTH_CRASH_CYCLES=200 cargo test -p berth-store --test durability` runs a longer soak.

use std::collections::HashSet;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use berth_store::sqlite::{SqliteOptions, SqliteStore};
use berth_store::{ListOptions, Store};
use bytes::Bytes;

const DIR_VAR: &str = "BERTH_CRASH_DIR";
const CYCLE_VAR: &str = "BERTH_CRASH_CYCLE";
const DEFAULT_CYCLES: usize = 50;

fn options() -> SqliteOptions {
    SqliteOptions { compaction_interval: None, ..SqliteOptions::default() }
}

/// The writer. Only does something when the parent runs it with `BERTH_CRASH_DIR` set.
#[test]
#[ignore = "run by sqlite_acknowledged_writes_survive_sigkill in a child process"]
fn crash_child() {
    let (Ok(dir), Ok(cycle)) = (std::env::var(DIR_VAR), std::env::var(CYCLE_VAR)) else {
        return;
    };
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async move {
        let dir = Path::new(&dir);
        let store = SqliteStore::open(&dir.join("state.db"), options()).await.expect("open");
        let acks = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join(format!("acks.{cycle}")))
            .expect("ack file");
        let acks = Arc::new(Mutex::new(acks));
        let mut tasks = Vec::new();
        for task in 0..16 {
            let store = store.clone();
            let acks = acks.clone();
            let cycle = cycle.clone();
            tasks.push(tokio::spawn(async move {
                for n in 0.. {
                    let key = format!("/crash/{cycle}/{task}/{n}");
                    let size = 64 + fastrand::usize(..4000);
                    let kv =
                        store.create(&key, Bytes::from(vec![b'a'; size])).await.expect("write");
                    // One write(2) per line: the line is in the kernel before the next write.
                    let line = format!("{} {key} {size}\n", kv.mod_revision);
                    let mut file = acks.lock().expect("ack lock");
                    file.write_all(line.as_bytes()).expect("record ack");
                }
            }));
        }
        for task in tasks {
            let _ = task.await;
        }
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_acknowledged_writes_survive_sigkill() {
    let cycles = std::env::var("BERTH_CRASH_CYCLES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(DEFAULT_CYCLES);
    let dir = berth_testkit::temp_dir("berth-crash").expect("temp dir");
    let db = dir.path().join("state.db");
    let exe = std::env::current_exe().expect("test binary");
    let mut seen_revisions = HashSet::new();
    let mut floor = 0;
    let mut total_acked = 0;
    for cycle in 0..cycles {
        let mut child = Command::new(&exe)
            .args(["crash_child", "--exact", "--ignored", "--test-threads", "1"])
            .env(DIR_VAR, dir.path())
            .env(CYCLE_VAR, cycle.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn child");
        // Kill at a random moment once the child has started writing.
        let acks_path = dir.path().join(format!("acks.{cycle}"));
        let started = Instant::now();
        while std::fs::metadata(&acks_path).map(|m| m.len()).unwrap_or(0) == 0 {
            assert!(started.elapsed() < Duration::from_secs(20), "child never wrote");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        tokio::time::sleep(Duration::from_millis(fastrand::u64(0..250))).await;
        child.kill().expect("SIGKILL");
        child.wait().expect("reap");

        let acks = std::fs::read_to_string(&acks_path).expect("acks");
        let store = SqliteStore::open(&db, options()).await.expect("reopen after kill");
        let current = store.current_revision().await.expect("revision");
        let mut cycle_acks = 0;
        for line in acks.lines() {
            let mut parts = line.split(' ');
            let (Some(rev), Some(key), Some(size)) = (parts.next(), parts.next(), parts.next())
            else {
                panic!("malformed ack line {line:?}");
            };
            let rev: i64 = rev.parse().expect("revision");
            let size: usize = size.parse().expect("size");
            assert!(
                rev > floor,
                "cycle {cycle}: revision {rev} not above the last cycle's {floor}"
            );
            assert!(seen_revisions.insert(rev), "revision {rev} acknowledged twice");
            let kv = store.get(key).await.unwrap_or_else(|e| {
                panic!("cycle {cycle}: acknowledged {key} at {rev} is lost: {e}")
            });
            assert_eq!((kv.mod_revision, kv.value.len()), (rev, size), "{key}");
            assert!(rev <= current);
            cycle_acks += 1;
        }
        assert!(cycle_acks > 0);
        total_acked += cycle_acks;
        let listed =
            store.list(&ListOptions::prefix(format!("/crash/{cycle}/"))).await.expect("list");
        assert!(listed.kvs.len() >= cycle_acks, "fewer keys than acknowledgements");
        drop(store);
        let conn = rusqlite::Connection::open(&db).expect("open for integrity check");
        let check: String =
            conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).expect("integrity check");
        assert_eq!(check, "ok", "cycle {cycle}");
        drop(conn);
        floor = current;
    }
    eprintln!("{cycles} SIGKILL cycles, {total_acked} acknowledged writes, all present");
}

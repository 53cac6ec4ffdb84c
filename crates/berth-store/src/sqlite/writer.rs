//! The one writer thread: group commit, revision assignment, compaction.
//!
//! It takes every request that is waiting (up to a batch), applies each in order inside one
//! `BEGIN IMMEDIATE` transaction with its own revision, commits once (fsync), publishes the
//! events to the watch hub and only then answers the callers. A request whose precondition
//! fails (conflict, already exists, not found) gets its error without disturbing the others.

use std::fs::File;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use tokio::sync::{mpsc, oneshot};

use super::schema::Opened;
use super::sql_error;
use crate::hub::Hub;
use crate::{Event, KeyValue, Revision, StoreError};

/// One write a caller asks for.
#[derive(Debug)]
pub(crate) enum Op {
    Create { key: String, value: Bytes },
    Update { key: String, value: Bytes, expected: Revision },
    Delete { key: String, expected: Option<Revision> },
}

/// What the writer thread is asked to do, and where its answer goes.
#[derive(Debug)]
pub(crate) enum Request {
    Write { op: Op, reply: Reply },
    Compact { revision: Revision, reply: oneshot::Sender<Result<(), StoreError>> },
}

pub(crate) fn spawn(
    opened: Opened,
    requests: mpsc::Receiver<Request>,
    hub: Arc<Hub>,
    max_batch: usize,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    let writer = Writer {
        conn: opened.conn,
        path: opened.path,
        revision: opened.revision,
        compacted: opened.compacted,
        hub,
        _lock: opened.lock,
    };
    std::thread::Builder::new()
        .name("berth-store-writer".into())
        .spawn(move || writer.run(requests, max_batch))
}

struct Writer {
    conn: Connection,
    path: PathBuf,
    /// The last committed revision.
    revision: Revision,
    compacted: Revision,
    hub: Arc<Hub>,
    _lock: File,
}

pub(crate) type Reply = oneshot::Sender<Result<KeyValue, StoreError>>;

/// Why one write in a batch did not apply.
enum Refusal {
    /// Its precondition failed; the rest of the batch goes on.
    Precondition(StoreError),
    /// SQLite failed; the whole batch is rolled back.
    Sql(rusqlite::Error),
}

impl From<rusqlite::Error> for Refusal {
    fn from(error: rusqlite::Error) -> Self {
        Refusal::Sql(error)
    }
}

impl Writer {
    fn run(mut self, mut requests: mpsc::Receiver<Request>, max_batch: usize) {
        let mut writes = Vec::with_capacity(max_batch);
        while let Some(first) = requests.blocking_recv() {
            let mut next = Some(first);
            while let Some(request) = next.take() {
                match request {
                    Request::Compact { revision, reply } => {
                        // A compaction commits on its own, after the writes queued before it.
                        self.commit(std::mem::take(&mut writes));
                        let _ = reply.send(self.compact(revision));
                    }
                    Request::Write { op, reply } => writes.push((op, reply)),
                }
                if writes.len() < max_batch {
                    next = requests.try_recv().ok();
                }
            }
            self.commit(std::mem::take(&mut writes));
        }
    }

    /// Applies a batch in one transaction and answers every caller.
    fn commit(&mut self, writes: Vec<(Op, Reply)>) {
        if writes.is_empty() {
            return;
        }
        let path = self.path.clone();
        let mut revision = self.revision;
        let mut events = Vec::with_capacity(writes.len());
        let mut answers: Vec<(Reply, Result<KeyValue, StoreError>)> =
            Vec::with_capacity(writes.len());
        let outcome = (|| -> rusqlite::Result<()> {
            let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            for (op, reply) in writes {
                match apply(&tx, op, revision + 1) {
                    Ok((result, event)) => {
                        revision += 1;
                        events.push(event);
                        answers.push((reply, Ok(result)));
                    }
                    Err(Refusal::Precondition(error)) => answers.push((reply, Err(error))),
                    Err(Refusal::Sql(error)) => {
                        answers.push((
                            reply,
                            Err(sql_error(&path, "applying a write", clone_sql(&error))),
                        ));
                        return Err(error);
                    }
                }
            }
            tx.commit()
        })();
        match outcome {
            Ok(()) => {
                self.revision = revision;
                self.hub.publish(events);
                for (reply, result) in answers {
                    let _ = reply.send(result);
                }
            }
            Err(error) => {
                // Nothing of this batch is stored: every write that had applied fails too.
                tracing::error!(%error, path = %path.display(), "store commit failed");
                for (reply, result) in answers {
                    let result = match result {
                        Ok(_) => Err(sql_error(&path, "committing a write", clone_sql(&error))),
                        refused => refused,
                    };
                    let _ = reply.send(result);
                }
            }
        }
    }

    fn compact(&mut self, revision: Revision) -> Result<(), StoreError> {
        if revision < self.compacted {
            return Err(StoreError::Compacted { requested: revision, compacted: self.compacted });
        }
        if revision > self.revision {
            return Err(StoreError::FutureRevision { requested: revision, current: self.revision });
        }
        if revision == self.compacted {
            return Ok(());
        }
        let old = self.compacted;
        let result = (|| -> rusqlite::Result<()> {
            let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            // Rows replaced by a later row at or before `revision` are history nobody can read.
            tx.execute(
                "DELETE FROM log WHERE rev IN \
                 (SELECT prev_rev FROM log WHERE rev > ?1 AND rev <= ?2 AND prev_rev > 0)",
                params![old, revision],
            )?;
            // Deletions before `revision` leave nothing to read either.
            tx.execute(
                "DELETE FROM log WHERE deleted = 1 AND rev >= ?1 AND rev < ?2",
                params![old, revision],
            )?;
            tx.execute("UPDATE meta SET value = ?1 WHERE name = 'compacted'", params![revision])?;
            tx.commit()
        })();
        result.map_err(|e| sql_error(&self.path, "compacting", e))?;
        self.compacted = revision;
        Ok(())
    }
}

/// Applies one write at `revision` and returns the caller's answer and the watch event.
fn apply(tx: &Transaction<'_>, op: Op, revision: Revision) -> Result<(KeyValue, Event), Refusal> {
    match op {
        Op::Create { key, value } => {
            if let Some(current) = current(tx, &key)? {
                let current = Some(Box::new(current));
                return Err(Refusal::Precondition(StoreError::AlreadyExists { key, current }));
            }
            let kv = KeyValue {
                key,
                value,
                create_revision: revision,
                mod_revision: revision,
                version: 1,
            };
            put(tx, &kv, 0)?;
            Ok((kv.clone(), Event::put(kv, None)))
        }
        Op::Update { key, value, expected } => {
            let prev = matching(tx, &key, Some(expected))?;
            let kv = KeyValue {
                key,
                value,
                create_revision: prev.create_revision,
                mod_revision: revision,
                version: prev.version + 1,
            };
            put(tx, &kv, prev.mod_revision)?;
            Ok((kv.clone(), Event::put(kv, Some(prev))))
        }
        Op::Delete { key, expected } => {
            let prev = matching(tx, &key, expected)?;
            tx.prepare_cached("DELETE FROM kv WHERE key = ?1")?.execute([key.as_bytes()])?;
            tx.prepare_cached(
                "INSERT INTO log (rev, key, value, create_rev, version, prev_rev, deleted) \
                 VALUES (?1, ?2, NULL, 0, 0, ?3, 1)",
            )?
            .execute(params![revision, key.as_bytes(), prev.mod_revision])?;
            Ok((prev.clone(), Event::deleted(key, revision, prev)))
        }
    }
}

fn put(tx: &Transaction<'_>, kv: &KeyValue, prev_rev: Revision) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO kv (key, value, create_rev, mod_rev, version) VALUES (?1, ?2, ?3, ?4, ?5) \
         ON CONFLICT (key) DO UPDATE SET value = ?2, create_rev = ?3, mod_rev = ?4, version = ?5",
    )?
    .execute(params![
        kv.key.as_bytes(),
        kv.value.as_ref(),
        kv.create_revision,
        kv.mod_revision,
        kv.version
    ])?;
    tx.prepare_cached(
        "INSERT INTO log (rev, key, value, create_rev, version, prev_rev, deleted) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0)",
    )?
    .execute(params![
        kv.mod_revision,
        kv.key.as_bytes(),
        kv.value.as_ref(),
        kv.create_revision,
        kv.version,
        prev_rev
    ])?;
    Ok(())
}

fn current(tx: &Transaction<'_>, key: &str) -> rusqlite::Result<Option<KeyValue>> {
    tx.prepare_cached("SELECT value, create_rev, mod_rev, version FROM kv WHERE key = ?1")?
        .query_row([key.as_bytes()], |row| {
            Ok(KeyValue {
                key: key.to_owned(),
                value: Bytes::from(row.get::<_, Vec<u8>>(0)?),
                create_revision: row.get(1)?,
                mod_revision: row.get(2)?,
                version: row.get(3)?,
            })
        })
        .optional()
}

/// The current value, checked against an expected `mod_revision`.
fn matching(
    tx: &Transaction<'_>,
    key: &str,
    expected: Option<Revision>,
) -> Result<KeyValue, Refusal> {
    let Some(current) = current(tx, key)? else {
        return Err(Refusal::Precondition(StoreError::NotFound { key: key.to_owned() }));
    };
    match expected {
        Some(expected) if expected != current.mod_revision => {
            Err(Refusal::Precondition(StoreError::Conflict {
                key: key.to_owned(),
                expected,
                current: Box::new(current),
            }))
        }
        _ => Ok(current),
    }
}

/// rusqlite errors are not `Clone`; a failed batch reports the same failure to every caller.
fn clone_sql(error: &rusqlite::Error) -> rusqlite::Error {
    match error {
        rusqlite::Error::SqliteFailure(failure, message) => {
            rusqlite::Error::SqliteFailure(*failure, message.clone())
        }
        other => rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ERROR),
            Some(other.to_string()),
        ),
    }
}

//! The embedded default backend: one SQLite file in the data dir.
//!
//! Start at [`SqliteStore::open`]. Two tables hold the data: `kv` is the current value of every
//! key (a list is one ordered scan), `log` is every write by revision (watches replay it, reads
//! at an older revision undo it). All writes go through one writer thread ([`writer`]) that
//! takes every request waiting, applies them in one transaction with one revision each, and
//! commits once: WAL with `synchronous=FULL`, so the commit is fsynced before any caller hears
//! back, and throughput grows with the number of concurrent writers (group commit). Reads run on
//! a small pool of read connections ([`read`]), each in its own snapshot.

mod read;
mod schema;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Weak};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};

use crate::hub::Hub;
use crate::{
    KeyValue, ListOptions, ListResult, Revision, Store, StoreError, WatchStream, check_entry,
};
use read::ReadPool;
use writer::{Op, Request};

/// Tuning knobs; the defaults suit a server.
#[derive(Clone, Debug)]
pub struct SqliteOptions {
    /// Read connections (concurrent list/get/watch catch-up queries).
    pub readers: usize,
    /// The most writes one commit takes.
    pub max_batch: usize,
    /// Compact on this schedule, each time up to the revision seen at the previous tick (what
    /// kube-apiserver does with etcd every five minutes). `None` compacts only on demand.
    pub compaction_interval: Option<Duration>,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions {
            readers: 4,
            max_batch: 512,
            compaction_interval: Some(Duration::from_secs(300)),
        }
    }
}

/// The sqlite backend. Cloning shares the same open store.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    path: PathBuf,
    writer: mpsc::Sender<Request>,
    readers: Arc<ReadPool>,
    hub: Arc<Hub>,
    writer_thread: std::sync::Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Closing the channel ends the writer after its current batch; waiting for it means the
        // file and its lock are released when the store is gone, so it can be reopened at once.
        let (closed, _) = mpsc::channel(1);
        drop(std::mem::replace(&mut self.writer, closed));
        let handle = self.writer_thread.lock().ok().and_then(|mut h| h.take());
        if let Some(handle) = handle {
            let _ = handle.join();
        }
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the store at `path`. Fails with [`StoreError::Corrupt`] for a
    /// file that is damaged or is not a berth store, and with [`StoreError::Unavailable`] when
    /// another process has it open.
    pub async fn open(path: &Path, options: SqliteOptions) -> Result<Self, StoreError> {
        let path = path.to_owned();
        let opened = {
            let path = path.clone();
            tokio::task::spawn_blocking(move || schema::open_writer(&path))
                .await
                .map_err(|e| StoreError::internal("opening the store panicked", e))??
        };
        let readers = Arc::new(ReadPool::open(&path, options.readers.max(1))?);
        let hub = Arc::new(Hub::new(opened.revision));
        let (tx, rx) = mpsc::channel(options.max_batch.max(1) * 4);
        let thread = writer::spawn(opened, rx, hub.clone(), options.max_batch.max(1))
            .map_err(|e| StoreError::internal("starting the writer thread", e))?;
        let inner = Arc::new(Inner {
            path,
            writer: tx,
            readers,
            hub,
            writer_thread: std::sync::Mutex::new(Some(thread)),
        });
        if let Some(interval) = options.compaction_interval {
            tokio::spawn(compact_on_schedule(Arc::downgrade(&inner), interval));
        }
        Ok(SqliteStore { inner })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    async fn write(&self, op: Op) -> Result<KeyValue, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.send(Request::Write { op, reply }, answer).await
    }

    async fn send<T>(
        &self,
        request: Request,
        answer: oneshot::Receiver<Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        let closed =
            || StoreError::Unavailable { message: "the store is closed".into(), source: None };
        self.inner.writer.send(request).await.map_err(|_| closed())?;
        answer.await.map_err(|_| closed())?
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn get(&self, key: &str) -> Result<KeyValue, StoreError> {
        self.inner.readers.get(key).await
    }

    async fn list(&self, opts: &ListOptions) -> Result<ListResult, StoreError> {
        self.inner.readers.list(opts).await
    }

    async fn create(&self, key: &str, value: Bytes) -> Result<KeyValue, StoreError> {
        check_entry(key, &value)?;
        self.write(Op::Create { key: key.to_owned(), value }).await
    }

    async fn update(
        &self,
        key: &str,
        value: Bytes,
        expected: Revision,
    ) -> Result<KeyValue, StoreError> {
        check_entry(key, &value)?;
        self.write(Op::Update { key: key.to_owned(), value, expected }).await
    }

    async fn delete(&self, key: &str, expected: Option<Revision>) -> Result<KeyValue, StoreError> {
        self.write(Op::Delete { key: key.to_owned(), expected }).await
    }

    async fn watch(&self, prefix: &str, from: Revision) -> Result<WatchStream, StoreError> {
        self.inner.hub.watch(self.inner.readers.clone(), prefix, from).await
    }

    fn local_revision(&self) -> bool {
        true
    }

    async fn current_revision(&self) -> Result<Revision, StoreError> {
        Ok(self.inner.hub.committed())
    }

    async fn compact(&self, revision: Revision) -> Result<(), StoreError> {
        let (reply, answer) = oneshot::channel();
        self.send(Request::Compact { revision, reply }, answer).await
    }
}

async fn compact_on_schedule(store: Weak<Inner>, interval: Duration) {
    let mut previous: Option<Revision> = None;
    loop {
        tokio::time::sleep(interval).await;
        let Some(inner) = store.upgrade() else { return };
        let store = SqliteStore { inner };
        if let Some(revision) = previous.filter(|r| *r > 0)
            && let Err(error) = store.compact(revision).await
        {
            tracing::warn!(%error, revision, "scheduled compaction failed");
        }
        previous = Some(store.inner.hub.committed());
    }
}

/// Maps a SQLite failure to the store's error for the file at `path`.
pub(crate) fn sql_error(path: &Path, context: &str, error: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode;
    if let rusqlite::Error::SqliteFailure(failure, _) = &error {
        match failure.code {
            ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase => {
                return StoreError::Corrupt {
                    path: path.display().to_string(),
                    message: format!("{context}: {error}"),
                };
            }
            ErrorCode::DiskFull
            | ErrorCode::CannotOpen
            | ErrorCode::ReadOnly
            | ErrorCode::SystemIoFailure
            | ErrorCode::DatabaseBusy
            | ErrorCode::DatabaseLocked
            | ErrorCode::PermissionDenied => {
                return StoreError::unavailable(format!("{context} ({})", path.display()), error);
            }
            _ => {}
        }
    }
    StoreError::internal(format!("{context} ({})", path.display()), error)
}

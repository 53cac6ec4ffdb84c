//! Reads: a pool of read-only connections, each query in its own snapshot (WAL readers never
//! block the writer). Lists at the current revision are one ordered scan of `kv`; lists at an
//! older revision take `kv` and undo the writes made since, using `log`.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use async_trait::async_trait;
use bytes::Bytes;
use rusqlite::{Connection, OptionalExtension, Row, params};
use tokio::sync::Semaphore;

use super::schema::{open_reader, read_compacted};
use super::sql_error;
use crate::hub::History;
use crate::{
    Event, EventKind, KeyValue, ListOptions, ListResult, Revision, StoreError, prefix_end,
};

/// Read-only connections to one database file.
#[derive(Debug)]
pub(crate) struct ReadPool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    permits: Semaphore,
}

impl ReadPool {
    pub(crate) fn open(path: &Path, size: usize) -> Result<Self, StoreError> {
        let idle = (0..size).map(|_| open_reader(path)).collect::<Result<Vec<_>, _>>()?;
        Ok(ReadPool {
            path: path.to_owned(),
            idle: Mutex::new(idle),
            permits: Semaphore::new(size),
        })
    }

    /// Runs `read` on an idle connection on the blocking pool.
    async fn with<T, F>(&self, read: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection, &Path) -> Result<T, StoreError> + Send + 'static,
    {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| StoreError::internal("the read pool is closed", e))?;
        let taken = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let mut conn = match taken {
            Some(conn) => conn,
            None => open_reader(&self.path)?,
        };
        let path = self.path.clone();
        let (conn, result) = tokio::task::spawn_blocking(move || {
            let result = read(&mut conn, &path);
            (conn, result)
        })
        .await
        .map_err(|e| StoreError::internal("a read panicked", e))?;
        self.idle.lock().unwrap_or_else(|p| p.into_inner()).push(conn);
        result
    }

    pub(crate) async fn get(&self, key: &str) -> Result<KeyValue, StoreError> {
        let key = key.to_owned();
        self.with(move |conn, path| {
            let found = conn
                .prepare_cached("SELECT value, create_rev, mod_rev, version FROM kv WHERE key = ?1")
                .and_then(|mut s| {
                    s.query_row([key.as_bytes()], |row| current_row(row, key.clone())).optional()
                })
                .map_err(|e| sql_error(path, "reading a key", e))?;
            found.ok_or(StoreError::NotFound { key })
        })
        .await
    }

    pub(crate) async fn list(&self, opts: &ListOptions) -> Result<ListResult, StoreError> {
        let opts = opts.clone();
        self.with(move |conn, path| {
            let tx = conn.transaction().map_err(|e| sql_error(path, "starting a read", e))?;
            let (current, compacted) =
                head(&tx).map_err(|e| sql_error(path, "reading the revision", e))?;
            let revision = opts.revision.filter(|r| *r > 0).unwrap_or(current);
            if revision < compacted {
                return Err(StoreError::Compacted { requested: revision, compacted });
            }
            if revision > current {
                return Err(StoreError::FutureRevision { requested: revision, current });
            }
            let start = opts.start_key().as_bytes().to_vec();
            let end = range_end(&opts.prefix);
            let want = opts.limit.filter(|l| *l > 0).map_or(usize::MAX, |l| l.saturating_add(1));
            let mut kvs = if revision == current {
                scan_current(&tx, &start, &end, want)
            } else {
                scan_past(&tx, &start, &end, want, revision)
            }
            .map_err(|e| sql_error(path, "listing keys", e))?;
            let more = kvs.len() == want;
            if more {
                kvs.pop();
            }
            Ok(ListResult { kvs: kvs.into_iter().collect::<Result<_, _>>()?, revision, more })
        })
        .await
    }
}

#[async_trait]
impl History for ReadPool {
    async fn events(
        &self,
        prefix: &str,
        from: Revision,
        to: Revision,
        limit: usize,
    ) -> Result<Vec<Event>, StoreError> {
        let start = prefix.as_bytes().to_vec();
        let end = range_end(prefix);
        self.with(move |conn, path| {
            let tx = conn.transaction().map_err(|e| sql_error(path, "starting a read", e))?;
            let compacted =
                read_compacted(&tx).map_err(|e| sql_error(path, "reading the revision", e))?;
            if from < compacted {
                return Err(StoreError::Compacted { requested: from, compacted });
            }
            let mut stmt = tx
                .prepare_cached(
                    "SELECT l.rev, l.key, l.value, l.create_rev, l.version, l.prev_rev, l.deleted, \
                            p.value, p.create_rev, p.version \
                     FROM log l LEFT JOIN log p ON p.rev = l.prev_rev \
                     WHERE l.rev >= ?1 AND l.rev <= ?2 AND l.key >= ?3 AND l.key < ?4 \
                     ORDER BY l.rev LIMIT ?5",
                )
                .map_err(|e| sql_error(path, "reading history", e))?;
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            let events = stmt
                .query_map(params![from, to, start, end, limit], event_row)
                .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
                .map_err(|e| sql_error(path, "reading history", e))?;
            events.into_iter().collect()
        })
        .await
    }
}

/// The current revision and the compacted revision, in the reader's snapshot.
fn head(conn: &Connection) -> rusqlite::Result<(Revision, Revision)> {
    let current = conn
        .prepare_cached("SELECT coalesce(max(rev), 0) FROM log")?
        .query_row([], |row| row.get(0))?;
    Ok((current, read_compacted(conn)?))
}

/// The end of the key range under `prefix`. Keys are UTF-8, which never holds a 0xff byte.
fn range_end(prefix: &str) -> Vec<u8> {
    prefix_end(prefix).unwrap_or_else(|| vec![0xff])
}

type Decoded = Result<KeyValue, StoreError>;

fn scan_current(
    conn: &Connection,
    start: &[u8],
    end: &[u8],
    want: usize,
) -> rusqlite::Result<Vec<Decoded>> {
    let mut stmt = conn.prepare_cached(
        "SELECT key, value, create_rev, mod_rev, version FROM kv \
         WHERE key >= ?1 AND key < ?2 ORDER BY key LIMIT ?3",
    )?;
    let limit = i64::try_from(want).unwrap_or(i64::MAX);
    let rows = stmt.query_map(params![start, end, limit], keyed_row)?;
    rows.collect()
}

/// The keys in `[start, end)` as they were at `revision`: the current rows, except that every
/// key written since is replaced by the row its first later write replaced (or dropped when
/// that write created it).
fn scan_past(
    conn: &Connection,
    start: &[u8],
    end: &[u8],
    want: usize,
    revision: Revision,
) -> rusqlite::Result<Vec<Decoded>> {
    let mut first_change: HashMap<Vec<u8>, Revision> = HashMap::new();
    {
        let mut stmt = conn.prepare_cached(
            "SELECT key, prev_rev FROM log WHERE rev > ?1 AND key >= ?2 AND key < ?3 ORDER BY rev",
        )?;
        let mut rows = stmt.query(params![revision, start, end])?;
        while let Some(row) = rows.next()? {
            first_change.entry(row.get(0)?).or_insert(row.get(1)?);
        }
    }
    let mut past: BTreeMap<Vec<u8>, Decoded> = BTreeMap::new();
    {
        let mut stmt = conn.prepare_cached(
            "SELECT key, value, create_rev, rev, version FROM log WHERE rev = ?1 AND deleted = 0",
        )?;
        for (key, prev_rev) in &first_change {
            if *prev_rev == 0 {
                continue;
            }
            let row = stmt.query_row([prev_rev], keyed_row).optional()?;
            let decoded = row.unwrap_or_else(|| {
                Err(StoreError::Internal {
                    message: format!("history row {prev_rev} is missing"),
                    source: None,
                })
            });
            past.insert(key.clone(), decoded);
        }
    }
    let mut stmt = conn.prepare_cached(
        "SELECT key, value, create_rev, mod_rev, version FROM kv \
         WHERE key >= ?1 AND key < ?2 ORDER BY key",
    )?;
    let mut rows = stmt.query(params![start, end])?;
    let mut past = past.into_iter().peekable();
    let mut out = Vec::new();
    let mut row_key: Option<Vec<u8>> = None;
    let mut row_kv: Option<Decoded> = None;
    while out.len() < want {
        if row_key.is_none() {
            while let Some(row) = rows.next()? {
                let key: Vec<u8> = row.get(0)?;
                if !first_change.contains_key(&key) {
                    row_kv = Some(keyed_row(row)?);
                    row_key = Some(key);
                    break;
                }
            }
        }
        let take_past = match (&row_key, past.peek()) {
            (Some(current), Some((old, _))) => old < current,
            (None, Some(_)) => true,
            (_, None) => false,
        };
        if take_past {
            if let Some((_, kv)) = past.next() {
                out.push(kv);
            }
        } else if let Some(kv) = row_kv.take() {
            row_key = None;
            out.push(kv);
        } else {
            break;
        }
    }
    Ok(out)
}

fn key_string(bytes: Vec<u8>) -> Result<String, StoreError> {
    String::from_utf8(bytes).map_err(|e| StoreError::internal("a stored key is not UTF-8", e))
}

/// `value, create_rev, mod_rev, version` of a known key.
fn current_row(row: &Row<'_>, key: String) -> rusqlite::Result<KeyValue> {
    Ok(KeyValue {
        key,
        value: Bytes::from(row.get::<_, Vec<u8>>(0)?),
        create_revision: row.get(1)?,
        mod_revision: row.get(2)?,
        version: row.get(3)?,
    })
}

/// `key, value, create_rev, mod_rev, version`.
fn keyed_row(row: &Row<'_>) -> rusqlite::Result<Decoded> {
    let key: Vec<u8> = row.get(0)?;
    let kv = KeyValue {
        key: String::new(),
        value: Bytes::from(row.get::<_, Vec<u8>>(1)?),
        create_revision: row.get(2)?,
        mod_revision: row.get(3)?,
        version: row.get(4)?,
    };
    Ok(key_string(key).map(|key| KeyValue { key, ..kv }))
}

/// One row of the history query, as a watch event.
fn event_row(row: &Row<'_>) -> rusqlite::Result<Result<Event, StoreError>> {
    let revision: Revision = row.get(0)?;
    let key = match key_string(row.get(1)?) {
        Ok(key) => key,
        Err(error) => return Ok(Err(error)),
    };
    let prev_rev: Revision = row.get(5)?;
    let deleted: bool = row.get(6)?;
    // The row replaced may be gone to compaction when this event is the compaction point.
    let prev = match row.get::<_, Option<i64>>(8)? {
        Some(create_revision) => Some(KeyValue {
            key: key.clone(),
            value: Bytes::from(row.get::<_, Option<Vec<u8>>>(7)?.unwrap_or_default()),
            create_revision,
            mod_revision: prev_rev,
            version: row.get(9)?,
        }),
        None => None,
    };
    let kind = match (deleted, prev_rev) {
        (true, _) => EventKind::Delete,
        (false, 0) => EventKind::Create,
        (false, _) => EventKind::Update,
    };
    let kv = KeyValue {
        key,
        value: Bytes::from(row.get::<_, Option<Vec<u8>>>(2)?.unwrap_or_default()),
        create_revision: row.get(3)?,
        mod_revision: revision,
        version: row.get(4)?,
    };
    Ok(Ok(Event { kind, kv, prev }))
}

//! The file's layout, and opening it: locking, pragmas, creating or checking the schema.

use std::fs::File;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, OptionalExtension};

use super::sql_error;
use crate::{Revision, StoreError};

/// Written into `meta` so that a foreign database is recognised as such.
const FORMAT: &str = "berth-store/1";

const SCHEMA: &str = "
CREATE TABLE meta (name TEXT PRIMARY KEY, value ANY) STRICT;
-- The current value of every key.
CREATE TABLE kv (
    key BLOB PRIMARY KEY,
    value BLOB NOT NULL,
    create_rev INTEGER NOT NULL,
    mod_rev INTEGER NOT NULL,
    version INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
-- Every write, by revision. A delete is a row with deleted = 1 and no value. prev_rev is the
-- revision of the row this one replaced (0 for a create).
CREATE TABLE log (
    rev INTEGER PRIMARY KEY,
    key BLOB NOT NULL,
    value BLOB,
    create_rev INTEGER NOT NULL,
    version INTEGER NOT NULL,
    prev_rev INTEGER NOT NULL,
    deleted INTEGER NOT NULL
) STRICT;
";

/// The writer's connection and what it needs to go on from where the file left off.
pub(crate) struct Opened {
    pub(crate) conn: Connection,
    pub(crate) path: PathBuf,
    pub(crate) revision: Revision,
    pub(crate) compacted: Revision,
    /// Held for as long as the writer runs: one process per file.
    pub(crate) lock: File,
}

impl std::fmt::Debug for Opened {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Opened")
            .field("path", &self.path)
            .field("revision", &self.revision)
            .finish()
    }
}

/// Opens the file for writing, creating the schema in a new file and checking it in an old one.
pub(crate) fn open_writer(path: &Path) -> Result<Opened, StoreError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| {
            StoreError::unavailable(format!("creating the store directory {}", dir.display()), e)
        })?;
    }
    let lock = lock_file(path)?;
    let conn = Connection::open(path).map_err(|e| sql_error(path, "opening the database", e))?;
    let setup = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = OFF; PRAGMA cache_size = -1000;";
    conn.execute_batch(setup).map_err(|e| sql_error(path, "reading the database", e))?;
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        .and_then(|mut s| s.query_map([], |row| row.get(0))?.collect())
        .map_err(|e| sql_error(path, "reading the schema", e))?;
    if tables.is_empty() {
        conn.execute_batch(&format!(
            "BEGIN; {SCHEMA} INSERT INTO meta VALUES ('format', '{FORMAT}'), ('compacted', 0); COMMIT;"
        ))
        .map_err(|e| sql_error(path, "creating the schema", e))?;
    } else {
        check_format(&conn, path, &tables)?;
    }
    let revision: Revision = conn
        .query_row("SELECT coalesce(max(rev), 0) FROM log", [], |row| row.get(0))
        .map_err(|e| sql_error(path, "reading the current revision", e))?;
    let compacted = read_compacted(&conn).map_err(|e| sql_error(path, "reading meta", e))?;
    Ok(Opened { conn, path: path.to_owned(), revision, compacted, lock })
}

/// Opens a read-only connection for the read pool.
pub(crate) fn open_reader(path: &Path) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)
        .map_err(|e| sql_error(path, "opening a read connection", e))?;
    conn.execute_batch("PRAGMA mmap_size = 0; PRAGMA cache_size = -256;")
        .map_err(|e| sql_error(path, "configuring a read connection", e))?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(|e| sql_error(path, "configuring a read connection", e))?;
    Ok(conn)
}

pub(crate) fn read_compacted(conn: &Connection) -> rusqlite::Result<Revision> {
    conn.prepare_cached("SELECT value FROM meta WHERE name = 'compacted'")?
        .query_row([], |row| row.get(0))
}

fn check_format(conn: &Connection, path: &Path, tables: &[String]) -> Result<(), StoreError> {
    let foreign =
        |message: String| StoreError::Corrupt { path: path.display().to_string(), message };
    if !["kv", "log", "meta"].iter().all(|t| tables.iter().any(|have| have == t)) {
        return Err(foreign(format!(
            "not a berth store: it holds the tables [{}]",
            tables.join(", ")
        )));
    }
    let format: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE name = 'format'", [], |row| row.get(0))
        .optional()
        .map_err(|e| sql_error(path, "reading the store format", e))?;
    match format.as_deref() {
        Some(FORMAT) => Ok(()),
        Some(other) => Err(foreign(format!("unsupported store format {other:?} (want {FORMAT})"))),
        None => Err(foreign("not a berth store: no format marker".into())),
    }
}

/// Takes an exclusive lock beside the database so that two processes never write one file.
fn lock_file(path: &Path) -> Result<File, StoreError> {
    let mut lock_path = path.as_os_str().to_owned();
    lock_path.push(".lock");
    let lock_path = PathBuf::from(lock_path);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| StoreError::unavailable(format!("opening {}", lock_path.display()), e))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(StoreError::Unavailable {
            message: format!("{} is in use by another process", path.display()),
            source: None,
        }),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(StoreError::unavailable(format!("locking {}", lock_path.display()), e))
        }
    }
}

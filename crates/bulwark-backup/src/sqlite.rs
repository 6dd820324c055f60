//! Consistent snapshots, table statistics and integrity checks with SQLite.

use std::path::Path;

use bulwark_core::Progress;
use rusqlite::{Connection, OpenFlags};
use sha2::{Digest as _, Sha256};

use crate::BackupError;
use crate::layout::{TableRows, hex};

/// Copies `source` into a new database at `dest` with SQLite's online backup API, in
/// large steps; the source stays in one read transaction across steps, so the copy is one
/// consistent snapshot and a writer never makes it restart. In WAL mode writers go on
/// during the copy; in rollback mode they wait for it (busy timeout).
pub(crate) fn snapshot(
    source: &Path,
    dest: &Path,
    progress: &dyn Progress,
) -> Result<SourceSnapshot, BackupError> {
    if !source.is_file() {
        return Err(BackupError::Input {
            path: source.to_owned(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such database file"),
        });
    }
    // Read-write without CREATE: a WAL database needs its -shm file, which a read-only
    // connection may not create. Nothing is written to the source.
    let from = Connection::open_with_flags(
        source,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .or_else(|_| Connection::open_with_flags(source, OpenFlags::SQLITE_OPEN_READ_ONLY))
    .map_err(BackupError::sqlite("open", source))?;
    from.busy_timeout(std::time::Duration::from_secs(30))
        .map_err(BackupError::sqlite("configure", source))?;
    // One read transaction for the whole copy: a consistent snapshot, no restarts.
    from.execute_batch("BEGIN; SELECT count(*) FROM sqlite_master;")
        .map_err(BackupError::sqlite("read", source))?;
    let mut to = Connection::open(dest).map_err(BackupError::sqlite("create", dest))?;
    // The copy is a private temp file that is fsynced once, as a whole, after it is sealed:
    // no journal (a cache spill would fsync it), no syncs, a 64 MiB cache per step.
    to.execute_batch("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-65536;")
        .map_err(BackupError::sqlite("configure", dest))?;
    bulwark_sqlite::copy(&from, &mut to, |step| {
        progress.set_message(&format!("snapshot {}/{} pages", step.copied, step.pages));
    })
    .map_err(BackupError::sqlite("back up", source))?;
    to.close()
        .map_err(|(_, err)| BackupError::sqlite("close", dest)(err))?;
    Ok(SourceSnapshot {
        conn: from,
        path: source.to_owned(),
    })
}

/// The source, still inside the read transaction the copy was made in: its tables and
/// row counts are exactly the copy's, and counting them here can run while the copy is
/// being compressed, without SQLite ever opening the copy.
pub(crate) struct SourceSnapshot {
    conn: Connection,
    path: std::path::PathBuf,
}

impl SourceSnapshot {
    /// Tables, row counts and schema hash; then ends the read transaction.
    pub(crate) fn stats(self) -> Result<(Vec<TableRows>, String), BackupError> {
        let stats = table_stats(&self.conn, &self.path)?;
        self.conn
            .execute_batch("COMMIT;")
            .map_err(BackupError::sqlite("read", &self.path))?;
        Ok(stats)
    }
}

/// Whether `sql` defines a virtual table (FTS5, R*Tree, …).
pub(crate) fn is_virtual(sql: Option<&str>) -> bool {
    sql.is_some_and(bulwark_sqlite::is_virtual)
}

pub(crate) use bulwark_sqlite::is_shadow;

/// Tables with their row counts, and the schema hash, of an open database.
pub(crate) fn table_stats(
    conn: &Connection,
    path: &Path,
) -> Result<(Vec<TableRows>, String), BackupError> {
    let err = BackupError::sqlite;
    let rows = bulwark_sqlite::schema_rows(conn).map_err(err("read the schema of", path))?;
    let mut hasher = Sha256::new();
    for row in &rows {
        for part in [&row.kind, &row.name, &row.table, &row.sql] {
            hasher.update(part.as_bytes());
            hasher.update([0]);
        }
    }
    let mut tables = Vec::new();
    for row in bulwark_sqlite::data_tables(&rows) {
        tables.push(TableRows {
            name: row.name.clone(),
            rows: bulwark_sqlite::count_rows(conn, &row.name)
                .map_err(err("count the rows of", path))?,
        });
    }
    Ok((tables, hex(&hasher.finalize())))
}

/// `PRAGMA integrity_check`: `Ok(None)` when it says `ok`, else its first lines.
pub(crate) fn integrity_check(
    conn: &Connection,
    path: &Path,
) -> Result<Option<String>, BackupError> {
    let mut stmt = conn
        .prepare("PRAGMA integrity_check(20)")
        .map_err(BackupError::sqlite("check", path))?;
    let lines = stmt
        .query_map([], |row| row.get::<_, String>(0))
        .map_err(BackupError::sqlite("check", path))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(BackupError::sqlite("check", path))?;
    Ok(if lines.len() == 1 && lines[0] == "ok" {
        None
    } else {
        Some(lines.join("; "))
    })
}

/// Builds a database at `dest` from a SQL dump.
pub(crate) fn load_dump(sql: &str, dest: &Path) -> Result<Connection, BackupError> {
    let conn = Connection::open(dest).map_err(BackupError::sqlite("create", dest))?;
    conn.execute_batch("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;")
        .map_err(BackupError::sqlite("configure", dest))?;
    conn.execute_batch(sql)
        .map_err(BackupError::sqlite("load the SQL dump into", dest))?;
    Ok(conn)
}

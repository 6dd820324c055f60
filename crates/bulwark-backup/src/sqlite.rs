//! Consistent snapshots, table statistics and integrity checks with SQLite.

use std::path::Path;

use bulwark_core::Progress;
use rusqlite::{Connection, OpenFlags};
use sha2::{Digest as _, Sha256};

use crate::BackupError;
use crate::layout::{TableRows, hex};

/// Pages per backup step: 16384 pages is 64 MiB at the default page size. Large steps, as
/// SQLite's own `.backup` does; the source stays in one read transaction across steps, so
/// the copy is one consistent snapshot and a writer never makes it restart.
const PAGES_PER_STEP: i32 = 16_384;

/// Copies `source` into a new database at `dest` with SQLite's online backup API. In WAL
/// mode writers go on during the copy; in rollback mode they wait for it (busy timeout).
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
    {
        let backup = rusqlite::backup::Backup::new(&from, &mut to)
            .map_err(BackupError::sqlite("back up", source))?;
        loop {
            let step = backup
                .step(PAGES_PER_STEP)
                .map_err(BackupError::sqlite("back up", source))?;
            let state = backup.progress();
            let done = state.pagecount.saturating_sub(state.remaining);
            progress.set_message(&format!("snapshot {done}/{} pages", state.pagecount));
            match step {
                rusqlite::backup::StepResult::Done => break,
                rusqlite::backup::StepResult::More => {}
                _ => std::thread::sleep(std::time::Duration::from_millis(50)),
            }
        }
    }
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

/// Shadow-table suffixes of FTS3/4/5 and R*Tree virtual tables.
const SHADOW_SUFFIXES: [&str; 11] = [
    "_data",
    "_idx",
    "_content",
    "_docsize",
    "_config",
    "_segments",
    "_segdir",
    "_stat",
    "_node",
    "_rowid",
    "_parent",
];

/// Whether `sql` defines a virtual table (FTS5, R*Tree, …).
pub(crate) fn is_virtual(sql: Option<&str>) -> bool {
    sql.and_then(|s| s.trim_start().get(..20))
        .is_some_and(|head| head.eq_ignore_ascii_case("CREATE VIRTUAL TABLE"))
}

/// Whether `name` is a shadow table of one of `virtual_tables`: its content belongs to
/// the virtual table and is rebuilt with it.
pub(crate) fn is_shadow(name: &str, virtual_tables: &[&str]) -> bool {
    virtual_tables.iter().any(|v| {
        name.strip_prefix(v)
            .is_some_and(|suffix| SHADOW_SUFFIXES.contains(&suffix))
    })
}

/// Tables with their row counts, and the schema hash, of an open database.
pub(crate) fn table_stats(
    conn: &Connection,
    path: &Path,
) -> Result<(Vec<TableRows>, String), BackupError> {
    let err = BackupError::sqlite;
    let mut schema = conn
        .prepare(
            "SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master \
             WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name",
        )
        .map_err(err("read the schema of", path))?;
    let rows = schema
        .query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
            ))
        })
        .map_err(err("read the schema of", path))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(err("read the schema of", path))?;
    let mut hasher = Sha256::new();
    let mut tables = Vec::new();
    let virtual_tables: Vec<&str> = rows
        .iter()
        .filter(|(_, _, _, sql)| is_virtual(Some(sql)))
        .map(|(_, name, _, _)| name.as_str())
        .collect();
    for (kind, name, table, sql) in &rows {
        for part in [kind, name, table, sql] {
            hasher.update(part.as_bytes());
            hasher.update([0]);
        }
        if kind == "table"
            && !name.starts_with("_cf_")
            && !is_virtual(Some(sql))
            && !is_shadow(name, &virtual_tables)
        {
            let count: i64 = conn
                .query_row(
                    &format!("SELECT count(*) FROM \"{}\"", name.replace('"', "\"\"")),
                    [],
                    |row| row.get(0),
                )
                .map_err(err("count the rows of", path))?;
            tables.push(TableRows {
                name: name.clone(),
                rows: u64::try_from(count).unwrap_or(0),
            });
        }
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

//! Consistent snapshots, table statistics and integrity checks with SQLite.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use bulwark_core::Progress;
use rusqlite::hooks::{AuthAction, AuthContext, Authorization};
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
    let from = open_source(source)?;
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

/// Opens the source read-only, so that nothing can change it: never a checkpoint, never
/// a deleted `-wal`/`-shm`, never a hot journal rolled back in place (that is an error
/// instead: the source's own writer must recover it first). When a `-wal` exists,
/// `readonly_shm` also keeps SQLite from writing the `-shm` (it then reads the WAL through
/// a private copy of its index). A WAL database that nothing has open has neither file;
/// SQLite then makes both, empty, as every reader does.
fn open_source(source: &Path) -> Result<Connection, BackupError> {
    let mut uri = String::from("file:");
    for byte in source.as_os_str().as_encoded_bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'/' | b'.' | b'_' | b'-' | b'~') {
            uri.push(char::from(*byte));
        } else {
            let _ = write!(uri, "%{byte:02X}");
        }
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let mut wal = source.as_os_str().to_owned();
    wal.push("-wal");
    let mut shm = source.as_os_str().to_owned();
    shm.push("-shm");
    if Path::new(&wal).exists() && Path::new(&shm).exists() {
        let conn = Connection::open_with_flags(format!("{uri}?mode=ro&readonly_shm=1"), flags)
            .map_err(BackupError::sqlite("open", source))?;
        return Ok(conn);
    }
    Connection::open_with_flags(format!("{uri}?mode=ro"), flags)
        .map_err(BackupError::sqlite("open", source))
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

/// Virtual-machine steps between two calls of the progress handler.
const STEPS_PER_CHECK: i32 = 10_000;
/// The work a dump may cost: a fixed allowance and a per-byte one, far above what
/// `CREATE`s and `INSERT`s of that size take, far below a query that never ends.
const BASE_STEPS: u64 = 200_000_000;
const STEPS_PER_BYTE: u64 = 1_000;

/// Builds a database at `dest` from an untrusted SQL dump, sandboxed: no `ATTACH` or
/// `DETACH` (the authorizer refuses them, and no database can be attached, which also
/// stops `VACUUM INTO`), and at most [`BASE_STEPS`] + [`STEPS_PER_BYTE`] per byte of
/// virtual-machine work (a recursive query stops instead of running for ever). A signal
/// stops it too.
pub(crate) fn load_dump(sql: &str, dest: &Path) -> Result<Connection, BackupError> {
    let mut conn = Connection::open(dest).map_err(BackupError::sqlite("create", dest))?;
    conn.execute_batch("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;")
        .map_err(BackupError::sqlite("configure", dest))?;
    conn.set_limit(rusqlite::limits::Limit::SQLITE_LIMIT_ATTACHED, 0)
        .map_err(BackupError::sqlite("configure", dest))?;
    let refused = Arc::new(Mutex::new(None::<String>));
    let seen = Arc::clone(&refused);
    conn.authorizer(Some(move |ctx: AuthContext<'_>| match ctx.action {
        AuthAction::Attach { .. } | AuthAction::Detach { .. } => {
            *seen.lock().unwrap_or_else(PoisonError::into_inner) =
                Some("the dump tries to ATTACH or DETACH a database".to_owned());
            Authorization::Deny
        }
        _ => Authorization::Allow,
    }))
    .map_err(BackupError::sqlite("configure", dest))?;
    let budget = BASE_STEPS.saturating_add(STEPS_PER_BYTE.saturating_mul(sql.len() as u64));
    let over = bound(&mut conn, budget, dest)?;
    let loaded = conn.execute_batch(sql);
    if let Err(err) = loaded {
        crate::interrupt::check()?;
        let why = if over.load(Ordering::SeqCst) {
            Some(format!(
                "the dump needs more than {budget} SQLite steps to load: stopped (a query that does not end?)"
            ))
        } else {
            refused
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take()
        };
        return Err(match why {
            Some(reason) => BackupError::Unrestorable {
                path: dest.to_owned(),
                reason,
            },
            None => BackupError::sqlite("load the SQL dump into", dest)(err),
        });
    }
    conn.authorizer(None::<fn(AuthContext<'_>) -> Authorization>)
        .map_err(BackupError::sqlite("configure", dest))?;
    Ok(conn)
}

/// Stops the statements of `conn` after `budget` virtual-machine steps, or when a signal
/// arrived; the flag tells which happened.
pub(crate) fn bound(
    conn: &mut Connection,
    budget: u64,
    path: &Path,
) -> Result<Arc<AtomicBool>, BackupError> {
    let over = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&over);
    let mut spent = 0u64;
    conn.progress_handler(
        STEPS_PER_CHECK,
        Some(move || {
            spent = spent.saturating_add(STEPS_PER_CHECK.unsigned_abs().into());
            if spent > budget {
                flag.store(true, Ordering::SeqCst);
            }
            spent > budget || crate::interrupt::is_set()
        }),
    )
    .map_err(BackupError::sqlite("configure", path))?;
    Ok(over)
}

/// The step budget of checking a restored database of `size` bytes.
pub(crate) fn check_budget(size: u64) -> u64 {
    BASE_STEPS.saturating_add(STEPS_PER_BYTE.saturating_mul(size))
}

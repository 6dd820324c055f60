//! Where the database comes from, and the private copy the migrations run on.
//!
//! The source is opened read-only and never written: a `.sqlite` file (or wrangler's local
//! state, which is one) is copied by `bulwark_sqlite::snapshot` (the file in the kernel
//! under a read transaction, or SQLite's backup API for a WAL database); a `.sql` dump is
//! loaded into a fresh database in a private temporary directory first.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bulwark_core::Progress;
use rusqlite::Connection;
use sha2::{Digest, Sha256};

use crate::d1::D1Connection;
use crate::{MigrateError, workspace};

/// Where the database to migrate comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// An empty database.
    Empty,
    /// A SQLite file.
    File(PathBuf),
    /// A `wrangler d1 export` SQL dump.
    Dump(PathBuf),
    /// Wrangler's local state for a binding: the file under `.wrangler/state/v3/d1`.
    Local {
        /// The directory wrangler keeps its state in (`.wrangler/state` next to the config).
        state_dir: PathBuf,
        /// The id wrangler names the local database by: `preview_database_id`,
        /// `database_id`, or else the binding.
        database_id: String,
    },
    /// `wrangler d1 export --remote` into a private temporary file.
    ExportRemote {
        /// The wrangler config.
        config: PathBuf,
        /// `--env`.
        env: Option<String>,
        /// Binding or database name.
        database: String,
    },
}

impl Source {
    /// A short description for the report.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Self::Empty => "empty database".to_owned(),
            Self::File(path) => format!("snapshot {}", path.display()),
            Self::Dump(path) => format!("dump {}", path.display()),
            Self::Local { .. } => match self.local_file() {
                Some(path) => format!("local state {}", path.display()),
                None => "local state".to_owned(),
            },
            Self::ExportRemote { database, .. } => format!("remote export of {database}"),
        }
    }

    /// For [`Source::Local`], the SQLite file miniflare keeps the database in.
    #[must_use]
    pub fn local_file(&self) -> Option<PathBuf> {
        match self {
            Self::Local {
                state_dir,
                database_id,
            } => Some(
                state_dir
                    .join("v3/d1/miniflare-D1DatabaseObject")
                    .join(format!("{}.sqlite", local_object_id(database_id))),
            ),
            _ => None,
        }
    }
}

/// The file name miniflare gives a D1 database's Durable Object: the object id that
/// `idFromName(database_id)` derives for the `miniflare-D1DatabaseObject` namespace.
#[must_use]
pub fn local_object_id(database_id: &str) -> String {
    let key: [u8; 32] = Sha256::digest(b"miniflare-D1DatabaseObject").into();
    let name_mac = hmac_sha256(&key, database_id.as_bytes());
    let check = hmac_sha256(&key, &name_mac[..16]);
    let mut id = crate::lock::hex(&name_mac[..16]);
    id.push_str(&crate::lock::hex(&check[..16]));
    id
}

fn hmac_sha256(key: &[u8; 32], message: &[u8]) -> [u8; 32] {
    let mut inner_pad = [0x36_u8; 64];
    let mut outer_pad = [0x5c_u8; 64];
    for (i, byte) in key.iter().enumerate() {
        inner_pad[i] ^= byte;
        outer_pad[i] ^= byte;
    }
    let inner = Sha256::new()
        .chain_update(inner_pad)
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(outer_pad)
        .chain_update(inner)
        .finalize()
        .into()
}

/// The private working files of one dry run.
#[derive(Debug)]
pub struct Workspace {
    dir: tempfile::TempDir,
    /// The copy the migrations run on.
    pub copy: PathBuf,
    /// The database as it was, for counting data at risk (read-only), if there is one.
    pub before: Option<PathBuf>,
}

impl Workspace {
    /// The private directory (mode 0700), removed on drop.
    #[must_use]
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

/// Copies the remote export of `work` (the SQL that was loaded, virtual tables
/// included) to `path`, a new 0600 file: never over an existing one. One export can then
/// serve the dry run and the backup (`db-backup export --d1 … --from-export FILE`).
pub fn save_export(work: &Workspace, path: &Path) -> Result<(), MigrateError> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let from = work.dir().join("remote.sql");
    let bytes = std::fs::read(&from).map_err(|source| MigrateError::ReadFile {
        path: from.clone(),
        source,
    })?;
    let write_err = |source| MigrateError::WriteFile {
        path: path.to_owned(),
        source,
    };
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(write_err)?;
    file.write_all(&bytes).map_err(write_err)?;
    file.sync_all().map_err(write_err)
}

/// Opens `path` read-only; the source is never written.
pub fn open_read_only(path: &Path) -> Result<Connection, MigrateError> {
    if !path.is_file() {
        return Err(MigrateError::NoSnapshot {
            path: path.to_owned(),
        });
    }
    bulwark_sqlite::open_read_only(path).map_err(|source| MigrateError::Sqlite {
        path: path.to_owned(),
        action: "open",
        source,
    })
}

/// Makes the working copy of `source`.
pub fn prepare(source: &Source, progress: &dyn Progress) -> Result<Workspace, MigrateError> {
    prepare_stoppable(source, progress, &Arc::new(AtomicBool::new(false)))
}

/// Like [`prepare`]; loading a dump stops when `stop` is set.
pub(crate) fn prepare_stoppable(
    source: &Source,
    progress: &dyn Progress,
    stop: &Arc<AtomicBool>,
) -> Result<Workspace, MigrateError> {
    let dir = workspace::create(&std::env::temp_dir())?;
    let copy = dir.path().join("migrated.sqlite");
    create_private(&copy)?;
    let before = match source {
        Source::Empty => None,
        Source::File(path) => {
            backup(path, &copy, progress)?;
            Some(path.clone())
        }
        Source::Local { .. } => {
            let path = source
                .local_file()
                .expect("a local source has a local file");
            if !path.is_file() {
                return Err(MigrateError::NoLocalState { path });
            }
            backup(&path, &copy, progress)?;
            Some(path)
        }
        Source::Dump(path) => {
            let base = dir.path().join("before.sqlite");
            load_dump(path, &base, DUMP_STATEMENT_LIMIT, stop)?;
            backup(&base, &copy, progress)?;
            Some(base)
        }
        Source::ExportRemote {
            config,
            env,
            database,
        } => {
            let dump = dir.path().join("remote.sql");
            create_private(&dump)?;
            let exported =
                crate::remote::Remote::new(config, env.as_deref(), database).export(&dump)?;
            let base = dir.path().join("before.sqlite");
            // Around virtual tables, the dump writes their shadow tables, which D1's
            // defensive mode refuses to SQL; the rest of D1's sandbox stays on.
            let shadows = !exported.virtual_tables.is_empty();
            load_dump_with(&dump, &base, DUMP_STATEMENT_LIMIT, stop, shadows)?;
            backup(&base, &copy, progress)?;
            Some(base)
        }
    };
    Ok(Workspace { dir, copy, before })
}

/// An empty 0600 file in the workspace (an empty file is an empty SQLite database).
fn create_private(path: &Path) -> Result<(), MigrateError> {
    workspace::private_file(path)
        .map(drop)
        .map_err(|source| MigrateError::WriteFile {
            path: path.to_owned(),
            source,
        })
}

fn backup(from: &Path, to: &Path, progress: &dyn Progress) -> Result<(), MigrateError> {
    use bulwark_sqlite::SnapshotError;
    if !from.is_file() {
        return Err(MigrateError::NoSnapshot {
            path: from.to_owned(),
        });
    }
    let mut copied = 0;
    bulwark_sqlite::snapshot(from, to, |step| {
        progress.set_total(step.pages);
        progress.advance(step.copied.saturating_sub(copied));
        copied = step.copied;
    })
    .map_err(|err| match err {
        // A file that is not a database (or a damaged one) is bad input, not a failed copy.
        SnapshotError::Sqlite(source)
            if matches!(
                source.sqlite_error_code(),
                Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt)
            ) =>
        {
            MigrateError::BadSnapshot {
                path: from.to_owned(),
                source,
            }
        }
        SnapshotError::Sqlite(source) => MigrateError::Sqlite {
            path: from.to_owned(),
            action: "copy",
            source,
        },
        SnapshotError::Read(source) | SnapshotError::Copy(source) => MigrateError::ReadFile {
            path: from.to_owned(),
            source,
        },
        SnapshotError::Write(source) => MigrateError::WriteFile {
            path: to.to_owned(),
            source,
        },
    })?;
    progress.finish();
    Ok(())
}

/// How long one statement of a dump may run. Dumps are untrusted text: a recursive CTE
/// in one must not hang the run. The longest honest statement is an index built over a
/// large table.
pub const DUMP_STATEMENT_LIMIT: Duration = Duration::from_secs(300);

/// Loads a dump as it is, foreign key violations included (the database being copied
/// may already violate them, which the checks then report), in D1's sandbox: see
/// [`D1Connection::load_dump`].
fn load_dump(
    dump: &Path,
    to: &Path,
    per_statement: Duration,
    stop: &Arc<AtomicBool>,
) -> Result<(), MigrateError> {
    load_dump_with(dump, to, per_statement, stop, false)
}

/// [`load_dump`]; with `shadow_writes`, SQL may write virtual tables' shadow tables (a
/// dump exported around virtual tables restores their content that way).
fn load_dump_with(
    dump: &Path,
    to: &Path,
    per_statement: Duration,
    stop: &Arc<AtomicBool>,
    shadow_writes: bool,
) -> Result<(), MigrateError> {
    let sql = std::fs::read_to_string(dump).map_err(|source| MigrateError::ReadFile {
        path: dump.to_owned(),
        source,
    })?;
    create_private(to)?;
    let mut db = D1Connection::open_stoppable(to, Arc::clone(stop)).map_err(|source| {
        MigrateError::Sqlite {
            path: to.to_owned(),
            action: "open",
            source,
        }
    })?;
    let defensive = rusqlite::config::DbConfig::SQLITE_DBCONFIG_DEFENSIVE;
    let sqlite_err = |source| MigrateError::Sqlite {
        path: to.to_owned(),
        action: "configure",
        source,
    };
    if shadow_writes {
        db.connection()
            .set_db_config(defensive, false)
            .map_err(sqlite_err)?;
    }
    let loaded = db.load_dump(&sql, per_statement);
    db.connection()
        .set_db_config(defensive, true)
        .map_err(sqlite_err)?;
    loaded.map_err(|source| {
        if stop.load(Ordering::SeqCst) {
            MigrateError::Interrupted
        } else if source.sqlite_error_code() == Some(rusqlite::ErrorCode::OperationInterrupted) {
            MigrateError::DumpTooSlow {
                path: dump.to_owned(),
                seconds: per_statement.as_secs(),
            }
        } else {
            MigrateError::BadDump {
                path: dump.to_owned(),
                source,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 13 item 15: SQL from a dump runs in D1's sandbox. An ATTACH in a dump used to
    /// drop a table in an unrelated SQLite file and create a new file.
    #[test]
    fn a_dump_cannot_reach_another_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let victim = dir.path().join("victim.sqlite");
        Connection::open(&victim)
            .expect("create")
            .execute_batch("CREATE TABLE precious(x); INSERT INTO precious VALUES (1);")
            .expect("fill");
        let victim_bytes = std::fs::read(&victim).expect("read");
        let created = dir.path().join("created.sqlite");
        for attack in [
            format!(
                "ATTACH DATABASE '{}' AS v;\nDROP TABLE v.precious;",
                victim.display()
            ),
            format!("ATTACH '{}' AS n;\nCREATE TABLE n.x(a);", created.display()),
            format!(
                "CREATE TABLE a(x);\nSELECT * FROM a; ATTACH '{}' AS n;",
                created.display()
            ),
            "CREATE TEMP TABLE t(x);".to_owned(),
            "SELECT load_extension('x');".to_owned(),
        ] {
            let dump = dir.path().join("dump.sql");
            std::fs::write(&dump, format!("CREATE TABLE ok(x);\n{attack}\n")).expect("write");
            let err = prepare(&Source::Dump(dump), &bulwark_core::NoProgress).expect_err(&attack);
            assert!(
                matches!(err, MigrateError::BadDump { .. }),
                "{attack}: {err:?}"
            );
            assert_eq!(bulwark_core::Failure::exit(&err), bulwark_core::Exit::Usage);
            assert_eq!(
                std::fs::read(&victim).expect("read"),
                victim_bytes,
                "{attack}"
            );
            assert!(!created.exists(), "{attack} created a file");
        }
        assert!(
            bulwark_core::Failure::hint(&MigrateError::BadDump {
                path: dir.path().join("d.sql"),
                source: rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_AUTH),
                    None
                ),
            })
            .is_some_and(|h| h.contains("no ATTACH"))
        );
    }

    /// Issue 13 item 15: a recursive CTE in a dump is stopped, not run forever.
    #[test]
    fn a_dump_statement_runs_for_bounded_time() {
        let dir = tempfile::tempdir().expect("temp dir");
        let dump = dir.path().join("dump.sql");
        std::fs::write(
            &dump,
            "CREATE TABLE t(x);\nINSERT INTO t WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c;\n",
        )
        .expect("write");
        let started = std::time::Instant::now();
        let err = load_dump(
            &dump,
            &dir.path().join("db.sqlite"),
            Duration::from_millis(300),
            &Arc::default(),
        )
        .expect_err("never ends");
        assert!(matches!(err, MigrateError::DumpTooSlow { .. }), "{err:?}");
        assert!(started.elapsed() < Duration::from_secs(10));
        // An honest dump loads under the same sandbox, statements longer than D1's
        // 100,000 bytes included.
        let big = "y".repeat(150_000);
        std::fs::write(
            &dump,
            format!("PRAGMA defer_foreign_keys=TRUE;\nCREATE TABLE s(id INTEGER PRIMARY KEY AUTOINCREMENT, v);\nINSERT INTO s(v) VALUES('{big}');\nDELETE FROM sqlite_sequence;\nINSERT INTO \"sqlite_sequence\" VALUES('s',7);\nCREATE INDEX s_v ON s(v);\n"),
        )
        .expect("write");
        let path = dir.path().join("ok.sqlite");
        load_dump(&dump, &path, Duration::from_secs(60), &Arc::default()).expect("loads");
        let seq: i64 = Connection::open(&path)
            .expect("open")
            .query_row("SELECT seq FROM sqlite_sequence", [], |r| r.get(0))
            .expect("row");
        assert_eq!(seq, 7);
    }

    #[test]
    fn local_object_id_matches_miniflare() {
        // The file wrangler 4.86 created for database_id 00000000-0000-0000-0000-000000000001.
        assert_eq!(
            local_object_id("00000000-0000-0000-0000-000000000001"),
            "a36f84ea60804f30bb0c7f7cad9f5336a6cca0165abdab8b9241d93dbf0b6006"
        );
    }

    #[test]
    fn copies_a_file_without_writing_it_and_loads_dumps() {
        let dir = tempfile::tempdir().expect("temp dir");
        let source = dir.path().join("prod.sqlite");
        let conn = Connection::open(&source).expect("create");
        conn.execute_batch("CREATE TABLE a(x); INSERT INTO a VALUES (1), (2);")
            .expect("fill");
        drop(conn);
        let bytes = std::fs::read(&source).expect("read");
        let work = prepare(&Source::File(source.clone()), &bulwark_core::NoProgress).expect("copy");
        let copy = Connection::open(&work.copy).expect("open copy");
        let n: i64 = copy
            .query_row("SELECT count(*) FROM a", [], |r| r.get(0))
            .expect("count");
        assert_eq!(n, 2);
        copy.execute("DELETE FROM a", []).expect("write the copy");
        assert_eq!(
            std::fs::read(&source).expect("read"),
            bytes,
            "source untouched"
        );

        let dump = dir.path().join("dump.sql");
        std::fs::write(
            &dump,
            "PRAGMA defer_foreign_keys=TRUE;\nCREATE TABLE IF NOT EXISTS b(y);\nINSERT INTO \"b\" VALUES('a;b');\nCREATE TABLE p(id INTEGER PRIMARY KEY);\nCREATE TABLE c(p REFERENCES p(id));\nINSERT INTO \"c\" VALUES(9);\n",
        )
        .expect("write dump");
        let work = prepare(&Source::Dump(dump), &bulwark_core::NoProgress).expect("load");
        let copy = Connection::open(&work.copy).expect("open copy");
        let y: String = copy
            .query_row("SELECT y FROM b", [], |r| r.get(0))
            .expect("row");
        assert_eq!(y, "a;b");
        let orphans: i64 = copy
            .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
                r.get(0)
            })
            .expect("check");
        assert_eq!(orphans, 1, "a dump loads as it is, violations included");
    }
}

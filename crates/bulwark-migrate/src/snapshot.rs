//! Where the database comes from, and the private copy the migrations run on.
//!
//! The source is opened read-only and never written: a `.sqlite` file (or wrangler's local
//! state, which is one) is copied with SQLite's backup API in large steps; a `.sql` dump is
//! loaded into a fresh database in a private temporary directory first.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use bulwark_core::Progress;
use bulwark_process::{Runner, Tool};
use rusqlite::Connection;
use sha2::{Digest, Sha256};

use crate::MigrateError;

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
    let dir = tempfile::Builder::new()
        .prefix("migrate-dryrun-")
        .tempdir()
        .map_err(|source| MigrateError::Io {
            action: "create a private temporary directory",
            source,
        })?;
    let copy = dir.path().join("migrated.sqlite");
    let before = match source {
        Source::Empty => {
            Connection::open(&copy).map_err(|source| MigrateError::Sqlite {
                path: copy.clone(),
                action: "create",
                source,
            })?;
            None
        }
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
            load_dump(path, &base)?;
            backup(&base, &copy, progress)?;
            Some(base)
        }
        Source::ExportRemote {
            config,
            env,
            database,
        } => {
            let dump = dir.path().join("remote.sql");
            export_remote(config, env.as_deref(), database, &dump)?;
            let base = dir.path().join("before.sqlite");
            load_dump(&dump, &base)?;
            backup(&base, &copy, progress)?;
            Some(base)
        }
    };
    Ok(Workspace { dir, copy, before })
}

fn backup(from: &Path, to: &Path, progress: &dyn Progress) -> Result<(), MigrateError> {
    let source = open_read_only(from)?;
    let sqlite_err = |action: &'static str, path: &Path| {
        let path = path.to_owned();
        move |source| MigrateError::Sqlite {
            path,
            action,
            source,
        }
    };
    let mut target = Connection::open(to).map_err(sqlite_err("create", to))?;
    // A file that is not a database (or a damaged one) is bad input, not a failed copy.
    let bad_source = |source: rusqlite::Error| match source.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt) => {
            MigrateError::BadSnapshot {
                path: from.to_owned(),
                source,
            }
        }
        _ => MigrateError::Sqlite {
            path: from.to_owned(),
            action: "copy",
            source,
        },
    };
    let mut copied = 0;
    bulwark_sqlite::copy(&source, &mut target, |step| {
        progress.set_total(step.pages);
        progress.advance(step.copied.saturating_sub(copied));
        copied = step.copied;
    })
    .map_err(bad_source)?;
    progress.finish();
    Ok(())
}

/// Loads a dump as it is, foreign key violations included (the bundled SQLite enforces
/// foreign keys by default; the database being copied may already violate them, which
/// the checks then report).
fn load_dump(dump: &Path, to: &Path) -> Result<(), MigrateError> {
    let sql = std::fs::read_to_string(dump).map_err(|source| MigrateError::ReadFile {
        path: dump.to_owned(),
        source,
    })?;
    let conn = Connection::open(to).map_err(|source| MigrateError::Sqlite {
        path: to.to_owned(),
        action: "create",
        source,
    })?;
    conn.execute_batch(&format!(
        "PRAGMA foreign_keys = OFF; PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; BEGIN;\n{sql}\n;COMMIT;"
    ))
    .map_err(|source| MigrateError::BadDump {
        path: dump.to_owned(),
        source,
    })
}

/// `wrangler d1 export --remote`, through the one process layer: wrangler is found and
/// run as for every other binary, in the config's directory, with its allowlist.
fn export_remote(
    config: &Path,
    env: Option<&str>,
    database: &str,
    out: &Path,
) -> Result<(), MigrateError> {
    // Absolute, since wrangler runs in the config's directory rather than ours.
    let config = std::path::absolute(config).unwrap_or_else(|_| config.to_owned());
    let project = config.parent().unwrap_or(Path::new("."));
    let mut args: Vec<OsString> = ["d1", "export", database, "--remote", "--output"]
        .map(OsString::from)
        .into();
    args.extend([out.into(), "--config".into(), config.as_os_str().to_owned()]);
    if let Some(env) = env {
        args.extend(["--env".into(), env.into()]);
    }
    let finished = Runner::untimed(project)
        .run(Tool::Wrangler, &args, None)
        .map_err(|err| MigrateError::Wrangler {
            detail: err.to_string(),
        })?;
    if !finished.status.success() {
        return Err(MigrateError::Wrangler {
            detail: format!(
                "`wrangler d1 export --remote` failed ({}): {}",
                finished.status,
                finished.summary()
            ),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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

//! `verify` (restore into a temp database and check it against the manifest) and
//! `restore` (to a new file, atomically).

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use bulwark_core::Progress;
use bulwark_vault::Identities;
use rusqlite::Connection;
use serde::Serialize;

use crate::layout::{
    self, BackupName, Kind, Manifest, VerifiedStamp, WORK_PREFIX, manifest_path, verified_path,
};
use crate::{BackupError, pipeline, postgres, sqlite};

/// The outcome of verifying one backup.
#[derive(Debug, Clone, Serialize)]
pub struct Verified {
    /// The backup file.
    pub file: PathBuf,
    /// Whether every check passed.
    pub ok: bool,
    /// What failed (empty when `ok`).
    pub problems: Vec<String>,
    /// Tables checked.
    pub tables: usize,
    /// Rows counted.
    pub rows: u64,
}

/// `db-backup verify`.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    /// One entry per backup, oldest first.
    pub backups: Vec<Verified>,
}

/// Where a verify or restore gets its key: needed only for `.age` files, so it is loaded
/// lazily (a directory of unencrypted backups needs no identity).
pub trait IdentityProvider {
    /// The identities, loaded on first use.
    fn identities(&mut self) -> Result<&Identities, BackupError>;
}

impl<F: FnMut() -> Result<Identities, BackupError>> IdentityProvider for Lazy<F> {
    fn identities(&mut self) -> Result<&Identities, BackupError> {
        if self.value.is_none() {
            self.value = Some((self.load)()?);
        }
        Ok(self.value.as_ref().expect("set just above"))
    }
}

/// An [`IdentityProvider`] that calls `load` once, when first needed.
#[derive(Debug)]
pub struct Lazy<F> {
    load: F,
    value: Option<Identities>,
}

impl<F> Lazy<F> {
    /// Wraps `load`.
    pub fn new(load: F) -> Self {
        Self { load, value: None }
    }
}

/// The backups to verify: `path` itself, or every backup in the directory `path`.
fn targets(path: &Path) -> Result<Vec<PathBuf>, BackupError> {
    let meta = std::fs::metadata(path).map_err(|source| BackupError::Input {
        path: path.to_owned(),
        source,
    })?;
    if !meta.is_dir() {
        return Ok(vec![path.to_owned()]);
    }
    let mut found: Vec<(jiff::Timestamp, PathBuf)> = std::fs::read_dir(path)
        .map_err(|source| BackupError::Input {
            path: path.to_owned(),
            source,
        })?
        .flatten()
        .filter_map(|entry| {
            let name = BackupName::parse(&entry.file_name().to_string_lossy())?;
            Some((name.time, entry.path()))
        })
        .collect();
    found.sort();
    if found.is_empty() {
        return Err(BackupError::usage(
            format!("{} holds no backup", path.display()),
            Some("backups are named NAME-YYYYMMDDTHHMMSSZ.sqlite.zst.age (or .sql, .pgdump)"),
        ));
    }
    Ok(found.into_iter().map(|(_, p)| p).collect())
}

/// Verifies `path` (a backup or a directory of them). A failed check is a problem in the
/// report; an error means the verify itself could not run (no key, I/O).
pub fn verify(
    path: &Path,
    identities: &mut dyn IdentityProvider,
    progress: &dyn Progress,
) -> Result<VerifyReport, BackupError> {
    let files = targets(path)?;
    let total: u64 = files
        .iter()
        .filter_map(|f| {
            layout::read_json::<Manifest>(&manifest_path(f))
                .ok()
                .flatten()
        })
        .map(|m| m.plaintext.size)
        .sum();
    progress.set_total(total);
    let mut backups = Vec::new();
    for file in files {
        let mut problems = Vec::new();
        let (tables, rows) = match verify_one(&file, identities, progress, &mut problems) {
            Ok(counts) => counts,
            Err(BackupError::Unrestorable { reason, .. }) => {
                problems.push(reason);
                (0, 0)
            }
            Err(err) => return Err(err),
        };
        let ok = problems.is_empty();
        if ok && let Ok(Some(manifest)) = layout::read_json::<Manifest>(&manifest_path(&file)) {
            layout::write_json(
                &verified_path(&file),
                &VerifiedStamp {
                    verified_at: layout::now().to_string(),
                    tool_version: env!("CARGO_PKG_VERSION").to_owned(),
                    ciphertext_sha256: manifest.ciphertext.sha256,
                },
            )?;
        }
        backups.push(Verified {
            file,
            ok,
            problems,
            tables,
            rows,
        });
    }
    progress.finish();
    Ok(VerifyReport { backups })
}

fn verify_one(
    file: &Path,
    identities: &mut dyn IdentityProvider,
    progress: &dyn Progress,
    problems: &mut Vec<String>,
) -> Result<(usize, u64), BackupError> {
    let manifest = match layout::read_json::<Manifest>(&manifest_path(file)) {
        Ok(Some(manifest)) => manifest,
        Ok(None) => {
            problems.push(format!(
                "manifest {} is missing",
                manifest_path(file).display()
            ));
            return Ok((0, 0));
        }
        Err(reason) => {
            problems.push(reason);
            return Ok((0, 0));
        }
    };
    let stored = pipeline::digest_file(file)?;
    if stored != manifest.ciphertext {
        problems.push(format!(
            "the file does not match its manifest (size {} vs {}, sha256 {} vs {}): modified or truncated",
            stored.size, manifest.ciphertext.size, stored.sha256, manifest.ciphertext.sha256
        ));
        return Ok((0, 0));
    }
    if manifest.kind == Kind::PgDump {
        return postgres::verify_restored(file, &manifest, identities, progress, problems);
    }
    let dir = file.parent().unwrap_or(Path::new("."));
    let scratch = tempfile::Builder::new()
        .prefix(WORK_PREFIX)
        .tempdir_in(dir)
        .map_err(BackupError::io("create a temp directory in", dir))?;
    let db_path = scratch.path().join("restored.sqlite");
    progress.set_message("decrypt and decompress");
    let (conn, plain) = restore_into(
        file,
        &manifest,
        identities,
        scratch.path(),
        &db_path,
        progress,
    )?;
    if plain != manifest.plaintext {
        problems.push(format!(
            "the restored {} does not match the manifest (size {} vs {}, sha256 {} vs {})",
            manifest.kind.extension(),
            plain.size,
            manifest.plaintext.size,
            plain.sha256,
            manifest.plaintext.sha256
        ));
    }
    progress.set_message("integrity check");
    if let Some(report) = sqlite::integrity_check(&conn, &db_path)? {
        problems.push(format!("integrity_check: {report}"));
    }
    let (tables, schema) = sqlite::table_stats(&conn, &db_path)?;
    if schema != manifest.schema_sha256 {
        problems.push("the schema hash differs from the manifest".to_owned());
    }
    if tables != manifest.tables {
        for expected in &manifest.tables {
            match tables.iter().find(|t| t.name == expected.name) {
                Some(found) if found.rows != expected.rows => problems.push(format!(
                    "table `{}` has {} rows, the manifest says {}",
                    expected.name, found.rows, expected.rows
                )),
                Some(_) => {}
                None => problems.push(format!("table `{}` is missing", expected.name)),
            }
        }
        if problems.is_empty() {
            problems.push("the table list differs from the manifest".to_owned());
        }
    }
    let rows = tables.iter().map(|t| t.rows).sum();
    Ok((tables.len(), rows))
}

/// Decrypts and decompresses `file` into `scratch`, and returns a connection to the
/// database it holds (for a SQL dump, the database built from it) and the plaintext digest.
fn restore_into(
    file: &Path,
    manifest: &Manifest,
    identities: &mut dyn IdentityProvider,
    scratch: &Path,
    db_path: &Path,
    progress: &dyn Progress,
) -> Result<(Connection, layout::Digest), BackupError> {
    let keys = if manifest.encrypted {
        Some(identities.identities()?)
    } else {
        None
    };
    let plain_path = match manifest.kind {
        Kind::Sqlite => db_path.to_owned(),
        Kind::Sql => scratch.join("dump.sql"),
        Kind::PgDump => unreachable!("PostgreSQL backups are verified by bulwark-pg's server"),
    };
    let out = File::create(&plain_path).map_err(BackupError::io("create", &plain_path))?;
    let mut writer = BufWriter::with_capacity(1 << 20, out);
    let digest = pipeline::open(file, keys, &mut writer, &plain_path, progress)?;
    drop(writer);
    let conn = match manifest.kind {
        Kind::Sqlite => {
            Connection::open(db_path).map_err(BackupError::sqlite("open the restored", db_path))?
        }
        Kind::Sql | Kind::PgDump => {
            let sql = std::fs::read_to_string(&plain_path)
                .map_err(BackupError::io("read", &plain_path))?;
            sqlite::load_dump(&sql, db_path)?
        }
    };
    Ok((conn, digest))
}

/// Decrypts a SQL-dump backup into a scratch file in `dir` and builds the database `dest`
/// from it; returns the dump's digest.
fn build_from_dump(
    file: &Path,
    keys: Option<&Identities>,
    dir: &Path,
    dest: &Path,
    progress: &dyn Progress,
) -> Result<layout::Digest, BackupError> {
    let scratch = tempfile::Builder::new()
        .prefix(WORK_PREFIX)
        .tempdir_in(dir)
        .map_err(BackupError::io("create a temp directory in", dir))?;
    let dump = scratch.path().join("dump.sql");
    let out = File::create(&dump).map_err(BackupError::io("create", &dump))?;
    let mut writer = BufWriter::with_capacity(1 << 20, out);
    let digest = pipeline::open(file, keys, &mut writer, &dump, progress)?;
    drop(writer);
    let sql = std::fs::read_to_string(&dump).map_err(BackupError::io("read", &dump))?;
    let conn = sqlite::load_dump(&sql, dest)?;
    conn.close()
        .map_err(|(_, err)| BackupError::sqlite("close", dest)(err))?;
    Ok(digest)
}

/// `db-backup restore`.
#[derive(Debug, Clone)]
pub struct RestoreRequest {
    /// The backup file.
    pub file: PathBuf,
    /// Where to write the database (or, for a SQL backup and a `.sql` path, the dump).
    pub to: PathBuf,
    /// Replace an existing file.
    pub force: bool,
}

/// What a restore did.
#[derive(Debug, Clone, Serialize)]
pub struct RestoreReport {
    /// The backup.
    pub file: PathBuf,
    /// The restored file.
    pub to: PathBuf,
    /// sqlite or sql.
    pub kind: Kind,
    /// Bytes written.
    pub size: u64,
    /// Whether a manifest was there to check the SHA-256 against.
    pub checked_against_manifest: bool,
}

/// A backup's manifest (when it has one), kind and encryption: from the manifest, else
/// from its file name.
pub(crate) fn what_backup(file: &Path) -> Result<(Option<Manifest>, Kind, bool), BackupError> {
    let manifest = layout::read_json::<Manifest>(&manifest_path(file)).map_err(|reason| {
        BackupError::Unrestorable {
            path: file.to_owned(),
            reason,
        }
    })?;
    let name = file
        .file_name()
        .and_then(|n| BackupName::parse(&n.to_string_lossy()));
    let (kind, encrypted) = match (&manifest, &name) {
        (Some(m), _) => (m.kind, m.encrypted),
        (None, Some(n)) => (n.kind, n.encrypted),
        (None, None) => {
            return Err(BackupError::usage(
                format!(
                    "{} has no manifest and is not named like a backup",
                    file.display()
                ),
                Some("restore it with `age -d -i KEY FILE | zstd -d > OUT`"),
            ));
        }
    };
    Ok((manifest, kind, encrypted))
}

/// Restores a backup to a new file: temp file beside the target, checks, then rename.
/// Never replaces an existing file without `force`.
pub fn restore(
    request: &RestoreRequest,
    identities: &mut dyn IdentityProvider,
    progress: &dyn Progress,
) -> Result<RestoreReport, BackupError> {
    let file = &request.file;
    if !file.is_file() {
        return Err(BackupError::Input {
            path: file.clone(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such backup file"),
        });
    }
    if request.to.exists() && !request.force {
        return Err(BackupError::Exists {
            path: request.to.clone(),
        });
    }
    let (manifest, kind, encrypted) = what_backup(file)?;
    let dir = match request.to.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    };
    let keys = if encrypted {
        Some(identities.identities()?)
    } else {
        None
    };
    // A PostgreSQL backup restored to a file is its pg_dump archive (pg_restore reads it).
    let write_dump = (kind == Kind::Sql && request.to.extension().is_some_and(|e| e == "sql"))
        || kind == Kind::PgDump;
    let temp = layout::atomic_file(&request.to, WORK_PREFIX)?;
    progress.set_total(manifest.as_ref().map_or(0, |m| m.plaintext.size));
    let digest = if kind == Kind::Sqlite || write_dump {
        let mut writer = BufWriter::with_capacity(1 << 20, temp.as_file());
        pipeline::open(file, keys, &mut writer, temp.temp_path(), progress)?
    } else {
        build_from_dump(file, keys, &dir, temp.temp_path(), progress)?
    };
    if let Some(manifest) = &manifest
        && digest != manifest.plaintext
    {
        return Err(BackupError::Unrestorable {
            path: file.clone(),
            reason: format!(
                "the restored data does not match the manifest (sha256 {} vs {})",
                digest.sha256, manifest.plaintext.sha256
            ),
        });
    }
    if kind == Kind::Sqlite {
        let conn = Connection::open(temp.temp_path())
            .map_err(BackupError::sqlite("open the restored", temp.temp_path()))?;
        if let Some(report) = sqlite::integrity_check(&conn, temp.temp_path())? {
            return Err(BackupError::Unrestorable {
                path: file.clone(),
                reason: format!("integrity_check: {report}"),
            });
        }
        conn.close()
            .map_err(|(_, err)| BackupError::sqlite("close", temp.temp_path())(err))?;
    }
    let size = temp
        .as_file()
        .metadata()
        .map_err(BackupError::io("read", temp.temp_path()))?
        .len();
    layout::persist(temp, request.force)?;
    progress.finish();
    Ok(RestoreReport {
        file: file.clone(),
        to: request.to.clone(),
        kind,
        size,
        checked_against_manifest: manifest.is_some(),
    })
}

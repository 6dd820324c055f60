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
    self, BackupName, Kind, Manifest, ManifestFile, TableRows, VerifiedStamp, manifest_path,
    verified_path,
};
use crate::{BackupError, interrupt, pipeline, postgres, sqlite};

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
    /// What a passing verify could not check (a manifest of db-backup 0.x, which has no
    /// authenticated copy).
    pub warnings: Vec<String>,
    /// Whether its manifest is in a format this version does not read (an unknown
    /// `format_version` or field): the verify exits 2.
    pub unsupported: bool,
}

impl Verified {
    /// Not checked yet.
    fn new(file: PathBuf) -> Self {
        Self {
            file,
            ok: false,
            problems: Vec::new(),
            tables: 0,
            rows: 0,
            warnings: Vec::new(),
            unsupported: false,
        }
    }
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

/// Verifies `path` (a backup or a directory of them): every backup, each with its own
/// verdict. A failed check is a problem in the report; an error means the verify itself
/// could not run (no key, I/O, a signal).
pub fn verify(
    path: &Path,
    identities: &mut dyn IdentityProvider,
    progress: &dyn Progress,
) -> Result<VerifyReport, BackupError> {
    let files = targets(path)?;
    let _signals = interrupt::Guard::install();
    let mut dirs: Vec<&Path> = files.iter().map(|f| parent_dir(f)).collect();
    dirs.dedup();
    for dir in dirs {
        layout::remove_leftovers(dir, false);
    }
    let total: u64 = files
        .iter()
        .filter_map(|f| match layout::read_manifest(f) {
            ManifestFile::Read(m, _) => Some(m.plaintext.size),
            _ => None,
        })
        .sum();
    progress.set_total(total);
    let mut backups = Vec::new();
    for file in files {
        interrupt::check()?;
        let mut verified = Verified::new(file);
        match verify_one(identities, progress, &mut verified) {
            Ok(Some(stamp)) if verified.problems.is_empty() => {
                layout::write_json(&verified_path(&verified.file), &stamp)?;
            }
            Ok(_) => {}
            Err(
                err @ (BackupError::Interrupted
                | BackupError::Vault(_)
                | BackupError::Io { .. }
                | BackupError::Input { .. }),
            ) => return Err(err),
            Err(BackupError::ManifestRefused { reason }) => {
                verified.unsupported = true;
                verified.problems.push(reason);
            }
            Err(BackupError::Unrestorable { reason, .. }) => verified.problems.push(reason),
            // What SQLite said about the restored data (not a database, …) is a verdict.
            Err(other) => verified
                .problems
                .push(match std::error::Error::source(&other) {
                    Some(cause) => format!("{other}: {cause}"),
                    None => other.to_string(),
                }),
        }
        verified.ok = verified.problems.is_empty();
        backups.push(verified);
    }
    progress.finish();
    Ok(VerifyReport { backups })
}

pub(crate) fn parent_dir(file: &Path) -> &Path {
    match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// Checks one backup, adding what fails to `out.problems`; returns the stamp to write
/// when the checks ran.
fn verify_one(
    identities: &mut dyn IdentityProvider,
    progress: &dyn Progress,
    out: &mut Verified,
) -> Result<Option<VerifiedStamp>, BackupError> {
    let file = out.file.clone();
    let (manifest, manifest_sha256) = match layout::read_manifest(&file) {
        ManifestFile::Read(manifest, sha) => (*manifest, sha),
        ManifestFile::Missing => {
            out.problems.push(format!(
                "manifest {} is missing",
                manifest_path(&file).display()
            ));
            return Ok(None);
        }
        ManifestFile::Unreadable(reason) => {
            out.problems.push(reason);
            return Ok(None);
        }
        ManifestFile::Refused(refused) if refused.unsupported => {
            return Err(BackupError::ManifestRefused {
                reason: refused.reason,
            });
        }
        ManifestFile::Refused(refused) => {
            out.problems.push(refused.reason);
            return Ok(None);
        }
    };
    check_name(&file, &manifest, &mut out.problems);
    let stored = pipeline::digest_file(&file)?;
    if stored != manifest.ciphertext {
        out.problems.push(format!(
            "the file does not match its manifest (size {} vs {}, sha256 {} vs {}): modified or truncated",
            stored.size, manifest.ciphertext.size, stored.sha256, manifest.ciphertext.sha256
        ));
        return Ok(None);
    }
    if manifest.kind == Kind::PgDump {
        if !postgres::verify_restored(&file, &manifest, identities, progress, out)? {
            return Ok(None);
        }
        return Ok(Some(stamp(stored.sha256, manifest_sha256)));
    }
    let scratch = layout::private_dir(parent_dir(&file))?;
    let db_path = scratch.path().join("restored.sqlite");
    progress.set_message("decrypt and decompress");
    let (mut conn, opened) = restore_into(
        &file,
        &manifest,
        identities,
        scratch.path(),
        &db_path,
        progress,
    )?;
    if opened.digest != manifest.plaintext {
        out.problems.push(format!(
            "the restored {} does not match the manifest (size {} vs {}, sha256 {} vs {})",
            manifest.kind.extension(),
            opened.digest.size,
            manifest.plaintext.size,
            opened.digest.sha256,
            manifest.plaintext.sha256
        ));
    }
    compare_copy(&manifest, opened.copy.as_deref(), out);
    progress.set_message("integrity check");
    let over = sqlite::bound(
        &mut conn,
        sqlite::check_budget(manifest.plaintext.size),
        &db_path,
    )?;
    let checked = (|| {
        if let Some(report) = sqlite::integrity_check(&conn, &db_path)? {
            out.problems.push(format!("integrity_check: {report}"));
        }
        sqlite::table_stats(&conn, &db_path)
    })();
    let (tables, schema) = match checked {
        Ok(stats) => stats,
        Err(err) => {
            interrupt::check()?;
            if over.load(std::sync::atomic::Ordering::SeqCst) {
                out.problems
                    .push("checking the restored database took too long: stopped".to_owned());
                return Ok(None);
            }
            return Err(err);
        }
    };
    if schema != manifest.schema_sha256 {
        out.problems
            .push("the schema hash differs from the manifest".to_owned());
    }
    compare_tables(&manifest.tables, &tables, &mut out.problems);
    out.tables = tables.len();
    out.rows = tables.iter().map(|t| t.rows).sum();
    Ok(Some(stamp(stored.sha256, manifest_sha256)))
}

/// The stamp of a backup whose checks ran.
fn stamp(ciphertext_sha256: String, manifest_sha256: String) -> VerifiedStamp {
    VerifiedStamp {
        verified_at: layout::now().to_string(),
        tool_version: env!("CARGO_PKG_VERSION").to_owned(),
        ciphertext_sha256,
        manifest_sha256: Some(manifest_sha256),
    }
}

/// Row counts and table names against the manifest's: every table of the manifest with
/// its rows, and no other table (SQLite and PostgreSQL backups alike).
pub(crate) fn compare_tables(
    expected: &[TableRows],
    found: &[TableRows],
    problems: &mut Vec<String>,
) {
    if found == expected {
        return;
    }
    let before = problems.len();
    for want in expected {
        match found.iter().find(|t| t.name == want.name) {
            Some(have) if have.rows != want.rows => problems.push(format!(
                "table `{}` has {} rows, the manifest says {}",
                want.name, have.rows, want.rows
            )),
            Some(_) => {}
            None => problems.push(format!("table `{}` is missing", want.name)),
        }
    }
    for have in found {
        if !expected.iter().any(|t| t.name == have.name) {
            problems.push(format!("table `{}` is not in the manifest", have.name));
        }
    }
    if problems.len() == before {
        problems.push("the table list differs from the manifest".to_owned());
    }
}

/// The manifest must describe the file it sits beside.
fn check_name(file: &Path, manifest: &Manifest, problems: &mut Vec<String>) {
    let actual = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if manifest.file != actual {
        problems.push(format!(
            "the manifest is for `{}`, not for `{actual}`",
            manifest.file
        ));
    }
    if let Some(name) = BackupName::parse(&actual)
        && (name.kind != manifest.kind
            || name.encrypted != manifest.encrypted
            || name.name != manifest.name)
    {
        problems
            .push("the manifest's name, kind or encryption differs from the file name".to_owned());
    }
}

/// Compares the manifest with the copy the payload carries (format 2), field by field.
pub(crate) fn compare_copy(manifest: &Manifest, copy: Option<&[u8]>, out: &mut Verified) {
    let Some(copy) = copy else {
        if manifest.format_version == layout::MANIFEST_FORMAT_UNAUTHENTICATED {
            out.warnings.push(
                "made by db-backup 0.x: its manifest has no authenticated copy, so only its sizes, SHA-256s, tables and schema hash were checked".to_owned(),
            );
        } else {
            out.problems
                .push("the backup carries no copy of its manifest".to_owned());
        }
        return;
    };
    let theirs: serde_json::Value = match serde_json::from_slice(copy) {
        Ok(value) => value,
        Err(err) => {
            out.problems.push(format!(
                "the manifest copy inside the backup is not valid JSON: {err}"
            ));
            return;
        }
    };
    let ours: serde_json::Value =
        serde_json::from_slice(&manifest.payload_copy()).unwrap_or_default();
    if ours == theirs {
        return;
    }
    let empty = serde_json::Map::new();
    let (a, b) = (
        ours.as_object().unwrap_or(&empty),
        theirs.as_object().unwrap_or(&empty),
    );
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    let differ: Vec<&str> = keys
        .into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(String::as_str)
        .collect();
    out.problems.push(format!(
        "the manifest differs from the authenticated copy inside the backup in: {}",
        differ.join(", ")
    ));
}

/// Decrypts and decompresses `file` into `scratch` (no more than the manifest's size),
/// and returns a connection to the database it holds (for a SQL dump, the database built
/// from it) and what the payload held.
fn restore_into(
    file: &Path,
    manifest: &Manifest,
    identities: &mut dyn IdentityProvider,
    scratch: &Path,
    db_path: &Path,
    progress: &dyn Progress,
) -> Result<(Connection, pipeline::Opened), BackupError> {
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
    let opened = pipeline::open(
        file,
        keys,
        &mut writer,
        &plain_path,
        Some(manifest.plaintext.size),
        progress,
    )?;
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
    Ok((conn, opened))
}

/// Decrypts a SQL-dump backup into the private directory `private` and builds the
/// database `dest` from it; returns what the payload held.
fn build_from_dump(
    file: &Path,
    keys: Option<&Identities>,
    private: &Path,
    dest: &Path,
    limit: Option<u64>,
    progress: &dyn Progress,
) -> Result<pipeline::Opened, BackupError> {
    let dump = private.join("dump.sql");
    let out = File::create(&dump).map_err(BackupError::io("create", &dump))?;
    let mut writer = BufWriter::with_capacity(1 << 20, out);
    let opened = pipeline::open(file, keys, &mut writer, &dump, limit, progress)?;
    drop(writer);
    let sql = std::fs::read_to_string(&dump).map_err(BackupError::io("read", &dump))?;
    let conn = sqlite::load_dump(&sql, dest)?;
    conn.close()
        .map_err(|(_, err)| BackupError::sqlite("close", dest)(err))?;
    Ok(opened)
}

/// The manifest a restore checks against: none, or one this version reads.
fn restore_manifest(file: &Path) -> Result<Option<Manifest>, BackupError> {
    match layout::read_manifest(file) {
        ManifestFile::Missing => Ok(None),
        ManifestFile::Read(manifest, _) => Ok(Some(*manifest)),
        ManifestFile::Refused(refused) if refused.unsupported => {
            Err(BackupError::ManifestRefused {
                reason: refused.reason,
            })
        }
        ManifestFile::Refused(layout::ManifestRefused { reason, .. })
        | ManifestFile::Unreadable(reason) => Err(BackupError::Unrestorable {
            path: file.to_owned(),
            reason,
        }),
    }
}

/// The restored bytes against the manifest and its authenticated copy.
pub(crate) fn check_restored(
    file: &Path,
    manifest: &Manifest,
    opened: &pipeline::Opened,
) -> Result<(), BackupError> {
    if opened.digest != manifest.plaintext {
        return Err(BackupError::Unrestorable {
            path: file.to_owned(),
            reason: format!(
                "the restored data does not match the manifest (sha256 {} vs {})",
                opened.digest.sha256, manifest.plaintext.sha256
            ),
        });
    }
    let mut checked = Verified::new(file.to_owned());
    compare_copy(manifest, opened.copy.as_deref(), &mut checked);
    match checked.problems.into_iter().next() {
        Some(problem) => Err(BackupError::Unrestorable {
            path: file.to_owned(),
            reason: problem,
        }),
        None => Ok(()),
    }
}

/// Renames the checked temp file to the target (never over a file without `force`).
fn place(temp: tempfile::NamedTempFile, request: &RestoreRequest) -> Result<(), BackupError> {
    let persisted = if request.force {
        temp.persist(&request.to)
    } else {
        temp.persist_noclobber(&request.to)
    };
    persisted.map_err(|err| {
        if err.error.kind() == std::io::ErrorKind::AlreadyExists {
            BackupError::Exists {
                path: request.to.clone(),
            }
        } else {
            BackupError::Io {
                action: "rename the restored file to",
                path: request.to.clone(),
                source: err.error,
            }
        }
    })?;
    Ok(())
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
    let manifest = restore_manifest(file)?;
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
    let _signals = interrupt::Guard::install();
    let (manifest, kind, encrypted) = what_backup(file)?;
    let dir = parent_dir(&request.to).to_owned();
    let keys = if encrypted {
        Some(identities.identities()?)
    } else {
        None
    };
    layout::remove_leftovers(&dir, false);
    // The restored plaintext is written in a private directory beside the target and
    // renamed into place only once checked.
    let private = layout::private_dir(&dir)?;
    let temp = tempfile::Builder::new()
        .prefix("restored")
        .tempfile_in(private.path())
        .map_err(BackupError::io("create a temp file in", private.path()))?;
    // A PostgreSQL backup restored to a file is its pg_dump archive (pg_restore reads it).
    let write_dump = (kind == Kind::Sql && request.to.extension().is_some_and(|e| e == "sql"))
        || kind == Kind::PgDump;
    let limit = manifest.as_ref().map(|m| m.plaintext.size);
    progress.set_total(limit.unwrap_or(0));
    let opened = if kind == Kind::Sqlite || write_dump {
        let mut writer = BufWriter::with_capacity(1 << 20, temp.as_file());
        pipeline::open(file, keys, &mut writer, temp.path(), limit, progress)?
    } else {
        build_from_dump(file, keys, private.path(), temp.path(), limit, progress)?
    };
    if let Some(manifest) = &manifest {
        check_restored(file, manifest, &opened)?;
    }
    if kind == Kind::Sqlite {
        let mut conn = Connection::open(temp.path())
            .map_err(BackupError::sqlite("open the restored", temp.path()))?;
        sqlite::bound(
            &mut conn,
            sqlite::check_budget(limit.unwrap_or(opened.digest.size)),
            temp.path(),
        )?;
        let report =
            sqlite::integrity_check(&conn, temp.path()).map_err(interrupt::or_interrupted)?;
        if let Some(report) = report {
            return Err(BackupError::Unrestorable {
                path: file.clone(),
                reason: format!("integrity_check: {report}"),
            });
        }
        conn.close()
            .map_err(|(_, err)| BackupError::sqlite("close", temp.path())(err))?;
    }
    interrupt::check()?;
    temp.as_file()
        .sync_all()
        .map_err(BackupError::io("sync", temp.path()))?;
    let size = temp
        .as_file()
        .metadata()
        .map_err(BackupError::io("read", temp.path()))?
        .len();
    place(temp, request)?;
    layout::sync_dir(&dir)?;
    drop(private);
    progress.finish();
    Ok(RestoreReport {
        file: file.clone(),
        to: request.to.clone(),
        kind,
        size,
        checked_against_manifest: manifest.is_some(),
    })
}

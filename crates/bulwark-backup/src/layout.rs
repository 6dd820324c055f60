//! What a backup directory holds: backup files named `<name>-<UTC time>.<sqlite|sql>.zst.age`,
//! their `.manifest.json` and `.verified.json` sidecars, a lock file, and nothing half
//! written (temp files start with [`TEMP_PREFIX`] or [`WORK_PREFIX`] and are renamed into
//! place).

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use bulwark_core::fs::AtomicFile;
use jiff::Timestamp;
use jiff::civil;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use crate::BackupError;

/// Prefix of every temp file and directory this crate makes in a backup directory.
pub const TEMP_PREFIX: &str = ".db-backup-tmp-";
/// Prefix of the temp files and directories of verify, restore and sidecar writes, which
/// run without the lock: an export removes them only once they are a day old.
pub const WORK_PREFIX: &str = ".db-backup-work-";
/// The lock file that stops two runs from overlapping.
pub const LOCK_FILE: &str = ".db-backup.lock";
/// Version of the manifest format.
pub const MANIFEST_FORMAT: u32 = 1;

/// What the plaintext is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A SQLite database file.
    Sqlite,
    /// A SQL dump (D1).
    Sql,
    /// A `pg_dump` custom-format archive (PostgreSQL).
    #[serde(rename = "pgdump")]
    PgDump,
}

impl Kind {
    /// The file name part.
    #[must_use]
    pub fn extension(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Sql => "sql",
            Self::PgDump => "pgdump",
        }
    }
}

/// The parts of a backup file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupName {
    /// The prefix (`--name`).
    pub name: String,
    /// When the snapshot was taken, to the second.
    pub time: Timestamp,
    /// sqlite or sql.
    pub kind: Kind,
    /// Whether it ends in `.age`.
    pub encrypted: bool,
}

/// `20261124T052510Z`.
#[must_use]
pub fn compact_time(time: Timestamp) -> String {
    let dt = time.to_zoned(TimeZone::UTC).datetime();
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    )
}

fn parse_compact_time(text: &str) -> Option<Timestamp> {
    let b = text.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |range: std::ops::Range<usize>| text.get(range)?.parse::<i16>().ok();
    let date = civil::Date::new(
        num(0..4)?,
        i8::try_from(num(4..6)?).ok()?,
        i8::try_from(num(6..8)?).ok()?,
    )
    .ok()?;
    let time = civil::Time::new(
        i8::try_from(num(9..11)?).ok()?,
        i8::try_from(num(11..13)?).ok()?,
        i8::try_from(num(13..15)?).ok()?,
        0,
    )
    .ok()?;
    date.to_datetime(time)
        .to_zoned(TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp())
}

impl BackupName {
    /// The file name.
    #[must_use]
    pub fn file_name(&self) -> String {
        format!(
            "{}-{}.{}.zst{}",
            self.name,
            compact_time(self.time),
            self.kind.extension(),
            if self.encrypted { ".age" } else { "" }
        )
    }

    /// Parses a file name this crate wrote; `None` for anything else.
    #[must_use]
    pub fn parse(file_name: &str) -> Option<Self> {
        let (rest, encrypted) = match file_name.strip_suffix(".zst.age") {
            Some(rest) => (rest, true),
            None => (file_name.strip_suffix(".zst")?, false),
        };
        let (rest, kind) = if let Some(rest) = rest.strip_suffix(".sqlite") {
            (rest, Kind::Sqlite)
        } else if let Some(rest) = rest.strip_suffix(".pgdump") {
            (rest, Kind::PgDump)
        } else {
            (rest.strip_suffix(".sql")?, Kind::Sql)
        };
        let (name, time) = rest.rsplit_once('-')?;
        if name.is_empty() || name.starts_with('.') {
            return None;
        }
        Some(Self {
            name: name.to_owned(),
            time: parse_compact_time(time)?,
            kind,
            encrypted,
        })
    }
}

/// Whether `name` is usable as a backup name prefix.
#[must_use]
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Size and SHA-256 of a byte stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Digest {
    /// Bytes.
    pub size: u64,
    /// Lowercase hex SHA-256.
    pub sha256: String,
}

/// One table and its row count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableRows {
    /// Table name.
    pub name: String,
    /// `count(*)`.
    pub rows: u64,
}

/// Where a backup came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Source {
    /// A SQLite file.
    Sqlite {
        /// Its path as given.
        path: String,
    },
    /// A D1 database through wrangler.
    D1 {
        /// Binding or database name.
        database: String,
        /// `--remote` or local state.
        remote: bool,
    },
    /// A PostgreSQL database through `pg_dump`.
    Postgres {
        /// `user@host:port/database`, never the password.
        database: String,
        /// The environment variable the URL was read from.
        env: String,
    },
}

/// What a PostgreSQL backup's manifest adds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostgresInfo {
    /// The server's `server_version`.
    pub server_version: String,
    /// `pg_dump --version` of the program that dumped it.
    pub pg_dump_version: String,
    /// The schemas outside PostgreSQL's own.
    pub schemas: Vec<String>,
    /// The snapshot that the dump and the row counts shared.
    pub snapshot: String,
}

/// `<backup>.manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`MANIFEST_FORMAT`].
    pub format_version: u32,
    /// `db-backup`.
    pub tool: String,
    /// The tool's version.
    pub tool_version: String,
    /// The backup file's name.
    pub file: String,
    /// The backup's prefix.
    pub name: String,
    /// Where it came from.
    pub source: Source,
    /// sqlite or sql.
    pub kind: Kind,
    /// RFC 3339 UTC time of the snapshot.
    pub created_at: String,
    /// `zstd`.
    pub compression: String,
    /// Whether the file is age-encrypted.
    pub encrypted: bool,
    /// The database file or dump.
    pub plaintext: Digest,
    /// The backup file as stored.
    pub ciphertext: Digest,
    /// Tables (without SQLite's and Cloudflare's internal ones) and their rows.
    pub tables: Vec<TableRows>,
    /// SHA-256 of the schema (`sqlite_master`'s type, name, table and SQL, sorted).
    pub schema_sha256: String,
    /// D1 Time Travel bookmark, when known.
    pub d1_bookmark: Option<String>,
    /// The age recipients' public keys.
    pub recipients: Vec<String>,
    /// What the export warned about (skipped virtual tables, …).
    pub warnings: Vec<String>,
    /// PostgreSQL's server version, schemas and snapshot (PostgreSQL backups only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postgres: Option<PostgresInfo>,
}

/// `<backup>.verified.json`, written by a successful verify.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifiedStamp {
    /// RFC 3339 UTC time of the verify.
    pub verified_at: String,
    /// The version that verified it.
    pub tool_version: String,
    /// The SHA-256 of the backup file that was verified.
    pub ciphertext_sha256: String,
}

/// `<dir>/<file>.manifest.json`.
#[must_use]
pub fn manifest_path(backup: &Path) -> PathBuf {
    sidecar(backup, "manifest.json")
}

/// `<dir>/<file>.verified.json`.
#[must_use]
pub fn verified_path(backup: &Path) -> PathBuf {
    sidecar(backup, "verified.json")
}

fn sidecar(backup: &Path, suffix: &str) -> PathBuf {
    let mut name = backup.file_name().unwrap_or_default().to_owned();
    name.push(".");
    name.push(suffix);
    backup.with_file_name(name)
}

/// Reads a JSON sidecar; `Ok(None)` when it does not exist.
pub(crate) fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Option<T>, String> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|err| format!("{} is not valid: {err}", path.display())),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(format!("failed to read {}: {err}", path.display())),
    }
}

/// A scratch file in `dir` (mode 0600) with a `prefix` ([`TEMP_PREFIX`] or
/// [`WORK_PREFIX`]) name, removed on drop.
pub(crate) fn temp_file(dir: &Path, prefix: &str) -> Result<tempfile::NamedTempFile, BackupError> {
    tempfile::Builder::new()
        .prefix(prefix)
        .tempfile_in(dir)
        .map_err(BackupError::io("create a temp file in", dir))
}

/// A file that becomes `final_path` only when complete: created 0600 next to it with a
/// `prefix` ([`TEMP_PREFIX`] or [`WORK_PREFIX`]) name, then [`persist`]ed.
pub(crate) fn atomic_file(final_path: &Path, prefix: &str) -> Result<AtomicFile, BackupError> {
    AtomicFile::with_prefix(final_path, prefix).map_err(BackupError::io(
        "create a temp file in",
        final_path.parent().unwrap_or(Path::new(".")),
    ))
}

/// Syncs `temp`, renames it to its final path and syncs the directory; with `replace`
/// false an existing file there is an error, checked atomically.
pub(crate) fn persist(temp: AtomicFile, replace: bool) -> Result<(), BackupError> {
    let final_path = temp.path().to_owned();
    let result = if replace {
        temp.commit()
    } else {
        temp.commit_new()
    };
    result.map_err(|source| {
        if source.kind() == std::io::ErrorKind::AlreadyExists {
            BackupError::Exists { path: final_path }
        } else {
            BackupError::Io {
                action: "rename a temp file to",
                path: final_path,
                source,
            }
        }
    })
}

/// fsyncs a directory, so a rename or unlink in it survives a crash.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), BackupError> {
    bulwark_core::fs::sync_dir(dir).map_err(BackupError::io("sync the directory", dir))
}

/// Writes `value` as pretty JSON to `path`, atomically.
pub(crate) fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), BackupError> {
    let mut temp = atomic_file(path, WORK_PREFIX)?;
    let mut bytes = serde_json::to_vec_pretty(value).map_err(|err| BackupError::Io {
        action: "serialize",
        path: path.to_owned(),
        source: std::io::Error::other(err),
    })?;
    bytes.push(b'\n');
    temp.write_all(&bytes)
        .map_err(BackupError::io("write", temp.temp_path()))?;
    persist(temp, true)
}

/// An exclusive lock on a backup directory, held until dropped (or the process dies: the
/// kernel releases `flock` locks, so a killed run never leaves a stale lock behind).
#[derive(Debug)]
pub struct DirLock {
    _file: File,
}

impl DirLock {
    /// Takes the lock on `dir`, or fails at once if another run holds it.
    pub fn acquire(dir: &Path) -> Result<Self, BackupError> {
        let path = dir.join(LOCK_FILE);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(BackupError::io("open the lock file", &path))?;
        match file.try_lock() {
            Ok(()) => Ok(Self { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => Err(BackupError::Locked { path }),
            Err(std::fs::TryLockError::Error(source)) => Err(BackupError::Io {
                action: "lock",
                path,
                source,
            }),
        }
    }
}

/// The current time, to the second.
#[must_use]
pub fn now() -> Timestamp {
    Timestamp::from_second(Timestamp::now().as_second()).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// Lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        let time: Timestamp = "2026-11-24T05:25:10Z".parse().expect("valid");
        let name = BackupName {
            name: "demo-db".to_owned(),
            time,
            kind: Kind::Sqlite,
            encrypted: true,
        };
        assert_eq!(name.file_name(), "demo-db-20261124T052510Z.sqlite.zst.age");
        assert_eq!(BackupName::parse(&name.file_name()), Some(name.clone()));
        let plain = BackupName {
            kind: Kind::Sql,
            encrypted: false,
            ..name
        };
        assert_eq!(plain.file_name(), "demo-db-20261124T052510Z.sql.zst");
        assert_eq!(BackupName::parse(&plain.file_name()), Some(plain));
        for bad in [
            "demo-db-20261124T052510Z.sqlite.zst.age.manifest.json",
            ".db-backup-tmp-abc",
            "demo-db-20261324T052510Z.sqlite.zst.age",
            "x.sqlite",
        ] {
            assert_eq!(BackupName::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_second_lock_on_the_same_dir_fails_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = DirLock::acquire(dir.path()).expect("free");
        assert!(matches!(
            DirLock::acquire(dir.path()),
            Err(BackupError::Locked { .. })
        ));
        drop(first);
        DirLock::acquire(dir.path()).expect("released");
    }
}

//! What a backup directory holds: backup files named `<name>-<UTC time>.<sqlite|sql>.zst.age`,
//! their `.manifest.json` and `.verified.json` sidecars, a lock file, and nothing half
//! written (temp files start with [`TEMP_PREFIX`] or [`WORK_PREFIX`] and the writer's pid,
//! and are renamed into place; [`remove_leftovers`] removes what a killed run left of
//! them, and nothing else). Plaintext only ever sits in a private (0700) directory of the
//! [`PRIVATE_DIR`] kind, which removes its own killed runs' leftovers.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use bulwark_core::fs::AtomicFile;
use jiff::Timestamp;
use jiff::civil;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use sha2::Digest as _;

use crate::BackupError;

/// Prefix of every temp file and directory this crate makes in a backup directory.
pub const TEMP_PREFIX: &str = ".db-backup-tmp-";
/// Prefix of the temp files and directories of verify, restore and sidecar writes, which
/// run without the lock: an export removes them only once they are a day old.
pub const WORK_PREFIX: &str = ".db-backup-work-";
/// The lock file that stops two runs from overlapping.
pub const LOCK_FILE: &str = ".db-backup.lock";
/// Version of the manifest format this version writes: 2 carries an authenticated copy of
/// the manifest inside the encrypted payload.
pub const MANIFEST_FORMAT: u32 = 2;
/// The first format, written by db-backup 0.x: its manifest has no copy in the payload.
pub const MANIFEST_FORMAT_UNAUTHENTICATED: u32 = 1;
/// A manifest larger than this is refused (a real one is a few KiB per thousand tables).
pub const MANIFEST_MAX: usize = 4 << 20;

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
    /// When the snapshot was taken, to the microsecond.
    pub time: Timestamp,
    /// sqlite or sql.
    pub kind: Kind,
    /// Whether it ends in `.age`.
    pub encrypted: bool,
}

/// `20261124T052510.123456Z` (microseconds; names of db-backup 0.x end at the second,
/// `20261124T052510Z`, and still parse).
#[must_use]
pub fn compact_time(time: Timestamp) -> String {
    let dt = time.to_zoned(TimeZone::UTC).datetime();
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}.{:06}Z",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        dt.subsec_nanosecond() / 1000
    )
}

fn parse_compact_time(text: &str) -> Option<Timestamp> {
    let b = text.as_bytes();
    let micros = match b.len() {
        16 => 0,
        23 if b[15] == b'.' && b[16..22].iter().all(u8::is_ascii_digit) => {
            text.get(16..22)?.parse::<i32>().ok()?
        }
        _ => return None,
    };
    if b[8] != b'T' || b[b.len() - 1] != b'Z' {
        return None;
    }
    let digits = |range: std::ops::Range<usize>| {
        let part = text.get(range)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse::<i16>().ok())
            .flatten()
    };
    let date = civil::Date::new(
        digits(0..4)?,
        i8::try_from(digits(4..6)?).ok()?,
        i8::try_from(digits(6..8)?).ok()?,
    )
    .ok()?;
    let time = civil::Time::new(
        i8::try_from(digits(9..11)?).ok()?,
        i8::try_from(digits(11..13)?).ok()?,
        i8::try_from(digits(13..15)?).ok()?,
        micros * 1000,
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
#[serde(deny_unknown_fields)]
pub struct Digest {
    /// Bytes.
    pub size: u64,
    /// Lowercase hex SHA-256.
    pub sha256: String,
}

/// One table and its row count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableRows {
    /// Table name.
    pub name: String,
    /// `count(*)`.
    pub rows: u64,
}

/// Where a backup came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
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
    /// `supabase` for `export --supabase`: Supabase's schemas handled as `supabase db
    /// dump` handles them (docs/db-backup.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset: Option<String>,
    /// The schema patterns left out of the dump (`pg_dump --exclude-schema`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excluded_schemas: Vec<String>,
    /// The tables whose rows were left out (`pg_dump --exclude-table-data`); the manifest
    /// counts 0 rows for them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excluded_table_data: Vec<String>,
    /// The server's roles (no passwords), which the dump's owners, grants and policies
    /// name: verify creates them before restoring.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<bulwark_pg::Role>,
    /// The database's extensions: verify leaves out those its server does not have.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extensions: Vec<bulwark_pg::Extension>,
}

/// `<backup>.manifest.json`. Every field is checked by a verify: the payload of a format-2
/// backup carries a copy of all of them but `ciphertext` ([`Manifest::payload_copy`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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
    /// The SHA-256 of the manifest file it was verified against (absent in stamps of
    /// db-backup 0.x).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest_sha256: Option<String>,
}

/// Why a manifest is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestRefused {
    /// What is wrong.
    pub reason: String,
    /// Whether it is a format this version does not read (an unknown `format_version` or
    /// field: exit 2) rather than a damaged or edited manifest (a failed verify, exit 1).
    pub unsupported: bool,
}

impl ManifestRefused {
    fn damaged(reason: String) -> Self {
        Self {
            reason,
            unsupported: false,
        }
    }
}

impl Manifest {
    /// The canonical bytes of the manifest file: pretty JSON and a newline.
    #[must_use]
    pub fn to_file_bytes(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }

    /// Parses a manifest file. Unknown fields, an unknown `format_version` and bytes that
    /// are not exactly what db-backup writes (a changed space, a reordered key) are
    /// refused: every byte of the file is either checked or makes it unreadable.
    pub fn from_file_bytes(bytes: &[u8]) -> Result<Self, ManifestRefused> {
        if bytes.len() > MANIFEST_MAX {
            return Err(ManifestRefused::damaged(format!(
                "the manifest is larger than {MANIFEST_MAX} bytes"
            )));
        }
        let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|err| {
            ManifestRefused::damaged(format!("the manifest is not valid JSON: {err}"))
        })?;
        let version = value
            .get("format_version")
            .and_then(serde_json::Value::as_u64);
        if !matches!(version, Some(v) if v == u64::from(MANIFEST_FORMAT) || v == u64::from(MANIFEST_FORMAT_UNAUTHENTICATED))
        {
            return Err(ManifestRefused {
                reason: format!(
                    "the manifest's format_version is {}; this db-backup reads {MANIFEST_FORMAT_UNAUTHENTICATED} and {MANIFEST_FORMAT}",
                    value
                        .get("format_version")
                        .map_or_else(|| "missing".to_owned(), ToString::to_string)
                ),
                unsupported: true,
            });
        }
        let manifest: Self = serde_json::from_value(value).map_err(|err| {
            let reason = format!("the manifest is not valid: {err}");
            ManifestRefused {
                unsupported: reason.contains("unknown field"),
                reason,
            }
        })?;
        if manifest.to_file_bytes() != bytes {
            return Err(ManifestRefused::damaged(
                "the manifest is not byte for byte what db-backup writes: it was edited".to_owned(),
            ));
        }
        Ok(manifest)
    }

    /// The copy of the manifest that goes into the payload: every field but `ciphertext`
    /// (the payload cannot hold its own digest), as compact JSON.
    #[must_use]
    pub fn payload_copy(&self) -> Vec<u8> {
        let mut value = serde_json::to_value(self).unwrap_or_default();
        if let Some(map) = value.as_object_mut() {
            map.remove("ciphertext");
        }
        serde_json::to_vec(&value).unwrap_or_default()
    }
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

/// What reading a backup's manifest found.
#[derive(Debug)]
pub(crate) enum ManifestFile {
    /// There is none.
    Missing,
    /// It could not be read (I/O).
    Unreadable(String),
    /// This version refuses it.
    Refused(ManifestRefused),
    /// The manifest and the SHA-256 of its file.
    Read(Box<Manifest>, String),
}

/// Reads and parses `<backup>.manifest.json` strictly ([`Manifest::from_file_bytes`]).
pub(crate) fn read_manifest(backup: &Path) -> ManifestFile {
    let path = manifest_path(backup);
    let bytes = match std::fs::metadata(&path).map(|m| m.len()) {
        Ok(len) if len > MANIFEST_MAX as u64 => {
            return ManifestFile::Refused(ManifestRefused::damaged(format!(
                "{} is larger than {MANIFEST_MAX} bytes",
                path.display()
            )));
        }
        Ok(_) => match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(err) => {
                return ManifestFile::Unreadable(format!(
                    "failed to read {}: {err}",
                    path.display()
                ));
            }
        },
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return ManifestFile::Missing,
        Err(err) => {
            return ManifestFile::Unreadable(format!("failed to read {}: {err}", path.display()));
        }
    };
    match Manifest::from_file_bytes(&bytes) {
        Ok(manifest) => ManifestFile::Read(Box::new(manifest), hex(&sha2::Sha256::digest(&bytes))),
        Err(refused) => ManifestFile::Refused(ManifestRefused {
            reason: format!("{}: {}", path.display(), refused.reason),
            unsupported: refused.unsupported,
        }),
    }
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

/// `prefix` ([`TEMP_PREFIX`] or [`WORK_PREFIX`]) followed by this process's id and a
/// dash: the next run tells a dead run's leftovers by it.
pub(crate) fn owned_prefix(prefix: &str) -> String {
    format!("{prefix}{}-", std::process::id())
}

/// The private directories of export, verify and restore: 0700 from the start, with a
/// marker naming the process that made it ([`bulwark_core::private_dir`]).
pub const PRIVATE_DIR: bulwark_core::private_dir::Kind = bulwark_core::private_dir::Kind {
    prefix: ".db-backup-private-",
    magic: "bulwark db-backup private directory",
};

/// A private directory (mode 0700) in `dir` for plaintext, named
/// `.db-backup-private-…` and removed with everything in it when dropped. Signals do not
/// bypass the drop: the commands stop at the next step (see [`crate::interrupt`]).
/// Creating one removes what killed runs left in `dir`: directories of this kind whose
/// marker's process is gone, never a live run's.
pub(crate) fn private_dir(dir: &Path) -> Result<tempfile::TempDir, BackupError> {
    PRIVATE_DIR
        .create(dir)
        .map_err(BackupError::io("create a private directory in", dir))
}

/// Removes from `dir` what killed runs left: entries named [`WORK_PREFIX`]`<pid>-…` whose
/// process is gone, or that are older than a day (a name of db-backup 0.x, without a pid);
/// with `temps` (an export holding the directory lock, which every [`TEMP_PREFIX`] writer
/// holds too) also every [`TEMP_PREFIX`] entry. Nothing else is touched. Returns what was
/// removed.
pub(crate) fn remove_leftovers(dir: &Path, temps: bool) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let day_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(24 * 3600);
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Ok(meta) = entry.metadata() else { continue };
        let leftover = if let Some(rest) = name.strip_prefix(WORK_PREFIX) {
            match owner(rest) {
                Some(pid) => pid != std::process::id() && !alive(pid),
                None => meta.modified().is_ok_and(|t| t < day_ago),
            }
        } else {
            temps && name.starts_with(TEMP_PREFIX)
        };
        if !leftover {
            continue;
        }
        let gone = if meta.is_dir() {
            std::fs::remove_dir_all(entry.path())
        } else {
            std::fs::remove_file(entry.path())
        };
        if gone.is_ok() {
            removed.push(entry.path());
        }
    }
    removed
}

/// The pid in `<pid>-rest`, if the name has one.
fn owner(rest: &str) -> Option<u32> {
    let (pid, _) = rest.split_once('-')?;
    if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    pid.parse().ok()
}

/// Whether a process with this id exists (`kill(pid, 0)`; a process of another user
/// counts as alive).
fn alive(pid: u32) -> bool {
    let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return false;
    };
    !matches!(
        rustix::process::test_kill_process(pid),
        Err(rustix::io::Errno::SRCH)
    )
}

/// A file that becomes `final_path` only when complete: created 0600 next to it with a
/// `prefix` ([`TEMP_PREFIX`] or [`WORK_PREFIX`]) and pid name, then [`persist`]ed.
pub(crate) fn atomic_file(final_path: &Path, prefix: &str) -> Result<AtomicFile, BackupError> {
    AtomicFile::with_prefix(final_path, &owned_prefix(prefix)).map_err(BackupError::io(
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

/// The current time, to the microsecond (a backup's name holds it).
#[must_use]
pub fn now() -> Timestamp {
    Timestamp::from_microsecond(Timestamp::now().as_microsecond()).unwrap_or(Timestamp::UNIX_EPOCH)
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
        let time: Timestamp = "2026-11-24T05:25:10.000042Z".parse().expect("valid");
        let name = BackupName {
            name: "demo-db".to_owned(),
            time,
            kind: Kind::Sqlite,
            encrypted: true,
        };
        assert_eq!(
            name.file_name(),
            "demo-db-20261124T052510.000042Z.sqlite.zst.age"
        );
        assert_eq!(BackupName::parse(&name.file_name()), Some(name.clone()));
        // Names of db-backup 0.x, to the second, still parse.
        assert_eq!(
            BackupName::parse("demo-db-20261124T052510Z.sqlite.zst.age").map(|n| n.time),
            Some("2026-11-24T05:25:10Z".parse().expect("valid"))
        );
        let plain = BackupName {
            kind: Kind::Sql,
            encrypted: false,
            ..name
        };
        assert_eq!(plain.file_name(), "demo-db-20261124T052510.000042Z.sql.zst");
        assert_eq!(BackupName::parse(&plain.file_name()), Some(plain));
        for bad in [
            "demo-db-20261124T052510Z.sqlite.zst.age.manifest.json",
            ".db-backup-tmp-abc",
            "demo-db-20261324T052510Z.sqlite.zst.age",
            "demo-db-20261124T052510.00004Z.sqlite.zst.age",
            "demo-db-20261124T052510.+00042Z.sqlite.zst.age",
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

//! The optional lock file: SHA-256 checksums of applied migration files, so that a file
//! edited after it ran (which wrangler will never run again) is noticed, as sqlx does
//! with its checksum column.
//!
//! Format: `sha256sum` lines (`<hex>  <file name>`) and `#` comments, sorted by name, so
//! `cd migrations && sha256sum -c ../migrations.lock` checks it too.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::MigrateError;

/// Checksums by file name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lock {
    /// `name -> sha256 hex`.
    pub entries: BTreeMap<String, String>,
}

/// The SHA-256 of `bytes`, in lower-case hex.
#[must_use]
pub fn checksum(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Lower-case hex of `bytes`.
#[must_use]
pub fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

impl Lock {
    /// Reads `path`; a missing file is an empty lock.
    pub fn read(path: &Path) -> Result<Self, MigrateError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(source) => {
                return Err(MigrateError::ReadFile {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        let mut entries = BTreeMap::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim_end();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((sum, name)) = line.split_once("  ") else {
                return Err(MigrateError::BadLock {
                    path: path.to_owned(),
                    line: index + 1,
                });
            };
            if sum.len() != 64 || !sum.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(MigrateError::BadLock {
                    path: path.to_owned(),
                    line: index + 1,
                });
            }
            entries.insert(name.to_owned(), sum.to_ascii_lowercase());
        }
        Ok(Self { entries })
    }

    /// Writes the lock atomically ([`bulwark_core::fs::write_atomic`]).
    pub fn write(&self, path: &Path) -> Result<(), MigrateError> {
        let mut text = String::from(
            "# migrate-dryrun lock: SHA-256 of each applied migration file (sha256sum format).\n# A file must not change after it was applied: wrangler never runs it again.\n",
        );
        for (name, sum) in &self.entries {
            let _ = writeln!(text, "{sum}  {name}");
        }
        bulwark_core::fs::write_atomic(path, text.as_bytes()).map_err(|source| {
            MigrateError::WriteFile {
                path: path.to_owned(),
                source,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_garbage() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("migrations.lock");
        assert_eq!(
            Lock::read(&path).expect("missing is empty"),
            Lock::default()
        );
        let mut lock = Lock::default();
        lock.entries
            .insert("0001_a.sql".into(), checksum(b"CREATE TABLE a(x);"));
        lock.write(&path).expect("write");
        assert_eq!(Lock::read(&path).expect("read"), lock);
        std::fs::write(&path, "nothex  0001_a.sql\n").expect("write");
        assert!(matches!(
            Lock::read(&path),
            Err(MigrateError::BadLock { line: 1, .. })
        ));
    }
}

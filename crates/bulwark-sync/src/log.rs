//! The apply log beside a store, `<store>.log.jsonl`: one JSON line per `apply` (when,
//! from which commit, by whom, what changed where, names only), each carrying the
//! SHA-256 of the line before it, so that an edited or removed line breaks the chain
//! that `audit` checks.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::SyncError;

/// The `prev` of the first line: there is no line before it.
pub const CHAIN_START: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What one apply did to one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoggedTarget {
    /// The target's name.
    pub name: String,
    /// Its kind.
    pub kind: String,
    /// Names set that the target did not have.
    pub added: Vec<String>,
    /// Names set that it had.
    pub updated: Vec<String>,
    /// Names removed (`--prune`).
    pub removed: Vec<String>,
    /// `done`, `failed` (nothing done), `partial`, or `not listed`.
    pub result: String,
}

/// One line of the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    /// UTC, RFC 3339.
    pub time: String,
    /// The commit checked out (`HEAD`), if the store is in a git repository.
    pub commit: Option<String>,
    /// `$GITHUB_ACTOR`, else git's `user.name <user.email>`.
    pub deployer: Option<String>,
    /// The environment.
    pub environment: String,
    /// One per target applied to.
    pub targets: Vec<LoggedTarget>,
    /// The SHA-256 of the previous line (without its newline), or [`CHAIN_START`].
    pub prev: String,
}

/// The log file of the store at `store`.
#[must_use]
pub fn log_path(store: &Path) -> PathBuf {
    let mut name = store.file_name().unwrap_or_default().to_os_string();
    name.push(".log.jsonl");
    store.with_file_name(name)
}

fn sha256_hex(bytes: &[u8]) -> String {
    let mut hex = String::with_capacity(64);
    for byte in Sha256::digest(bytes) {
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

/// Appends `entry` to the log of `store`, chained to the last line there (its `prev` is
/// set here), and syncs it to disk.
pub fn append(store: &Path, mut entry: LogEntry) -> Result<(), SyncError> {
    let path = log_path(store);
    let existing = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(source) => return Err(SyncError::io("read", &path, source)),
    };
    let mut prefix = Vec::new();
    if !existing.is_empty() && !existing.ends_with(b"\n") {
        // A line cut short (a crash mid-write) stays as it is, and audit reports it;
        // the new line starts on a line of its own.
        prefix.push(b'\n');
    }
    entry.prev = existing
        .split(|&b| b == b'\n')
        .rfind(|line| !line.is_empty())
        .map_or_else(|| CHAIN_START.to_owned(), sha256_hex);
    let mut line = serde_json::to_vec(&entry).map_err(|err| {
        SyncError::io("serialize the apply log", &path, std::io::Error::other(err))
    })?;
    line.push(b'\n');
    prefix.extend_from_slice(&line);
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|source| SyncError::io("open", &path, source))?;
    file.write_all(&prefix)
        .and_then(|()| file.sync_all())
        .map_err(|source| SyncError::io("append to", &path, source))
}

/// What checking a log's chain found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainCheck {
    /// The log file.
    pub path: String,
    /// Lines read.
    pub lines: usize,
    /// The first broken line (1-based) and why, or `None` when the chain holds.
    pub broken: Option<(usize, String)>,
}

/// Checks the chain of the log of `store`; `None` when there is no log.
pub fn verify(store: &Path) -> Result<Option<ChainCheck>, SyncError> {
    let path = log_path(store);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(SyncError::io("read", &path, source)),
    };
    let mut check = ChainCheck {
        path: bulwark_core::display_path(&path),
        lines: 0,
        broken: None,
    };
    let mut expected = CHAIN_START.to_owned();
    let complete = bytes.ends_with(b"\n");
    let lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    let count = lines.len() - 1 + usize::from(!complete && !bytes.is_empty());
    for (index, line) in lines.iter().take(count).enumerate() {
        check.lines = index + 1;
        let problem = if line.is_empty() {
            Some("an empty line".to_owned())
        } else if index + 1 == count && !complete {
            Some("the last line is cut short".to_owned())
        } else {
            match serde_json::from_slice::<LogEntry>(line) {
                Err(err) => Some(format!("not a log entry ({err})")),
                Ok(entry) if entry.prev != expected => Some(
                    "its `prev` is not the SHA-256 of the line before: a line was changed, removed or inserted"
                        .to_owned(),
                ),
                Ok(_) => None,
            }
        };
        if let Some(problem) = problem {
            check.broken = Some((index + 1, problem));
            break;
        }
        expected = sha256_hex(line);
    }
    Ok(Some(check))
}

/// `result` of a target in the log, from the per-name outcomes (`true` = done).
#[must_use]
pub(crate) fn target_result(listed: bool, outcomes: &[bool]) -> String {
    if !listed {
        "not listed".to_owned()
    } else if outcomes.iter().all(|&done| done) {
        "done".to_owned()
    } else if outcomes.iter().any(|&done| done) {
        "partial".to_owned()
    } else {
        "failed".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(env: &str) -> LogEntry {
        LogEntry {
            time: "2026-01-01T00:00:00Z".to_owned(),
            commit: None,
            deployer: Some("ci".to_owned()),
            environment: env.to_owned(),
            targets: vec![LoggedTarget {
                name: "fly".to_owned(),
                kind: "fly".to_owned(),
                added: vec!["A".to_owned()],
                updated: Vec::new(),
                removed: Vec::new(),
                result: "done".to_owned(),
            }],
            prev: String::new(),
        }
    }

    #[test]
    fn the_chain_holds_until_a_line_is_changed_removed_or_cut() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = dir.path().join("p.env.age");
        assert_eq!(verify(&store).expect("reads"), None, "no log yet");
        for env in ["one", "two", "three"] {
            append(&store, entry(env)).expect("appends");
        }
        let check = verify(&store).expect("reads").expect("a log");
        assert_eq!((check.lines, check.broken), (3, None));
        let path = log_path(&store);
        let text = std::fs::read_to_string(&path).expect("written");
        assert!(text.lines().next().expect("a line").contains(CHAIN_START));

        std::fs::write(&path, text.replacen("\"two\"", "\"tw0\"", 1)).expect("edit");
        let broken = verify(&store).expect("reads").expect("a log").broken;
        assert_eq!(broken.expect("broken").0, 3, "the line after the edit");

        let broken_at = || verify(&store).expect("reads").expect("a log").broken;
        let without_first: Vec<&str> = text.lines().skip(1).collect();
        std::fs::write(&path, without_first.join("\n") + "\n").expect("remove");
        assert_eq!(broken_at().expect("broken").0, 1);

        std::fs::write(&path, &text[..text.len() - 5]).expect("cut");
        let cut = broken_at().expect("broken");
        assert_eq!(cut.0, 3);
        assert!(cut.1.contains("cut short"));
        // Appending after a cut line starts a new line; the cut one stays reported.
        append(&store, entry("four")).expect("appends");
        assert_eq!(broken_at().expect("broken").0, 3);
    }
}

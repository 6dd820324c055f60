//! `--status-file`: a small JSON that a monitor reads to tell whether the cron still runs
//! and still succeeds (see docs/db-backup.md, "Alerting on a stale status file").

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::BackupError;
use crate::layout;

/// One run's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Run {
    /// RFC 3339 UTC time the run ended.
    pub at: String,
    /// The verb (`export`, `verify`, …).
    pub command: String,
    /// The backup file, where there is one.
    pub file: Option<String>,
    /// Why it failed (`null` on success): the error message, never a secret.
    pub reason: Option<String>,
    /// The process exit code.
    pub exit_code: u8,
}

/// The status file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    /// Always 1 for this layout.
    pub schema_version: u32,
    /// `db-backup`.
    pub tool: String,
    /// The last run that succeeded.
    pub last_success: Option<Run>,
    /// The last run that failed.
    pub last_failure: Option<Run>,
    /// `success` or `failure`: how the most recent run ended.
    pub last_outcome: String,
}

/// Records `run` in the status file at `path`, keeping the other outcome's last entry.
/// Written atomically; an unreadable old file is replaced.
pub fn record_status(path: &Path, run: Run) -> Result<(), BackupError> {
    let old = layout::read_json::<Status>(path).ok().flatten();
    let (mut last_success, mut last_failure) =
        old.map_or((None, None), |s| (s.last_success, s.last_failure));
    let success = run.reason.is_none();
    if success {
        last_success = Some(run);
    } else {
        last_failure = Some(run);
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(BackupError::io("create the directory", dir))?;
    }
    layout::write_json(
        path,
        &Status {
            schema_version: 1,
            tool: "db-backup".to_owned(),
            last_success,
            last_failure,
            last_outcome: if success { "success" } else { "failure" }.to_owned(),
        },
    )
}

/// A run that ends now.
#[must_use]
pub fn run_now(command: &str, file: Option<String>, reason: Option<String>, exit_code: u8) -> Run {
    Run {
        at: layout::now().to_string(),
        command: command.to_owned(),
        file,
        reason,
        exit_code,
    }
}

//! `--record FILE`: one JSON line per run, appended, for release notes and change logs:
//! when, which commit, who, which environment and database, what the dry run applied
//! (or `status` found applied), the verdict and the SHA-256 of the run's JSON report.

use std::io::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::MigrateError;

/// One line of the record file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// UTC, RFC 3339, to the second.
    pub time: String,
    /// `dry-run` or `status`.
    pub kind: String,
    /// `HEAD` of the git repository the run started in, when it is in one.
    pub commit: Option<String>,
    /// `$GITHUB_ACTOR`, else git's `user.name <user.email>`.
    pub deployer: Option<String>,
    /// `--env`.
    pub env: Option<String>,
    /// The binding or database name, when one is known.
    pub database: Option<String>,
    /// Dry run: the migrations it applied, in order (what the real apply should apply).
    /// Status: the migrations the database has applied, in order.
    pub migrations: Vec<String>,
    /// Dry run: the pending migrations it did not apply (failed or not run).
    #[serde(default)]
    pub not_applied: Vec<String>,
    /// Dry run: how many migrations were applied before it.
    #[serde(default)]
    pub applied_before: usize,
    /// The run's verdict (`ok`, `failed`, …, or for status `applied`, `mismatch`).
    pub verdict: String,
    /// SHA-256 of the JSON report, as `--format json` prints it.
    pub report_sha256: String,
}

/// Where a run stands: what a record says besides its result.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// `--env`.
    pub env: Option<String>,
    /// The database.
    pub database: Option<String>,
}

impl Record {
    /// A record of `kind` stamped now, with the commit and deployer of `cwd`.
    #[must_use]
    pub fn new(kind: &str, context: &Context, cwd: &Path) -> Self {
        let (commit, deployer) = bulwark_git::who_and_where(cwd);
        Self {
            time: jiff::Timestamp::now()
                .strftime("%Y-%m-%dT%H:%M:%SZ")
                .to_string(),
            kind: kind.to_owned(),
            commit,
            deployer,
            env: context.env.clone(),
            database: context.database.clone(),
            migrations: Vec::new(),
            not_applied: Vec::new(),
            applied_before: 0,
            verdict: String::new(),
            report_sha256: String::new(),
        }
    }

    /// The record of a dry run: what it applied, what it did not, its verdict.
    #[must_use]
    pub fn of_dry_run(
        report: &crate::report::DryRunReport,
        context: &Context,
        cwd: &Path,
        report_sha256: String,
    ) -> Self {
        use crate::report::Status;
        let named = |status: &[Status]| -> Vec<String> {
            report
                .migrations
                .iter()
                .filter(|m| status.contains(&m.status))
                .map(|m| m.name.clone())
                .collect()
        };
        Self {
            migrations: named(&[Status::Ok]),
            not_applied: named(&[Status::Failed, Status::NotRun]),
            applied_before: report.summary.already_applied,
            verdict: serde_json::to_value(report.verdict)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            report_sha256,
            ..Self::new("dry-run", context, cwd)
        }
    }

    /// Appends this record as one line to `path` (created if missing).
    pub fn append(&self, path: &Path) -> Result<(), MigrateError> {
        let err = |action| {
            let path = path.to_owned();
            move |source| MigrateError::Record {
                path,
                action,
                source,
            }
        };
        let mut line = serde_json::to_vec(self).map_err(|e| err("write")(e.into()))?;
        line.push(b'\n');
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(err("open"))?;
        // One write of the whole line: concurrent appends do not interleave.
        file.write_all(&line).map_err(err("write"))?;
        file.sync_all().map_err(err("write"))
    }

    /// The last dry run recorded in `path` for `context` (same env and database).
    pub fn last_dry_run(path: &Path, context: &Context) -> Result<Option<Self>, MigrateError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(source) if source.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(MigrateError::Record {
                    path: path.to_owned(),
                    action: "read",
                    source,
                });
            }
        };
        let mut last = None;
        for (index, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let record: Self =
                serde_json::from_str(line).map_err(|source| MigrateError::Record {
                    path: path.to_owned(),
                    action: "read",
                    source: std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("line {}: {source}", index + 1),
                    ),
                })?;
            if record.kind == "dry-run"
                && record.env == context.env
                && record.database == context.database
            {
                last = Some(record);
            }
        }
        Ok(last)
    }
}

/// SHA-256 of `bytes`, lower-case hex.
#[must_use]
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    crate::lock::hex(&sha2::Sha256::digest(bytes))
}

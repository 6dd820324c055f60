//! `migrate-dryrun status`: after the real `wrangler d1 migrations apply`, what the
//! database has applied, checked against what the dry run predicted (its line in
//! `--record FILE`): every migration it applied is applied, and nothing else is.

use std::io::{self, Write};

use bulwark_core::{Exit, Progress, Report, Styles};
use serde::Serialize;

use crate::record::{Context, Record};
use crate::remote::Remote;
use crate::{MigrateError, Request, Source, discover, list, schema};

/// The outcome of `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StatusVerdict {
    /// What was predicted (or, without a prediction, every migration file) is applied,
    /// and nothing else.
    Applied,
    /// Something is missing or something else was applied.
    Mismatch,
}

/// What `status` found.
#[derive(Debug, Clone, Serialize)]
pub struct StatusReport {
    /// Where the applied list was read (`remote DB`, or a snapshot source).
    pub source: String,
    /// The migrations table.
    pub table: String,
    /// `applied` or `mismatch`.
    pub verdict: StatusVerdict,
    /// The applied migrations, oldest first, as the database lists them.
    pub applied: Vec<String>,
    /// What was expected to be applied now: the prediction's time, or null when there
    /// was none (then every migration file is expected).
    pub predicted_at: Option<String>,
    /// Migrations the dry run applied (or, without a prediction, migration files) that
    /// the database has not applied.
    pub missing: Vec<String>,
    /// Applied migrations the dry run did not apply and that were not applied before it
    /// (it predicted them to fail or not run, or it never saw them).
    pub unexpected: Vec<String>,
    /// Applied names with no migration file.
    pub unknown: Vec<String>,
    /// Migration files not applied (expected when the prediction left them out).
    pub pending: Vec<String>,
}

impl Report for StatusReport {
    fn exit(&self) -> Exit {
        match self.verdict {
            StatusVerdict::Applied => Exit::Ok,
            StatusVerdict::Mismatch => Exit::Problem,
        }
    }

    fn render_human(&self, out: &mut dyn Write, styles: &Styles) -> io::Result<()> {
        let (bold, ok, error, dim) = (styles.bold, styles.ok, styles.error, styles.dim);
        writeln!(
            out,
            "{bold}migrate-dryrun status{bold:#} {} {dim}(table {}){dim:#}",
            self.source, self.table
        )?;
        for name in &self.applied {
            writeln!(out, "  applied    {name}")?;
        }
        for (label, names) in [
            ("missing", &self.missing),
            ("unexpected", &self.unexpected),
            ("unknown", &self.unknown),
            ("pending", &self.pending),
        ] {
            for name in names {
                writeln!(out, "  {label:<10} {name}")?;
            }
        }
        let against = self.predicted_at.as_deref().map_or_else(
            || "every migration file".to_owned(),
            |at| format!("the dry run of {at}"),
        );
        match self.verdict {
            StatusVerdict::Applied => writeln!(
                out,
                "\n{ok}applied{ok:#}: {} migrations applied, as {against} predicted; nothing else",
                self.applied.len()
            ),
            StatusVerdict::Mismatch => writeln!(
                out,
                "\n{error}mismatch{error:#} against {against}: {} missing, {} unexpected, {} unknown, {} pending",
                self.missing.len(),
                self.unexpected.len(),
                self.unknown.len(),
                self.pending.len()
            ),
        }
    }
}

/// Reads what `request`'s database has applied (with `remote`, from the remote database
/// through `wrangler d1 execute`, never an export) and checks it against `prediction`.
pub fn status(
    request: &Request,
    remote: bool,
    prediction: Option<&Record>,
    progress: &dyn Progress,
) -> Result<StatusReport, MigrateError> {
    let files = discover::list_migrations(&request.migrations_dir)?;
    let (source, applied) = if remote {
        let Source::ExportRemote {
            config,
            env,
            database,
        } = &request.source
        else {
            return Err(MigrateError::NeedsWranglerConfig { flag: "--remote" });
        };
        let remote = Remote::new(config, env.as_deref(), database);
        (
            format!("remote {database}"),
            remote_applied(&remote, &request.table)?,
        )
    } else {
        (request.source.describe(), list::applied(request, progress)?)
    };
    let file_names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    let has = |names: &[String], name: &str| names.iter().any(|n| n == name);
    let unknown: Vec<String> = applied
        .iter()
        .filter(|n| !file_names.contains(&n.as_str()))
        .cloned()
        .collect();
    let pending: Vec<String> = file_names
        .iter()
        .filter(|n| !has(&applied, n))
        .map(|&n| n.to_owned())
        .collect();
    let (missing, unexpected) = match prediction {
        Some(record) => {
            let missing = record
                .migrations
                .iter()
                .filter(|n| !has(&applied, n))
                .cloned()
                .collect();
            // Applied now = applied before the dry run + what it applied. Anything
            // beyond that count, or anything it did not apply, is something else.
            let mut unexpected: Vec<String> = applied
                .iter()
                .filter(|n| has(&record.not_applied, n))
                .cloned()
                .collect();
            let expected = record.applied_before + record.migrations.len();
            if applied.len() > expected {
                for name in &applied[expected..] {
                    if !has(&record.migrations, name) && !unexpected.contains(name) {
                        unexpected.push(name.clone());
                    }
                }
            }
            (missing, unexpected)
        }
        None => (pending.clone(), Vec::new()),
    };
    let verdict = if missing.is_empty() && unexpected.is_empty() && unknown.is_empty() {
        StatusVerdict::Applied
    } else {
        StatusVerdict::Mismatch
    };
    Ok(StatusReport {
        source,
        table: request.table.clone(),
        verdict,
        applied,
        predicted_at: prediction.map(|r| r.time.clone()),
        missing,
        unexpected,
        unknown,
        pending,
    })
}

/// The remote migrations table, oldest first; empty when it does not exist yet.
fn remote_applied(remote: &Remote<'_>, table: &str) -> Result<Vec<String>, MigrateError> {
    let exists = remote.query(&format!(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = '{}'",
        table.replace('\'', "''")
    ))?;
    if exists.is_empty() {
        return Ok(Vec::new());
    }
    let rows = remote.query(&format!(
        "SELECT name FROM {} ORDER BY id",
        schema::quote(table)
    ))?;
    Ok(rows
        .iter()
        .filter_map(|row| row.get("name")?.as_str().map(str::to_owned))
        .collect())
}

/// The context a record of `request` names.
#[must_use]
pub fn context(request: &Request, env: Option<&str>, database: Option<&str>) -> Context {
    let database = match &request.source {
        Source::ExportRemote { database, .. } => Some(database.clone()),
        _ => database.map(str::to_owned),
    };
    Context {
        env: env.map(str::to_owned),
        database,
    }
}

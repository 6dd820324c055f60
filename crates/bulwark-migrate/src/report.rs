//! What a dry run found, as JSON (docs/migrate-dryrun.md) and as text for people.

use std::io::{self, Write};
use std::path::Path;

use bulwark_core::{Exit, Report, Styles};
use serde::Serialize;

use crate::d1::D1Error;
use crate::lint::{Finding, Severity};
use crate::schema::{DataAtRisk, SchemaDiff};

/// A migration's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// In the migrations table already: wrangler skips it.
    AlreadyApplied,
    /// Applies cleanly.
    Ok,
    /// D1 would refuse it; nothing of it would remain.
    Failed,
    /// After a failure: wrangler stops, so it would not run.
    NotRun,
}

impl Status {
    fn label(self) -> &'static str {
        match self {
            Self::AlreadyApplied => "already-applied",
            Self::Ok => "ok",
            Self::Failed => "failed",
            Self::NotRun => "not-run",
        }
    }
}

/// The outcome of the whole dry run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Every pending migration applies and nothing else fails the run.
    Ok,
    /// A migration fails.
    Failed,
    /// `--strict` and a lint error.
    LintFailed,
    /// The migrated copy is larger than D1 allows.
    TooLarge,
    /// `supabase db push` would refuse to push anything (PostgreSQL only).
    Refused,
}

impl Verdict {
    /// The verdict the counts imply, the most serious first.
    #[must_use]
    pub fn of(summary: &Summary, size_bytes: u64, size_limit_bytes: u64, strict: bool) -> Self {
        if summary.failed > 0 {
            Self::Failed
        } else if size_bytes > size_limit_bytes {
            Self::TooLarge
        } else if strict && summary.lint_errors > 0 {
            Self::LintFailed
        } else {
            Self::Ok
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Failed => "failed",
            Self::LintFailed => "lint-failed",
            Self::TooLarge => "too-large",
            Self::Refused => "refused",
        }
    }
}

/// Why a migration would fail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MigrationError {
    /// See [`D1Error::class`].
    pub class: String,
    /// The message, worded like D1's.
    pub message: String,
    /// The migration file.
    pub file: String,
    /// Line in the file where the failing statement starts; `null` for failures at commit.
    pub line: Option<usize>,
    /// The failing statement (shortened).
    pub statement: Option<String>,
    /// Whether plain SQLite would have accepted it: the failure is D1's own rule.
    pub d1_only: bool,
    /// What usually fixes this kind of failure, when there is a known pattern.
    pub hint: Option<String>,
}

/// Advice for the failures migrations run into most on D1.
fn hint_for(err: &D1Error, file_text: &str) -> Option<String> {
    let upper = file_text.to_ascii_uppercase();
    let foreign_key = err.message.contains("FOREIGN KEY");
    Some(match err.class.as_str() {
        "transaction" => "remove BEGIN/COMMIT/SAVEPOINT: D1 runs each migration file in one transaction of its own".to_owned(),
        "wrangler" => "keep at most one BEGIN TRANSACTION;/COMMIT; pair, or none: D1 runs each file in a transaction".to_owned(),
        "parameters" => "a migration cannot bind parameters: replace `?` with literal values".to_owned(),
        "SQLITE_AUTH" => "D1 does not allow this statement (ATTACH, temporary objects, this PRAGMA, non-FTS5 virtual tables, `_cf_` names); see docs/migrate-dryrun.md".to_owned(),
        "SQLITE_TOOBIG" => "D1 takes statements of at most 100,000 bytes and values of at most 2,000,000 bytes: split the statement".to_owned(),
        "SQLITE_CONSTRAINT" if foreign_key && err.line.is_none() && upper.contains("DROP TABLE") => {
            "rows still violate a foreign key when the file ends: in a table rebuild, child rows that referenced the dropped table count as violations even after the rename; rebuild or repoint the child tables in the same file".to_owned()
        }
        "SQLITE_CONSTRAINT" if foreign_key && err.line.is_none() => {
            "rows still violate a foreign key when the file ends (deferred check): fix or delete them in the same file".to_owned()
        }
        "SQLITE_CONSTRAINT" if foreign_key && upper.contains("FOREIGN_KEYS") => {
            "PRAGMA foreign_keys=OFF has no effect inside D1's transaction. PRAGMA defer_foreign_keys = ON only delays the check to the end of the file, and ON DELETE CASCADE still fires: in a table rebuild, rebuild the child tables in the same file (child_new REFERENCES parent_new, copy, drop the old children before the old parent, then rename) and leave no violation at the end".to_owned()
        }
        "SQLITE_CONSTRAINT" if foreign_key => {
            "D1 enforces foreign keys: insert the parent rows first, or fix the existing orphans".to_owned()
        }
        _ => return None,
    })
}

impl MigrationError {
    /// From the emulator's error for the file at `path`; `plain_sqlite_accepts` says
    /// whether plain SQLite ran the failing query (see
    /// [`crate::d1::D1Connection::plain_sqlite_accepts`]).
    #[must_use]
    pub fn new(err: D1Error, path: &Path, file_text: &str, plain_sqlite_accepts: bool) -> Self {
        let hint = hint_for(&err, file_text);
        let d1_only = plain_sqlite_accepts
            || matches!(
                err.class.as_str(),
                "SQLITE_AUTH" | "transaction" | "parameters" | "SQLITE_TOOBIG"
            )
            || err.message.contains("not authorized")
            || err.message.starts_with("Durable Object was reset");
        Self {
            class: err.class,
            message: err.message,
            file: path.display().to_string(),
            line: err.line,
            statement: err.statement,
            d1_only,
            hint,
        }
    }
}

/// One migration in the report.
#[derive(Debug, Clone, Serialize)]
pub struct MigrationReport {
    /// File name (what the migrations table records).
    pub name: String,
    /// Outcome.
    pub status: Status,
    /// Statements executed (0 unless `ok`).
    pub statements: usize,
    /// Rows inserted, updated or deleted, triggers included.
    pub rows_changed: u64,
    /// Time the batch took on the copy.
    pub duration_ms: f64,
    /// Lint findings.
    pub findings: Vec<Finding>,
    /// Why it fails, for `failed`.
    pub error: Option<MigrationError>,
}

impl MigrationReport {
    /// A migration with `status` and no numbers yet.
    #[must_use]
    pub fn new(name: &str, status: Status, findings: Vec<Finding>) -> Self {
        Self {
            name: name.to_owned(),
            status,
            statements: 0,
            rows_changed: 0,
            duration_ms: 0.0,
            findings,
            error: None,
        }
    }
}

/// A row `PRAGMA foreign_key_check` reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ForeignKeyViolation {
    /// The child table.
    pub table: String,
    /// The row (null for WITHOUT ROWID tables).
    pub rowid: Option<i64>,
    /// The parent table.
    pub parent: String,
    /// Which foreign key of the table.
    pub fkid: i64,
}

/// `PRAGMA foreign_key_check` and `integrity_check` on the migrated copy.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Checks {
    /// `all`, or `touched-tables` for databases over 256 MiB.
    pub scope: String,
    /// `integrity_check` (scope `all`) or `quick_check` (scope `touched-tables`).
    pub integrity_pragma: String,
    /// For `touched-tables`: the tables the migrations created or redefined.
    pub foreign_key_tables: Vec<String>,
    /// For `touched-tables`: the tables the migrations wrote to.
    pub integrity_tables: Vec<String>,
    /// Foreign key violations (first 100 per table).
    pub foreign_key_violations: Vec<ForeignKeyViolation>,
    /// `integrity_check` lines other than `ok`.
    pub integrity_errors: Vec<String>,
}

/// Counts by status and severity.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Summary {
    /// Migrations already applied.
    pub already_applied: usize,
    /// Pending migrations that apply cleanly.
    pub ok: usize,
    /// Pending migrations that fail (0 or 1).
    pub failed: usize,
    /// Pending migrations that would not run.
    pub not_run: usize,
    /// Unsuppressed lint errors.
    pub lint_errors: usize,
    /// Unsuppressed lint warnings.
    pub lint_warnings: usize,
    /// Rows the migrations delete from tables that keep their name (the sum of
    /// `data_at_risk.rows_lost[].rows_lost`).
    pub rows_lost: u64,
}

impl Summary {
    /// Counts `migrations`.
    #[must_use]
    pub fn of(migrations: &[MigrationReport]) -> Self {
        let mut summary = Self::default();
        for m in migrations {
            match m.status {
                Status::AlreadyApplied => summary.already_applied += 1,
                Status::Ok => summary.ok += 1,
                Status::Failed => summary.failed += 1,
                Status::NotRun => summary.not_run += 1,
            }
            for f in m.findings.iter().filter(|f| !f.suppressed) {
                match f.severity {
                    Severity::Error => summary.lint_errors += 1,
                    Severity::Warning => summary.lint_warnings += 1,
                    Severity::Info => {}
                }
            }
        }
        summary
    }
}

/// The result of `migrate-dryrun`.
#[derive(Debug, Clone, Serialize)]
pub struct DryRunReport {
    /// Where the database came from.
    pub source: String,
    /// The migrations directory.
    pub migrations_dir: String,
    /// The migrations table.
    pub table: String,
    /// Whether lint errors fail the run.
    pub strict: bool,
    /// `ok`, `failed` (a migration fails), `lint-failed` (strict), `too-large`.
    pub verdict: Verdict,
    /// Every migration file, applied ones first, then pending ones in run order.
    pub migrations: Vec<MigrationReport>,
    /// Schema before the pending migrations vs after the last one that applied.
    pub schema_diff: SchemaDiff,
    /// Rows and values the schema changes delete.
    pub data_at_risk: DataAtRisk,
    /// Checks on the migrated copy.
    pub checks: Checks,
    /// Size of the migrated copy.
    pub size_bytes: u64,
    /// D1's database size limit.
    pub size_limit_bytes: u64,
    /// Where the migrated copy was kept (`--keep`).
    pub kept: Option<String>,
    /// The lock file, when `--update-lock` wrote it.
    pub lock_updated: Option<String>,
    /// Counts.
    pub summary: Summary,
    /// PostgreSQL only: the copy, the CLI's refusal, the files it skips.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postgres: Option<crate::postgres::PostgresDetails>,
}

impl DryRunReport {
    /// GitHub Actions workflow commands: an `::error` on the file and line of each failing
    /// migration and each unsuppressed lint error, so they show on the pull request.
    /// Paths are made relative to `cwd` (the checkout), as GitHub expects.
    #[must_use]
    pub fn github_annotations(&self, cwd: &std::path::Path) -> Vec<String> {
        use bulwark_lint::github::{escape_data, escape_property};
        let dir = std::path::Path::new(&self.migrations_dir);
        let dir = dir.strip_prefix(cwd).unwrap_or(dir);
        let mut lines = Vec::new();
        let mut annotate = |name: &str, line: Option<usize>, title: &str, message: &str| {
            let file = dir.join(name);
            let place = line.map_or_else(String::new, |l| format!(",line={l}"));
            lines.push(format!(
                "::error file={}{place},title={}::{}",
                escape_property(&file.to_string_lossy()),
                escape_property(title),
                escape_data(message)
            ));
        };
        for m in &self.migrations {
            if let Some(e) = &m.error {
                annotate(
                    &m.name,
                    e.line,
                    "migration fails",
                    &format!("{} ({})", e.message, e.class),
                );
            }
            for f in m
                .findings
                .iter()
                .filter(|f| f.severity == Severity::Error && !f.suppressed)
            {
                annotate(&m.name, f.line, f.rule, &f.message);
            }
        }
        lines
    }
}

impl Report for DryRunReport {
    fn exit(&self) -> Exit {
        if self.verdict == Verdict::Ok {
            Exit::Ok
        } else {
            Exit::Problem
        }
    }

    #[expect(
        clippy::too_many_lines,
        reason = "the report's sections in the order they print"
    )]
    fn render_human(&self, out: &mut dyn Write, styles: &Styles) -> io::Result<()> {
        let (bold, ok, warn, error, dim) = (
            styles.bold,
            styles.ok,
            styles.warning,
            styles.error,
            styles.dim,
        );
        writeln!(
            out,
            "{bold}migrate-dryrun{bold:#} {} on {} {dim}(table {}){dim:#}",
            self.migrations_dir, self.source, self.table
        )?;
        if self.migrations.is_empty() {
            writeln!(out, "no migrations in {}", self.migrations_dir)?;
        }
        if let Some(pg) = &self.postgres {
            let role = &pg.applied_as;
            let why = if role.from == "production" {
                "production's role, with its attributes, memberships and owners"
            } else {
                "the copy's superuser: privilege errors are not predicted"
            };
            writeln!(
                out,
                "  {dim}applied as {}{} ({why}){dim:#}",
                role.role,
                if role.superuser { ", a superuser" } else { "" }
            )?;
            if !pg.stand_ins.is_empty() {
                writeln!(
                    out,
                    "  {warn}stand-ins{warn:#}       {} {dim}(the dump lacked them; see pg-stand-in findings){dim:#}",
                    pg.stand_ins.join(", ")
                )?;
            }
            for file in &pg.skipped_files {
                writeln!(
                    out,
                    "  {warn}skipped{warn:#}         {file} {dim}(not <timestamp>_<name>.sql: supabase db push skips it){dim:#}"
                )?;
            }
            if let Some(refusal) = &pg.refusal {
                writeln!(
                    out,
                    "  {error}refused:{error:#} supabase db push applies nothing: {}",
                    refusal.message
                )?;
            }
        }
        for m in &self.migrations {
            let style = match m.status {
                Status::Ok => ok,
                Status::Failed => error,
                Status::NotRun => warn,
                Status::AlreadyApplied => dim,
            };
            write!(out, "  {style}{:<15}{style:#} {}", m.status.label(), m.name)?;
            if m.status == Status::Ok {
                write!(
                    out,
                    " {dim}({} statements, {} rows changed, {:.1} ms){dim:#}",
                    m.statements, m.rows_changed, m.duration_ms
                )?;
            }
            writeln!(out)?;
            if let Some(e) = &m.error {
                let place = e
                    .line
                    .map_or_else(|| e.file.clone(), |l| format!("{}:{l}", e.file));
                writeln!(out, "      {error}error:{error:#} {place}: {}", e.message)?;
                if let Some(statement) = &e.statement {
                    writeln!(
                        out,
                        "      {dim}statement:{dim:#} {}",
                        statement.replace('\n', " ")
                    )?;
                }
                if let Some(hint) = &e.hint {
                    writeln!(out, "      {dim}hint:{dim:#} {hint}")?;
                }
                if e.d1_only && self.postgres.is_none() {
                    writeln!(
                        out,
                        "      {dim}note:{dim:#} local SQLite would accept this; D1 rejects it"
                    )?;
                }
            }
            for f in &m.findings {
                let (style, word) = match f.severity {
                    Severity::Error => (error, "error"),
                    Severity::Warning => (warn, "warning"),
                    Severity::Info => (dim, "note"),
                };
                let at = f.line.map(|l| format!(":{l}")).unwrap_or_default();
                let suppressed = if f.suppressed { " (allowed)" } else { "" };
                writeln!(
                    out,
                    "      {style}{word}[{}]{style:#}{suppressed} {}{at}: {}",
                    f.rule, m.name, f.message
                )?;
            }
        }
        let diff = &self.schema_diff;
        if !diff.is_empty() {
            writeln!(out, "\n{bold}schema changes{bold:#}")?;
            for o in &diff.added {
                writeln!(out, "  {ok}+ {}{ok:#} {}", o.kind, o.name)?;
            }
            for o in &diff.dropped {
                writeln!(out, "  {error}- {}{error:#} {}", o.kind, o.name)?;
            }
            for c in &diff.changed {
                write!(out, "  {warn}~ {}{warn:#} {}", c.kind, c.name)?;
                let mut parts = Vec::new();
                if !c.columns_added.is_empty() {
                    parts.push(format!("+{}", c.columns_added.join(", +")));
                }
                if !c.columns_dropped.is_empty() {
                    parts.push(format!("-{}", c.columns_dropped.join(", -")));
                }
                if !c.columns_changed.is_empty() {
                    parts.push(format!(
                        "~{}",
                        c.columns_changed
                            .iter()
                            .map(|c| c.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ~")
                    ));
                }
                if parts.is_empty() {
                    writeln!(out)?;
                } else {
                    writeln!(out, " ({})", parts.join(" "))?;
                }
            }
        }
        let risk = &self.data_at_risk;
        if !risk.tables.is_empty() || !risk.columns.is_empty() || !risk.rows_lost.is_empty() {
            writeln!(out, "\n{bold}data at risk{bold:#}")?;
            for t in &risk.tables {
                writeln!(out, "  table {}: {} rows", t.table, t.rows)?;
            }
            for c in &risk.columns {
                writeln!(
                    out,
                    "  column {}.{}: {} non-null values",
                    c.table, c.column, c.non_null_values
                )?;
            }
            for lost in &risk.rows_lost {
                writeln!(out, "  {error}rows lost{error:#} {}", lost.describe())?;
            }
        }
        let checks = &self.checks;
        if self.postgres.is_none() {
            writeln!(
                out,
                "\n{bold}checks{bold:#} {dim}({}){dim:#}: foreign_key_check {}, {} {}",
                checks.scope,
                if checks.foreign_key_violations.is_empty() {
                    "ok".to_owned()
                } else {
                    format!("{} violations", checks.foreign_key_violations.len())
                },
                checks.integrity_pragma,
                if checks.integrity_errors.is_empty() {
                    "ok".to_owned()
                } else {
                    format!("{} problems", checks.integrity_errors.len())
                }
            )?;
            for v in checks.foreign_key_violations.iter().take(10) {
                writeln!(
                    out,
                    "  {warn}foreign key{warn:#} {} row {} -> {}",
                    v.table,
                    v.rowid.map_or_else(|| "?".to_owned(), |r| r.to_string()),
                    v.parent
                )?;
            }
            for line in checks.integrity_errors.iter().take(10) {
                writeln!(out, "  {error}integrity{error:#} {line}")?;
            }
        }
        if let Some(kept) = &self.kept {
            writeln!(out, "migrated copy kept at {kept}")?;
        }
        if let Some(lock) = &self.lock_updated {
            writeln!(out, "lock file updated: {lock}")?;
        }
        let s = &self.summary;
        if s.rows_lost > 0 {
            writeln!(
                out,
                "\n{error}warning: these migrations delete {} rows from {} table(s) that keep their name{error:#} (see \"rows lost\" above{})",
                s.rows_lost,
                self.data_at_risk.rows_lost.len(),
                if self.strict {
                    ""
                } else {
                    "; --strict fails the run on this"
                }
            )?;
        }
        let verdict_style = if self.verdict == Verdict::Ok {
            ok
        } else {
            error
        };
        writeln!(
            out,
            "\n{verdict_style}{}{verdict_style:#}: {} pending ok, {} failed, {} not run, {} already applied; {} lint errors, {} warnings{}",
            self.verdict.label(),
            s.ok,
            s.failed,
            s.not_run,
            s.already_applied,
            s.lint_errors,
            s.lint_warnings,
            if self.verdict == Verdict::TooLarge {
                format!(
                    "; the database would exceed D1's {} byte limit",
                    self.size_limit_bytes
                )
            } else {
                String::new()
            }
        )
    }
}

/// One row of `migrate-dryrun list`.
#[derive(Debug, Clone, Serialize)]
pub struct ListEntry {
    /// File name.
    pub name: String,
    /// `applied`, `applied-file-missing` or `pending`.
    pub status: &'static str,
}

/// The result of `migrate-dryrun list`.
#[derive(Debug, Clone, Serialize)]
pub struct ListReport {
    /// Where the database came from.
    pub source: String,
    /// The migrations directory.
    pub migrations_dir: String,
    /// The migrations table.
    pub table: String,
    /// Applied migrations (in the order they ran), then pending ones (in wrangler's
    /// listing order).
    pub migrations: Vec<ListEntry>,
}

impl Report for ListReport {
    fn exit(&self) -> Exit {
        Exit::Ok
    }

    fn render_human(&self, out: &mut dyn Write, styles: &Styles) -> io::Result<()> {
        let (dim, warn) = (styles.dim, styles.warning);
        let pending = self
            .migrations
            .iter()
            .filter(|m| m.status == "pending")
            .count();
        writeln!(
            out,
            "{} on {} {dim}(table {}){dim:#}",
            self.migrations_dir, self.source, self.table
        )?;
        for m in &self.migrations {
            let style = if m.status == "pending" { warn } else { dim };
            writeln!(out, "  {style}{:<20}{style:#} {}", m.status, m.name)?;
        }
        if pending == 0 {
            writeln!(out, "no migrations to apply")
        } else {
            writeln!(out, "{pending} migration(s) to apply")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_print_as_the_documented_strings() {
        for verdict in [
            Verdict::Ok,
            Verdict::Failed,
            Verdict::LintFailed,
            Verdict::TooLarge,
        ] {
            let json = serde_json::to_string(&verdict).expect("serialize");
            assert_eq!(json, format!("\"{}\"", verdict.label()));
        }
        assert_eq!(
            serde_json::to_string(&Verdict::LintFailed).expect("serialize"),
            "\"lint-failed\""
        );
    }

    #[test]
    fn the_most_serious_verdict_wins() {
        let mut summary = Summary {
            failed: 1,
            lint_errors: 1,
            ..Summary::default()
        };
        assert_eq!(Verdict::of(&summary, 2, 1, true), Verdict::Failed);
        summary.failed = 0;
        assert_eq!(Verdict::of(&summary, 2, 1, true), Verdict::TooLarge);
        assert_eq!(Verdict::of(&summary, 1, 1, true), Verdict::LintFailed);
        assert_eq!(Verdict::of(&summary, 1, 1, false), Verdict::Ok);
    }
}

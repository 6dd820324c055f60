//! Dry runs of Supabase migrations: production (or a dump of it) copied into a
//! throw-away local PostgreSQL, the pending files applied there as `supabase db push`
//! applies them, and the same report as for D1.
//!
//! Production is read through a read-only session (`default_transaction_read_only`) by
//! `pg_dump`, its URL handed over in libpq's environment only. The files are sent over
//! the throw-away server's socket as the CLI sends them: `RESET ALL`, then one
//! extended-protocol pipeline per file holding its statements and its history insert, so
//! that PostgreSQL itself decides what a `COMMIT` or `CREATE INDEX CONCURRENTLY` in the
//! middle of a file does.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use bulwark_core::Progress;
use bulwark_pg::{Client, Connection, LocalServer, Query, ServerMessage, Session, TableCount};
use bulwark_process::Spawned;
use serde::{Deserialize, Serialize};

use crate::MigrateError;
use crate::pgrole::{AppliedAs, ProductionRoles};
use crate::report::{
    Checks, DryRunReport, MigrationError, MigrationReport, Status, Summary, Verdict,
};
use crate::rows::RowsLost;
use crate::schema::{Column, DataAtRisk, Object, Schema, SchemaDiff, TableAtRisk};
use crate::supabase::{self, HISTORY_INSERT, HISTORY_SETUP, HISTORY_TABLE, Mode, Refusal};

/// The database of the throw-away server that holds the copy.
const COPY_DB: &str = "postgres";

/// The roles Supabase projects have, created (without login) in a copy made from a
/// dump file, whose grants and owners name them.
const SUPABASE_ROLES: &[&str] = &[
    "postgres",
    "anon",
    "authenticated",
    "service_role",
    "authenticator",
    "dashboard_user",
    "pgbouncer",
    "supabase_admin",
    "supabase_auth_admin",
    "supabase_storage_admin",
    "supabase_functions_admin",
    "supabase_realtime_admin",
    "supabase_replication_admin",
    "supabase_read_only_user",
];

/// Where the database to copy comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostgresSource {
    /// The database whose `postgres://` URL is in this environment variable.
    Env(String),
    /// A `pg_dump` archive (custom format) or plain SQL dump (`supabase db dump`).
    Dump(PathBuf),
}

impl PostgresSource {
    fn describe(&self, conn: Option<&Connection>) -> String {
        match (self, conn) {
            (Self::Env(var), Some(conn)) => format!("postgres {} (${var})", conn.display()),
            (Self::Env(var), None) => format!("postgres ${var}"),
            (Self::Dump(path), _) => format!("dump {}", path.display()),
        }
    }
}

/// A Postgres dry run.
#[derive(Debug, Clone)]
pub struct PostgresRequest {
    /// The migrations directory (`supabase/migrations`).
    pub migrations_dir: PathBuf,
    /// What to copy.
    pub source: PostgresSource,
    /// Copy the schema only (and the migration history), not the data.
    pub schema_only: bool,
    /// `--strict`.
    pub strict: bool,
}

/// What only a Postgres dry run reports.
#[derive(Debug, Clone, Serialize)]
pub struct PostgresDetails {
    /// The throw-away server's version.
    pub server_version: String,
    /// Whether the copy holds the data or only the schema (`--schema-only`).
    pub schema_only: bool,
    /// Why `supabase db push` would push nothing at all.
    pub refusal: Option<RefusalReport>,
    /// Files in the migrations directory that the CLI skips (not `<digits>_<name>.sql`).
    pub skipped_files: Vec<String>,
    /// The role the pending files ran as in the copy.
    pub applied_as: AppliedAs,
    /// What the copy of a dump got from Bulwark's stand-in of the Supabase platform
    /// (`role anon`, `schema auth`, `table auth.users`, …): empty unless the dump lacked
    /// them.
    pub stand_ins: Vec<String>,
}

/// A refusal and the CLI's message.
#[derive(Debug, Clone, Serialize)]
pub struct RefusalReport {
    /// What and which.
    #[serde(flatten)]
    pub refusal: Refusal,
    /// The CLI's words.
    pub message: String,
}

/// Runs the dry run.
#[expect(
    clippy::too_many_lines,
    reason = "copy, read, refuse or apply, diff and report, in the order they happen"
)]
pub fn run(
    request: &PostgresRequest,
    progress: &dyn Progress,
) -> Result<DryRunReport, MigrateError> {
    let conn = match &request.source {
        PostgresSource::Env(var) => Some(Connection::from_env(var)?.read_only()),
        PostgresSource::Dump(path) if !path.is_file() => {
            return Err(MigrateError::ReadFile {
                path: path.clone(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such dump file"),
            });
        }
        PostgresSource::Dump(_) => None,
    };
    let (local, skipped) = supabase::discover(&request.migrations_dir)?;
    progress.set_message("start a throw-away PostgreSQL");
    let server = LocalServer::start()?;
    let copy = server.client_for(COPY_DB);
    progress.set_message("copy the database");
    let mut stand_ins = Vec::new();
    let production_roles = match (&request.source, &conn) {
        (PostgresSource::Env(_), Some(conn)) => Some(copy_production(
            conn,
            &copy,
            server.superuser(),
            request.schema_only,
        )?),
        (PostgresSource::Dump(path), _) => {
            stand_ins = copy_dump(path, &copy)?;
            None
        }
        (PostgresSource::Env(_), None) => unreachable!("a connection for every Env source"),
    };
    let applied_as = match &production_roles {
        Some(roles) => AppliedAs {
            role: roles.current_user.clone(),
            superuser: roles.applying().is_some_and(|r| r.superuser)
                || roles.current_user == server.superuser(),
            from: "production",
        },
        None => AppliedAs {
            role: server.superuser().to_owned(),
            superuser: true,
            from: "throw-away-superuser",
        },
    };
    let server_version = copy
        .psql("SELECT current_setting('server_version');\n")?
        .trim()
        .to_owned();
    let applied = applied_versions(&copy)?;
    let before = Snapshot::read(&copy)?;
    let mut data_at_risk = DataAtRisk::default();
    let mut reports: Vec<MigrationReport> = Vec::new();
    let mut refusal = None;
    match supabase::pending(&local, &applied) {
        Err(refused) => {
            let mut seen = Vec::new();
            for m in &local {
                let status = if applied.contains(&m.version) && !seen.contains(&&m.version) {
                    seen.push(&m.version);
                    Status::AlreadyApplied
                } else {
                    Status::NotRun
                };
                reports.push(MigrationReport::new(&m.file, status, Vec::new()));
            }
            refusal = Some(RefusalReport {
                message: refused.message(),
                refusal: refused,
            });
        }
        Ok(pending) => {
            for m in local
                .iter()
                .filter(|m| !pending.iter().any(|p| p.file == m.file))
            {
                reports.push(MigrationReport::new(
                    &m.file,
                    Status::AlreadyApplied,
                    Vec::new(),
                ));
            }
            if !pending.is_empty() {
                apply(
                    &server,
                    production_roles.as_ref(),
                    &pending,
                    &before,
                    request.schema_only,
                    progress,
                    &mut reports,
                    &mut data_at_risk,
                )?;
            }
        }
    }
    if !stand_ins.is_empty() {
        note_stand_ins(&local, &stand_ins, &mut reports)?;
    }
    let after = Snapshot::read(&copy)?;
    let schema_diff = SchemaDiff::between(&before.schema, &after.schema);
    for dropped in schema_diff.dropped.iter().filter(|o| o.kind == "table") {
        if let Some(rows) = before.rows.get(&dropped.name) {
            data_at_risk.tables.push(TableAtRisk {
                table: dropped.name.clone(),
                rows: *rows,
            });
        }
    }
    let size_bytes = copy
        .psql(&format!("SELECT pg_database_size('{COPY_DB}');\n"))?
        .trim()
        .parse()
        .unwrap_or(0);
    let mut summary = Summary::of(&reports);
    summary.rows_lost = data_at_risk.rows_lost.iter().map(|r| r.rows_lost).sum();
    let verdict = if refusal.is_some() {
        Verdict::Refused
    } else {
        Verdict::of(&summary, 0, 0, request.strict)
    };
    server.stop();
    Ok(DryRunReport {
        source: request.source.describe(conn.as_ref()),
        migrations_dir: request.migrations_dir.display().to_string(),
        table: HISTORY_TABLE.to_owned(),
        strict: request.strict,
        verdict,
        migrations: reports,
        schema_diff,
        data_at_risk,
        checks: Checks::default(),
        size_bytes,
        size_limit_bytes: 0,
        kept: None,
        lock_updated: None,
        summary,
        postgres: Some(PostgresDetails {
            server_version,
            schema_only: request.schema_only,
            refusal,
            skipped_files: skipped,
            applied_as,
            stand_ins,
        }),
    })
}

/// Adds a `pg-stand-in` finding to each file not yet applied that references a
/// stand-in the copy got (see [`crate::standin`]).
fn note_stand_ins(
    local: &[supabase::LocalMigration],
    stand_ins: &[String],
    reports: &mut [MigrationReport],
) -> Result<(), MigrateError> {
    for report in reports
        .iter_mut()
        .filter(|r| r.status != Status::AlreadyApplied)
    {
        let Some(m) = local.iter().find(|m| m.file == report.name) else {
            continue;
        };
        let text = read_text(&m.path)?;
        let mut found = Vec::new();
        for statement in supabase::split(&text) {
            let code = crate::pglint::code(&statement.text, true);
            found.extend(crate::standin::findings(&code, statement.line, stand_ins));
        }
        crate::lint::suppress(&text, &mut found);
        report.findings.extend(found);
    }
    Ok(())
}

/// Applies `pending` in order, as the CLI does, until one fails: in a session of
/// production's role when `roles` says which (a dump: the copy's superuser).
#[expect(
    clippy::too_many_arguments,
    reason = "the run's state, passed down rather than bundled for one call"
)]
fn apply(
    server: &LocalServer,
    roles: Option<&ProductionRoles>,
    pending: &[&supabase::LocalMigration],
    before: &Snapshot,
    schema_only: bool,
    progress: &dyn Progress,
    reports: &mut Vec<MigrationReport>,
    risk: &mut DataAtRisk,
) -> Result<(), MigrateError> {
    let copy = &server.client_for(COPY_DB);
    let mut session = open_session(server, roles)?;
    // The CLI creates or completes its history table first, in a transaction of its own.
    session.simple("BEGIN")?;
    for sql in HISTORY_SETUP {
        let done = session.simple(sql)?;
        if let Some(err) = done.error {
            return Err(MigrateError::PostgresCopy {
                what: HISTORY_TABLE.to_owned(),
                detail: format!("{} ({})", err.message, err.code),
            });
        }
    }
    session.simple("COMMIT")?;
    let mut rows = before.rows.clone();
    let mut failed = false;
    for m in pending {
        let text = read_text(&m.path)?;
        let statements = supabase::split(&text);
        // Lints look at the tables production has, as the files before this one left them.
        let keyed: BTreeMap<String, u64> = rows
            .iter()
            .filter(|(table, _)| before.rows.contains_key(*table))
            .map(|(table, n)| (crate::pglint::key(table), *n))
            .collect();
        let mut findings = crate::pglint::lint(&statements, &keyed, schema_only);
        crate::lint::suppress(&text, &mut findings);
        if failed {
            reports.push(MigrationReport::new(&m.file, Status::NotRun, findings));
            continue;
        }
        progress.set_message(&m.file);
        let mode = Mode::of(&text, &statements);
        let started = Instant::now();
        session.simple("RESET ALL")?;
        let run = run_file(&mut session, m, &statements, mode)?;
        let mut report = MigrationReport::new(&m.file, Status::Ok, findings);
        report.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
        report.statements = run.completed;
        if let Some((index, err)) = run.error {
            failed = true;
            report.status = Status::Failed;
            let failing = statements.get(index);
            let partial = index > 0
                && (mode != Mode::Transactional
                    || statements[..index]
                        .iter()
                        .any(|s| supabase::runs_alone(&s.text)));
            let hint = if partial && mode == Mode::Transactional {
                Some("CREATE INDEX CONCURRENTLY, VACUUM and the like run on their own: the statements before them were committed and stay applied, the version is not recorded, and the next push runs the whole file again".to_owned())
            } else if partial {
                Some("this file controls its own transactions (BEGIN, COMMIT, …), so supabase db push runs each statement on its own: what ran before the failure outside a BEGIN … COMMIT block stays applied, the version is not recorded, and the next push runs the whole file again".to_owned())
            } else if index == statements.len() && err.code == "23505" {
                Some(format!(
                    "the version {} is already in the history: two files share it, or the file was renamed; give each migration its own version",
                    m.version
                ))
            } else {
                err.hint.clone()
            };
            let mut message = err.message.clone();
            if let Some(detail) = &err.detail {
                message.push_str(": ");
                message.push_str(detail);
            }
            report.error = Some(MigrationError {
                class: err.code.clone(),
                message,
                file: m.path.display().to_string(),
                line: failing.map(|s| s.line_of(err.position)),
                statement: Some(shorten(failing.map_or(HISTORY_INSERT, |s| s.text.as_str()))),
                d1_only: false,
                hint,
            });
        }
        // What the file (or what it committed before failing) removed from tables that
        // keep their name.
        let now = table_rows(copy)?;
        let mut suspects = None;
        for (table, after) in &now {
            if let Some(earlier) = rows.get(table)
                && after < earlier
            {
                let culprit = suspects
                    .get_or_insert_with(|| Suspects::of(&statements))
                    .culprit(table);
                risk.rows_lost.push(RowsLost {
                    table: table.clone(),
                    rows_before: *earlier,
                    rows_after: *after,
                    rows_lost: earlier - after,
                    migration: m.file.clone(),
                    statement: culprit.map_or_else(String::new, |s| shorten(&s.text)),
                    line: culprit.map_or(0, |s| s.line),
                    cascade: None,
                });
            }
        }
        rows = now;
        reports.push(report);
    }
    Ok(())
}

/// A session of the copy as production's role (`roles`), or as its superuser.
fn open_session(
    server: &LocalServer,
    roles: Option<&ProductionRoles>,
) -> Result<Session, MigrateError> {
    let Some(roles) = roles else {
        return Ok(server.session(COPY_DB)?);
    };
    let mut session = server.session_as(COPY_DB, &roles.session_user)?;
    if roles.current_user != roles.session_user {
        let set = format!("SET ROLE {}", bulwark_pg::quote_ident(&roles.current_user));
        if let Some(err) = session.simple(&set)?.error {
            return Err(MigrateError::PostgresCopy {
                what: "the roles".to_owned(),
                detail: format!("{} ({})", err.message, err.code),
            });
        }
    }
    Ok(session)
}

/// What running one file did: statements completed, and the index of the one that
/// failed (`statements.len()` for the history insert) with the server's error.
struct FileRun {
    completed: usize,
    error: Option<(usize, ServerMessage)>,
}

/// Sends one file as the CLI sends it in `mode` (see [`Mode`]).
fn run_file(
    session: &mut Session,
    m: &supabase::LocalMigration,
    statements: &[supabase::Statement],
    mode: Mode,
) -> Result<FileRun, MigrateError> {
    let history = supabase::array_literal(statements);
    let insert = || Query {
        sql: HISTORY_INSERT,
        params: vec![Some(&m.version), Some(&m.name), Some(&history)],
    };
    if mode != Mode::Transactional {
        let cleanup = if mode == Mode::OneByOne {
            "ROLLBACK"
        } else {
            "RESET ALL"
        };
        for (index, statement) in statements.iter().enumerate() {
            if let Some(err) = session.simple(&statement.text)?.error {
                session.simple(cleanup)?;
                return Ok(FileRun {
                    completed: index,
                    error: Some((index, err)),
                });
            }
        }
        if let Some(err) = session.pipeline(&[insert()])?.error {
            session.simple(cleanup)?;
            return Ok(FileRun {
                completed: statements.len(),
                error: Some((statements.len(), err)),
            });
        }
        return Ok(FileRun {
            completed: statements.len(),
            error: None,
        });
    }
    let mut batch: Vec<usize> = Vec::new();
    let flush = |batch: &mut Vec<usize>, last: bool, session: &mut Session| {
        if batch.is_empty() && !last {
            return Ok(None);
        }
        let mut queries: Vec<Query<'_>> = batch
            .iter()
            .map(|i| Query {
                sql: &statements[*i].text,
                params: Vec::new(),
            })
            .collect();
        if last {
            queries.push(insert());
        }
        let outcome = session.pipeline(&queries)?;
        let failed = outcome.error.map(|err| {
            let index = batch
                .get(outcome.completed)
                .copied()
                .unwrap_or(statements.len());
            (index, err)
        });
        batch.clear();
        Ok::<_, MigrateError>(failed)
    };
    for (index, statement) in statements.iter().enumerate() {
        if supabase::runs_alone(&statement.text) {
            if let Some(failed) = flush(&mut batch, false, session)? {
                return Ok(FileRun {
                    completed: failed.0,
                    error: Some(failed),
                });
            }
            if let Some(err) = session.simple(&statement.text)?.error {
                return Ok(FileRun {
                    completed: index,
                    error: Some((index, err)),
                });
            }
        } else {
            batch.push(index);
        }
    }
    let failed = flush(&mut batch, true, session)?;
    Ok(FileRun {
        completed: failed
            .as_ref()
            .map_or(statements.len(), |(index, _)| *index),
        error: failed,
    })
}

/// Whether a statement can remove rows, and how directly (0 first): `DELETE` and
/// `TRUNCATE`, then `DROP`, then `UPDATE` and `WITH`, then `ALTER`.
/// How much a statement can remove, from its tokenized `code`: 0 (`DELETE`,
/// `TRUNCATE`) to 3 (`ALTER`), `None` for a statement that removes nothing.
fn rank(code: &str) -> Option<u8> {
    let first = code.split_whitespace().next().map(str::to_ascii_uppercase);
    match first.as_deref() {
        Some("DELETE" | "TRUNCATE") => Some(0),
        Some("DROP") => Some(1),
        Some("UPDATE" | "WITH") => Some(2),
        Some("ALTER") => Some(3),
        _ => None,
    }
}

/// The destructive statements of a file, each tokenized once (comments and string
/// literals removed): its rank and the tables its words could name.
struct Suspects<'s>(Vec<(u8, &'s supabase::Statement, BTreeSet<String>)>);

impl<'s> Suspects<'s> {
    fn of(statements: &'s [supabase::Statement]) -> Self {
        Self(
            statements
                .iter()
                .filter_map(|s| {
                    let code = crate::pglint::code(&s.text, false);
                    let rank = rank(&code)?;
                    let names = code
                        .split_whitespace()
                        .map(|word| crate::pglint::key(&crate::pglint::clean(word)))
                        .collect();
                    Some((rank, s, names))
                })
                .collect(),
        )
    }

    /// The statement to name for `table`'s lost rows: the most destructive one that
    /// names the table, else, for rows a cascade or a trigger removed, the most
    /// destructive one of the file.
    fn culprit(&self, table: &str) -> Option<&'s supabase::Statement> {
        let wanted = crate::pglint::key(table);
        let most = |naming: bool| {
            self.0
                .iter()
                .filter(|(_, _, names)| !naming || names.contains(&wanted))
                .min_by_key(|(rank, ..)| *rank)
                .map(|(_, s, _)| *s)
        };
        most(true).or_else(|| most(false))
    }
}

fn shorten(sql: &str) -> String {
    const MAX: usize = 300;
    if sql.chars().count() <= MAX {
        sql.to_owned()
    } else {
        let mut short: String = sql.chars().take(MAX).collect();
        short.push('…');
        short
    }
}

fn read_text(path: &Path) -> Result<String, MigrateError> {
    let bytes = std::fs::read(path).map_err(|source| MigrateError::ReadFile {
        path: path.to_owned(),
        source,
    })?;
    String::from_utf8(bytes).map_err(|_| MigrateError::ReadFile {
        path: path.to_owned(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8"),
    })
}

/// The applied versions, sorted, or none when the history table does not exist (the CLI
/// treats it so).
fn applied_versions(copy: &Client) -> Result<Vec<String>, MigrateError> {
    let exists = copy.psql(&format!(
        "SELECT to_regclass('{HISTORY_TABLE}') IS NOT NULL;\n"
    ))?;
    if exists.trim() != "t" {
        return Ok(Vec::new());
    }
    let out = copy.psql(&format!(
        "SELECT coalesce(json_agg(version ORDER BY version), '[]'::json) FROM {HISTORY_TABLE};\n"
    ))?;
    serde_json::from_str(out.trim()).map_err(|err| MigrateError::PostgresCopy {
        what: HISTORY_TABLE.to_owned(),
        detail: format!("unreadable versions: {err}"),
    })
}

/// Copies production into `copy`: its roles with their attributes and memberships,
/// the database's owner and privileges, then `pg_dump` in one read-only snapshot piped
/// into `pg_restore` with the objects' owners and grants; with `schema_only`, the schema
/// and the migration history's rows.
fn copy_production(
    conn: &Connection,
    copy: &Client,
    superuser: &str,
    schema_only: bool,
) -> Result<ProductionRoles, MigrateError> {
    let source = Client::new(conn);
    let roles = ProductionRoles::read(&source)?;
    roles.mirror(copy, superuser)?;
    roles.grant_database(copy, COPY_DB)?;
    let holder = source.hold_snapshot()?;
    let copied = (|| {
        let mut first: Vec<std::ffi::OsString> = Vec::new();
        if schema_only {
            first.push("--schema-only".into());
        }
        pipe(&source, &holder.id, &first, copy, &[], &conn.display())?;
        if schema_only {
            let has_history = source.psql(&format!(
                "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;\nSET TRANSACTION SNAPSHOT '{}';\nSELECT to_regclass('{HISTORY_TABLE}') IS NOT NULL;\nCOMMIT;\n",
                holder.id
            ))?;
            if has_history.trim() == "t" {
                let args = [
                    "--data-only".into(),
                    format!("--table={HISTORY_TABLE}").into(),
                ];
                pipe(
                    &source,
                    &holder.id,
                    &args,
                    copy,
                    &["--data-only", "--no-owner", "--no-acl"],
                    &conn.display(),
                )?;
            }
        }
        Ok::<(), MigrateError>(())
    })();
    let released = holder.release(&source);
    copied?;
    released?;
    Ok(roles)
}

/// `pg_dump` of `snapshot` (custom format, `dump_args`) into `pg_restore` of `copy`
/// (owners and grants restored unless `restore_args` say otherwise).
fn pipe(
    source: &Client,
    snapshot: &str,
    dump_args: &[std::ffi::OsString],
    copy: &Client,
    restore_args: &[&str],
    what: &str,
) -> Result<(), MigrateError> {
    let mut dump = source.dump(snapshot, dump_args)?;
    let mut restore = copy.restore(restore_args)?;
    let mut out = dump.stdout.take().expect("stdout was piped");
    let mut into = restore.stdin.take().expect("stdin was piped");
    let copied = std::io::copy(&mut out, &mut into);
    drop(into);
    drop(out);
    let dumped = dump
        .wait(source.runner(), None)
        .map_err(bulwark_pg::PgError::from)?;
    let restored = restore
        .wait(copy.runner(), None)
        .map_err(bulwark_pg::PgError::from)?;
    if !dumped.status.success() {
        return Err(MigrateError::PostgresCopy {
            what: what.to_owned(),
            detail: format!(
                "pg_dump failed ({}): {}",
                dumped.status,
                bulwark_process::summary(&dumped.stderr)
            ),
        });
    }
    if !restored.status.success() || copied.is_err() {
        return Err(MigrateError::PostgresCopy {
            what: what.to_owned(),
            detail: format!(
                "pg_restore failed ({}): {}",
                restored.status,
                bulwark_process::summary(&restored.stderr)
            ),
        });
    }
    Ok(())
}

/// Restores a dump file: a custom-format archive with `pg_restore`, plain SQL with
/// `psql`, stopping at the first error either way; first the Supabase roles and the
/// stand-ins of the platform's schemas the dump lacks, which it returns.
fn copy_dump(path: &Path, copy: &Client) -> Result<Vec<String>, MigrateError> {
    let mut file = std::fs::File::open(path).map_err(|source| MigrateError::ReadFile {
        path: path.to_owned(),
        source,
    })?;
    let mut magic = [0_u8; 5];
    let archive = file.read_exact(&mut magic).is_ok() && &magic == b"PGDMP";
    drop(file);
    let mut file = std::fs::File::open(path).map_err(|source| MigrateError::ReadFile {
        path: path.to_owned(),
        source,
    })?;
    let roles: Vec<String> = SUPABASE_ROLES.iter().map(|r| (*r).to_owned()).collect();
    create_roles(copy, &roles)?;
    let present = crate::standin::schemas_in_dump(path, archive, copy)?;
    let stand_ins = crate::standin::create(copy, COPY_DB, &present)?;
    let (mut process, program): (Spawned, &str) = if archive {
        (copy.restore(&["--no-owner", "--no-acl"])?, "pg_restore")
    } else {
        (copy.psql_from_stdin()?, "psql")
    };
    let mut into = process.stdin.take().expect("stdin was piped");
    let copied = std::io::copy(&mut file, &mut into);
    drop(into);
    let exited = process
        .wait(copy.runner(), None)
        .map_err(bulwark_pg::PgError::from)?;
    if !exited.status.success() || copied.is_err() {
        return Err(MigrateError::PostgresCopy {
            what: path.display().to_string(),
            detail: format!(
                "{program} failed ({}): {}",
                exited.status,
                bulwark_process::summary(&exited.stderr)
            ),
        });
    }
    Ok(stand_ins)
}

/// Creates each of `roles` that does not exist, without login.
fn create_roles(copy: &Client, roles: &[String]) -> Result<(), MigrateError> {
    if roles.is_empty() {
        return Ok(());
    }
    let mut script = String::new();
    for role in roles {
        let _ = writeln!(
            script,
            "DO $bulwark$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {}) THEN CREATE ROLE {} NOLOGIN; END IF; END $bulwark$;",
            bulwark_pg::quote_literal(role),
            bulwark_pg::quote_ident(role),
        );
    }
    copy.psql(&script)?;
    Ok(())
}

/// Exact row counts of every user table, by `schema.table`.
fn table_rows(copy: &Client) -> Result<BTreeMap<String, u64>, MigrateError> {
    let stats = copy.stats(None)?;
    Ok(stats
        .tables
        .into_iter()
        .filter(|t: &TableCount| t.name != HISTORY_TABLE)
        .map(|t| (t.name, t.rows))
        .collect())
}

/// The schema and the rows of the copy at one moment.
struct Snapshot {
    schema: Schema,
    rows: BTreeMap<String, u64>,
}

impl Snapshot {
    fn read(copy: &Client) -> Result<Self, MigrateError> {
        Ok(Self {
            schema: read_schema(copy)?,
            rows: table_rows(copy)?,
        })
    }
}

#[derive(Deserialize)]
struct CatalogRow {
    kind: String,
    name: String,
    table: String,
    sql: Option<String>,
    #[serde(default)]
    columns: Vec<CatalogColumn>,
}

#[derive(Deserialize)]
struct CatalogColumn {
    name: String,
    #[serde(rename = "type")]
    decl_type: String,
    not_null: bool,
    default: Option<String>,
    pk: i64,
}

/// Objects outside PostgreSQL's own schemas and the history's, not owned by an extension.
const CATALOG: &str = r"
WITH ns AS (SELECT oid, nspname FROM pg_namespace
  WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'supabase_migrations')
  AND nspname NOT LIKE 'pg\_toast%' AND nspname NOT LIKE 'pg\_temp\_%'),
ext AS (SELECT classid, objid FROM pg_depend WHERE deptype = 'e')
SELECT json_build_object('kind', CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view'
  WHEN 'S' THEN 'sequence' WHEN 'f' THEN 'foreign table' ELSE 'table' END,
  'name', format('%I.%I', n.nspname, c.relname), 'table', format('%I.%I', n.nspname, c.relname),
  'sql', CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) ELSE '' END,
  'columns', (SELECT coalesce(json_agg(json_build_object('name', a.attname,
     'type', format_type(a.atttypid, a.atttypmod), 'not_null', a.attnotnull,
     'default', pg_get_expr(d.adbin, d.adrelid),
     'pk', coalesce(array_position(pk.conkey, a.attnum), 0)) ORDER BY a.attnum), '[]'::json)
   FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
   LEFT JOIN pg_constraint pk ON pk.conrelid = c.oid AND pk.contype = 'p'
   WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped))
FROM pg_class c JOIN ns n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
  AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_class'::regclass AND ext.objid = c.oid)
UNION ALL
SELECT json_build_object('kind', 'index', 'name', format('%I.%I', n.nspname, c.relname),
  'table', format('%I.%I', n.nspname, t.relname), 'sql', pg_get_indexdef(c.oid))
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
JOIN ns n ON n.oid = c.relnamespace
WHERE NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_class'::regclass AND ext.objid = t.oid)
UNION ALL
SELECT json_build_object('kind', 'constraint', 'name', format('%I.%I.%I', n.nspname, t.relname, k.conname),
  'table', format('%I.%I', n.nspname, t.relname), 'sql', pg_get_constraintdef(k.oid))
FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid JOIN ns n ON n.oid = t.relnamespace
WHERE k.contype IN ('c', 'f', 'x')
  AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_class'::regclass AND ext.objid = t.oid)
UNION ALL
SELECT json_build_object('kind', CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' ELSE 'function' END,
  'name', format('%I.%s', n.nspname, p.oid::regprocedure::text), 'table', '',
  'sql', CASE WHEN p.prokind IN ('f', 'p', 'w') THEN pg_get_functiondef(p.oid) ELSE '' END)
FROM pg_proc p JOIN ns n ON n.oid = p.pronamespace
WHERE NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_proc'::regclass AND ext.objid = p.oid)
UNION ALL
SELECT json_build_object('kind', 'trigger', 'name', format('%I.%I.%I', n.nspname, t.relname, g.tgname),
  'table', format('%I.%I', n.nspname, t.relname), 'sql', pg_get_triggerdef(g.oid))
FROM pg_trigger g JOIN pg_class t ON t.oid = g.tgrelid JOIN ns n ON n.oid = t.relnamespace
WHERE NOT g.tgisinternal
UNION ALL
SELECT json_build_object('kind', 'policy', 'name', format('%I.%I.%I', n.nspname, t.relname, p.polname),
  'table', format('%I.%I', n.nspname, t.relname),
  'sql', concat_ws(' ', p.polcmd, p.polpermissive, p.polroles::regrole[]::text,
    pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid)))
FROM pg_policy p JOIN pg_class t ON t.oid = p.polrelid JOIN ns n ON n.oid = t.relnamespace
UNION ALL
SELECT json_build_object('kind', 'type', 'name', format('%I.%I', n.nspname, y.typname), 'table', '',
  'sql', CASE y.typtype WHEN 'e' THEN (SELECT string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = y.oid)
    WHEN 'd' THEN format_type(y.typbasetype, y.typtypmod) ELSE '' END)
FROM pg_type y JOIN ns n ON n.oid = y.typnamespace
WHERE y.typtype IN ('e', 'd')
  AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_type'::regclass AND ext.objid = y.oid)
UNION ALL
SELECT json_build_object('kind', 'schema', 'name', format('%I', n.nspname), 'table', '', 'sql', '')
FROM ns n WHERE n.nspname <> 'public'
  AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_namespace'::regclass AND ext.objid = n.oid)
UNION ALL
SELECT json_build_object('kind', 'extension', 'name', format('%I', e.extname), 'table', '', 'sql', e.extversion)
FROM pg_extension e WHERE e.extname <> 'plpgsql';
";

fn read_schema(copy: &Client) -> Result<Schema, MigrateError> {
    let out = copy.psql(CATALOG)?;
    let mut objects = BTreeMap::new();
    for line in out.lines().filter(|l| !l.trim().is_empty()) {
        let row: CatalogRow =
            serde_json::from_str(line).map_err(|err| MigrateError::PostgresCopy {
                what: "the schema".to_owned(),
                detail: format!("unreadable catalog row: {err}"),
            })?;
        objects.insert(
            row.name,
            Object {
                kind: row.kind,
                table: row.table,
                sql: crate::schema::normalise(row.sql.as_deref().unwrap_or("")),
                columns: row
                    .columns
                    .into_iter()
                    .map(|c| Column {
                        name: c.name,
                        decl_type: c.decl_type,
                        not_null: c.not_null,
                        default: c.default,
                        primary_key: c.pk,
                    })
                    .collect(),
            },
        );
    }
    Ok(Schema { objects })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn destructive(sql: &str) -> Option<u8> {
        rank(&crate::pglint::code(sql, false))
    }

    #[test]
    fn destructive_statements_are_recognised() {
        assert_eq!(destructive("delete from t"), Some(0));
        assert_eq!(destructive("-- x\ntruncate t"), Some(0));
        assert_eq!(destructive("alter table t add column c int"), Some(3));
        assert_eq!(destructive("insert into t values (1)"), None);
        assert_eq!(destructive("/* tidy up */ delete from t"), Some(0));
        assert_eq!(destructive("insert into t values ('-- x') -- delete"), None);
    }

    /// The statement named for a table's lost rows is one that names the table, not the
    /// first destructive statement of the file.
    #[test]
    fn the_culprit_of_lost_rows_names_the_table() {
        let statements: Vec<supabase::Statement> = [
            (1, "DELETE FROM public.logs"),
            (2, "/* keep the first */ DELETE FROM \"Users\" WHERE id > 1"),
            (3, "UPDATE notes SET body = 'delete from users'"),
            (4, "TRUNCATE audit"),
        ]
        .into_iter()
        .map(|(line, text)| supabase::Statement {
            text: text.to_owned(),
            line,
        })
        .collect();
        let suspects = Suspects::of(&statements);
        let line = |table: &str| suspects.culprit(table).map(|s| s.line);
        assert_eq!(line("public.\"Users\""), Some(2));
        assert_eq!(line("public.logs"), Some(1));
        assert_eq!(line("public.audit"), Some(4));
        // A string that spells a table's name does not make its statement the culprit.
        assert_eq!(line("public.users"), Some(1));
        // A cascade: no statement names the child; the most destructive one is named.
        assert_eq!(line("public.comments"), Some(1));
    }
}

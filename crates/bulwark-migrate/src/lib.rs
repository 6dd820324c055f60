//! Dry runs of D1 migrations: wrangler's discovery and order, D1's rules on a private copy
//! of the database, lint, schema diff, data at risk and the checks SQLite offers.
//!
//! [`run`] applies the pending migrations of a [`Request`] to a copy and returns a
//! [`report::DryRunReport`]; [`list`] only reads which migrations are applied. The source
//! database is never written: it is opened read-only and copied.
#![expect(
    clippy::doc_markdown,
    reason = "SQLite, TimSort and D1 are names in prose here, not code"
)]

pub mod d1;
pub mod discover;
pub mod lint;
pub mod lock;
pub mod report;
pub mod schema;
pub mod snapshot;
pub mod split;

use std::path::{Path, PathBuf};

use bulwark_config::{Config, ConfigError, WranglerConfig};
use bulwark_core::{Exit, Failure, Progress};
use rusqlite::Connection;

use crate::d1::D1Connection;
use crate::discover::MigrationFile;
use crate::lint::Finding;
use crate::report::{
    Checks, DryRunReport, ForeignKeyViolation, ListEntry, ListReport, MigrationReport, Status,
    Summary,
};
use crate::schema::{DataAtRisk, Schema, SchemaDiff};
pub use crate::snapshot::Source;

/// Databases up to this size get full `foreign_key_check` and `integrity_check`; larger
/// ones are checked on the tables the migrations touched.
const FULL_CHECK_BYTES: u64 = 256 * 1024 * 1024;

/// Why a dry run could not be done (exit 2 for bad input, 3 for a failed operation).
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// A config file is missing or wrong.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// No D1 binding matches.
    #[error("no D1 database {wanted} in {}{}", config.display(), env.as_deref().map(|e| format!(" (env.{e})")).unwrap_or_default())]
    NoDatabase {
        /// The wrangler config.
        config: PathBuf,
        /// `--env`.
        env: Option<String>,
        /// What was asked for.
        wanted: String,
        /// The bindings there are.
        known: Vec<String>,
    },
    /// `--local` or `--export-remote` need a wrangler config.
    #[error("{flag} needs the wrangler config that declares the D1 binding")]
    NeedsWranglerConfig {
        /// The flag.
        flag: &'static str,
    },
    /// The migrations directory could not be read.
    #[error("failed to read the migrations directory {}", path.display())]
    ReadDir {
        /// The directory.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// A migration file's name is not UTF-8.
    #[error("the file name of {} is not UTF-8", path.display())]
    NonUtf8Name {
        /// The file.
        path: PathBuf,
    },
    /// A file could not be read.
    #[error("failed to read {}", path.display())]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// A file could not be written.
    #[error("failed to write {}", path.display())]
    WriteFile {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// The snapshot file does not exist.
    #[error("no database file at {}", path.display())]
    NoSnapshot {
        /// The path given.
        path: PathBuf,
    },
    /// Wrangler has no local state for the binding.
    #[error("no local D1 state at {}", path.display())]
    NoLocalState {
        /// Where wrangler would keep it.
        path: PathBuf,
    },
    /// The snapshot is not a SQLite database, or a damaged one.
    #[error("{} is not a usable SQLite database", path.display())]
    BadSnapshot {
        /// The file.
        path: PathBuf,
        /// What SQLite said.
        #[source]
        source: rusqlite::Error,
    },
    /// The dump could not be loaded.
    #[error("failed to load the SQL dump {}", path.display())]
    BadDump {
        /// The dump.
        path: PathBuf,
        /// What SQLite said.
        #[source]
        source: rusqlite::Error,
    },
    /// The lock file is malformed.
    #[error("{}:{line}: expected `<sha256>  <file name>`", path.display())]
    BadLock {
        /// The lock file.
        path: PathBuf,
        /// The line.
        line: usize,
    },
    /// `--keep` would overwrite a file.
    #[error("{} already exists; --keep never overwrites a file", path.display())]
    KeepExists {
        /// The path given.
        path: PathBuf,
    },
    /// A SQLite operation on a file failed.
    #[error("failed to {action} {}", path.display())]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// What was being done.
        action: &'static str,
        /// What SQLite said.
        #[source]
        source: rusqlite::Error,
    },
    /// The migrations table exists but cannot be read as wrangler's.
    #[error("cannot read the migrations table {table}")]
    MigrationsTable {
        /// The table.
        table: String,
        /// What SQLite said.
        #[source]
        source: rusqlite::Error,
    },
    /// `wrangler d1 export --remote` failed.
    #[error("{detail}")]
    Wrangler {
        /// What happened.
        detail: String,
    },
    /// Another I/O failure.
    #[error("failed to {action}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
}

impl Failure for MigrateError {
    fn exit(&self) -> Exit {
        match self {
            Self::Config(err) => err.exit(),
            Self::NoDatabase { .. }
            | Self::NeedsWranglerConfig { .. }
            | Self::ReadDir { .. }
            | Self::NonUtf8Name { .. }
            | Self::ReadFile { .. }
            | Self::NoSnapshot { .. }
            | Self::NoLocalState { .. }
            | Self::BadSnapshot { .. }
            | Self::BadDump { .. }
            | Self::BadLock { .. }
            | Self::KeepExists { .. }
            | Self::MigrationsTable { .. } => Exit::Usage,
            Self::WriteFile { .. }
            | Self::Sqlite { .. }
            | Self::Wrangler { .. }
            | Self::Io { .. } => Exit::Operational,
        }
    }

    fn hint(&self) -> Option<String> {
        Some(match self {
            Self::Config(err) => return err.hint(),
            Self::NoDatabase { known, .. } if known.is_empty() => {
                "declare the database under d1_databases, or pass --migrations DIR".to_owned()
            }
            Self::NoDatabase { known, .. } => {
                format!("pass --database with one of: {}", known.join(", "))
            }
            Self::NeedsWranglerConfig { .. } => {
                "pass --wrangler-config FILE, or run from the directory that holds it".to_owned()
            }
            Self::ReadDir { .. } => {
                "check --migrations, or migrations_dir in the wrangler config".to_owned()
            }
            Self::NonUtf8Name { .. } => "rename the file with a UTF-8 name".to_owned(),
            Self::ReadFile { .. } => "check that the file exists and is readable".to_owned(),
            Self::NoSnapshot { .. } => {
                "pass a SQLite file to --snapshot, or a `wrangler d1 export` file to --dump".to_owned()
            }
            Self::NoLocalState { .. } => {
                "run `wrangler d1 migrations apply --local` or `wrangler dev` first, or use --snapshot".to_owned()
            }
            Self::BadSnapshot { .. } => {
                "pass a SQLite database file (for a `wrangler d1 export` .sql file, use --dump)".to_owned()
            }
            Self::BadDump { .. } => {
                "make the dump with `wrangler d1 export DB --remote --output FILE.sql`".to_owned()
            }
            Self::BadLock { .. } => {
                "fix the line, or delete the lock file and rebuild it with --update-lock".to_owned()
            }
            Self::KeepExists { .. } => "choose a new file name for --keep".to_owned(),
            Self::MigrationsTable { .. } => {
                "check --table, or migrations_table in the wrangler config".to_owned()
            }
            Self::Wrangler { .. } => {
                "check `wrangler whoami` and the database name; or export yourself and pass --dump".to_owned()
            }
            Self::Sqlite { .. } | Self::WriteFile { .. } | Self::Io { .. } => {
                "check free space and permissions of the temporary directory".to_owned()
            }
        })
    }
}

/// What the user asked for, before config files are read (plain data: no clap here).
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// `--config` (bulwark.toml); without it, one is looked for from `cwd` upwards.
    pub bulwark_config: Option<PathBuf>,
    /// `--wrangler-config`.
    pub wrangler_config: Option<PathBuf>,
    /// `--env`.
    pub env: Option<String>,
    /// `--database`.
    pub database: Option<String>,
    /// `--migrations`.
    pub migrations: Option<PathBuf>,
    /// `--table`.
    pub table: Option<String>,
    /// `--snapshot`.
    pub snapshot: Option<PathBuf>,
    /// `--dump`.
    pub dump: Option<PathBuf>,
    /// `--local`.
    pub local: bool,
    /// `--export-remote`.
    pub export_remote: bool,
}

/// A fully resolved dry run.
#[derive(Debug, Clone)]
pub struct Request {
    /// The migrations directory.
    pub migrations_dir: PathBuf,
    /// The migrations table.
    pub table: String,
    /// The database to start from.
    pub source: Source,
    /// `--strict`: lint errors fail the run.
    pub strict: bool,
    /// `--keep FILE`.
    pub keep: Option<PathBuf>,
    /// `--lock FILE`.
    pub lock: Option<PathBuf>,
    /// `--update-lock`: record checksums of applied files that the lock lacks.
    pub update_lock: bool,
}

impl Request {
    /// Resolves `inputs` against bulwark.toml and the wrangler config, from `cwd`.
    #[expect(
        clippy::too_many_lines,
        reason = "flags, then bulwark.toml, then the wrangler binding, in one place"
    )]
    pub fn resolve(inputs: &Inputs, cwd: &Path) -> Result<Self, MigrateError> {
        let config = match &inputs.bulwark_config {
            Some(path) => Some(Config::load(path)?),
            None => match Config::discover(cwd) {
                Ok(config) => Some(config),
                Err(ConfigError::NotFound { .. }) => None,
                Err(err) => return Err(err.into()),
            },
        };
        let settings = config.map(|c| c.migrations).unwrap_or_default();
        let database = inputs.database.clone().or(settings.database);
        let wrangler_path = match inputs.wrangler_config.clone().or(settings.wrangler_config) {
            Some(path) => Some(path),
            None => WranglerConfig::find(cwd).ok(),
        };
        let explicit_dir = inputs.migrations.clone().or(settings.dir);
        let explicit_table = inputs.table.clone().or(settings.table);
        let mut binding = None;
        let mut preview_id = None;
        let mut base_dir = cwd.to_owned();
        // The wrangler config is needed unless --migrations says where the files are and
        // the source does not depend on the binding.
        let needs_wrangler = explicit_dir.is_none() || inputs.local || inputs.export_remote;
        if let Some(path) = wrangler_path
            .as_ref()
            .filter(|_| needs_wrangler || database.is_some())
        {
            let wrangler = WranglerConfig::load(path)?;
            let env = inputs.env.as_deref();
            let found = wrangler.d1_database(env, database.as_deref()).cloned();
            let Some(found) = found else {
                return Err(MigrateError::NoDatabase {
                    config: path.clone(),
                    env: inputs.env.clone(),
                    wanted: database
                        .clone()
                        .unwrap_or_else(|| "(the only one)".to_owned()),
                    known: wrangler
                        .env(env)
                        .map(|e| e.d1_databases.iter().map(|d| d.binding.clone()).collect())
                        .unwrap_or_default(),
                });
            };
            // wrangler's local mode names the database by preview_database_id when set.
            if let Some(table) = wrangler.env(env) {
                let index = table.d1_databases.iter().position(|d| *d == found);
                preview_id = index.and_then(|i| {
                    wrangler
                        .document
                        .pointer(&format!(
                            "{}/d1_databases/{i}/preview_database_id",
                            table.pointer
                        ))
                        .and_then(serde_json::Value::as_str)
                        .map(str::to_owned)
                });
            }
            base_dir = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .map_or_else(|| cwd.to_owned(), Path::to_path_buf);
            binding = Some(found);
        } else if needs_wrangler && explicit_dir.is_none() {
            return Err(MigrateError::NeedsWranglerConfig {
                flag: "finding the migrations",
            });
        }
        let migrations_dir = match (&explicit_dir, &binding) {
            (Some(dir), _) => dir.clone(),
            (None, Some(db)) => {
                base_dir.join(non_empty(db.migrations_dir.as_deref()).unwrap_or("migrations"))
            }
            (None, None) => PathBuf::from("migrations"),
        };
        // Paths in the report read as the user would type them.
        let migrations_dir = migrations_dir
            .strip_prefix(cwd)
            .map_or(migrations_dir.clone(), Path::to_path_buf);
        let base_dir = base_dir
            .strip_prefix(cwd)
            .map_or(base_dir.clone(), Path::to_path_buf);
        let table = explicit_table
            .or_else(|| {
                binding
                    .as_ref()
                    .and_then(|db| non_empty(db.migrations_table.as_deref()).map(str::to_owned))
            })
            .unwrap_or_else(|| bulwark_config::DEFAULT_MIGRATIONS_TABLE.to_owned());
        let source = if let Some(path) = &inputs.snapshot {
            Source::File(path.clone())
        } else if let Some(path) = &inputs.dump {
            Source::Dump(path.clone())
        } else if inputs.local {
            let db = binding
                .as_ref()
                .ok_or(MigrateError::NeedsWranglerConfig { flag: "--local" })?;
            Source::Local {
                state_dir: base_dir.join(".wrangler/state"),
                database_id: preview_id
                    .clone()
                    .or_else(|| db.database_id.clone())
                    .unwrap_or_else(|| db.binding.clone()),
            }
        } else if inputs.export_remote {
            let db = binding.as_ref().ok_or(MigrateError::NeedsWranglerConfig {
                flag: "--export-remote",
            })?;
            Source::ExportRemote {
                config: wrangler_path.clone().unwrap_or_default(),
                env: inputs.env.clone(),
                database: db.binding.clone(),
            }
        } else {
            Source::Empty
        };
        Ok(Self {
            migrations_dir,
            table,
            source,
            strict: false,
            keep: None,
            lock: None,
            update_lock: false,
        })
    }
}

/// Wrangler treats an empty `migrations_dir`/`migrations_table` as unset.
fn non_empty(value: Option<&str>) -> Option<&str> {
    value.filter(|v| !v.is_empty())
}

fn sqlite_err(path: &Path, action: &'static str) -> impl FnOnce(rusqlite::Error) -> MigrateError {
    let path = path.to_owned();
    move |source| MigrateError::Sqlite {
        path,
        action,
        source,
    }
}

/// Reads the applied migration names, oldest first, as wrangler does; `None` when the
/// table does not exist yet.
fn applied_names(conn: &Connection, table: &str) -> Result<Vec<String>, MigrateError> {
    let exists: bool = conn
        .query_row(
            "SELECT count(*) > 0 FROM sqlite_schema WHERE type = 'table' AND name = ?1",
            [table],
            |row| row.get(0),
        )
        .map_err(|source| MigrateError::MigrationsTable {
            table: table.to_owned(),
            source,
        })?;
    if !exists {
        return Ok(Vec::new());
    }
    let read = || -> rusqlite::Result<Vec<String>> {
        let mut statement = conn.prepare(&format!(
            "SELECT name FROM {} ORDER BY id",
            schema::quote(table)
        ))?;
        let names = statement.query_map([], |row| row.get::<_, Option<String>>(0))?;
        let mut out = Vec::new();
        for name in names {
            if let Some(name) = name? {
                out.push(name);
            }
        }
        Ok(out)
    };
    read().map_err(|source| MigrateError::MigrationsTable {
        table: table.to_owned(),
        source,
    })
}

/// Lists applied and pending migrations, like `wrangler d1 migrations list`.
pub fn list(request: &Request, progress: &dyn Progress) -> Result<ListReport, MigrateError> {
    let files = discover::list_migrations(&request.migrations_dir)?;
    let applied = match &request.source {
        Source::Empty => Vec::new(),
        Source::File(path) => applied_names(&snapshot::open_read_only(path)?, &request.table)?,
        Source::Local { .. } => {
            let path = request
                .source
                .local_file()
                .expect("a local source has a file");
            if !path.is_file() {
                return Err(MigrateError::NoLocalState { path });
            }
            applied_names(&snapshot::open_read_only(&path)?, &request.table)?
        }
        Source::Dump(_) | Source::ExportRemote { .. } => {
            let work = snapshot::prepare(&request.source, progress)?;
            let conn = snapshot::open_read_only(&work.copy)?;
            applied_names(&conn, &request.table)?
        }
    };
    let mut entries: Vec<ListEntry> = applied
        .iter()
        .map(|name| ListEntry {
            name: name.clone(),
            status: if files.iter().any(|f| &f.name == name) {
                "applied"
            } else {
                "applied-file-missing"
            },
        })
        .collect();
    entries.extend(
        files
            .iter()
            .filter(|f| !applied.contains(&f.name))
            .map(|f| ListEntry {
                name: f.name.clone(),
                status: "pending",
            }),
    );
    Ok(ListReport {
        source: request.source.describe(),
        migrations_dir: request.migrations_dir.display().to_string(),
        table: request.table.clone(),
        migrations: entries,
    })
}

/// Applies the pending migrations of `request` to a private copy and reports.
#[expect(
    clippy::too_many_lines,
    reason = "the dry run's phases in order: copy, applied, pending, checks, keep, lock"
)]
pub fn run(request: &Request, progress: &dyn Progress) -> Result<DryRunReport, MigrateError> {
    if let Some(keep) = &request.keep
        && keep.exists()
    {
        return Err(MigrateError::KeepExists { path: keep.clone() });
    }
    let files = discover::list_migrations(&request.migrations_dir)?;
    let lock = match &request.lock {
        Some(path) => Some(lock::Lock::read(path)?),
        None => None,
    };
    progress.set_message("copying the database");
    let work = snapshot::prepare(&request.source, progress)?;
    let db = D1Connection::open(&work.copy).map_err(sqlite_err(&work.copy, "open"))?;
    // wrangler creates the table first, in a batch of its own.
    db.trusted(|conn| {
        conn.execute_batch(&format!(
            "CREATE TABLE IF NOT EXISTS {}(\n\t\tid         INTEGER PRIMARY KEY AUTOINCREMENT,\n\t\tname       TEXT UNIQUE,\n\t\tapplied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL\n);",
            request.table
        ))
    })
    .map_err(|source| MigrateError::MigrationsTable {
        table: request.table.clone(),
        source,
    })?;
    let applied = db.trusted(|conn| applied_names(conn, &request.table))?;
    let schema_before = db
        .trusted(|conn| Schema::read(conn, &request.table))
        .map_err(sqlite_err(&work.copy, "read the schema of"))?;

    let mut reports = Vec::new();
    let mut pending: Vec<MigrationFile> = Vec::new();
    let mut new_lock = lock.clone();
    for file in &files {
        if applied.contains(&file.name) {
            let mut findings = Vec::new();
            if let Some(lock) = &lock {
                let bytes = read_file(&file.path)?;
                let sum = lock::checksum(&bytes);
                match lock.entries.get(&file.name) {
                    Some(recorded) if *recorded != sum => findings.push(Finding::new(
                        "changed-after-apply",
                        format!("{} changed after it was applied (lock has {}…, file is {}…); wrangler will not run it again", file.name, &recorded[..12], &sum[..12]),
                        None,
                    )),
                    Some(_) => {}
                    None => {
                        if let Some(new_lock) = &mut new_lock {
                            new_lock.entries.insert(file.name.clone(), sum);
                        }
                    }
                }
            }
            reports.push(MigrationReport::new(
                &file.name,
                Status::AlreadyApplied,
                findings,
            ));
        } else {
            pending.push(file.clone());
        }
    }
    discover::apply_order(&mut pending);

    let mut failed = false;
    let mut current = schema_before.clone();
    for file in &pending {
        let bytes = read_file(&file.path)?;
        // Node reads the file as UTF-8, replacing invalid bytes.
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let mut findings = lint::lint_file(&text);
        if failed {
            reports.push(MigrationReport::new(&file.name, Status::NotRun, findings));
            continue;
        }
        progress.set_message(&file.name);
        let sent = split::with_migration_record(&text, &request.table, &file.name);
        let mut report = MigrationReport::new(&file.name, Status::Ok, Vec::new());
        match db.run_batch(&sent) {
            Ok(stats) => {
                report.statements = stats.statements;
                report.rows_changed = stats.rows_changed;
                report.duration_ms = stats.duration.as_secs_f64() * 1000.0;
                let after = db
                    .trusted(|conn| Schema::read(conn, &request.table))
                    .map_err(sqlite_err(&work.copy, "read the schema of"))?;
                findings.extend(schema_findings(&db, &current, &after));
                current = after;
            }
            Err(err) => {
                report.status = Status::Failed;
                report.error = Some(report::MigrationError::new(err, &file.path, &text));
                failed = true;
            }
        }
        report.findings = findings;
        reports.push(report);
    }

    let schema_diff = SchemaDiff::between(&schema_before, &current);
    let data_at_risk = match &work.before {
        Some(path) => {
            let before = snapshot::open_read_only(path)?;
            DataAtRisk::count(&before, &schema_diff).map_err(sqlite_err(path, "count rows in"))?
        }
        None => DataAtRisk::default(),
    };
    let size_bytes = std::fs::metadata(&work.copy).map_or(0, |m| m.len());
    let checks = run_checks(&db, size_bytes, FULL_CHECK_BYTES, &schema_diff)
        .map_err(sqlite_err(&work.copy, "check"))?;
    drop(db);

    let kept = match &request.keep {
        Some(path) => {
            keep_copy(&work.copy, path)?;
            Some(path.display().to_string())
        }
        None => None,
    };
    let summary = Summary::of(&reports);
    let mut report = DryRunReport {
        source: request.source.describe(),
        migrations_dir: request.migrations_dir.display().to_string(),
        table: request.table.clone(),
        strict: request.strict,
        verdict: String::new(),
        migrations: reports,
        schema_diff,
        data_at_risk,
        checks,
        size_bytes,
        size_limit_bytes: d1::MAX_DATABASE_BYTES,
        kept,
        lock_updated: None,
        summary,
    };
    report.verdict = report.decide_verdict().to_owned();
    if request.update_lock
        && let (Some(path), Some(new_lock)) = (&request.lock, &new_lock)
        && report.verdict == "ok"
        && Some(new_lock) != lock.as_ref()
    {
        new_lock.write(path)?;
        report.lock_updated = Some(path.display().to_string());
    }
    Ok(report)
}

fn read_file(path: &Path) -> Result<Vec<u8>, MigrateError> {
    std::fs::read(path).map_err(|source| MigrateError::ReadFile {
        path: path.to_owned(),
        source,
    })
}

/// Findings only the schema shows: type changes through a rebuild, views that broke.
fn schema_findings(db: &D1Connection, before: &Schema, after: &Schema) -> Vec<Finding> {
    let mut findings = Vec::new();
    let diff = SchemaDiff::between(before, after);
    for change in diff.changed.iter().filter(|c| c.kind == "table") {
        for column in &change.columns_changed {
            if !column
                .before
                .decl_type
                .eq_ignore_ascii_case(&column.after.decl_type)
            {
                findings.push(Finding::new(
                    "type-change",
                    format!(
                        "{}.{} changes type from {} to {}",
                        change.name,
                        column.name,
                        empty_as(&column.before.decl_type),
                        empty_as(&column.after.decl_type)
                    ),
                    None,
                ));
            }
        }
    }
    for name in after
        .objects
        .iter()
        .filter(|(_, o)| o.kind == "view")
        .map(|(name, _)| name)
    {
        let broken = db.trusted(|conn| {
            conn.prepare(&format!("SELECT * FROM {} LIMIT 0", schema::quote(name)))
                .err()
                .map(|err| err.to_string())
        });
        if let Some(err) = broken {
            findings.push(Finding::new(
                "broken-view",
                format!("view {name} no longer works: {err}"),
                None,
            ));
        }
    }
    findings
}

fn empty_as(decl: &str) -> &str {
    if decl.is_empty() { "(none)" } else { decl }
}

/// `PRAGMA foreign_key_check` and `integrity_check` on the migrated copy. A database up
/// to [`FULL_CHECK_BYTES`] is checked whole. A larger one is checked where the migrations
/// could have changed something: `quick_check` on the tables they wrote to, and
/// `foreign_key_check` on the tables they created or redefined (D1 enforces foreign keys
/// on every write, so other tables can only hold violations the snapshot already had).
fn run_checks(
    db: &D1Connection,
    size_bytes: u64,
    full_check_bytes: u64,
    diff: &SchemaDiff,
) -> rusqlite::Result<Checks> {
    let full = size_bytes <= full_check_bytes;
    let touched = db.touched_tables();
    let redefined: Vec<&str> = diff
        .added
        .iter()
        .filter(|o| o.kind == "table")
        .map(|o| o.name.as_str())
        .chain(
            diff.changed
                .iter()
                .filter(|o| o.kind == "table")
                .map(|o| o.name.as_str()),
        )
        .collect();
    db.trusted(|conn| {
        let exists = |table: &str| -> rusqlite::Result<bool> {
            conn.query_row(
                "SELECT count(*) > 0 FROM sqlite_schema WHERE type = 'table' AND name = ?1",
                [table],
                |r| r.get(0),
            )
        };
        let (fk_targets, integrity_targets): (Vec<Option<String>>, Vec<Option<String>>) = if full {
            (vec![None], vec![None])
        } else {
            let mut fk = Vec::new();
            for table in &redefined {
                if exists(table)? {
                    fk.push(Some((*table).to_owned()));
                }
            }
            let mut integrity = Vec::new();
            for table in &touched {
                if exists(table)? {
                    integrity.push(Some(table.clone()));
                }
            }
            (fk, integrity)
        };
        let mut foreign_key_violations = Vec::new();
        for target in &fk_targets {
            let sql = match target {
                None => "PRAGMA foreign_key_check".to_owned(),
                Some(t) => format!("PRAGMA foreign_key_check({})", schema::quote(t)),
            };
            let mut statement = conn.prepare(&sql)?;
            let rows = statement.query_map([], |row| {
                Ok(ForeignKeyViolation {
                    table: row.get(0)?,
                    rowid: row.get(1)?,
                    parent: row.get(2)?,
                    fkid: row.get(3)?,
                })
            })?;
            for row in rows.take(100) {
                foreign_key_violations.push(row?);
            }
        }
        let pragma = if full {
            "integrity_check"
        } else {
            "quick_check"
        };
        let mut integrity_errors = Vec::new();
        for target in &integrity_targets {
            let sql = match target {
                None => format!("PRAGMA {pragma}(100)"),
                Some(t) => format!("PRAGMA {pragma}({})", schema::quote(t)),
            };
            let mut statement = conn.prepare(&sql)?;
            let rows = statement.query_map([], |row| row.get::<_, String>(0))?;
            for row in rows {
                let line = row?;
                if line != "ok" {
                    integrity_errors.push(line);
                }
            }
        }
        Ok(Checks {
            scope: if full { "all" } else { "touched-tables" }.to_owned(),
            integrity_pragma: pragma.to_owned(),
            foreign_key_tables: fk_targets.into_iter().flatten().collect(),
            integrity_tables: integrity_targets.into_iter().flatten().collect(),
            foreign_key_violations,
            integrity_errors,
        })
    })
}

fn keep_copy(copy: &Path, keep: &Path) -> Result<(), MigrateError> {
    let dir = keep
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let io_err = |source| MigrateError::WriteFile {
        path: keep.to_owned(),
        source,
    };
    let temp = tempfile::NamedTempFile::new_in(dir).map_err(io_err)?;
    std::fs::copy(copy, temp.path()).map_err(io_err)?;
    temp.as_file().sync_all().map_err(io_err)?;
    temp.persist_noclobber(keep).map_err(|e| io_err(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use bulwark_core::Report as _;

    use super::*;

    fn write(dir: &Path, name: &str, sql: &str) {
        std::fs::write(dir.join(name), sql).expect("write migration");
    }

    fn dry_run(dir: &Path, source: Source) -> DryRunReport {
        run(&request(dir, source), &bulwark_core::NoProgress).expect("dry run")
    }

    fn request(dir: &Path, source: Source) -> Request {
        Request {
            migrations_dir: dir.to_owned(),
            table: "d1_migrations".to_owned(),
            source,
            strict: false,
            keep: None,
            lock: None,
            update_lock: false,
        }
    }

    #[test]
    fn applies_in_order_stops_at_the_first_failure_and_leaves_the_source_alone() {
        let dir = tempfile::tempdir().expect("temp dir");
        let migrations = dir.path().join("migrations");
        std::fs::create_dir(&migrations).expect("mkdir");
        write(
            &migrations,
            "0001_users.sql",
            "CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT);",
        );
        write(
            &migrations,
            "0002_seed.sql",
            "INSERT INTO users(email) VALUES ('a'), ('b');",
        );
        write(
            &migrations,
            "0003_bad.sql",
            "CREATE TABLE x(a);\nINSERT INTO nope VALUES (1);",
        );
        write(&migrations, "0004_later.sql", "DROP TABLE users;");
        let source = dir.path().join("prod.sqlite");
        let conn = Connection::open(&source).expect("create");
        conn.execute_batch("CREATE TABLE d1_migrations(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL); INSERT INTO d1_migrations(name) VALUES ('0001_users.sql'); CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT);")
            .expect("fill");
        drop(conn);
        let bytes = std::fs::read(&source).expect("read");
        let mut req = request(&migrations, Source::File(source.clone()));
        let keep = dir.path().join("kept.sqlite");
        req.keep = Some(keep.clone());
        let report = run(&req, &bulwark_core::NoProgress).expect("dry run");
        let statuses: Vec<_> = report
            .migrations
            .iter()
            .map(|m| (m.name.as_str(), m.status))
            .collect();
        assert_eq!(
            statuses,
            [
                ("0001_users.sql", Status::AlreadyApplied),
                ("0002_seed.sql", Status::Ok),
                ("0003_bad.sql", Status::Failed),
                ("0004_later.sql", Status::NotRun),
            ]
        );
        let error = report.migrations[2].error.as_ref().expect("error");
        assert_eq!(error.class, "SQLITE_ERROR");
        assert_eq!(error.line, Some(2));
        assert_eq!(report.migrations[1].rows_changed, 2);
        assert!(
            report.migrations[3]
                .findings
                .iter()
                .any(|f| f.rule == "drop-table")
        );
        assert_eq!(report.exit(), Exit::Problem);
        assert_eq!(
            std::fs::read(&source).expect("read"),
            bytes,
            "source untouched"
        );
        let kept = Connection::open(&keep).expect("kept copy");
        let names: Vec<String> = kept
            .prepare("SELECT name FROM d1_migrations ORDER BY id")
            .expect("prepare")
            .query_map([], |r| r.get(0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        assert_eq!(
            names,
            ["0001_users.sql", "0002_seed.sql"],
            "0003 left nothing behind"
        );
    }

    #[test]
    fn resolves_the_binding_from_wrangler_config_and_environment() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(
            dir.path().join("wrangler.jsonc"),
            r#"{
              "d1_databases": [{ "binding": "DB", "database_id": "top-id", "migrations_dir": "db/m" }],
              "env": { "staging": { "d1_databases": [
                { "binding": "OTHER", "database_id": "x" },
                { "binding": "DB", "database_id": "staging-id", "preview_database_id": "preview-id", "migrations_table": "schema_log" }
              ] } }
            }"#,
        )
        .expect("write config");
        let inputs = Inputs {
            local: true,
            ..Inputs::default()
        };
        let request = Request::resolve(&inputs, dir.path()).expect("top level");
        assert_eq!(request.migrations_dir, Path::new("db/m"));
        assert_eq!(request.table, "d1_migrations");
        assert_eq!(
            request.source,
            Source::Local {
                state_dir: PathBuf::from(".wrangler/state"),
                database_id: "top-id".into()
            }
        );
        let inputs = Inputs {
            local: true,
            env: Some("staging".into()),
            database: Some("DB".into()),
            ..Inputs::default()
        };
        let request = Request::resolve(&inputs, dir.path()).expect("staging");
        assert_eq!(request.migrations_dir, Path::new("migrations"));
        assert_eq!(request.table, "schema_log");
        assert!(
            matches!(&request.source, Source::Local { database_id, .. } if database_id == "preview-id"),
            "{:?}",
            request.source
        );
        let inputs = Inputs {
            env: Some("staging".into()),
            ..Inputs::default()
        };
        let err = Request::resolve(&inputs, dir.path()).expect_err("two databases there");
        assert!(matches!(err, MigrateError::NoDatabase { ref known, .. } if known.len() == 2));
        assert_eq!(err.exit(), Exit::Usage);
    }

    #[test]
    fn large_databases_are_checked_where_the_migrations_wrote() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("db.sqlite");
        Connection::open(&path)
            .expect("create")
            .execute_batch(
                "PRAGMA foreign_keys = OFF;
                 CREATE TABLE d1_migrations(id INTEGER PRIMARY KEY, name TEXT UNIQUE);
                 CREATE TABLE p(id INTEGER PRIMARY KEY);
                 CREATE TABLE old_child(p REFERENCES p(id)); INSERT INTO old_child VALUES (7);
                 CREATE TABLE quiet(x);",
            )
            .expect("setup");
        let db = D1Connection::open(&path).expect("open");
        let before = db
            .trusted(|c| Schema::read(c, "d1_migrations"))
            .expect("schema");
        db.run_batch(&split::with_migration_record(
            "CREATE TABLE child(p REFERENCES p(id));\nINSERT INTO p VALUES (1);\nINSERT INTO child VALUES (1);",
            "d1_migrations",
            "1.sql",
        ))
        .expect("applies");
        let after = db
            .trusted(|c| Schema::read(c, "d1_migrations"))
            .expect("schema");
        let diff = SchemaDiff::between(&before, &after);
        let checks = run_checks(&db, 1, 0, &diff).expect("checks");
        assert_eq!(checks.scope, "touched-tables");
        assert_eq!(checks.integrity_pragma, "quick_check");
        assert_eq!(checks.foreign_key_tables, ["child"]);
        assert_eq!(checks.integrity_tables, ["child", "d1_migrations", "p"]);
        assert!(
            checks.foreign_key_violations.is_empty(),
            "old_child is not rechecked"
        );
        let checks = run_checks(&db, 1, u64::MAX, &diff).expect("checks");
        assert_eq!(checks.scope, "all");
        assert_eq!(
            checks.foreign_key_violations.len(),
            1,
            "the snapshot's own violation"
        );
        assert_eq!(checks.foreign_key_violations[0].table, "old_child");
    }

    #[test]
    fn list_reads_applied_names_from_a_read_only_snapshot() {
        let dir = tempfile::tempdir().expect("temp dir");
        let migrations = dir.path().join("migrations");
        std::fs::create_dir(&migrations).expect("mkdir");
        write(&migrations, "0001_a.sql", "CREATE TABLE a(x);");
        write(&migrations, "0002_b.sql", "CREATE TABLE b(x);");
        let source = dir.path().join("prod.sqlite");
        Connection::open(&source)
            .expect("create")
            .execute_batch("CREATE TABLE d1_migrations(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP); INSERT INTO d1_migrations(name) VALUES ('0000_gone.sql'), ('0001_a.sql');")
            .expect("fill");
        let bytes = std::fs::read(&source).expect("read");
        let report = list(
            &request(&migrations, Source::File(source.clone())),
            &bulwark_core::NoProgress,
        )
        .expect("list");
        let rows: Vec<(&str, &str)> = report
            .migrations
            .iter()
            .map(|m| (m.name.as_str(), m.status))
            .collect();
        assert_eq!(
            rows,
            [
                ("0000_gone.sql", "applied-file-missing"),
                ("0001_a.sql", "applied"),
                ("0002_b.sql", "pending")
            ]
        );
        assert_eq!(std::fs::read(&source).expect("read"), bytes);
    }

    #[test]
    fn schema_findings_type_changes_and_broken_views() {
        let dir = tempfile::tempdir().expect("temp dir");
        let migrations = dir.path().join("migrations");
        std::fs::create_dir(&migrations).expect("mkdir");
        let users = "CREATE TABLE users (id INTEGER PRIMARY KEY, age TEXT, mail TEXT);\nCREATE VIEW mails AS SELECT id, mail FROM users;";
        let rebuild = "CREATE TABLE users_new (id INTEGER PRIMARY KEY, age INTEGER);\nINSERT INTO users_new SELECT id, CAST(age AS INTEGER) FROM users;\nDROP TABLE users;\nALTER TABLE users_new RENAME TO users;";
        write(&migrations, "0001_users.sql", users);
        write(&migrations, "0002_rebuild.sql", rebuild);
        // SQLite checks views when a table is renamed: the rebuild fails.
        let report = dry_run(&migrations, Source::Empty);
        let failed = &report.migrations[1];
        assert_eq!(failed.status, Status::Failed);
        let error = failed.error.as_ref().expect("an error");
        assert_eq!(error.line, Some(4));
        assert!(
            error.message.starts_with("error in view mails"),
            "{}",
            error.message
        );
        // With legacy_alter_table (which D1 allows) it applies, and leaves a broken view.
        write(
            &migrations,
            "0002_rebuild.sql",
            &format!("PRAGMA legacy_alter_table = ON;\n{rebuild}"),
        );
        let report = dry_run(&migrations, Source::Empty);
        let applied = &report.migrations[1];
        assert_eq!(applied.status, Status::Ok);
        let rules: Vec<&str> = applied.findings.iter().map(|f| f.rule).collect();
        for rule in ["drop-table", "rename-table", "type-change", "broken-view"] {
            assert!(rules.contains(&rule), "{rule} missing from {rules:?}");
        }
    }

    #[test]
    fn data_at_risk_and_lock_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let migrations = dir.path().join("migrations");
        std::fs::create_dir(&migrations).expect("mkdir");
        write(&migrations, "0001_a.sql", "CREATE TABLE a(x, y);");
        write(
            &migrations,
            "0002_b.sql",
            "-- migrate-dryrun: allow drop-column\nALTER TABLE a DROP COLUMN y;\nDROP TABLE old;",
        );
        let source = dir.path().join("prod.sqlite");
        let conn = Connection::open(&source).expect("create");
        conn.execute_batch("CREATE TABLE d1_migrations(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL); INSERT INTO d1_migrations(name) VALUES ('0001_a.sql'); CREATE TABLE a(x, y); INSERT INTO a VALUES (1, 2), (3, NULL); CREATE TABLE old(z); INSERT INTO old VALUES (1);")
            .expect("fill");
        drop(conn);
        let lock_path = dir.path().join("migrations.lock");
        let mut req = request(&migrations, Source::File(source));
        req.lock = Some(lock_path.clone());
        req.update_lock = true;
        req.strict = true;
        let report = run(&req, &bulwark_core::NoProgress).expect("dry run");
        assert_eq!(report.data_at_risk.tables[0].rows, 1);
        assert_eq!(report.data_at_risk.columns[0].non_null_values, 1);
        let pending = &report.migrations[1];
        assert!(
            pending
                .findings
                .iter()
                .any(|f| f.rule == "drop-column" && f.suppressed)
        );
        assert!(
            pending
                .findings
                .iter()
                .any(|f| f.rule == "drop-table" && !f.suppressed)
        );
        assert_eq!(
            report.verdict, "lint-failed",
            "strict and an unsuppressed drop-table"
        );
        assert!(
            report.lock_updated.is_none(),
            "a failing run does not update the lock"
        );

        req.strict = false;
        let report = run(&req, &bulwark_core::NoProgress).expect("dry run");
        assert_eq!(report.verdict, "ok");
        assert!(report.lock_updated.is_some());
        let lock = lock::Lock::read(&lock_path).expect("lock");
        assert_eq!(
            lock.entries.keys().collect::<Vec<_>>(),
            ["0001_a.sql"],
            "only applied files are locked: a pending one may still change"
        );

        write(&migrations, "0001_a.sql", "CREATE TABLE a(x, y, z);");
        let report = run(&req, &bulwark_core::NoProgress).expect("dry run");
        assert!(
            report.migrations[0]
                .findings
                .iter()
                .any(|f| f.rule == "changed-after-apply")
        );
    }
}

//! Why a dry run could not be done, and what to do about it.

use std::path::PathBuf;

use bulwark_config::ConfigError;
use bulwark_core::{Exit, Failure};

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
    /// wrangler itself refuses its config, so `wrangler d1 migrations apply` would run
    /// nothing.
    #[error("wrangler refuses {}: {}", config.display(), reasons.join("; "))]
    WranglerRefusesConfig {
        /// The wrangler config.
        config: PathBuf,
        /// wrangler's reasons, worded as wrangler words them.
        reasons: Vec<String>,
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
    /// A statement of the dump ran too long (a dump is untrusted text).
    #[error("a statement of the SQL dump {} ran for more than {seconds} s", path.display())]
    DumpTooSlow {
        /// The dump.
        path: PathBuf,
        /// The limit.
        seconds: u64,
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
    /// wrangler could not be run to the end (not found, not started, stopped).
    #[error(transparent)]
    Process(#[from] bulwark_process::ProcessError),
    /// wrangler ran and failed: its own error, not its last line.
    #[error("`{command}` failed ({status}): {cause}")]
    Wrangler {
        /// The command line (never holds a value).
        command: String,
        /// Its exit status.
        status: String,
        /// wrangler's `✘ [ERROR]` block, scrubbed, on one line.
        cause: String,
    },
    /// wrangler answered, but not with what it documents.
    #[error("`{command}` printed {what}")]
    WranglerOutput {
        /// The command line.
        command: String,
        /// What was wrong with it.
        what: String,
    },
    /// A migration ran longer than `--timeout` on the copy: it could not be checked.
    #[error("migration {migration} ran for more than {seconds} s on the copy and was stopped")]
    TimedOut {
        /// The migration file.
        migration: String,
        /// The limit.
        seconds: u64,
    },
    /// `--record FILE` could not be read or written.
    #[error("failed to {action} the record file {}", path.display())]
    Record {
        /// The file.
        path: PathBuf,
        /// What was being done.
        action: &'static str,
        /// What went wrong.
        #[source]
        source: std::io::Error,
    },
    /// A flag or verb that this kind of dry run does not have.
    #[error("{what} cannot be used with {with}")]
    Unsupported {
        /// The flags.
        what: &'static str,
        /// The mode.
        with: &'static str,
    },
    /// PostgreSQL: a connection, a program or the throw-away server failed.
    #[error(transparent)]
    Postgres(#[from] bulwark_pg::PgError),
    /// PostgreSQL: the copy could not be made.
    #[error("failed to copy {what} into the throw-away PostgreSQL: {detail}")]
    PostgresCopy {
        /// The production database or the dump file.
        what: String,
        /// The program's own error, scrubbed.
        detail: String,
    },
    /// SIGINT, SIGTERM or SIGHUP stopped the run; its private directory was removed.
    #[error("interrupted; the private copies were removed")]
    Interrupted,
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
            | Self::WranglerRefusesConfig { .. }
            | Self::NeedsWranglerConfig { .. }
            | Self::ReadDir { .. }
            | Self::NonUtf8Name { .. }
            | Self::ReadFile { .. }
            | Self::NoSnapshot { .. }
            | Self::NoLocalState { .. }
            | Self::BadSnapshot { .. }
            | Self::BadDump { .. }
            | Self::DumpTooSlow { .. }
            | Self::BadLock { .. }
            | Self::KeepExists { .. }
            | Self::MigrationsTable { .. }
            | Self::Unsupported { .. } => Exit::Usage,
            Self::WriteFile { .. }
            | Self::Sqlite { .. }
            | Self::Process(_)
            | Self::Wrangler { .. }
            | Self::WranglerOutput { .. }
            | Self::TimedOut { .. }
            | Self::Record { .. }
            | Self::PostgresCopy { .. }
            | Self::Io { .. } => Exit::Operational,
            Self::Postgres(err) => err.exit(),
            Self::Interrupted => Exit::Interrupted,
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
            Self::WranglerRefusesConfig { .. } => {
                "`wrangler d1 migrations apply` stops on this before it runs any migration: fix the config".to_owned()
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
            Self::BadDump { source, .. } if source.sqlite_error_code() == Some(rusqlite::ErrorCode::AuthorizationForStatementDenied) => {
                "a dump runs under D1's rules: no ATTACH, no temporary objects, only D1's functions and PRAGMAs; make it with `wrangler d1 export`".to_owned()
            }
            Self::BadDump { .. } => {
                "make the dump with `wrangler d1 export DB --remote --output FILE.sql`".to_owned()
            }
            Self::DumpTooSlow { .. } => {
                "a dump holds CREATE and INSERT statements; check what made this one (a recursive query never ends)".to_owned()
            }
            Self::BadLock { .. } => {
                "fix the line, or delete the lock file and rebuild it with --update-lock".to_owned()
            }
            Self::KeepExists { .. } => "choose a new file name for --keep".to_owned(),
            Self::MigrationsTable { .. } => {
                "check --table, or migrations_table in the wrangler config".to_owned()
            }
            Self::Wrangler { cause, .. } => wrangler_hint(cause).to_owned(),
            Self::WranglerOutput { .. } => {
                "check the wrangler version (`wrangler --version`; Bulwark is tested with 4.86)".to_owned()
            }
            Self::TimedOut { .. } => {
                "D1 stops a query after 30 s, so this migration may fail there too; to check it anyway, raise --timeout".to_owned()
            }
            Self::Record { .. } => "check the path and permissions of --record".to_owned(),
            Self::Postgres(err) => return err.hint(),
            Self::Unsupported { .. } => {
                "a PostgreSQL dry run reports what `supabase db push` would do; run `supabase migration list` for the list".to_owned()
            }
            Self::PostgresCopy { .. } => {
                "the copy must restore cleanly before a dry run means anything: check the dump (a custom-format pg_dump archive or plain SQL) and that the local PostgreSQL's major version is at least the source's".to_owned()
            }
            // bulwark-process's own hint (how to install wrangler, a timeout) is the one.
            Self::Process(_) | Self::Interrupted => return None,
            Self::Sqlite { .. } | Self::WriteFile { .. } | Self::Io { .. } => {
                "check free space and permissions of the temporary directory".to_owned()
            }
        })
    }

    fn wrapped(&self) -> Option<&dyn Failure> {
        match self {
            Self::Process(err) => Some(err),
            Self::Config(err) => Some(err),
            _ => None,
        }
    }
}

/// What to do about a failed wrangler command, from the cause wrangler gave. Each hint
/// points at that cause: a login problem is not fixed by checking the database name, and
/// exporting by hand fails the same way the export did.
fn wrangler_hint(cause: &str) -> &'static str {
    let lower = cause.to_ascii_lowercase();
    if lower.contains("cloudflare_api_token")
        || lower.contains("not authenticated")
        || lower.contains("authentication error")
        || lower.contains("wrangler login")
    {
        "wrangler has no Cloudflare credentials here: set CLOUDFLARE_API_TOKEN (and CLOUDFLARE_ACCOUNT_ID) in this environment, or run `wrangler login` on a workstation"
    } else if lower.contains("couldn't find") || lower.contains("not found") {
        "wrangler cannot find that database: check --database and --env against the d1_databases of the wrangler config (database_id must be the remote one)"
    } else if lower.contains("virtual table") {
        "D1 cannot export virtual tables; migrate-dryrun exports around them, so this wrangler answered differently: report it with `wrangler --version`"
    } else if lower.contains("fetch failed")
        || lower.contains("network")
        || lower.contains("enotfound")
    {
        "wrangler could not reach Cloudflare: check the network and retry"
    } else {
        "that is wrangler's own error: run the same command with `--config` and `--env` as shown to see its full output"
    }
}

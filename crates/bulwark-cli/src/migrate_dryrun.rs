//! `migrate-dryrun`'s command line.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::shared::{Common, FormatFlag};

/// Apply pending D1 migrations, in wrangler's order and with D1's rules, to a throw-away
/// copy of the database, and report what would fail, what data would be lost and what the
/// schema becomes. The source database is never written.
///
/// With --postgres: Supabase migrations (supabase/migrations), applied as `supabase db
/// push` applies them to a copy of the database in a throw-away local PostgreSQL.
///
/// Exit codes: 0 every pending migration applies cleanly, 1 one would fail (or a lint
/// fails with --strict, or `supabase db push` would refuse), 2 bad input, 3 an operation
/// failed (wrangler, a copy, a program, a migration that ran past --timeout). With
/// GITHUB_ACTIONS=true, failing migrations and lint errors are also printed as
/// `::error file=…,line=…` annotations.
#[derive(Debug, Parser)]
#[command(
    name = "migrate-dryrun",
    version,
    max_term_width = 100,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub source: Source,

    /// Lint errors fail the run
    #[arg(long)]
    pub strict: bool,

    /// Keep the migrated copy at this path for inspection (never overwrites a file)
    #[arg(long, value_name = "FILE")]
    pub keep: Option<PathBuf>,

    /// Lock file of applied migrations' SHA-256 sums: flags files changed after they ran
    #[arg(long, value_name = "FILE")]
    pub lock: Option<PathBuf>,

    /// Add the sums of applied migrations missing from --lock (only when the run is clean)
    #[arg(long, requires = "lock")]
    pub update_lock: bool,

    /// Stop a migration that runs longer than this on the copy (exit 3: not checked);
    /// D1 itself stops a query after 30 s
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub timeout: u64,

    /// With --export-remote: also write the export to FILE (never overwrites), for
    /// `db-backup export --from-export FILE`: one export for the dry run and the backup
    #[arg(long, value_name = "FILE", requires = "export_remote")]
    pub save_export: Option<PathBuf>,

    /// Append one JSON line for this run to FILE: time, commit, deployer, env, database,
    /// migrations, verdict, the report's SHA-256 (`status` reads the last dry run's)
    #[arg(long, global = true, value_name = "FILE")]
    pub record: Option<PathBuf>,

    #[command(flatten)]
    pub format: FormatFlag,

    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List applied and pending migrations, like `wrangler d1 migrations list`
    List,
    /// After the real apply: check that the migrations the last recorded dry run applied
    /// (--record FILE; else every migration file) are applied, and nothing else
    Status {
        /// Read the remote database's migrations table (`wrangler d1 execute --remote`;
        /// no export)
        #[arg(long, conflicts_with_all = ["snapshot", "dump", "local", "export_remote"])]
        remote: bool,
    },
}

/// Where the migrations and the database snapshot come from.
#[derive(Debug, Args)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "each bool is a flag of its own on the command line"
)]
pub struct Source {
    /// Wrangler config that declares the D1 binding [default: wrangler.json(c)/.toml here]
    #[arg(long, global = true, value_name = "FILE")]
    pub wrangler_config: Option<PathBuf>,
    /// Wrangler environment whose binding to use
    #[arg(long = "env", global = true, value_name = "NAME")]
    pub env: Option<String>,
    /// D1 binding or database name [default: the only one]
    #[arg(long, global = true, value_name = "BINDING|NAME")]
    pub database: Option<String>,
    /// Migrations directory, instead of the binding's migrations_dir
    #[arg(long, global = true, value_name = "DIR")]
    pub migrations: Option<PathBuf>,
    /// Migrations table, instead of the binding's migrations_table
    #[arg(long, global = true, value_name = "NAME")]
    pub table: Option<String>,
    /// Snapshot: a SQLite file (opened read-only)
    #[arg(long, global = true, value_name = "FILE", group = "snapshot_source")]
    pub snapshot: Option<PathBuf>,
    /// Snapshot: a `wrangler d1 export` SQL dump
    #[arg(long, global = true, value_name = "FILE", group = "snapshot_source")]
    pub dump: Option<PathBuf>,
    /// Snapshot: wrangler's local state for the binding (.wrangler/state)
    #[arg(long, global = true, group = "snapshot_source")]
    pub local: bool,
    /// Snapshot: run `wrangler d1 export --remote` into a private temp file
    #[arg(long, global = true, group = "snapshot_source")]
    pub export_remote: bool,
    /// PostgreSQL (Supabase): copy the database whose postgres:// URL is in $DATABASE_URL
    /// (read-only; never on the command line), or with --dump a pg_dump / `supabase db
    /// dump` file [migrations default: supabase/migrations]
    #[arg(long, conflicts_with_all = ["wrangler_config", "env", "database", "table", "snapshot", "local", "export_remote"])]
    pub postgres: bool,
    /// PostgreSQL: the URL is in the environment variable NAME instead of $DATABASE_URL
    #[arg(long, value_name = "NAME", conflicts_with_all = ["wrangler_config", "env", "database", "table", "snapshot", "local", "export_remote", "dump"])]
    pub postgres_env: Option<String>,
    /// PostgreSQL: copy only the schema and the migration history, not the data
    #[arg(long, conflicts_with = "dump")]
    pub schema_only: bool,
}

impl Source {
    /// The library's plain-data view of these flags.
    #[must_use]
    pub fn inputs(&self, bulwark_config: Option<PathBuf>) -> bulwark_migrate::Inputs {
        bulwark_migrate::Inputs {
            bulwark_config,
            wrangler_config: self.wrangler_config.clone(),
            env: self.env.clone(),
            database: self.database.clone(),
            migrations: self.migrations.clone(),
            table: self.table.clone(),
            snapshot: self.snapshot.clone(),
            dump: self.dump.clone(),
            local: self.local,
            export_remote: self.export_remote,
        }
    }
}

impl Source {
    /// The environment variable holding the PostgreSQL URL, when one is read.
    #[must_use]
    pub fn postgres_env(&self) -> Option<String> {
        self.postgres_env.clone().or_else(|| {
            (self.postgres && self.dump.is_none()).then(|| bulwark_pg::DATABASE_URL.to_owned())
        })
    }

    /// The PostgreSQL dry run these flags ask for, if they ask for one.
    #[must_use]
    pub fn postgres_request(
        &self,
        strict: bool,
    ) -> Option<bulwark_migrate::postgres::PostgresRequest> {
        use bulwark_migrate::postgres::{PostgresRequest, PostgresSource};
        if !self.postgres && self.postgres_env.is_none() {
            return None;
        }
        let source = match (&self.dump, self.postgres_env()) {
            (Some(dump), _) => PostgresSource::Dump(dump.clone()),
            (None, Some(var)) => PostgresSource::Env(var),
            (None, None) => PostgresSource::Env(bulwark_pg::DATABASE_URL.to_owned()),
        };
        Some(PostgresRequest {
            migrations_dir: self
                .migrations
                .clone()
                .unwrap_or_else(|| PathBuf::from("supabase/migrations")),
            source,
            schema_only: self.schema_only,
            strict,
        })
    }
}

impl Cli {
    /// Parses argv; a bad flag exits 2 (clap's usage error), `--help` exits 0.
    #[must_use]
    pub fn parse_args() -> Self {
        Self::parse()
    }
}

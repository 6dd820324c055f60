//! `db-backup`'s command line.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::shared::{Common, FormatFlag, IdentityArg};

/// Export a SQLite, D1 or PostgreSQL database as a zstd-compressed, age-encrypted file with a
/// manifest (checksums, row counts), verify backups by restoring them, prune by a
/// retention policy, and restore on request. A backup restores with stock tools too:
/// `age -d -i KEY FILE | zstd -d > db.sqlite`.
///
/// Exit codes: 0 ok, 1 a backup failed verification, 2 bad input, 3 I/O or wrangler failed.
#[derive(Debug, Parser)]
#[command(name = "db-backup", version, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    #[command(flatten)]
    pub format: FormatFlag,

    /// JSON status file (last success, last failure, reason) that export, verify and prune
    /// update, for monitoring
    #[arg(long, global = true, value_name = "FILE")]
    pub status_file: Option<PathBuf>,

    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Take a consistent snapshot, compress, encrypt and write it with its manifest
    Export {
        /// SQLite database file to back up
        #[arg(long, value_name = "FILE", group = "source")]
        sqlite: Option<PathBuf>,
        /// D1 binding or database name to export with wrangler
        #[arg(long, value_name = "BINDING", group = "source")]
        d1: Option<String>,
        /// PostgreSQL database whose postgres:// URL is in $DATABASE_URL (never on the
        /// command line)
        #[arg(long, group = "source")]
        postgres: bool,
        /// PostgreSQL database whose postgres:// URL is in the environment variable NAME
        #[arg(long, value_name = "NAME", group = "source")]
        postgres_env: Option<String>,
        /// With a PostgreSQL source: dump what `supabase db dump` dumps (Supabase's own
        /// schemas handled as its CLI does; docs/db-backup.md)
        #[arg(long)]
        supabase: bool,
        /// With --d1: export the remote database (default: local state)
        #[arg(long, requires = "d1")]
        remote: bool,
        /// With --d1: the wrangler environment (`--env`) whose binding to export
        #[arg(long, value_name = "ENV")]
        env: Option<String>,
        /// With --d1: back up this export (`migrate-dryrun --export-remote --save-export
        /// FILE`) instead of exporting again; D1 serves no queries during an export
        #[arg(long, value_name = "FILE", requires = "d1")]
        from_export: Option<PathBuf>,
        /// Directory for the backup and its manifest
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Backup file name prefix
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
        #[command(flatten)]
        recipients: RecipientArgs,
        /// Write an unencrypted backup (refused unless given)
        #[arg(long)]
        no_encrypt: bool,
        /// Copy backup and manifest to R2 (r2://BUCKET/PREFIX) with wrangler
        #[arg(long, value_name = "URL")]
        upload: Option<String>,
    },
    /// Decrypt, decompress, check checksums, restore to a temp database and check it
    Verify {
        /// A backup file, or a directory of backups
        path: PathBuf,
        #[command(flatten)]
        identity: IdentityArg,
    },
    /// List backups with time, size and verification state
    List {
        /// Backup directory [default: [backup] dir from bulwark.toml]
        dir: Option<PathBuf>,
    },
    /// Delete backups outside the retention policy (rules are ORed)
    Prune {
        /// Backup directory [default: [backup] dir from bulwark.toml]
        dir: Option<PathBuf>,
        /// Keep the newest N backups
        #[arg(long, value_name = "N")]
        keep_last: Option<u32>,
        /// Keep the newest backup of each of the last N days
        #[arg(long, value_name = "N")]
        keep_daily: Option<u32>,
        /// Keep the newest backup of each of the last N weeks
        #[arg(long, value_name = "N")]
        keep_weekly: Option<u32>,
        /// Keep the newest backup of each of the last N months
        #[arg(long, value_name = "N")]
        keep_monthly: Option<u32>,
        /// Show what would be deleted, delete nothing
        #[arg(long, conflicts_with = "yes")]
        dry_run: bool,
        /// Really delete (prune refuses to delete without it; see --dry-run)
        #[arg(long)]
        yes: bool,
    },
    /// Restore a backup to a new database file, or a PostgreSQL backup into a database
    Restore {
        /// The backup file
        file: PathBuf,
        /// Where to write the database (a PostgreSQL backup: its pg_dump archive)
        #[arg(long, value_name = "PATH", required_unless_present = "to_postgres_env")]
        to: Option<PathBuf>,
        /// Restore a PostgreSQL backup, in one transaction, into the database whose
        /// postgres:// URL is in the environment variable NAME
        #[arg(long, value_name = "NAME", conflicts_with = "to")]
        to_postgres_env: Option<String>,
        /// Replace an existing file at --to; with --to-postgres-env, restore into a
        /// database that is not empty (the backup's objects are dropped and recreated)
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        identity: IdentityArg,
    },
}

/// Who a backup is encrypted to.
#[derive(Debug, Args)]
pub struct RecipientArgs {
    /// age recipient (age1…); repeatable
    #[arg(long = "recipient", value_name = "AGE1…")]
    pub recipients: Vec<String>,
    /// File of recipients, one per line
    #[arg(long, value_name = "FILE")]
    pub recipients_file: Option<PathBuf>,
}

impl Command {
    /// The library's plain-data view of this command line.
    #[must_use]
    pub fn into_inputs(self) -> bulwark_backup::Inputs {
        use bulwark_backup::{ExportInputs, Inputs, Policy};
        match self {
            Self::Export {
                sqlite,
                d1,
                postgres,
                postgres_env,
                supabase,
                remote,
                env,
                from_export,
                out,
                name,
                recipients,
                no_encrypt,
                upload,
            } => Inputs::Export(ExportInputs {
                sqlite,
                d1,
                postgres,
                postgres_env,
                supabase,
                remote,
                env,
                from_export,
                out,
                name,
                recipients: recipients.recipients,
                recipients_file: recipients.recipients_file,
                no_encrypt,
                upload,
            }),
            Self::Verify { path, identity } => Inputs::Verify {
                path,
                identity: identity.identity,
            },
            Self::List { dir } => Inputs::List { dir },
            Self::Prune {
                dir,
                keep_last,
                keep_daily,
                keep_weekly,
                keep_monthly,
                dry_run,
                yes,
            } => Inputs::Prune {
                dir,
                keep: Policy {
                    last: keep_last,
                    daily: keep_daily,
                    weekly: keep_weekly,
                    monthly: keep_monthly,
                },
                dry_run,
                yes,
            },
            Self::Restore {
                file,
                to,
                to_postgres_env,
                force,
                identity,
            } => Inputs::Restore {
                file,
                to,
                to_postgres_env,
                force,
                identity: identity.identity,
            },
        }
    }
}

impl Cli {
    /// Parses argv; a bad flag exits 2 (clap's usage error), `--help` exits 0.
    #[must_use]
    pub fn parse_args() -> Self {
        Self::parse()
    }
}

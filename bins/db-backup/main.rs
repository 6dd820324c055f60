//! `db-backup`: encrypted, verified, pruned backups of a SQLite, D1 or PostgreSQL database, made for
//! an unattended cron.
#![expect(
    clippy::doc_markdown,
    reason = "doc comments in cli.rs are clap's --help text, where backticks would print literally"
)]

mod cli;
#[path = "../common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use bulwark_backup::{
    BackupError, D1Source, Encryption, ExportRequest, ExportSource, Lazy, Policy,
    PostgresRestoreRequest, PostgresSource, RestoreRequest,
};
use bulwark_config::{Config, ConfigError, Recipients};
use bulwark_core::{Exit, Failure, Output, Report};
use bulwark_vault::{IdentityLookup, Recipient, load_recipients_file, parse_recipient_list};

use crate::cli::{Cli, Command, IdentityArgs, RecipientArgs};

fn main() -> ExitCode {
    let cli = Cli::parse_args();
    let mut out = common::start("db-backup", cli.common.output_options(cli.format.into()));
    let config = match load_config(cli.common.config.as_deref()) {
        Ok(config) => config,
        Err(err) => return out.fail(&err),
    };
    let backup = config
        .as_ref()
        .map(|c| c.backup.clone())
        .unwrap_or_default();
    hide_postgres_urls(&cli.command, &backup, &mut out);
    // Only the verbs a cron runs record their outcome; a manual `list` must not make a
    // dead cron look alive.
    let status_file = match cli.command {
        Command::Export { .. } | Command::Verify { .. } | Command::Prune { .. } => {
            cli.status_file.clone().or(backup.status_file.clone())
        }
        Command::List { .. } | Command::Restore { .. } => None,
    };
    let verb = cli.command.verb();
    let outcome = run(cli.command, config.as_ref(), &backup, &out);
    let (code, file, reason) = match &outcome {
        Ok(done) => (done.exit, done.file.clone(), done.problem.clone()),
        Err(err) => (err.exit(), None, Some(one_line(err))),
    };
    if let Some(path) = status_file {
        let run = bulwark_backup::run_now(verb, file, reason, code.code());
        if let Err(err) = bulwark_backup::record_status(&path, run) {
            out.warn(&format!(
                "could not write the status file: {}",
                one_line(&err)
            ));
        }
    }
    match outcome {
        Ok(done) => done.code,
        Err(err) => out.fail(&err),
    }
}

/// Teaches the output's redactor the PostgreSQL URLs this run may read (and their
/// passwords), before anything can print them.
fn hide_postgres_urls(command: &Command, backup: &bulwark_config::Backup, out: &mut Output) {
    let vars: Vec<&str> = match command {
        Command::Export {
            postgres,
            postgres_env,
            ..
        } => [
            postgres_env.as_deref(),
            postgres.then_some("DATABASE_URL"),
            backup.postgres_env.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect(),
        Command::Restore {
            to_postgres_env, ..
        } => to_postgres_env.as_deref().into_iter().collect(),
        _ => Vec::new(),
    };
    for var in vars {
        match bulwark_pg::Connection::from_env(var) {
            Ok(conn) => {
                for secret in conn.secrets() {
                    out.redactor_mut().add(secret);
                }
            }
            Err(_) => {
                if let Ok(value) = std::env::var(var) {
                    out.redactor_mut().add_value(&value);
                }
            }
        }
    }
}

/// A finished command: its printed report's exit code, and what the status file records.
struct Done {
    code: ExitCode,
    exit: Exit,
    file: Option<String>,
    problem: Option<String>,
}

fn finish<R: Report>(
    out: &Output,
    report: &R,
    file: Option<&Path>,
    problem: Option<String>,
) -> Done {
    Done {
        code: out.finish(report),
        exit: report.exit(),
        file: file.map(|f| f.display().to_string()),
        problem,
    }
}

/// The error and its causes on one line, for the status file. No error of db-backup holds
/// key material (identities are never quoted), so nothing needs redacting.
fn one_line(err: &dyn Failure) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// `--config FILE` must load; a discovered one is optional (every setting has a flag).
fn load_config(explicit: Option<&Path>) -> Result<Option<Config>, ConfigError> {
    match Config::load_or_discover(explicit) {
        Ok(config) => Ok(Some(config)),
        Err(ConfigError::NotFound { .. }) if explicit.is_none() => Ok(None),
        Err(err) => Err(err),
    }
}

fn usage(message: String, hint: &str) -> BackupError {
    BackupError::Usage {
        message,
        hint: Some(hint.to_owned()),
    }
}

fn dir_or_config(
    dir: Option<PathBuf>,
    backup: &bulwark_config::Backup,
    flag: &str,
) -> Result<PathBuf, BackupError> {
    dir.or_else(|| backup.dir.clone()).ok_or_else(|| {
        usage(
            "no backup directory given".to_owned(),
            &format!("pass {flag} DIR or set `dir` in [backup] of bulwark.toml"),
        )
    })
}

fn run(
    command: Command,
    config: Option<&Config>,
    backup: &bulwark_config::Backup,
    out: &Output,
) -> Result<Done, BackupError> {
    match command {
        Command::Export {
            sqlite,
            d1,
            postgres,
            postgres_env,
            remote,
            env,
            out: out_dir,
            name,
            recipients,
            no_encrypt,
            upload,
        } => {
            let postgres_env = postgres_env.or_else(|| postgres.then(|| "DATABASE_URL".to_owned()));
            let source = export_source(sqlite, d1, postgres_env, remote, env, config, backup)?;
            let name = name
                .or_else(|| backup.name.clone())
                .unwrap_or_else(|| default_name(&source));
            let encryption = if no_encrypt {
                out.warn("--no-encrypt: this backup is NOT encrypted");
                Encryption::None
            } else {
                Encryption::To(resolve_recipients(&recipients, backup)?)
            };
            let request = ExportRequest {
                source,
                out_dir: dir_or_config(out_dir, backup, "--out")?,
                name,
                encryption,
                upload,
            };
            let total = match &request.source {
                ExportSource::Sqlite(path) => std::fs::metadata(path).ok().map(|m| m.len()),
                ExportSource::D1(_) | ExportSource::Postgres(_) => None,
            };
            let progress = out.progress("export", total);
            let report = bulwark_backup::export(&request, progress.as_ref())?;
            progress.finish();
            Ok(finish(out, &report, Some(&report.file), None))
        }
        Command::Verify { path, identity } => {
            let mut identities = lazy_identities(identity, config);
            let progress = out.progress("verify", Some(0));
            let report = bulwark_backup::verify(&path, &mut identities, progress.as_ref())?;
            progress.finish();
            let failed = report.backups.iter().filter(|b| !b.ok).count();
            let problem = (failed > 0).then(|| format!("{failed} backup(s) failed verification"));
            let last = report.backups.last().map(|b| b.file.clone());
            Ok(finish(out, &report, last.as_deref(), problem))
        }
        Command::List { dir } => {
            let dir = dir_or_config(dir, backup, "DIR")?;
            Ok(finish(out, &bulwark_backup::list(&dir)?, None, None))
        }
        Command::Prune {
            dir,
            keep_last,
            keep_daily,
            keep_weekly,
            keep_monthly,
            dry_run,
            yes,
        } => {
            let dir = dir_or_config(dir, backup, "DIR")?;
            if !dry_run && !yes {
                return Err(usage(
                    "prune deletes backups: pass --yes to delete, or --dry-run to see what would go"
                        .to_owned(),
                    "`db-backup prune --dry-run` lists what the policy keeps and why",
                ));
            }
            let flags = Policy {
                last: keep_last,
                daily: keep_daily,
                weekly: keep_weekly,
                monthly: keep_monthly,
            };
            let policy = policy_or_config(flags, backup);
            let report = bulwark_backup::prune(&dir, policy, dry_run)?;
            Ok(finish(out, &report, None, None))
        }
        Command::Restore {
            file,
            to,
            to_postgres_env,
            force,
            identity,
        } => restore(file, to, to_postgres_env, force, identity, config, out),
    }
}

/// `restore`: to a file (`--to`), or a PostgreSQL backup into a database
/// (`--to-postgres-env`).
fn restore(
    file: PathBuf,
    to: Option<PathBuf>,
    to_postgres_env: Option<String>,
    force: bool,
    identity: IdentityArgs,
    config: Option<&Config>,
    out: &Output,
) -> Result<Done, BackupError> {
    let mut identities = lazy_identities(identity, config);
    let progress = out.progress("restore", Some(0));
    let to = match (to, to_postgres_env) {
        (_, Some(env)) => {
            let request = PostgresRestoreRequest { file, env, force };
            let report =
                bulwark_backup::restore_postgres(&request, &mut identities, progress.as_ref())?;
            progress.finish();
            return Ok(finish(out, &report, None, None));
        }
        (Some(to), None) => to,
        (None, None) => {
            return Err(usage(
                "nowhere to restore to".to_owned(),
                "pass --to PATH or --to-postgres-env NAME",
            ));
        }
    };
    let request = RestoreRequest { file, to, force };
    let report = bulwark_backup::restore(&request, &mut identities, progress.as_ref())?;
    progress.finish();
    Ok(finish(out, &report, Some(&report.to), None))
}

/// The `--keep-*` flags, or, when none is given, `keep_*` from `[backup]`.
fn policy_or_config(flags: Policy, backup: &bulwark_config::Backup) -> Policy {
    if flags != Policy::default() {
        return flags;
    }
    Policy {
        last: backup.keep_last,
        daily: backup.keep_daily,
        weekly: backup.keep_weekly,
        monthly: backup.keep_monthly,
    }
}

/// `--sqlite` or `--d1` from the flags, else from `[backup]` in bulwark.toml.
fn export_source(
    sqlite: Option<PathBuf>,
    d1: Option<String>,
    postgres_env: Option<String>,
    remote: bool,
    env: Option<String>,
    config: Option<&Config>,
    backup: &bulwark_config::Backup,
) -> Result<ExportSource, BackupError> {
    // Flags win together: `--d1 DB` is not overridden by `sqlite = …` in the config.
    let (sqlite, d1, postgres_env) = if sqlite.is_some() || d1.is_some() || postgres_env.is_some() {
        (sqlite, d1, postgres_env)
    } else {
        (
            backup.sqlite.clone(),
            backup.d1.clone(),
            backup.postgres_env.clone(),
        )
    };
    match (sqlite, d1, postgres_env) {
        (Some(path), _, _) => Ok(ExportSource::Sqlite(path)),
        (None, Some(database), _) => Ok(ExportSource::D1(d1_source(database, remote, env, config))),
        (None, None, Some(env)) => Ok(ExportSource::Postgres(PostgresSource { env })),
        (None, None, None) => Err(usage(
            "nothing to export".to_owned(),
            "pass --sqlite FILE, --d1 BINDING or --postgres, or set `sqlite`, `d1` or `postgres_env` in [backup]",
        )),
    }
}

/// The SQLite file's stem, or the D1 binding.
fn default_name(source: &ExportSource) -> String {
    match source {
        ExportSource::Sqlite(path) => path
            .file_stem()
            .map_or_else(|| "backup".to_owned(), |s| s.to_string_lossy().into_owned()),
        ExportSource::D1(d1) => d1.database.clone(),
        ExportSource::Postgres(_) => "postgres".to_owned(),
    }
}

/// Recipients from the flags, else from `[backup]` in bulwark.toml. Fails closed.
fn resolve_recipients(
    args: &RecipientArgs,
    backup: &bulwark_config::Backup,
) -> Result<Vec<Recipient>, BackupError> {
    let mut list = parse_recipient_list(&args.recipients, "--recipient")?;
    if let Some(file) = &args.recipients_file {
        list.extend(load_recipients_file(file)?);
    }
    if list.is_empty() && args.recipients_file.is_none() {
        match &backup.recipients {
            Recipients::Inline(keys) => {
                list = parse_recipient_list(keys, "[backup] recipients")?;
            }
            Recipients::File(path) => list = load_recipients_file(path)?,
            Recipients::None => {}
        }
    }
    if list.is_empty() {
        return Err(usage(
            "refusing to write an unencrypted backup: no age recipient given".to_owned(),
            "pass --recipient age1… or --recipients-file FILE (or set recipients in [backup]); --no-encrypt writes a plain backup on purpose",
        ));
    }
    Ok(list)
}

/// The identity lookup, run only when an encrypted backup needs it. The keyring user is
/// the config's default (or only) environment, else `default`.
fn lazy_identities(
    args: IdentityArgs,
    config: Option<&Config>,
) -> Lazy<impl FnMut() -> Result<bulwark_vault::Identities, BackupError>> {
    let user = config
        .and_then(|c| c.environment(None).ok())
        .map_or_else(|| "default".to_owned(), |env| env.name.clone());
    let mut file = args.identity;
    Lazy::new(move || {
        IdentityLookup::from_process(file.take(), Some(&user))
            .find()
            .map_err(BackupError::from)
    })
}

fn d1_source(
    database: String,
    remote: bool,
    env: Option<String>,
    config: Option<&Config>,
) -> D1Source {
    // wrangler resolves a binding or a database name itself, in the `--env` it is given.
    D1Source {
        database,
        remote,
        workdir: config.map_or_else(|| PathBuf::from("."), |c| c.dir().to_owned()),
        wrangler_config: config.and_then(|c| c.migrations.wrangler_config.clone()),
        env,
    }
}

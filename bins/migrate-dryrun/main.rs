//! `migrate-dryrun`: applies pending D1 migrations to a throw-away copy of the database
//! (or Supabase migrations to a throw-away PostgreSQL copy) and reports what would fail,
//! what data would be lost, and what the schema becomes.

use std::process::ExitCode;

use bulwark_cli::migrate_dryrun::{Cli, Command};
use bulwark_migrate::{MigrateError, Request};

fn main() -> ExitCode {
    let cli = Cli::parse_args();
    let mut out = bulwark_cli::start(
        "migrate-dryrun",
        cli.common.output_options(cli.format.format.into()),
    );
    if let Some(request) = cli.source.postgres_request(cli.strict) {
        // Before anything can print it: the URL and its password.
        if let Some(var) = cli.source.postgres_env() {
            bulwark_pg::hide_url_in(&var, |value| out.redactor_mut().add_value(value));
        }
        if cli.command.is_some() || cli.keep.is_some() || cli.lock.is_some() {
            return out.fail(&MigrateError::Unsupported {
                what: "list, --keep and --lock",
                with: "--postgres",
            });
        }
        let progress = out.progress("migrate-dryrun", None);
        return match bulwark_migrate::postgres::run(&request, progress.as_ref()) {
            Ok(report) => {
                progress.finish();
                out.finish(&report)
            }
            Err(err) => out.fail(&err),
        };
    }
    let cwd = match std::env::current_dir() {
        Ok(cwd) => cwd,
        Err(source) => {
            return out.fail(&MigrateError::Io {
                action: "read the current directory",
                source,
            });
        }
    };
    let inputs = cli.source.inputs(cli.common.config.clone());
    let mut request = match Request::resolve(&inputs, &cwd) {
        Ok(request) => request,
        Err(err) => return out.fail(&err),
    };
    request.strict = cli.strict;
    request.keep = cli.keep;
    request.lock = cli.lock;
    request.update_lock = cli.update_lock;
    let progress = out.progress("migrate-dryrun", None);
    match cli.command {
        Some(Command::List) => match bulwark_migrate::list(&request, progress.as_ref()) {
            Ok(report) => out.finish(&report),
            Err(err) => out.fail(&err),
        },
        None => match bulwark_migrate::run(&request, progress.as_ref()) {
            Ok(report) => {
                progress.finish();
                out.finish(&report)
            }
            Err(err) => out.fail(&err),
        },
    }
}

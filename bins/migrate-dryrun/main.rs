//! `migrate-dryrun`: applies pending D1 migrations to a throw-away copy of the database
//! (or Supabase migrations to a throw-away PostgreSQL copy) and reports what would fail,
//! what data would be lost, and what the schema becomes.

use std::path::Path;
use std::process::ExitCode;

use bulwark_cli::migrate_dryrun::{Cli, Command};
use bulwark_core::Output;
use bulwark_migrate::record::{self, Record};
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
    let mut inputs = cli.source.inputs(cli.common.config.clone());
    // `status --remote` reaches the database exactly as --export-remote does.
    inputs.export_remote |= matches!(cli.command, Some(Command::Status { remote: true }));
    let mut request = match Request::resolve(&inputs, &cwd) {
        Ok(request) => request,
        Err(err) => return out.fail(&err),
    };
    request.strict = cli.strict;
    request.keep = cli.keep;
    request.lock = cli.lock;
    request.update_lock = cli.update_lock;
    request.timeout = Some(std::time::Duration::from_secs(cli.timeout));
    request.save_export = cli.save_export;
    let context = bulwark_migrate::status::context(
        &request,
        cli.source.env.as_deref(),
        cli.source.database.as_deref(),
    );
    let progress = out.progress("migrate-dryrun", None);
    match cli.command {
        Some(Command::List) => match bulwark_migrate::list(&request, progress.as_ref()) {
            Ok(report) => out.finish(&report),
            Err(err) => out.fail(&err),
        },
        Some(Command::Status { remote }) => {
            let prediction = match cli
                .record
                .as_deref()
                .map(|p| Record::last_dry_run(p, &context))
            {
                Some(Err(err)) => return out.fail(&err),
                Some(Ok(found)) => found,
                None => None,
            };
            match bulwark_migrate::status(&request, remote, prediction.as_ref(), progress.as_ref())
            {
                Ok(report) => {
                    let record = |sha| Record {
                        migrations: report.applied.clone(),
                        verdict: if report.missing.is_empty()
                            && report.unexpected.is_empty()
                            && report.unknown.is_empty()
                        {
                            "applied".to_owned()
                        } else {
                            "mismatch".to_owned()
                        },
                        report_sha256: sha,
                        ..Record::new("status", &context, &cwd)
                    };
                    finish(&out, &report, cli.record.as_deref(), record)
                }
                Err(err) => out.fail(&err),
            }
        }
        None => match bulwark_migrate::run(&request, progress.as_ref()) {
            Ok(report) => {
                progress.finish();
                if std::env::var_os("GITHUB_ACTIONS").is_some_and(|v| v == "true") {
                    out.annotate(&report.github_annotations(&cwd));
                }
                let record = |sha| Record::of_dry_run(&report, &context, &cwd, sha);
                finish(&out, &report, cli.record.as_deref(), record)
            }
            Err(err) => out.fail(&err),
        },
    }
}

/// Appends the run's record (with its report's digest) to `record_file`, then prints the
/// report. A record that cannot be written fails the run: it was asked for.
fn finish<R: bulwark_core::Report>(
    out: &Output,
    report: &R,
    record_file: Option<&Path>,
    record: impl FnOnce(String) -> Record,
) -> ExitCode {
    if let Some(path) = record_file {
        let digest = match bulwark_core::json_document(report) {
            Ok(doc) => record::sha256_hex(&doc),
            Err(err) => {
                return out.fail(&MigrateError::Io {
                    action: "serialize the report",
                    source: err.into(),
                });
            }
        };
        if let Err(err) = record(digest).append(path) {
            return out.fail(&err);
        }
    }
    out.finish(report)
}

//! `db-backup`: encrypted, verified, pruned backups of a SQLite, D1 or PostgreSQL
//! database, made for an unattended cron.
#![expect(clippy::doc_markdown, reason = "SQLite is a name in prose, not code")]

use std::process::ExitCode;

use bulwark_backup::{Encryption, Settings};
use bulwark_cli::db_backup::Cli;
use bulwark_core::{Failure as _, NoProgress, Progress, render_error_chain};

fn main() -> ExitCode {
    let cli = Cli::parse_args();
    let options = cli.common.output_options(cli.format.format.into());
    let mut out = bulwark_cli::start("db-backup", options);
    let config = match bulwark_backup::load_config(cli.common.config.as_deref()) {
        Ok(config) => config,
        Err(err) => return out.fail(&err),
    };
    let inputs = cli.command.into_inputs();
    // Before anything can print them: the PostgreSQL URLs this run may read.
    inputs.hide_postgres_urls(config.as_ref(), |value| {
        out.redactor_mut().add_value(value);
    });
    let verb = inputs.verb();
    let status_file = inputs.status_file(cli.status_file.as_deref(), config.as_ref());
    let outcome = Settings::resolve(inputs, config.as_ref()).and_then(|settings| {
        if let Settings::Export(request) = &settings
            && matches!(request.encryption, Encryption::None)
        {
            out.warn("--no-encrypt: this backup is NOT encrypted");
        }
        let progress: Box<dyn Progress> = match settings.progress() {
            Some((label, total)) => out.progress(label, total),
            None => Box::new(NoProgress),
        };
        settings.run(progress.as_ref())
    });
    if let Some(path) = status_file {
        let run = match &outcome {
            Ok(done) => done.status(verb),
            Err(err) => {
                let reason = render_error_chain(err);
                bulwark_backup::run_now(verb, None, Some(reason), err.exit().code())
            }
        };
        if let Err(err) = bulwark_backup::record_status(&path, run) {
            let reason = render_error_chain(&err);
            out.warn(&format!("could not write the status file: {reason}"));
        }
    }
    match outcome {
        Ok(done) => out.finish(&done),
        Err(err) => out.fail(&err),
    }
}

//! `leak-scan`: finds secrets in git history, a working tree, the staged changes or
//! stdin, and names the commit that first leaked each one.

use std::process::ExitCode;

use bulwark_cli::leak_scan::{Action, Cli, ScanFormat};
use bulwark_core::{Exit, Output, Report as _};
use bulwark_scan::{GitleaksReport, SarifReport, ScanError, ScanReport};

fn main() -> ExitCode {
    let cli = Cli::parse_args();
    let out = bulwark_cli::start(
        "leak-scan",
        cli.common.output_options(cli.format.format.into()),
    );
    match cli.command.into_action() {
        Action::InstallHook { path, force } => match bulwark_scan::install_hook(&path, force) {
            Ok(hook) => {
                out.note(&format!("wrote {}", hook.display()));
                ExitCode::SUCCESS
            }
            Err(err) => out.fail(&err),
        },
        Action::Scan {
            request,
            report,
            exit_code,
        } => {
            // Progress only for people: never with JSON or SARIF on stdout.
            let progress = if cli.format.format == ScanFormat::Human {
                out.progress("scanning", None)
            } else {
                Box::new(bulwark_core::NoProgress)
            };
            match bulwark_scan::run(&request, progress.as_ref()) {
                Ok((scan, rules)) => {
                    progress.finish();
                    if scan.config.source != "built-in" {
                        out.note(&format!("rules from {}", scan.config.describe()));
                    }
                    finish(
                        &out,
                        &scan,
                        &rules,
                        cli.format.format,
                        report.as_deref(),
                        exit_code,
                    )
                }
                Err(err) => {
                    progress.finish();
                    out.fail(&err)
                }
            }
        }
    }
}

/// Prints the report, writes `--report`, and maps leaks to `--exit-code`.
fn finish(
    out: &Output,
    scan: &ScanReport,
    rules: &bulwark_scan::Rules,
    format: ScanFormat,
    report_file: Option<&std::path::Path>,
    exit_code: u8,
) -> ExitCode {
    if let Some(path) = report_file {
        let written = bulwark_scan::render_to_bytes(scan, rules, format.name())
            .map_err(|source| ScanError::Write {
                path: path.to_owned(),
                source,
            })
            .and_then(|bytes| bulwark_scan::write_atomic(path, &bytes, 0o600));
        if let Err(err) = written {
            return out.fail(&err);
        }
    }
    let code = match format {
        ScanFormat::Sarif => out.finish(&SarifReport::new(scan, rules)),
        ScanFormat::GitleaksJson => out.finish(&GitleaksReport::new(scan, rules)),
        ScanFormat::Human | ScanFormat::Json => out.finish(scan),
    };
    if scan.exit() == Exit::Problem && code == ExitCode::from(Exit::Problem.code()) {
        ExitCode::from(exit_code)
    } else {
        code
    }
}

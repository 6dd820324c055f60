//! `secrets-verify`: proves before a deploy that every required secret exists in every
//! target, and that none sits where it would leak.
#![expect(
    clippy::doc_markdown,
    reason = "doc comments in cli.rs are clap's --help text, where backticks would print literally"
)]

mod cli;
#[path = "../common/mod.rs"]
mod common;

use std::process::ExitCode;
use std::time::Duration;

use bulwark_config::Config;
use bulwark_core::NotImplemented;
use bulwark_scan::Rules;
use bulwark_targets::Runner;

fn main() -> ExitCode {
    let cli = cli::Cli::parse_args();
    let mut out = common::start(
        "secrets-verify",
        cli.common.output_options(cli.format.into()),
    );
    if cli.names_from_store || cli.identity.is_some() {
        return out.fail(&NotImplemented {
            command: "secrets-verify --names-from-store".to_owned(),
        });
    }
    let config = match Config::load_or_discover(cli.common.config.as_deref()) {
        Ok(config) => config,
        Err(err) => return out.fail(&err),
    };
    let request = cli.request();
    let mut runner = Runner::new(config.dir(), Duration::from_secs(cli.timeout));
    for value in bulwark_verify::sensitive_env_values(&config, &request) {
        runner.hide(&value);
        out.redactor_mut().add(&value);
    }
    for var in bulwark_targets::Tool::ALL
        .iter()
        .flat_map(|tool| tool.token_vars())
    {
        if let Ok(value) = std::env::var(var) {
            out.redactor_mut().add_value(&value);
        }
    }
    let progress = out.progress("listing secrets", None);
    let rules = Rules::default_rules();
    match bulwark_verify::verify(&config, &request, &runner, &rules, progress.as_ref()) {
        Ok(report) => {
            if std::env::var_os("GITHUB_ACTIONS").is_some_and(|v| v == "true") {
                out.annotate(&report.github_annotations());
            }
            out.finish(&report)
        }
        Err(err) => out.fail(&err),
    }
}

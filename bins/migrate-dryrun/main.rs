//! `migrate-dryrun`: applies pending D1 migrations to a throw-away copy of the database
//! and reports what would fail, what data would be lost, and what the schema becomes.
#![expect(
    clippy::doc_markdown,
    reason = "doc comments in cli.rs are clap's --help text, where backticks would print literally"
)]

mod cli;
#[path = "../common/mod.rs"]
mod common;

use std::process::ExitCode;

use bulwark_core::NotImplemented;

fn main() -> ExitCode {
    let cli = cli::Cli::parse_args();
    let out = common::start(
        "migrate-dryrun",
        cli.common.output_options(cli.format.into()),
    );
    let command = match cli.command {
        Some(cli::Command::List) => "migrate-dryrun list",
        None => "migrate-dryrun",
    };
    out.fail(&NotImplemented {
        command: command.to_owned(),
    })
}

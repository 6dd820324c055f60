//! `db-backup`: encrypted, verified, pruned backups of a SQLite or D1 database, made for
//! an unattended cron.
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
    let out = common::start("db-backup", cli.common.output_options(cli.format.into()));
    out.fail(&NotImplemented {
        command: format!("db-backup {}", cli.command.verb()),
    })
}

//! `leak-scan`: finds secrets in git history, a working tree, the staged changes or
//! stdin, and names the commit that first leaked each one.
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
    let out = common::start("leak-scan", cli.common.output_options(cli.format.into()));
    out.fail(&NotImplemented {
        command: format!("leak-scan {}", cli.command.verb()),
    })
}

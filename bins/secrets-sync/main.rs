//! `secrets-sync`: the age-encrypted dotenv store is the source of truth; plan and apply
//! it to wrangler, Secrets Store, Fly and GitHub, values on the CLIs' stdin only.
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
    let out = common::start("secrets-sync", cli.common.output_options(cli.format.into()));
    out.fail(&NotImplemented {
        command: format!("secrets-sync {}", cli.command.verb()),
    })
}

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

use bulwark_core::NotImplemented;

fn main() -> ExitCode {
    let cli = cli::Cli::parse_args();
    let out = common::start(
        "secrets-verify",
        cli.common.output_options(cli.format.into()),
    );
    out.fail(&NotImplemented {
        command: "secrets-verify".to_owned(),
    })
}

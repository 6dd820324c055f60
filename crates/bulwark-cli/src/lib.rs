//! The command lines of every Bulwark binary: their clap types, the flags they share
//! ([`shared`]), and the conversion of each into its library's plain request. The
//! binaries parse with these types; the tests, the man pages and the shell completions
//! are checked against the very same ones. clap stays out of every other crate.
#![expect(
    clippy::doc_markdown,
    reason = "doc comments here are clap's --help text, where backticks would print literally"
)]

pub mod db_backup;
pub mod deploy_lint;
pub mod leak_scan;
pub mod migrate_dryrun;
pub mod secrets_sync;
pub mod secrets_verify;
pub mod shared;

pub use shared::{Common, FormatArg, OutputFlags, start};

/// Every binary's name and its command line, for whatever is generated from or checked
/// against all of them.
#[must_use]
pub fn commands() -> [(&'static str, clap::Command); 6] {
    use clap::CommandFactory as _;
    [
        ("secrets-verify", secrets_verify::Cli::command()),
        ("secrets-sync", secrets_sync::Cli::command()),
        ("leak-scan", leak_scan::Cli::command()),
        ("migrate-dryrun", migrate_dryrun::Cli::command()),
        ("db-backup", db_backup::Cli::command()),
        ("deploy-lint", deploy_lint::Cli::command()),
    ]
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_command_line_is_well_formed() {
        for (name, command) in super::commands() {
            assert_eq!(command.get_name(), name);
            command.debug_assert();
        }
    }
}

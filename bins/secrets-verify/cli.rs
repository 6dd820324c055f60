use std::path::PathBuf;

use clap::Parser;

use crate::common::{Common, FormatArg};

/// Check that every required secret exists in every deploy target, with no empty or
/// placeholder value and none in wrangler `vars`. Needs no decryption key.
///
/// Exit codes: 0 all present and clean, 1 something missing or a lint failed, 2 bad
/// config or flags, 3 a target could not be listed.
#[derive(Debug, Parser)]
#[command(name = "secrets-verify", version, max_term_width = 100)]
pub(crate) struct Cli {
    /// Environment(s) from bulwark.toml to check [default: default_env, else every one]
    #[arg(long = "env", value_name = "NAME")]
    pub(crate) envs: Vec<String>,

    /// Only check the target with this name (its label, or its kind)
    #[arg(long = "target", value_name = "NAME")]
    pub(crate) targets: Vec<String>,

    /// Require this secret name (or PREFIX_* pattern) in addition to bulwark.toml's list
    #[arg(long = "require", value_name = "NAME")]
    pub(crate) require: Vec<String>,

    /// Also check the encrypted store: every required name in it, no placeholder value
    /// (needs the identity: --identity, $BULWARK_AGE_IDENTITY, the OS keyring, or
    /// ~/.config/bulwark/identity.txt)
    #[arg(long)]
    pub(crate) names_from_store: bool,

    /// age identity file, for --names-from-store
    #[arg(long, value_name = "FILE")]
    pub(crate) identity: Option<PathBuf>,

    /// Values shorter than this count as placeholders
    #[arg(long, value_name = "CHARS", default_value_t = 8)]
    pub(crate) min_length: usize,

    /// Stop a target CLI that has not answered after this many seconds
    #[arg(long, value_name = "SECONDS", default_value_t = 120)]
    pub(crate) timeout: u64,

    /// Output format
    #[arg(long, value_enum, default_value_t = FormatArg::Human)]
    pub(crate) format: FormatArg,

    #[command(flatten)]
    pub(crate) common: Common,
}

impl Cli {
    /// The library request these flags describe.
    pub(crate) fn request(&self) -> bulwark_verify::Request {
        bulwark_verify::Request {
            envs: self.envs.clone(),
            targets: self.targets.clone(),
            require: self.require.clone(),
            min_length: self.min_length,
        }
    }

    /// Parses argv; a bad flag exits 2 (clap's usage error), `--help` exits 0.
    pub(crate) fn parse_args() -> Self {
        Self::parse()
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    #[test]
    fn cli_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}

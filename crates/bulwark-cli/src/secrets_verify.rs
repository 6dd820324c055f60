//! `secrets-verify`'s command line.

use clap::Parser;

use crate::shared::{Common, EditArg as _, FormatFlag, IdentityArg, TimeoutArg};

/// Check that every required secret exists in every deploy target, with no empty or
/// placeholder value and none in wrangler `vars`. Needs no decryption key.
///
/// Exit codes: 0 all present and clean, 1 something missing or a lint failed, 2 bad
/// config or flags, 3 a target could not be listed.
#[derive(Debug, Parser)]
#[command(name = "secrets-verify", version, max_term_width = 100)]
#[command(edit_arg("identity", |arg| arg.help("age identity file, for --names-from-store")))]
#[command(edit_arg("timeout", |arg| arg
    .help("Stop a target CLI that has not answered after this many seconds")
    .default_value("120")))]
pub struct Cli {
    /// Environment(s) from bulwark.toml to check [default: default_env, else every one]
    #[arg(long = "env", value_name = "NAME")]
    pub envs: Vec<String>,

    /// Only check the target with this name (its label, or its kind)
    #[arg(long = "target", value_name = "NAME")]
    pub targets: Vec<String>,

    /// Require this secret name (or PREFIX_* pattern) in addition to bulwark.toml's list
    #[arg(long = "require", value_name = "NAME")]
    pub require: Vec<String>,

    /// Also check the encrypted store: every required name in it, no placeholder value
    /// (needs the identity: --identity, $BULWARK_AGE_IDENTITY, the OS keyring, or
    /// ~/.config/bulwark/identity.txt)
    #[arg(long)]
    pub names_from_store: bool,

    #[command(flatten)]
    pub identity: IdentityArg,

    /// Values shorter than this count as placeholders
    #[arg(long, value_name = "CHARS", default_value_t = 8)]
    pub min_length: usize,

    #[command(flatten)]
    pub timeout: TimeoutArg,

    #[command(flatten)]
    pub format: FormatFlag,

    #[command(flatten)]
    pub common: Common,
}

impl Cli {
    /// The library request these flags describe.
    #[must_use]
    pub fn request(&self) -> bulwark_verify::Request {
        bulwark_verify::Request {
            envs: self.envs.clone(),
            targets: self.targets.clone(),
            require: self.require.clone(),
            min_length: self.min_length,
        }
    }

    /// Parses argv; a bad flag exits 2 (clap's usage error), `--help` exits 0.
    #[must_use]
    pub fn parse_args() -> Self {
        Self::parse()
    }
}

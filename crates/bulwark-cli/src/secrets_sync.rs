//! `secrets-sync`'s command line.

use std::ffi::OsString;

use clap::{Parser, Subcommand};

use crate::shared::{Common, EditArg as _, FormatFlag, IdentityArg, TimeoutArg};

/// Keep deploy targets in step with an age-encrypted dotenv store, without ever showing
/// a value: plans print names only, values travel on the target CLI's stdin.
///
/// The identity is looked up in order: --identity FILE, $BULWARK_AGE_IDENTITY, the OS
/// keyring (service `bulwark`), ~/.config/bulwark/identity.txt.
///
/// Exit codes: 0 done, 1 plan not clean (--check), 2 bad input or wrong key, 3 a target
/// failed.
#[derive(Debug, Parser)]
#[command(name = "secrets-sync", version, max_term_width = 100)]
#[command(edit_arg("identity", |arg| arg.help("age identity file that decrypts the store")))]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// Environment from bulwark.toml [default: default_env]
    #[arg(long = "env", global = true, value_name = "NAME")]
    pub env: Option<String>,

    #[command(flatten)]
    pub identity: IdentityArg,

    #[command(flatten)]
    pub timeout: TimeoutArg,

    #[command(flatten)]
    pub format: FormatFlag,

    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show what apply would add, update or remove in each target (names only)
    Plan {
        /// Only this target (its label, or its kind)
        #[arg(long = "target", value_name = "NAME")]
        targets: Vec<String>,
        /// Also plan removing names the store does not have
        #[arg(long)]
        prune: bool,
        /// Exit 1 when the plan is not empty (for CI drift checks)
        #[arg(long)]
        check: bool,
    },
    /// Perform the plan through the target CLIs
    Apply {
        /// Only this target (its label, or its kind)
        #[arg(long = "target", value_name = "NAME")]
        targets: Vec<String>,
        /// Also remove names the store does not have
        #[arg(long)]
        prune: bool,
        /// Do not ask for confirmation (required without a terminal)
        #[arg(long)]
        yes: bool,
        /// Fly: stage the secrets without deploying them
        #[arg(long)]
        stage_only: bool,
        /// Print ::add-mask:: for each value first [default: on when GITHUB_ACTIONS=true]
        #[arg(long)]
        mask: bool,
    },
    /// Decrypt to a private temp file, run $VISUAL/$EDITOR, re-encrypt atomically
    Edit,
    /// Set one secret; the value comes from stdin, or a prompt without echo
    Set {
        /// Secret name
        name: String,
    },
    /// Remove one secret from the store
    Unset {
        /// Secret name
        name: String,
    },
    /// List the names in the store
    Names,
    /// Re-encrypt the store to the current recipients
    Rotate,
    /// Run a command with the store's secrets in its environment
    Exec {
        /// The command and its arguments
        #[arg(required = true, trailing_var_arg = true, value_name = "CMD")]
        command: Vec<OsString>,
    },
    /// Keep the identity in the OS keyring
    #[command(subcommand)]
    Identity(IdentityCommand),
}

#[derive(Debug, Subcommand)]
pub enum IdentityCommand {
    /// Store an identity (read from stdin) in the OS keyring for --env
    Store,
    /// Remove the identity for --env from the OS keyring
    Forget,
}

impl Cli {
    /// Parses argv; a bad flag exits 2 (clap's usage error), `--help` exits 0.
    #[must_use]
    pub fn parse_args() -> Self {
        Self::parse()
    }
}

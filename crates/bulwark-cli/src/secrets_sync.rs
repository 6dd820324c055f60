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

    /// Environment from bulwark.toml [default: default_env]; `audit` takes it more than
    /// once [default: every environment with a store]
    #[arg(long = "env", global = true, value_name = "NAME")]
    pub env: Vec<String>,

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
    Names {
        /// Also show when each value last changed, and by which verb
        #[arg(long)]
        long: bool,
    },
    /// Check the stores against [audit]: shared, stale, weak and orphan values (names only)
    ///
    /// Reads every environment with a store (or those --env names), each with its own
    /// identity, and checks values shared between environments or names, values older than
    /// max_age_days, values weaker than the policy, names in a target that no store holds,
    /// required names no store holds, and the hash chain of each store's apply log.
    Audit {
        /// Exit 1 when a finding is at least this severe
        #[arg(long, value_enum, default_value_t = FailOn::Error)]
        fail_on: FailOn,
    },
    /// Replace one value with a generated random one (never printed); apply sends it
    ///
    /// The value comes from the OS's random number generator and goes straight into the
    /// store; the change is recorded in the state file. Names of vendors' credentials are
    /// refused: those are rotated at the vendor.
    RotateValue {
        /// Secret name
        name: String,
        /// Generate the value with the OS's random number generator (the only way)
        #[arg(long, required = true)]
        generate: bool,
        /// Random bytes in the value
        #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u16).range(16..=1024))]
        bytes: u16,
        /// How the bytes are written
        #[arg(long, value_enum, default_value_t = Encoding::Base64)]
        encoding: Encoding,
    },
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

/// The least severe finding that fails `audit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    /// Any finding
    Warning,
    /// Errors only
    Error,
}

/// How `rotate-value` writes the random bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Encoding {
    /// Standard base64, as `openssl rand -base64` prints
    Base64,
    /// Lower-case hex, as `openssl rand -hex` prints
    Hex,
    /// Letters and digits, as many as carry the same randomness
    Alnum,
}

impl From<FailOn> for bulwark_sync::Severity {
    fn from(fail_on: FailOn) -> Self {
        match fail_on {
            FailOn::Warning => Self::Warning,
            FailOn::Error => Self::Error,
        }
    }
}

impl From<Encoding> for bulwark_sync::ValueFormat {
    fn from(encoding: Encoding) -> Self {
        match encoding {
            Encoding::Base64 => Self::Base64,
            Encoding::Hex => Self::Hex,
            Encoding::Alnum => Self::Alnum,
        }
    }
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

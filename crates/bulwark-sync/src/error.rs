//! Why a secrets-sync command failed. No variant holds a value.

use std::path::PathBuf;

use bulwark_config::ConfigError;
use bulwark_core::{Exit, Failure};
use bulwark_targets::TargetError;
use bulwark_vault::VaultError;

use crate::DotenvError;

/// Errors of `bulwark-sync`.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The config is unusable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A key, a recipient or the encryption failed.
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// A target CLI could not be run or listed.
    #[error(transparent)]
    Target(#[from] TargetError),
    /// The environment has no `store`.
    #[error("environment `{env}` has no `store` in {}", config.display())]
    NoStore {
        /// The environment.
        env: String,
        /// The config file.
        config: PathBuf,
    },
    /// The store does not exist yet.
    #[error("the store {} does not exist", path.display())]
    MissingStore {
        /// The store.
        path: PathBuf,
    },
    /// The decrypted store is not a valid dotenv.
    #[error("the store {} is not a valid dotenv: {source}", path.display())]
    BadDotenv {
        /// The store.
        path: PathBuf,
        /// Where and what (never the line's text).
        #[source]
        source: DotenvError,
    },
    /// The text saved from `edit` is not a valid dotenv; the store was left as it was.
    #[error("the edited text is not a valid dotenv, so {} was left unchanged", store.display())]
    BadEdit {
        /// The store that was being edited.
        store: PathBuf,
        /// Where and what (never the line's text).
        #[source]
        source: DotenvError,
    },
    /// The decrypted store is not UTF-8.
    #[error("the store {} is not UTF-8 text", path.display())]
    NotUtf8 {
        /// The store.
        path: PathBuf,
    },
    /// No recipient to encrypt the store to.
    #[error("no recipients for environment `{env}`: set `recipients` or `recipients_file` in bulwark.toml, or create {}", default.display())]
    NoRecipients {
        /// The environment.
        env: String,
        /// The recipients file looked for beside the store.
        default: PathBuf,
    },
    /// A file could not be read or written.
    #[error("failed to {action} {}", path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// A secret name is not valid.
    #[error(
        "`{0}` is not a valid secret name (letters, digits and `_`, not starting with a digit)"
    )]
    BadName(String),
    /// A value cannot be sent to a target as it is.
    #[error("{count} value(s) cannot be sent as they are: {details}")]
    Invalid {
        /// How many.
        count: usize,
        /// `NAME → target: reason`, joined (names and reasons only).
        details: String,
    },
    /// Values too short to redact safely from output (see `MIN_VALUE_LEN`).
    #[error("{names}: a value shorter than {min} bytes cannot be redacted safely")]
    TooShort {
        /// The names whose values are too short.
        names: String,
        /// The shortest value a store takes.
        min: usize,
    },
    /// `--mask` where the masks cannot go safely.
    #[error(transparent)]
    MaskRefused(bulwark_core::MaskRefused),
    /// `apply` without `--yes` and no terminal to ask on, or the user said no.
    #[error("{0}")]
    NotConfirmed(String),
    /// A child command (the editor, `exec`'s command) could not run.
    #[error("failed to run {command}")]
    Spawn {
        /// What was run (its program only).
        command: String,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// A bad combination of flags.
    #[error("{0}")]
    Usage(String),
    /// The OS's random source failed.
    #[error("the OS random number generator failed: {0}")]
    Random(String),
    /// `rotate-value` on a name that looks like a vendor's credential.
    #[error(
        "`{name}` looks like a {vendor} credential, which is rotated at {vendor}, not generated here"
    )]
    ThirdParty {
        /// The name.
        name: String,
        /// The vendor.
        vendor: String,
    },
    /// Interrupted by a signal; everything was cleaned up.
    #[error("interrupted; no plaintext was left behind")]
    Interrupted,
}

impl SyncError {
    /// An I/O error while doing `action` on `path`.
    #[must_use]
    pub fn io(action: &'static str, path: &std::path::Path, source: std::io::Error) -> Self {
        Self::Io {
            action,
            path: path.to_owned(),
            source,
        }
    }
}

impl Failure for SyncError {
    fn exit(&self) -> Exit {
        match self {
            Self::Config(err) => err.exit(),
            Self::Vault(err) => err.exit(),
            Self::Target(err) => err.exit(),
            Self::Io { .. } | Self::Spawn { .. } | Self::Random(_) => Exit::Operational,
            Self::Interrupted => Exit::Interrupted,
            // The check ran and found values a target would refuse: the same finding
            // `plan` reports with exit 1, so `apply` exits 1 too.
            Self::Invalid { .. } => Exit::Problem,
            _ => Exit::Usage,
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            Self::MissingStore { .. } => {
                Some("create it with `secrets-sync set NAME` (value on stdin)".to_owned())
            }
            Self::BadDotenv { .. } => Some("fix it with `secrets-sync edit`".to_owned()),
            Self::BadEdit { .. } => {
                Some("run `secrets-sync edit` again and fix the line named above".to_owned())
            }
            Self::Invalid { .. } => Some(
                "fix the values with `secrets-sync set NAME` or `secrets-sync edit`".to_owned(),
            ),
            Self::TooShort { min, .. } => Some(format!(
                "use a value of at least {min} bytes (a generated token is); a shorter one would show up wherever it happens to occur in output"
            )),
            Self::MaskRefused(_) => Some(
                "--mask is for a GitHub Actions step, whose stderr the runner reads through a pipe; run it there, or without --mask".to_owned(),
            ),
            Self::NotConfirmed(_) => Some("pass --yes to apply without asking".to_owned()),
            Self::ThirdParty { name, vendor } => Some(format!(
                "create a new credential in {vendor}'s dashboard or API, revoke the old one there, then store it with `secrets-sync set {name}`"
            )),
            _ => None,
        }
    }

    fn wrapped(&self) -> Option<&dyn Failure> {
        match self {
            Self::Config(err) => Some(err),
            Self::Vault(err) => Some(err),
            Self::Target(err) => Some(err),
            _ => None,
        }
    }
}

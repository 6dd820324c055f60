//! Loading the files Bulwark reads: its own `bulwark.toml`, wrangler's config
//! (`wrangler.jsonc`, `wrangler.json`, `wrangler.toml`) and `fly.toml`.
//!
//! Every error names the file, and where the parser can tell, the line and column, so a
//! user goes straight to the mistake. Unknown keys in `bulwark.toml` are errors: a typo in
//! a safety tool's config must never silently turn a check off.

mod audit;
mod bulwark;
mod document;
mod fly;
mod standards;
mod wrangler;

use std::fmt;
use std::path::PathBuf;

use bulwark_core::{Exit, Failure};

pub use audit::{Audit, DEFAULT_MAX_AGE_DAYS, DEFAULT_MIN_BYTES, NamePattern};
pub use bulwark::{
    Backup, CONFIG_FILE_NAME, Config, Environment, Migrations, Recipients, Requirement, Target,
    TargetSpec,
};
pub use document::{Document, Location};
pub use fly::FlyConfig;
pub use standards::{CompatibilityDate, Disabled, NAMING_KINDS, Standards, is_iso_date};
pub use wrangler::{
    D1Database, DEFAULT_MIGRATIONS_DIR, DEFAULT_MIGRATIONS_TABLE, WRANGLER_CONFIG_NAMES,
    WranglerConfig, WranglerEnv,
};

/// Why a config file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// No `bulwark.toml` between the start directory and the root.
    #[error("no {CONFIG_FILE_NAME} in {} or any parent directory", start.display())]
    NotFound {
        /// Where the search started.
        start: PathBuf,
    },
    /// No wrangler config in a directory.
    #[error("no wrangler config (wrangler.json, wrangler.jsonc or wrangler.toml) in {}", dir.display())]
    NoWranglerConfig {
        /// The directory searched.
        dir: PathBuf,
    },
    /// The file could not be read.
    #[error("failed to read {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// A wrangler environment that the file does not define, in wrangler's own words.
    #[error("{}: No environment found in configuration with name \"{name}\".\nThe available configured environment names are: {known}", path.display())]
    NoEnvironment {
        /// The wrangler file.
        path: PathBuf,
        /// The environment asked for.
        name: String,
        /// The ones it defines, as a JSON list (as wrangler prints them).
        known: String,
    },
    /// The file is not valid, at a place in it.
    #[error("{}{location}: {message}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Line and column, when known.
        location: Location,
        /// What is wrong, and where possible what was expected.
        message: String,
    },
    /// `--target` names no target of the environment.
    #[error("no target named `{name}` in environment `{env}` (targets: {known})")]
    UnknownTarget {
        /// The name given.
        name: String,
        /// The environment.
        env: String,
        /// The names that exist, joined.
        known: String,
    },
}

impl ConfigError {
    pub(crate) fn invalid(
        path: &std::path::Path,
        location: Location,
        message: impl fmt::Display,
    ) -> Self {
        Self::Invalid {
            path: path.to_owned(),
            location,
            message: message.to_string(),
        }
    }
}

impl Failure for ConfigError {
    fn exit(&self) -> Exit {
        Exit::Usage
    }

    fn hint(&self) -> Option<String> {
        Some(match self {
            Self::NotFound { .. } => format!(
                "create {CONFIG_FILE_NAME} (docs/config.md has a complete example) or pass --config FILE"
            ),
            Self::NoWranglerConfig { .. } => {
                "pass the wrangler config with --wrangler-config FILE".to_owned()
            }
            Self::Read { .. } => "check that the file exists and is readable".to_owned(),
            Self::NoEnvironment { name, .. } => format!(
                "add an `env.{name}` section to that file, or name an environment it defines"
            ),
            Self::Invalid { path, .. } if path.ends_with(CONFIG_FILE_NAME) => {
                "fix the place named above; docs/config.md lists every key".to_owned()
            }
            Self::Invalid { .. } => "fix the place named above".to_owned(),
            Self::UnknownTarget { .. } => {
                "a target's name is its `label`, or else its `kind`".to_owned()
            }
        })
    }
}

//! The crate's error type.

use std::path::PathBuf;

use bulwark_core::{Exit, Failure};

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// A rule's or allow-list's regex does not compile.
    #[error("the regex of {rule} does not compile")]
    BadRegex {
        /// The rule (or allow-list) it belongs to.
        rule: String,
        /// The compiler's complaint.
        #[source]
        source: Box<regex::Error>,
    },
    /// The keyword automaton could not be built.
    #[error("failed to build the keyword prefilter")]
    Prefilter {
        /// Why.
        #[source]
        source: Box<aho_corasick::BuildError>,
    },
    /// A rules file is not valid TOML or has the wrong shape.
    #[error("the rules config is not a valid gitleaks TOML config")]
    ConfigToml {
        /// The parser's complaint, with line and column.
        #[source]
        source: Box<toml::de::Error>,
    },
    /// A rules file is valid TOML but says something unsupported or wrong.
    #[error("bad rules config: {message}")]
    Config {
        /// What is wrong.
        message: String,
    },
    /// A rules config, ignore file or baseline could not be read.
    #[error("failed to read {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A rules config file is bad (wraps the parse error with the path).
    #[error("bad rules config {path}")]
    RulesFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        #[source]
        source: Box<ScanError>,
    },
    /// A rules config given in an environment variable is bad.
    #[error("bad rules config in ${name}")]
    RulesEnv {
        /// The variable.
        name: &'static str,
        /// What is wrong.
        #[source]
        source: Box<ScanError>,
    },
    /// A baseline is not a leak-scan or gitleaks JSON report.
    #[error("{path} is not a leak-scan or gitleaks JSON report")]
    BadBaseline {
        /// The file.
        path: PathBuf,
        /// The parser's complaint.
        #[source]
        source: serde_json::Error,
    },
    /// A file could not be written.
    #[error("failed to write {path}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The path is not a git repository.
    #[error("{path} is not a git repository")]
    OpenRepo {
        /// The path given.
        path: PathBuf,
        /// What gix said.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A revision (`--branch`, `--range`) does not name a commit.
    #[error("{spec:?} does not name a commit")]
    BadRevision {
        /// The revision as given.
        spec: String,
        /// What gix said.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Reading the repository failed.
    #[error("{what}")]
    Git {
        /// What was being done.
        what: String,
        /// What gix said.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A flag's value is wrong.
    #[error("{message}")]
    BadInput {
        /// What is wrong.
        message: String,
    },
    /// `install-hook` found a hook already there.
    #[error("{path} already exists")]
    HookExists {
        /// The existing hook.
        path: PathBuf,
    },
}

impl Failure for ScanError {
    fn exit(&self) -> Exit {
        match self {
            Self::Git { .. } | Self::Write { .. } => Exit::Operational,
            _ => Exit::Usage,
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            Self::BadRegex { .. }
            | Self::ConfigToml { .. }
            | Self::Config { .. }
            | Self::RulesFile { .. }
            | Self::RulesEnv { .. } => Some(
                "the rules file uses the gitleaks format; see docs/leak-scan.md#compatibility"
                    .to_owned(),
            ),
            Self::OpenRepo { .. } => Some(
                "give the path of a work tree or a bare repository, or use `leak-scan dir`"
                    .to_owned(),
            ),
            Self::BadRevision { .. } => {
                Some("use a branch, tag or commit id, e.g. --range v1.0.0..HEAD".to_owned())
            }
            Self::HookExists { .. } => Some(
                "pass --force to replace it, or call `leak-scan staged` from your hook".to_owned(),
            ),
            Self::BadBaseline { .. } => {
                Some("make a baseline with `leak-scan git --format json --report FILE`".to_owned())
            }
            _ => None,
        }
    }
}

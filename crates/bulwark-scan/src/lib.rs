//! Secret scanning for Bulwark: a rule engine and the sources `leak-scan` reads.
//!
//! # The rule engine (reused by `secrets-verify`)
//!
//! ```
//! use bulwark_scan::Rules;
//!
//! let rules = Rules::default_rules();
//! assert!(!rules.matches_value("hello world"));
//! let found = rules.scan_text("let greeting = \"hello\";\n");
//! assert!(found.is_empty());
//! ```
//!
//! [`Rules::default_rules`] are Bulwark's own rules, written from the public token formats;
//! [`Rules::from_gitleaks_toml`] reads a gitleaks config. [`Rules::scan_text`] returns
//! every [`Match`] (rule, secret, byte range, 1-based lines and columns, entropy);
//! [`Rules::matches_value`] says whether a single value looks like a credential;
//! [`Rules::scan_bytes`] scans a file or blob with its path and commit, so that path rules
//! and allow-lists apply.
//!
//! Each rule has keywords: an Aho-Corasick automaton finds which keywords a text holds,
//! and only the rules with a keyword hit run their regex. Regexes use the `regex` crate
//! (linear time, no backtracking).
//!
//! # Sources
//!
//! [`scan_git`] walks a repository's history (every unique blob once, on all cores, each
//! finding attributed to the earliest commit that introduced it; see `git.rs` for the
//! algorithm), [`scan_dir`] the files under a directory, [`scan_staged`] the index
//! against HEAD, [`scan_reader`] standard input. [`run`] does what `leak-scan` does: picks
//! the rules and `.gitleaksignore`, scans, applies the baseline and redacts. A
//! [`ScanReport`] renders as human text or JSON through `bulwark-core`, and as SARIF
//! ([`SarifReport`]).

mod checks;
mod defaults;
mod git;
mod gitleaks;
mod report;
mod rules;
mod run;
mod sarif;
mod sources;
mod time;

use std::io::Write as _;
use std::path::{Path, PathBuf};

use bulwark_core::{Exit, Failure};

pub use checks::{base62_6, bech32_ok, crc32, github_checksum_ok, jwt_header_ok, shannon_entropy};
pub use defaults::default_rule_ids;
pub use git::{GitOptions, scan_git};
pub use gitleaks::IgnoreList;
pub use report::{Baseline, CommitInfo, Finding, ScanReport, ScanStats, redact_secret};
pub use rules::{Allowlist, INLINE_ALLOW, Match, RegexTarget, Rule, Rules, Validator};
pub use run::{SarifReport, ScanRequest, Source, render_to_bytes, run};
pub use sources::{PRE_COMMIT_HOOK, install_hook, scan_dir, scan_reader, scan_staged};
pub use time::{parse_date, rfc3339};

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
            | Self::RulesFile { .. } => Some(
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

/// Loads rules: the gitleaks TOML config at `path`, or the defaults when `None`.
pub fn load_rules(path: Option<&Path>) -> Result<Rules, ScanError> {
    let Some(path) = path else {
        return Ok(Rules::default_rules());
    };
    let text = std::fs::read_to_string(path).map_err(|source| ScanError::Read {
        path: path.to_owned(),
        source,
    })?;
    Rules::from_gitleaks_toml(&text).map_err(|source| ScanError::RulesFile {
        path: path.to_owned(),
        source: Box::new(source),
    })
}

/// Loads a `.gitleaksignore` file.
pub fn load_ignore(path: &Path) -> Result<IgnoreList, ScanError> {
    std::fs::read_to_string(path)
        .map(|text| IgnoreList::parse(&text))
        .map_err(|source| ScanError::Read {
            path: path.to_owned(),
            source,
        })
}

/// Writes `bytes` to `path` atomically ([`bulwark_core::fs::AtomicFile`]) with
/// permissions `mode`.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> Result<(), ScanError> {
    let write = || {
        let mut file = bulwark_core::fs::AtomicFile::new(path)?;
        file.write_all(bytes)?;
        file.set_mode(mode)?;
        file.commit()
    };
    write().map_err(|source| ScanError::Write {
        path: path.to_owned(),
        source,
    })
}

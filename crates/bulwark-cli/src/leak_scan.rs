//! `leak-scan`'s command line.

use std::path::PathBuf;

use bulwark_core::Format;
use bulwark_scan::{GitOptions, RulesConfig, ScanRequest, Source};
use clap::{Args, Parser, Subcommand};

use crate::shared::{FormatFlag, OutputFlags};

/// Find leaked secrets in git history (every unique blob once, attributed to the commit
/// that introduced it), a directory, the staged changes, or stdin. Reads gitleaks
/// configs and .gitleaksignore. Redacts found secrets unless --no-redact.
///
/// Exit codes: 0 clean, 1 leaks found (see --exit-code), 2 bad input, 3 I/O failure.
#[derive(Debug, Parser)]
#[command(name = "leak-scan", version, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    #[command(flatten)]
    pub format: FormatFlag<ScanFormat>,

    #[command(flatten)]
    pub common: OutputFlags,
}

/// `--format`: leak-scan also writes SARIF for code scanning.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ScanFormat {
    /// Text for people, coloured on a terminal.
    #[default]
    Human,
    /// One JSON document on stdout (see docs/leak-scan.md).
    Json,
    /// SARIF 2.1.0, as GitHub code scanning accepts it.
    Sarif,
    /// gitleaks' JSON report, field for field, for tools that read gitleaks reports.
    GitleaksJson,
}

impl From<ScanFormat> for Format {
    /// SARIF goes through the writer's plain-text path: it carries its own `version`, so
    /// it must not get the `schema_version` envelope of `Format::Json`.
    fn from(format: ScanFormat) -> Self {
        match format {
            ScanFormat::Human | ScanFormat::Sarif | ScanFormat::GitleaksJson => Self::Human,
            ScanFormat::Json => Self::Json,
        }
    }
}

impl ScanFormat {
    /// The name `bulwark_scan::render_to_bytes` takes.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Human => "human",
            Self::Json => "json",
            Self::Sarif => "sarif",
            Self::GitleaksJson => "gitleaks-json",
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan git history: all refs by default (branches, tags, remotes, stash)
    Git {
        /// Repository (a work tree or a bare repository)
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Only commits in this revision range, e.g. v1.2.0..HEAD
        #[arg(long, value_name = "A..B", conflicts_with = "branch")]
        range: Option<String>,
        /// Only commits after this date (YYYY-MM-DD or RFC 3339)
        #[arg(long, value_name = "DATE", value_parser = parse_since)]
        since: Option<i64>,
        /// Only this branch instead of all refs
        #[arg(long, value_name = "NAME")]
        branch: Option<String>,
        /// List every commit that contains each finding, not only the first
        #[arg(long)]
        all_commits: bool,
        #[command(flatten)]
        scan: ScanArgs,
    },
    /// Scan files on disk, honouring .gitignore
    Dir {
        /// Directory or file
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Scan ignored files too
        #[arg(long)]
        no_ignore: bool,
        #[command(flatten)]
        scan: ScanArgs,
    },
    /// Scan the staged changes against HEAD (for a pre-commit hook)
    Staged {
        /// Repository
        #[arg(default_value = ".")]
        path: PathBuf,
        #[command(flatten)]
        scan: ScanArgs,
    },
    /// Scan standard input
    Stdin {
        /// Path to report for the input
        #[arg(long, value_name = "PATH", default_value = "-")]
        label: String,
        #[command(flatten)]
        scan: ScanArgs,
    },
    /// Write a git pre-commit hook that runs `leak-scan staged`
    InstallHook {
        /// Repository
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Replace an existing hook
        #[arg(long)]
        force: bool,
    },
}

/// Settings shared by every scan.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Rules: a gitleaks-format TOML config [default: $GITLEAKS_CONFIG, then the TOML in
    /// $GITLEAKS_CONFIG_TOML, then .gitleaks.toml at the scanned root, else the built-in
    /// rules]
    #[arg(
        short = 'c',
        long = "config",
        visible_alias = "rules",
        value_name = "FILE"
    )]
    pub rules: Option<PathBuf>,
    /// Fingerprints to ignore [default: .gitleaksignore if present]
    #[arg(long, value_name = "FILE")]
    pub ignore_file: Option<PathBuf>,
    /// Ignore findings already in this earlier JSON report
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Also write the report to this file
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Show found secrets in full
    #[arg(long)]
    pub no_redact: bool,
    /// Exit code when leaks are found
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub exit_code: u8,
    /// Skip files and blobs larger than this many bytes
    #[arg(long, value_name = "BYTES", default_value_t = 10 * 1024 * 1024)]
    pub max_size: u64,
}

fn parse_since(text: &str) -> Result<i64, String> {
    bulwark_scan::parse_date(text)
        .ok_or_else(|| format!("{text:?} is not a date: use YYYY-MM-DD or RFC 3339"))
}

impl ScanArgs {
    /// gitleaks' precedence: the flag, then `GITLEAKS_CONFIG` (a path), then
    /// `GITLEAKS_CONFIG_TOML` (the TOML itself); an empty variable counts as unset.
    fn rules_config(&self) -> Option<RulesConfig> {
        let set = |name: &str| std::env::var_os(name).filter(|value| !value.is_empty());
        if let Some(path) = &self.rules {
            return Some(RulesConfig::Flag(path.clone()));
        }
        if let Some(path) = set("GITLEAKS_CONFIG") {
            return Some(RulesConfig::EnvPath(path.into()));
        }
        set("GITLEAKS_CONFIG_TOML").map(RulesConfig::EnvToml)
    }

    fn request(&self, source: Source) -> ScanRequest {
        ScanRequest {
            source,
            rules: self.rules_config(),
            ignore_file: self.ignore_file.clone(),
            baseline: self.baseline.clone(),
            no_redact: self.no_redact,
            max_size: self.max_size,
        }
    }
}

/// What `main` does.
#[derive(Debug)]
pub enum Action {
    /// Run a scan.
    Scan {
        request: Box<ScanRequest>,
        report: Option<PathBuf>,
        exit_code: u8,
    },
    /// Write the pre-commit hook.
    InstallHook { path: PathBuf, force: bool },
}

impl Command {
    /// The library request this command line asks for.
    #[must_use]
    pub fn into_action(self) -> Action {
        let (source, scan) = match self {
            Self::InstallHook { path, force } => return Action::InstallHook { path, force },
            Self::Git {
                path,
                range,
                since,
                branch,
                all_commits,
                scan,
            } => (
                Source::Git {
                    path,
                    options: GitOptions {
                        range,
                        since,
                        branch,
                        all_commits,
                        max_size: scan.max_size,
                        threads: 0,
                    },
                },
                scan,
            ),
            Self::Dir {
                path,
                no_ignore,
                scan,
            } => (Source::Dir { path, no_ignore }, scan),
            Self::Staged { path, scan } => (Source::Staged { path }, scan),
            Self::Stdin { label, scan } => (Source::Stdin { label }, scan),
        };
        Action::Scan {
            request: Box::new(scan.request(source)),
            report: scan.report.clone(),
            exit_code: scan.exit_code,
        }
    }
}

impl Cli {
    /// Parses argv; a bad flag exits 2 (clap's usage error), `--help` exits 0.
    #[must_use]
    pub fn parse_args() -> Self {
        Self::parse()
    }
}

//! One scan from start to finish, as `leak-scan` runs it: pick the rules and ignore file,
//! read the source, drop ignored and baseline findings, redact.

use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};

use bulwark_core::{Progress, Report, SCHEMA_VERSION, Styles};
use serde::Serialize;

use crate::error::ScanError;
use crate::git::{GitOptions, scan_git};
use crate::gitleaks::IgnoreList;
use crate::gitleaks_json::GitleaksReport;
use crate::report::{Baseline, ScanReport};
use crate::rules::Rules;
use crate::sarif::SarifReport;
use crate::sources::{scan_dir, scan_reader, scan_staged};

/// Where to look.
#[derive(Debug, Clone)]
pub enum Source {
    /// A repository's history.
    Git {
        /// Work tree or bare repository.
        path: PathBuf,
        /// Range, branch, date and attribution settings.
        options: GitOptions,
    },
    /// Files on disk.
    Dir {
        /// Directory or file.
        path: PathBuf,
        /// Scan ignored files too.
        no_ignore: bool,
    },
    /// The index against HEAD.
    Staged {
        /// The repository.
        path: PathBuf,
    },
    /// Standard input.
    Stdin {
        /// The path to report.
        label: String,
    },
}

/// A gitleaks config chosen on the command line or in the environment (gitleaks'
/// precedence: `--config`, then `GITLEAKS_CONFIG`, then `GITLEAKS_CONFIG_TOML`; without
/// any, `.gitleaks.toml` at the scanned root, else the built-in rules).
#[derive(Debug, Clone)]
pub enum RulesConfig {
    /// `--config FILE` (or `--rules FILE`).
    Flag(PathBuf),
    /// `GITLEAKS_CONFIG`: the path of a config.
    EnvPath(PathBuf),
    /// `GITLEAKS_CONFIG_TOML`: the TOML text itself (not UTF-8 is an error at load).
    EnvToml(OsString),
}

/// Which config a scan used, for the report (`config` in JSON) and stderr.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigUsed {
    /// `--config`, `GITLEAKS_CONFIG`, `GITLEAKS_CONFIG_TOML`, `.gitleaks.toml` or
    /// `built-in`.
    pub source: &'static str,
    /// The file read, when the config came from a file.
    pub path: Option<String>,
}

impl Default for ConfigUsed {
    fn default() -> Self {
        Self {
            source: "built-in",
            path: None,
        }
    }
}

impl ConfigUsed {
    /// For people: `--config rules.toml`, `GITLEAKS_CONFIG_TOML`, `built-in rules`.
    #[must_use]
    pub fn describe(&self) -> String {
        match (&self.path, self.source) {
            (_, "built-in") => "the built-in rules".to_owned(),
            (Some(path), source) => format!("{source} ({path})"),
            (None, source) => source.to_owned(),
        }
    }
}

/// A whole scan request.
#[derive(Debug, Clone)]
pub struct ScanRequest {
    /// What to scan.
    pub source: Source,
    /// A gitleaks-format config; default: `.gitleaks.toml` at the scanned root if there is
    /// one, else the built-in rules.
    pub rules: Option<RulesConfig>,
    /// Fingerprints to ignore; default: `.gitleaksignore` at the scanned root if present.
    pub ignore_file: Option<PathBuf>,
    /// An earlier JSON report whose findings are not reported again.
    pub baseline: Option<PathBuf>,
    /// Keep secrets in the report.
    pub no_redact: bool,
    /// Size limit for files and blobs.
    pub max_size: u64,
}

impl ScanRequest {
    /// The directory where `.gitleaks.toml` and `.gitleaksignore` are looked for.
    fn root(&self) -> PathBuf {
        match &self.source {
            Source::Git { path, .. } | Source::Staged { path } => gix::discover(path)
                .ok()
                .and_then(|repo| repo.workdir().map(Path::to_owned))
                .unwrap_or_else(|| path.clone()),
            Source::Dir { path, .. } if path.is_dir() => path.clone(),
            Source::Dir { .. } | Source::Stdin { .. } => PathBuf::from("."),
        }
    }
}

/// Runs `request`; returns the report and the rules it used (for SARIF).
pub fn run(
    request: &ScanRequest,
    progress: &dyn Progress,
) -> Result<(ScanReport, Rules), ScanError> {
    let root = request.root();
    let (rules, used) = load_rules(request.rules.as_ref(), &root)?;
    let ignore_path = request
        .ignore_file
        .clone()
        .or_else(|| Some(root.join(".gitleaksignore")).filter(|path| path.is_file()));
    let ignore = ignore_path.as_deref().map(IgnoreList::load).transpose()?;
    let baseline = request
        .baseline
        .as_deref()
        .map(Baseline::load)
        .transpose()?;
    let mut report = match &request.source {
        Source::Git { path, options } => {
            let options = GitOptions {
                max_size: request.max_size,
                ..options.clone()
            };
            scan_git(path, &rules, &options, progress)?
        }
        Source::Dir { path, no_ignore } => {
            scan_dir(path, &rules, *no_ignore, request.max_size, progress)?
        }
        Source::Staged { path } => scan_staged(path, &rules, request.max_size)?,
        Source::Stdin { label } => {
            scan_reader(io::stdin().lock(), label, &rules, request.max_size)?
        }
    };
    report.config = used;
    if let Some(ignore) = &ignore {
        report.apply_ignore(ignore);
    }
    if let Some(baseline) = &baseline {
        report.apply_baseline(baseline);
    }
    if !request.no_redact {
        report.redact();
    }
    Ok((report, rules))
}

/// The rules `chosen` names, else `.gitleaks.toml` in `root`, else the built-in ones.
fn load_rules(chosen: Option<&RulesConfig>, root: &Path) -> Result<(Rules, ConfigUsed), ScanError> {
    let file = |source: &'static str, path: &Path| {
        Ok((
            Rules::from_gitleaks_file(path)?,
            ConfigUsed {
                source,
                path: Some(path.display().to_string()),
            },
        ))
    };
    match chosen {
        Some(RulesConfig::Flag(path)) => file("--config", path),
        Some(RulesConfig::EnvPath(path)) => file("GITLEAKS_CONFIG", path),
        Some(RulesConfig::EnvToml(text)) => {
            let bad = |source| ScanError::RulesEnv {
                name: "GITLEAKS_CONFIG_TOML",
                source: Box::new(source),
            };
            let text = text.to_str().ok_or_else(|| {
                bad(ScanError::Config {
                    message: "the value is not UTF-8".to_owned(),
                })
            })?;
            let rules = Rules::from_gitleaks_toml(text).map_err(bad)?;
            Ok((
                rules,
                ConfigUsed {
                    source: "GITLEAKS_CONFIG_TOML",
                    path: None,
                },
            ))
        }
        None => {
            let path = root.join(".gitleaks.toml");
            if path.is_file() {
                file(".gitleaks.toml", &path)
            } else {
                Ok((Rules::default_rules(), ConfigUsed::default()))
            }
        }
    }
}

/// The bytes of `report` in a format, for `--report FILE`: `json` (with
/// `schema_version`), `sarif`, or human text without colour.
pub fn render_to_bytes(report: &ScanReport, rules: &Rules, format: &str) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    match format {
        "json" => {
            #[derive(Serialize)]
            struct Envelope<'a> {
                schema_version: u32,
                #[serde(flatten)]
                report: &'a ScanReport,
            }
            serde_json::to_writer_pretty(
                &mut bytes,
                &Envelope {
                    schema_version: SCHEMA_VERSION,
                    report,
                },
            )
            .map_err(io::Error::other)?;
            bytes.push(b'\n');
        }
        "sarif" => SarifReport::new(report, rules).render_human(&mut bytes, &Styles::plain())?,
        "gitleaks-json" => {
            GitleaksReport::new(report, rules).render_human(&mut bytes, &Styles::plain())?;
        }
        _ => report.render_human(&mut bytes, &Styles::plain())?,
    }
    Ok(bytes)
}

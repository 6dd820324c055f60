//! One scan from start to finish, as `leak-scan` runs it: pick the rules and ignore file,
//! read the source, drop ignored and baseline findings, redact.

use std::io;
use std::path::{Path, PathBuf};

use bulwark_core::{Progress, Report, SCHEMA_VERSION, Styles};
use serde::Serialize;

use crate::error::ScanError;
use crate::git::{GitOptions, scan_git};
use crate::gitleaks::IgnoreList;
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

/// A whole scan request.
#[derive(Debug, Clone)]
pub struct ScanRequest {
    /// What to scan.
    pub source: Source,
    /// A gitleaks-format config; default: `.gitleaks.toml` at the scanned root if there is
    /// one, else the built-in rules.
    pub rules: Option<PathBuf>,
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
    let rules_path = request
        .rules
        .clone()
        .or_else(|| Some(root.join(".gitleaks.toml")).filter(|path| path.is_file()));
    let rules = match &rules_path {
        Some(path) => Rules::from_gitleaks_file(path)?,
        None => Rules::default_rules(),
    };
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
        _ => report.render_human(&mut bytes, &Styles::plain())?,
    }
    Ok(bytes)
}

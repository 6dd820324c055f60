//! Findings and the scan report: JSON (the documented schema) and human text.

use std::collections::HashSet;
use std::io::{self, Write};
use std::path::Path;

use bulwark_core::{Exit, Report, Styles};
use serde::{Deserialize, Serialize};

use crate::error::ScanError;
use crate::gitleaks::IgnoreList;
use crate::rules::{Match, WholeMatch};
use crate::run::ConfigUsed;

/// The commit a finding is attributed to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommitInfo {
    /// Full hex id.
    pub id: String,
    /// Author name.
    pub author: String,
    /// Author email.
    pub email: String,
    /// Author date, RFC 3339 with the author's offset.
    pub date: String,
    /// Author date, RFC 3339 in UTC.
    #[serde(skip)]
    pub utc_date: String,
    /// The full commit message.
    pub message: String,
}

/// One leaked secret at one location. Field names are the JSON schema in
/// `docs/leak-scan.md`: add fields, never rename them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The rule that matched.
    pub rule_id: String,
    /// The rule's description.
    pub description: String,
    /// Path of the file (in the commit, or relative to the scanned directory).
    pub path: String,
    /// 1-based line of the secret's start.
    pub start_line: usize,
    /// 1-based line of the secret's end.
    pub end_line: usize,
    /// 1-based column (bytes) of the secret's start.
    pub start_column: usize,
    /// 1-based column of the secret's last byte.
    pub end_column: usize,
    /// The commit that introduced it; `null` outside git history.
    pub commit: Option<String>,
    /// The commit's author.
    pub author: Option<String>,
    /// The author's email.
    pub email: Option<String>,
    /// The author date (RFC 3339).
    pub date: Option<String>,
    /// The commit message.
    pub message: Option<String>,
    /// The secret, redacted unless `--no-redact`.
    pub secret: String,
    /// Shannon entropy of the secret (bits per byte).
    pub entropy: f64,
    /// `commit:path:rule_id:start_line` (or `path:rule_id:start_line` outside git), as
    /// gitleaks writes it: put it in `.gitleaksignore` to silence this finding.
    pub fingerprint: String,
    /// The whole regex match and where it stands, for gitleaks-format reports only
    /// (never in leak-scan's own JSON). Redacted with the secret.
    #[serde(skip)]
    pub whole: WholeMatch,
    /// The entropy before rounding, for gitleaks-format reports.
    #[serde(skip)]
    pub raw_entropy: f64,
    /// The author date in UTC (`2024-03-01T09:00:00Z`), as gitleaks writes it.
    #[serde(skip)]
    pub utc_date: Option<String>,
    /// The first line of the text gitleaks would have scanned as one piece around this
    /// finding: 1 for a file, the first added line of the diff hunk for a commit.
    #[serde(skip)]
    pub fragment_start: usize,
}

impl Finding {
    /// Builds a finding for a match at `path`, in `commit` if any.
    #[must_use]
    pub fn new(found: &Match, path: &str, commit: Option<&CommitInfo>) -> Self {
        let fingerprint = match commit {
            Some(commit) => format!(
                "{}:{path}:{}:{}",
                commit.id, found.rule_id, found.start_line
            ),
            None => format!("{path}:{}:{}", found.rule_id, found.start_line),
        };
        Self {
            rule_id: found.rule_id.to_string(),
            description: found.description.to_string(),
            path: path.to_owned(),
            start_line: found.start_line,
            end_line: found.end_line,
            start_column: found.start_column,
            end_column: found.end_column,
            commit: commit.map(|c| c.id.clone()),
            author: commit.map(|c| c.author.clone()),
            email: commit.map(|c| c.email.clone()),
            date: commit.map(|c| c.date.clone()),
            message: commit.map(|c| c.message.clone()),
            secret: found.secret.clone(),
            entropy: (found.entropy * 1000.0).round() / 1000.0,
            fingerprint,
            whole: found.whole.clone(),
            raw_entropy: found.entropy,
            utc_date: commit.map(|c| c.utc_date.clone()),
            fragment_start: 1,
        }
    }
}

/// Redacts a secret for display: a short, non-secret prefix (at most 4 characters,
/// only for secrets of 20 or more) and a mask. Never shows enough to use it.
#[must_use]
pub fn redact_secret(secret: &str) -> String {
    let keep = if secret.chars().count() >= 20 { 4 } else { 0 };
    let prefix: String = secret.chars().take(keep).collect();
    format!("{prefix}********")
}

/// Counts of what a scan looked at and skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ScanStats {
    /// Commits walked (git only).
    pub commits: u64,
    /// Unique files or blobs scanned.
    pub scanned: u64,
    /// Bytes scanned.
    pub bytes: u64,
    /// Skipped: binary content.
    pub skipped_binary: u64,
    /// Skipped: larger than the size limit.
    pub skipped_large: u64,
    /// Skipped: path allowed by an allow-list (lock files, configured paths).
    pub skipped_allowlisted: u64,
    /// Findings dropped by `.gitleaksignore` fingerprints.
    pub ignored: u64,
    /// Findings dropped because the baseline has them.
    pub in_baseline: u64,
}

/// The result of one scan.
#[derive(Debug, Clone, Serialize)]
pub struct ScanReport {
    /// `git`, `dir`, `staged` or `stdin`.
    pub source: String,
    /// What was scanned: a repository, directory or label.
    pub target: String,
    /// The findings, in order of commit (oldest first), path and line.
    pub findings: Vec<Finding>,
    /// Counts.
    pub stats: ScanStats,
    /// Things the user should know (shallow history, unreadable files).
    pub warnings: Vec<String>,
    /// Whether `secret` fields hold the real values.
    pub redacted: bool,
    /// Which rules config the scan used.
    pub config: ConfigUsed,
}

impl ScanReport {
    /// An empty report for `source` and `target`.
    #[must_use]
    pub fn new(source: &str, target: &str) -> Self {
        Self {
            source: source.to_owned(),
            target: target.to_owned(),
            findings: Vec::new(),
            stats: ScanStats::default(),
            warnings: Vec::new(),
            redacted: false,
            config: ConfigUsed::default(),
        }
    }

    /// Drops findings whose fingerprint is in `ignore`.
    pub fn apply_ignore(&mut self, ignore: &IgnoreList) {
        let before = self.findings.len();
        self.findings
            .retain(|f| !ignore.contains(&f.fingerprint, f.commit.as_deref()));
        self.stats.ignored += (before - self.findings.len()) as u64;
    }

    /// Drops findings present in `baseline` (same fingerprint).
    pub fn apply_baseline(&mut self, baseline: &Baseline) {
        let before = self.findings.len();
        self.findings
            .retain(|f| !baseline.fingerprints.contains(&f.fingerprint));
        self.stats.in_baseline += (before - self.findings.len()) as u64;
    }

    /// Replaces every secret with its redacted form (and, in the whole match that
    /// gitleaks-format reports show, with `REDACTED`, as `gitleaks --redact` does).
    pub fn redact(&mut self) {
        for finding in &mut self.findings {
            if !finding.secret.is_empty() {
                finding.whole.text = finding.whole.text.replace(&finding.secret, "REDACTED");
            }
            finding.secret = redact_secret(&finding.secret);
        }
        self.redacted = true;
    }

    /// Removes exact duplicates (same fingerprint, column and secret), keeping the first
    /// of each and the order.
    pub fn dedup(&mut self) {
        let mut seen = HashSet::new();
        self.findings
            .retain(|f| seen.insert((f.fingerprint.clone(), f.start_column, f.secret.clone())));
    }
}

impl Report for ScanReport {
    fn exit(&self) -> Exit {
        if self.findings.is_empty() {
            Exit::Ok
        } else {
            Exit::Problem
        }
    }

    fn render_human(&self, out: &mut dyn Write, styles: &Styles) -> io::Result<()> {
        let (bold, dim, error, ok) = (styles.bold, styles.dim, styles.error, styles.ok);
        for f in &self.findings {
            writeln!(
                out,
                "{error}leak{error:#} {bold}{}{bold:#} {}:{}:{}",
                f.rule_id, f.path, f.start_line, f.start_column
            )?;
            writeln!(out, "  {dim}what:{dim:#}    {}", f.description)?;
            writeln!(out, "  {dim}secret:{dim:#}  {}", f.secret)?;
            if let Some(commit) = &f.commit {
                writeln!(
                    out,
                    "  {dim}commit:{dim:#}  {} {} <{}> {}",
                    commit.get(..12).unwrap_or(commit),
                    f.author.as_deref().unwrap_or(""),
                    f.email.as_deref().unwrap_or(""),
                    f.date.as_deref().unwrap_or("")
                )?;
                if let Some(message) = &f.message {
                    let summary = message.lines().next().unwrap_or("");
                    writeln!(out, "  {dim}message:{dim:#} {summary}")?;
                }
            }
            writeln!(out, "  {dim}fingerprint:{dim:#} {}", f.fingerprint)?;
            writeln!(out)?;
        }
        let s = &self.stats;
        let what = match self.source.as_str() {
            "git" => format!(
                "{}, {}",
                plural(s.commits, "commit"),
                plural(s.scanned, "unique blob")
            ),
            _ => plural(s.scanned, "file"),
        };
        let mut skipped = Vec::new();
        if s.skipped_binary > 0 {
            skipped.push(format!("{} binary", s.skipped_binary));
        }
        if s.skipped_large > 0 {
            skipped.push(format!("{} over the size limit", s.skipped_large));
        }
        if s.skipped_allowlisted > 0 {
            skipped.push(format!("{} allow-listed", s.skipped_allowlisted));
        }
        let skipped = if skipped.is_empty() {
            String::new()
        } else {
            format!("; skipped {}", skipped.join(", "))
        };
        let mut dropped = Vec::new();
        if s.ignored > 0 {
            dropped.push(format!("{} ignored by fingerprint", s.ignored));
        }
        if s.in_baseline > 0 {
            dropped.push(format!("{} in the baseline", s.in_baseline));
        }
        let dropped = if dropped.is_empty() {
            String::new()
        } else {
            format!(" ({})", dropped.join(", "))
        };
        for warning in &self.warnings {
            writeln!(
                out,
                "{}warning:{:#} {warning}",
                styles.warning, styles.warning
            )?;
        }
        if self.findings.is_empty() {
            writeln!(
                out,
                "{ok}no leaks found{ok:#} in {what} ({} bytes){skipped}{dropped}",
                s.bytes
            )
        } else {
            writeln!(
                out,
                "{error}{} found{error:#} in {what} ({} bytes){skipped}{dropped}",
                plural(self.findings.len() as u64, "leak"),
                s.bytes
            )
        }
    }
}

fn plural(count: u64, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// Fingerprints of an earlier report, for `--baseline`.
#[derive(Debug, Clone, Default)]
pub struct Baseline {
    fingerprints: HashSet<String>,
}

#[derive(Deserialize)]
struct BaselineFinding {
    #[serde(alias = "Fingerprint")]
    fingerprint: String,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum BaselineDoc {
    /// leak-scan's own JSON report.
    Ours { findings: Vec<BaselineFinding> },
    /// A gitleaks JSON report: an array of findings with `Fingerprint`.
    Array(Vec<BaselineFinding>),
}

impl Baseline {
    /// Reads a baseline: a leak-scan JSON report or a gitleaks JSON report.
    pub fn load(path: &Path) -> Result<Self, ScanError> {
        let text = std::fs::read_to_string(path).map_err(|source| ScanError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text).map_err(|source| ScanError::BadBaseline {
            path: path.to_owned(),
            source,
        })
    }

    /// Parses the text of a baseline report.
    pub fn parse(text: &str) -> Result<Self, serde_json::Error> {
        let doc: BaselineDoc = serde_json::from_str(text)?;
        let findings = match doc {
            BaselineDoc::Ours { findings } | BaselineDoc::Array(findings) => findings,
        };
        Ok(Self {
            fingerprints: findings.into_iter().map(|f| f.fingerprint).collect(),
        })
    }
}

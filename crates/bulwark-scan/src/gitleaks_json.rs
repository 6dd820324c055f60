//! `--format gitleaks-json`: gitleaks' own JSON report (v8), so that tools that read
//! gitleaks reports read leak-scan's unchanged.
//!
//! The schema, field for field as gitleaks 8.30 writes it: an array of objects with
//! `RuleID`, `Description`, `StartLine`, `EndLine`, `StartColumn`, `EndColumn`, `Match`,
//! `Secret`, `File`, `SymlinkFile`, `Commit`, `Entropy` (a float32), `Author`, `Email`,
//! `Date` (the author date in UTC), `Message`, `Tags` and `Fingerprint`; empty strings
//! where there is no commit; `[]` when nothing was found; one-space indentation.
//!
//! Where gitleaks' values differ from leak-scan's own report, this follows gitleaks:
//! - lines and columns locate the whole regex match, not the secret;
//! - a column counts from the newline before its line, so on every line of a scanned
//!   fragment but its first it is one more than the 1-based column (gitleaks scans a
//!   file as one fragment, and a commit's change as one fragment per diff hunk);
//! - redacted, `Secret` is `REDACTED` and the secret is `REDACTED` inside `Match`, as
//!   with `gitleaks --redact`;
//! - the fingerprint names the match's first line.

use std::io::{self, Write};

use bulwark_core::{Exit, Report, Styles};
use serde::{Serialize, Serializer};

use crate::report::{Finding, ScanReport};
use crate::rules::Rules;

/// A report in gitleaks' JSON format, printed as is (no `schema_version` envelope).
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct GitleaksReport {
    findings: Vec<GitleaksFinding>,
    #[serde(skip)]
    exit: Exit,
}

/// One finding in gitleaks' schema.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
struct GitleaksFinding {
    #[serde(rename = "RuleID")]
    rule_id: String,
    description: String,
    start_line: usize,
    end_line: usize,
    start_column: usize,
    end_column: usize,
    #[serde(rename = "Match")]
    whole: String,
    secret: String,
    file: String,
    symlink_file: String,
    commit: String,
    entropy: Float32,
    author: String,
    email: String,
    date: String,
    message: String,
    tags: Vec<String>,
    fingerprint: String,
}

/// A float written as Go's `encoding/json` writes a `float32`: its shortest form, and
/// without a fraction when it has none (`4`, not `4.0`).
#[derive(Debug, Clone, Copy)]
struct Float32(f32);

impl Serialize for Float32 {
    #[expect(
        clippy::cast_possible_truncation,
        reason = "a whole entropy is at most 8 bits per byte"
    )]
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.0.is_finite() && self.0.fract() == 0.0 {
            serializer.serialize_i64(self.0 as i64)
        } else {
            serializer.serialize_f32(self.0)
        }
    }
}

impl GitleaksReport {
    /// The gitleaks rendering of `report`; `rules` give each finding's tags.
    #[must_use]
    pub fn new(report: &ScanReport, rules: &Rules) -> Self {
        Self {
            findings: report
                .findings
                .iter()
                .map(|finding| convert(finding, report.redacted, rules))
                .collect(),
            exit: report.exit(),
        }
    }
}

/// gitleaks' column of 1-based `column` on `line`, in a fragment that starts on
/// `fragment_start`.
fn gitleaks_column(column: usize, line: usize, fragment_start: usize) -> usize {
    if line > fragment_start.max(1) {
        column + 1
    } else {
        column
    }
}

#[expect(
    clippy::cast_possible_truncation,
    reason = "gitleaks keeps entropy as a float32"
)]
fn convert(finding: &Finding, redacted: bool, rules: &Rules) -> GitleaksFinding {
    let whole = &finding.whole;
    let path_only = whole.text.is_empty() && finding.secret.is_empty();
    let fragment = finding.fragment_start;
    let (start_line, end_line, start_column, end_column) = if path_only {
        (0, 0, 0, 0)
    } else {
        (
            whole.start_line,
            whole.end_line,
            gitleaks_column(whole.start_column, whole.start_line, fragment),
            gitleaks_column(whole.end_column, whole.end_line, fragment),
        )
    };
    let commit = finding.commit.clone().unwrap_or_default();
    let fingerprint = if commit.is_empty() {
        format!("{}:{}:{start_line}", finding.path, finding.rule_id)
    } else {
        format!("{commit}:{}:{}:{start_line}", finding.path, finding.rule_id)
    };
    let (whole_text, secret) = if path_only {
        (format!("file detected: {}", finding.path), String::new())
    } else if redacted {
        (whole.text.clone(), "REDACTED".to_owned())
    } else {
        (whole.text.clone(), finding.secret.clone())
    };
    GitleaksFinding {
        rule_id: finding.rule_id.clone(),
        description: finding.description.clone(),
        start_line,
        end_line,
        start_column,
        end_column,
        whole: whole_text,
        secret,
        file: finding.path.clone(),
        symlink_file: String::new(),
        commit,
        entropy: Float32(finding.raw_entropy as f32),
        author: finding.author.clone().unwrap_or_default(),
        email: finding.email.clone().unwrap_or_default(),
        date: finding.utc_date.clone().unwrap_or_default(),
        message: finding.message.clone().unwrap_or_default(),
        tags: rules
            .get(&finding.rule_id)
            .map(|rule| rule.tags.clone())
            .unwrap_or_default(),
        fingerprint,
    }
}

impl Report for GitleaksReport {
    fn exit(&self) -> Exit {
        self.exit
    }

    /// Printed through the human path so that no envelope wraps it.
    fn render_human(&self, out: &mut dyn Write, _: &Styles) -> io::Result<()> {
        let formatter = serde_json::ser::PrettyFormatter::with_indent(b" ");
        let mut serializer = serde_json::Serializer::with_formatter(&mut *out, formatter);
        self.findings
            .serialize(&mut serializer)
            .map_err(io::Error::other)?;
        writeln!(out)
    }
}

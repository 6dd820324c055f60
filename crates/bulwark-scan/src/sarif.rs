//! SARIF 2.1.0, in the shape GitHub code scanning accepts: one run, the tool's rules in
//! `tool.driver.rules`, one result per finding with a physical location and
//! `partialFingerprints`.

use std::fmt::Write as _;
use std::io::{self, Write};

use bulwark_core::{Exit, Report, Styles};
use serde::Serialize;
use serde_json::{Value, json};

use crate::report::ScanReport;
use crate::rules::Rules;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// A SARIF rendering of a report, printed as is (no `schema_version` envelope: SARIF
/// has its own `version`).
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct SarifReport {
    document: serde_json::Value,
    #[serde(skip)]
    exit: Exit,
}

impl SarifReport {
    /// The SARIF document for `report`.
    #[must_use]
    pub fn new(report: &ScanReport, rules: &Rules) -> Self {
        Self {
            document: to_sarif(report, rules),
            exit: report.exit(),
        }
    }

    /// The document.
    #[must_use]
    pub fn document(&self) -> &serde_json::Value {
        &self.document
    }
}

impl Report for SarifReport {
    fn exit(&self) -> Exit {
        self.exit
    }

    /// SARIF is printed through the human path so that no envelope wraps it.
    fn render_human(&self, out: &mut dyn Write, _: &Styles) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, &self.document).map_err(io::Error::other)?;
        writeln!(out)
    }
}

/// The SARIF 2.1.0 document for `report`.
fn to_sarif(report: &ScanReport, rules: &Rules) -> Value {
    let driver_rules: Vec<Value> = rules
        .rules()
        .iter()
        .map(|rule| {
            json!({
                "id": &*rule.id,
                "name": &*rule.id,
                "shortDescription": { "text": &*rule.description },
                "fullDescription": { "text": &*rule.description },
                "defaultConfiguration": { "level": "error" },
                "properties": { "tags": ["security", "secret"], "security-severity": "8.0" },
            })
        })
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let rule_index = rules.rules().iter().position(|r| *r.id == *f.rule_id);
            let mut message = format!("{} found: {}", f.description, f.secret);
            if let Some(commit) = &f.commit {
                let _ = write!(
                    message,
                    " (introduced in {} by {})",
                    commit.get(..12).unwrap_or(commit),
                    f.author.as_deref().unwrap_or("unknown")
                );
            }
            let mut result = json!({
                "ruleId": f.rule_id,
                "level": "error",
                "message": { "text": message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": f.path, "uriBaseId": "%SRCROOT%" },
                        "region": {
                            "startLine": f.start_line,
                            "startColumn": f.start_column,
                            "endLine": f.end_line,
                            "endColumn": f.end_column + 1,
                        }
                    }
                }],
                "partialFingerprints": { "leakScanFingerprint/v1": f.fingerprint },
                "properties": {
                    "commit": f.commit,
                    "author": f.author,
                    "email": f.email,
                    "date": f.date,
                    "entropy": f.entropy,
                }
            });
            if let (Some(index), Some(object)) = (rule_index, result.as_object_mut()) {
                object.insert("ruleIndex".to_owned(), json!(index));
            }
            result
        })
        .collect();
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "leak-scan",
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "rules": driver_rules,
                }
            },
            "results": results,
        }]
    })
}

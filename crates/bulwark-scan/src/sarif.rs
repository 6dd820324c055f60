//! SARIF 2.1.0, in the shape GitHub code scanning accepts: one run, the tool's rules in
//! `tool.driver.rules`, one result per finding with a physical location and
//! `partialFingerprints`.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::report::ScanReport;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

pub(crate) fn to_sarif(report: &ScanReport, rules: &crate::Rules) -> Value {
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

//! What wrangler refuses when it reads its own config. `wrangler d1 migrations apply`
//! reads the config first and stops on any of these ("Processing wrangler.jsonc
//! configuration: …", exit 1), so it would apply nothing: migrate-dryrun must not predict
//! a run then.
//!
//! These are the checks of wrangler 4.86.0's config validation on the fields a D1
//! project always has, for the top level and the `--env` chosen (wrangler validates only
//! that one): the worker `name`, `compatibility_date` and each `d1_databases` entry.
//! Messages are worded as wrangler words them.

use serde_json::Value;

/// Wrangler's reasons to refuse the config, for `env` (top level when `None`).
#[must_use]
pub fn refusals(document: &Value, env: Option<&str>) -> Vec<String> {
    let mut reasons = Vec::new();
    check_table(document, &mut reasons);
    if let Some(env) = env
        && let Some(table) = document.get("env").and_then(|e| e.get(env))
    {
        let mut inner = Vec::new();
        check_table(table, &mut inner);
        reasons.extend(
            inner
                .into_iter()
                .map(|r| format!("\"env.{env}\" environment configuration: {r}")),
        );
    }
    reasons
}

fn json(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

fn check_table(table: &Value, reasons: &mut Vec<String>) {
    if let Some(name) = table.get("name")
        && !valid_name(name)
    {
        reasons.push(format!(
            "Expected \"name\" to be of type string, alphanumeric and lowercase with dashes only but got {}.",
            json(name)
        ));
    }
    match table.get("compatibility_date") {
        None => {}
        Some(Value::String(date)) => {
            if date.contains(['\u{2013}', '\u{2014}']) {
                reasons.push("\"compatibility_date\" field should use ISO-8601 accepted hyphens (-) rather than en-dashes (\u{2013}) or em-dashes (\u{2014}).".to_owned());
            }
            if !js_date_parses(&date.replace(['\u{2013}', '\u{2014}'], "-")) {
                reasons.push(format!(
                    "\"compatibility_date\" field should be a valid ISO-8601 date (YYYY-MM-DD), but got {}.",
                    json(&Value::String(date.clone()))
                ));
            }
        }
        Some(other) => reasons.push(format!(
            "Expected \"compatibility_date\" to be of type string but got {}.",
            json(other)
        )),
    }
    if let Some(Value::Array(databases)) = table.get("d1_databases") {
        for (index, database) in databases.iter().enumerate() {
            let field = format!("d1_databases[{index}]");
            let Value::Object(fields) = database else {
                reasons.push(format!(
                    "\"d1_databases\" bindings should be objects, but got {}",
                    json(database)
                ));
                continue;
            };
            if !matches!(fields.get("binding"), Some(Value::String(_))) {
                reasons.push(format!(
                    "\"{field}\" bindings should have a string \"binding\" field but got {}.",
                    json(database)
                ));
            }
            if !matches!(fields.get("database_id"), None | Some(Value::String(_))) {
                reasons.push(format!(
                    "\"{field}\" bindings must have a \"database_id\" field but got {}.",
                    json(database)
                ));
            }
            if !matches!(
                fields.get("preview_database_id"),
                None | Some(Value::String(_))
            ) {
                reasons.push(format!(
                    "\"{field}\" bindings should, optionally, have a string \"preview_database_id\" field but got {}.",
                    json(database)
                ));
            }
        }
    }
}

/// wrangler's `isValidName`: `^$|^[a-z0-9_][a-z0-9-_]*$`.
fn valid_name(name: &Value) -> bool {
    let Value::String(name) = name else {
        return false;
    };
    let mut chars = name.chars();
    match chars.next() {
        None => true,
        Some(first) => {
            (first.is_ascii_lowercase() || first.is_ascii_digit() || first == '_')
                && chars
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        }
    }
}

/// Whether JavaScript's `new Date(text)` gives a date, for the forms a
/// `compatibility_date` takes. An ISO date (`YYYY`, `YYYY-MM`, `YYYY-MM-DD`, optionally
/// with a time) must have a month 1–12 and a day 1–31; other text goes to V8's lenient
/// legacy parser, which refuses an empty string, a run of eight digits and text without
/// any digit; anything else is taken as parsed (wrangler may still refuse it, in which
/// case `wrangler d1 migrations apply` says so).
fn js_date_parses(text: &str) -> bool {
    let date = text.split('T').next().unwrap_or_default();
    let parts: Vec<&str> = date.split('-').collect();
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    let iso = !parts.is_empty()
        && digits(parts[0], 4)
        && parts.len() <= 3
        && parts[1..].iter().all(|p| digits(p, 2));
    if iso {
        let number = |s: &str| s.parse::<u32>().unwrap_or(0);
        return parts.get(1).is_none_or(|m| (1..=12).contains(&number(m)))
            && parts.get(2).is_none_or(|d| (1..=31).contains(&number(d)));
    }
    let trimmed = text.trim();
    !(trimmed.is_empty()
        || (trimmed.len() == 8 && trimmed.bytes().all(|b| b.is_ascii_digit()))
        || !trimmed.bytes().any(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// Issue 13 item 8: an upper-case worker name makes wrangler refuse the config.
    #[test]
    fn what_wrangler_refuses() {
        let ok = json!({"name": "my_worker-2", "compatibility_date": "2026-11-01",
            "d1_databases": [{"binding": "DB", "database_id": "x"}]});
        assert!(refusals(&ok, None).is_empty());
        let upper = json!({"name": "Parity"});
        assert_eq!(
            refusals(&upper, None),
            [
                "Expected \"name\" to be of type string, alphanumeric and lowercase with dashes only but got \"Parity\"."
            ]
        );
        assert_eq!(refusals(&json!({"name": 7}), None).len(), 1);
        for date in ["2026-13-45", "2026-00-10", "garbage", "", "20261101"] {
            assert_eq!(
                refusals(&json!({"compatibility_date": date}), None),
                [format!(
                    "\"compatibility_date\" field should be a valid ISO-8601 date (YYYY-MM-DD), but got \"{date}\"."
                )],
                "{date}"
            );
        }
        for date in [
            "2026-02-31",
            "2026-1-5",
            "2026/11/01",
            "2026-11",
            "2099-01-01",
        ] {
            assert!(
                refusals(&json!({"compatibility_date": date}), None).is_empty(),
                "{date}"
            );
        }
        assert_eq!(
            refusals(
                &json!({"compatibility_date": "2026\u{2013}11\u{2013}01"}),
                None
            )
            .len(),
            1
        );
        assert_eq!(
            refusals(
                &json!({"d1_databases": [{"binding": 1, "database_id": 2}, "x"]}),
                None
            )
            .len(),
            3
        );
        let env =
            json!({"name": "ok", "env": {"Staging": {"name": "Bad"}, "other": {"name": "Worse"}}});
        assert!(
            refusals(&env, None).is_empty(),
            "other environments are not read"
        );
        assert_eq!(refusals(&env, Some("Staging")).len(), 1);
    }
}

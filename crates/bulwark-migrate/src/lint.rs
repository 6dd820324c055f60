//! Lint rules for migration files: destructive and risky changes, and what D1 rejects.
//!
//! Statements are parsed with `sqlparser`'s SQLite dialect. Where it cannot parse a
//! statement SQLite accepts (triggers, some `CREATE TABLE` options…), the statement is
//! linted from its leading keywords instead, and an `unparsed` note says so.
//!
//! A finding is suppressed by a comment on the statement's lines or on the lines just
//! before it: `-- migrate-dryrun: allow drop-table` (several rules separated by commas or
//! spaces), or for the whole file `-- migrate-dryrun: allow-file drop-table`.

use serde::Serialize;
use sqlparser::ast::{AlterTableOperation, ColumnOption, ObjectType, Statement};
use sqlparser::dialect::SQLiteDialect;
use sqlparser::parser::Parser;

use crate::split;

/// How bad a finding is. `error` fails the run with `--strict`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Informational.
    Info,
    /// Worth a look.
    Warning,
    /// Loses data or will not work on D1.
    Error,
}

/// Every rule: id, severity, what it means.
pub const RULES: &[(&str, Severity, &str)] = &[
    (
        "drop-table",
        Severity::Error,
        "DROP TABLE deletes the table and all its rows",
    ),
    (
        "rows-lost",
        Severity::Error,
        "running the migration deletes rows (a cascade, a drop, a delete), compared under the same table name",
    ),
    (
        "drop-column",
        Severity::Error,
        "ALTER TABLE … DROP COLUMN deletes the column's values",
    ),
    (
        "delete-without-where",
        Severity::Error,
        "DELETE without WHERE deletes every row",
    ),
    (
        "update-without-where",
        Severity::Error,
        "UPDATE without WHERE rewrites every row",
    ),
    (
        "not-null-without-default",
        Severity::Error,
        "ADD COLUMN … NOT NULL without a non-null DEFAULT fails",
    ),
    (
        "d1-unsupported",
        Severity::Error,
        "local SQLite accepts this, D1 rejects it",
    ),
    (
        "changed-after-apply",
        Severity::Error,
        "the file changed after it was applied",
    ),
    (
        "broken-view",
        Severity::Error,
        "a view no longer compiles after the migration",
    ),
    (
        "drop-index",
        Severity::Warning,
        "DROP INDEX can make queries slow",
    ),
    (
        "drop-view",
        Severity::Warning,
        "DROP VIEW breaks queries that use it",
    ),
    (
        "drop-trigger",
        Severity::Warning,
        "DROP TRIGGER removes behaviour",
    ),
    (
        "rename-column",
        Severity::Warning,
        "RENAME COLUMN breaks application queries that use the old name",
    ),
    (
        "rename-table",
        Severity::Warning,
        "RENAME TO breaks application queries that use the old name",
    ),
    (
        "type-change",
        Severity::Warning,
        "a column's type changed (table rebuild)",
    ),
    (
        "foreign-keys-off",
        Severity::Warning,
        "PRAGMA foreign_keys=OFF does nothing inside D1's transaction",
    ),
    (
        "pg-index-not-concurrently",
        Severity::Warning,
        "PostgreSQL: CREATE INDEX without CONCURRENTLY blocks writes while it builds",
    ),
    (
        "pg-add-not-null-no-default",
        Severity::Error,
        "PostgreSQL: ADD COLUMN … NOT NULL without DEFAULT fails on a table with rows",
    ),
    (
        "pg-volatile-default",
        Severity::Warning,
        "PostgreSQL: a volatile column default rewrites the table",
    ),
    (
        "pg-column-type-change",
        Severity::Warning,
        "PostgreSQL: a column type change rewrites the table under ACCESS EXCLUSIVE",
    ),
    (
        "pg-set-not-null",
        Severity::Warning,
        "PostgreSQL: SET NOT NULL scans the table under ACCESS EXCLUSIVE",
    ),
    (
        "pg-constraint-not-valid",
        Severity::Warning,
        "PostgreSQL: a CHECK or FOREIGN KEY added without NOT VALID checks every row under a lock",
    ),
    (
        "pg-unique-without-index",
        Severity::Warning,
        "PostgreSQL: ADD UNIQUE/PRIMARY KEY builds its index under ACCESS EXCLUSIVE",
    ),
    (
        "pg-validate-constraint",
        Severity::Info,
        "PostgreSQL: VALIDATE CONSTRAINT scans the table",
    ),
    (
        "pg-drop-index-not-concurrently",
        Severity::Warning,
        "PostgreSQL: DROP INDEX without CONCURRENTLY blocks reads and writes of its table",
    ),
    (
        "pg-rename-column",
        Severity::Warning,
        "PostgreSQL: renaming a column breaks the running application's queries",
    ),
    (
        "pg-rename-table",
        Severity::Warning,
        "PostgreSQL: renaming a table breaks the running application's queries",
    ),
    (
        "pg-drop-column",
        Severity::Warning,
        "PostgreSQL: dropping a column breaks the running application's queries that use it",
    ),
    (
        "pg-drop-table",
        Severity::Warning,
        "PostgreSQL: dropping a table breaks the running application's queries and deletes its rows",
    ),
    (
        "pg-no-lock-timeout",
        Severity::Warning,
        "PostgreSQL: a statement locking a production table against reads runs with no lock_timeout set",
    ),
    (
        "pg-add-column-rewrite",
        Severity::Warning,
        "PostgreSQL: adding a serial, identity or stored generated column rewrites the table",
    ),
    (
        "pg-truncate-cascade",
        Severity::Error,
        "PostgreSQL: TRUNCATE … CASCADE also empties the tables referencing it",
    ),
    (
        "pg-refresh-not-concurrently",
        Severity::Warning,
        "PostgreSQL: REFRESH MATERIALIZED VIEW without CONCURRENTLY blocks reads of the view",
    ),
    (
        "pg-prefer-timestamptz",
        Severity::Info,
        "PostgreSQL: timestamp without time zone; prefer timestamptz",
    ),
    (
        "pg-prefer-text",
        Severity::Info,
        "PostgreSQL: char(n)/varchar(n); prefer text with a CHECK on its length",
    ),
    (
        "pg-prefer-bigint-key",
        Severity::Info,
        "PostgreSQL: a 32-bit primary key; prefer bigint identity",
    ),
    (
        "pg-stand-in",
        Severity::Warning,
        "PostgreSQL: the migration uses a Supabase object the dump lacked; checked against Bulwark's stand-in, not production's",
    ),
    (
        "unparsed",
        Severity::Info,
        "sqlparser could not parse the statement; linted by keywords",
    ),
];

/// The severity of `rule`.
#[must_use]
pub fn severity(rule: &str) -> Severity {
    RULES
        .iter()
        .find(|(id, _, _)| *id == rule)
        .map_or(Severity::Warning, |(_, severity, _)| *severity)
}

/// One lint finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Rule id, e.g. `drop-table`.
    pub rule: &'static str,
    /// Severity.
    pub severity: Severity,
    /// What is wrong here.
    pub message: String,
    /// Line (1-based) in the file, when the finding belongs to a statement.
    pub line: Option<usize>,
    /// Whether a `-- migrate-dryrun: allow` comment suppressed it.
    pub suppressed: bool,
}

impl Finding {
    /// A finding of `rule` at `line`.
    #[must_use]
    pub fn new(rule: &'static str, message: String, line: Option<usize>) -> Self {
        Self {
            rule,
            severity: severity(rule),
            message,
            line,
            suppressed: false,
        }
    }
}

struct Allow {
    line: usize,
    rules: Vec<String>,
    whole_file: bool,
}

fn suppressions(text: &str) -> Vec<Allow> {
    let mut found = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let Some(at) = line.find("--") else { continue };
        let comment = line[at + 2..].trim();
        let Some(rest) = comment.strip_prefix("migrate-dryrun:") else {
            continue;
        };
        let rest = rest.trim();
        let (whole_file, rules) = if let Some(r) = rest.strip_prefix("allow-file") {
            (true, r)
        } else if let Some(r) = rest.strip_prefix("allow") {
            (false, r)
        } else {
            continue;
        };
        found.push(Allow {
            line: index + 1,
            rules: rules
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|r| !r.is_empty())
                .map(str::to_owned)
                .collect(),
            whole_file,
        });
    }
    found
}

/// Lints a migration file's text.
#[must_use]
pub fn lint_file(text: &str) -> Vec<Finding> {
    let mut findings = Vec::new();
    // Local mode strips one BEGIN TRANSACTION;/COMMIT; pair before D1 sees the file;
    // `--remote` sends the text as it is, and D1 refuses transaction statements.
    if let Some(at) = text.find("BEGIN TRANSACTION;") {
        findings.push(Finding::new(
            "d1-unsupported",
            "BEGIN TRANSACTION: wrangler strips it (and one COMMIT) in local mode only; with --remote the file reaches D1 as written, and D1 refuses transaction statements".to_owned(),
            Some(text[..at].matches('\n').count() + 1),
        ));
    }
    let chunks = match split::split(text) {
        Ok(chunks) => chunks,
        Err(err) => {
            findings.push(Finding::new("d1-unsupported", err.to_string(), None));
            return findings;
        }
    };
    for chunk in &chunks {
        match Parser::parse_sql(&SQLiteDialect {}, &chunk.sql) {
            Ok(statements) => {
                for statement in &statements {
                    lint_statement(statement, chunk.line, &mut findings);
                }
            }
            Err(err) => {
                findings.push(Finding::new(
                    "unparsed",
                    format!("sqlparser: {err}; linted by keywords instead"),
                    Some(chunk.line),
                ));
                lint_keywords(&chunk.sql, chunk.line, &mut findings);
            }
        }
    }
    suppress(text, &mut findings);
    findings
}

/// Marks the findings that a `-- migrate-dryrun: allow` comment in `text` suppresses:
/// one on the lines of the finding's statement or just before it, or `allow-file`.
pub(crate) fn suppress(text: &str, findings: &mut [Finding]) {
    // Statement spans, to place suppression comments.
    let mut spans = Vec::new();
    let mut previous_end = 0;
    for chunk in split::split(text).unwrap_or_default() {
        let end = chunk.line + chunk.sql.matches('\n').count();
        spans.push((previous_end + 1, chunk.line, end));
        previous_end = end;
    }
    let allows = suppressions(text);
    for finding in findings {
        let allowed = |a: &Allow| a.rules.iter().any(|r| r == finding.rule || r == "all");
        let file_wide = allows.iter().any(|a| a.whole_file && allowed(a));
        let here = finding.line.is_some_and(|line| {
            spans
                .iter()
                // A PostgreSQL statement's line is where its leading comments start.
                .find(|(from, start, end)| (*from.min(start)..=*end).contains(&line))
                .is_some_and(|(from, _, end)| {
                    allows
                        .iter()
                        .any(|a| !a.whole_file && allowed(a) && (*from..=*end).contains(&a.line))
                })
        });
        finding.suppressed = file_wide || here;
    }
}

#[expect(
    clippy::too_many_lines,
    reason = "one flat match over statement kinds reads better than helpers per kind"
)]
fn lint_statement(statement: &Statement, line: usize, findings: &mut Vec<Finding>) {
    let mut add = |rule: &'static str, message: String| {
        findings.push(Finding::new(rule, message, Some(line)));
    };
    match statement {
        Statement::Drop {
            object_type,
            names,
            temporary,
            ..
        } => {
            let names = names
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            match object_type {
                ObjectType::Table => add(
                    "drop-table",
                    format!("DROP TABLE {names} deletes the table and its rows"),
                ),
                ObjectType::Index => add("drop-index", format!("DROP INDEX {names}")),
                ObjectType::View => add("drop-view", format!("DROP VIEW {names}")),
                _ => {}
            }
            if *temporary {
                add(
                    "d1-unsupported",
                    "D1 does not allow temporary objects".to_owned(),
                );
            }
        }
        Statement::AlterTable(alter) => {
            let table = alter.name.to_string();
            for operation in &alter.operations {
                match operation {
                    AlterTableOperation::DropColumn { column_names, .. } => {
                        let names = column_names
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join(", ");
                        add(
                            "drop-column",
                            format!("DROP COLUMN {names} deletes the values of {table}.{names}"),
                        );
                    }
                    AlterTableOperation::RenameColumn {
                        old_column_name,
                        new_column_name,
                    } => add(
                        "rename-column",
                        format!(
                            "{table}.{old_column_name} becomes {new_column_name}: queries that use the old name break"
                        ),
                    ),
                    AlterTableOperation::RenameTable { table_name } => {
                        let new_name = table_name.to_string();
                        let new_name = new_name
                            .strip_prefix("TO ")
                            .or_else(|| new_name.strip_prefix("AS "))
                            .unwrap_or(&new_name)
                            .to_owned();
                        add("rename-table", format!("{table} is renamed to {new_name}"));
                    }
                    AlterTableOperation::AddColumn { column_def, .. } => {
                        let not_null = column_def
                            .options
                            .iter()
                            .any(|o| matches!(o.option, ColumnOption::NotNull));
                        let default = column_def.options.iter().find_map(|o| match &o.option {
                            ColumnOption::Default(expr) => Some(expr.to_string()),
                            _ => None,
                        });
                        if not_null
                            && default
                                .as_deref()
                                .is_none_or(|d| d.eq_ignore_ascii_case("NULL"))
                        {
                            add(
                                "not-null-without-default",
                                format!(
                                    "{table}.{} is NOT NULL without a non-null DEFAULT: SQLite refuses to add it",
                                    column_def.name
                                ),
                            );
                        }
                    }
                    _ => {}
                }
            }
        }
        Statement::DropTrigger(drop) => add(
            "drop-trigger",
            format!("DROP TRIGGER {}", drop.trigger_name),
        ),
        Statement::Delete(delete) if delete.selection.is_none() && delete.limit.is_none() => {
            add(
                "delete-without-where",
                "DELETE without WHERE deletes every row".to_owned(),
            );
        }
        Statement::Update(update) if update.selection.is_none() && update.limit.is_none() => {
            add(
                "update-without-where",
                format!("UPDATE {} without WHERE rewrites every row", update.table),
            );
        }
        Statement::Pragma { name, value, .. } => {
            let value = value.as_ref().map(ToString::to_string);
            lint_pragma(&name.to_string(), value.as_deref(), line, findings);
        }
        Statement::StartTransaction { .. } => add(
            "d1-unsupported",
            "BEGIN: D1 runs each migration in its own transaction and rejects transaction statements".to_owned(),
        ),
        Statement::Commit { .. } | Statement::Rollback { .. } => add(
            "d1-unsupported",
            "COMMIT/ROLLBACK: D1 rejects transaction statements".to_owned(),
        ),
        Statement::Savepoint { .. } | Statement::ReleaseSavepoint { .. } => add(
            "d1-unsupported",
            "SAVEPOINT/RELEASE: D1 rejects savepoints".to_owned(),
        ),
        Statement::AttachDatabase { .. } | Statement::DetachDuckDBDatabase { .. } => {
            add(
                "d1-unsupported",
                "ATTACH/DETACH: D1 has a single database".to_owned(),
            );
        }
        Statement::CreateVirtualTable { module_name, .. } => {
            let module = module_name.to_string();
            if !module.eq_ignore_ascii_case("fts5") && !module.eq_ignore_ascii_case("fts5vocab") {
                add(
                    "d1-unsupported",
                    format!("virtual table module {module}: D1 only allows fts5"),
                );
            }
        }
        Statement::CreateTable(create) if create.temporary => {
            add(
                "d1-unsupported",
                "D1 does not allow temporary tables".to_owned(),
            );
        }
        Statement::CreateView(view) if view.temporary => {
            add(
                "d1-unsupported",
                "D1 does not allow temporary views".to_owned(),
            );
        }
        Statement::Vacuum(_) => add("d1-unsupported", "VACUUM is not allowed on D1".to_owned()),
        _ => {}
    }
}

/// The PRAGMAs D1 accepts (see `d1.rs`), by name.
const D1_PRAGMAS: &[&str] = &[
    "data_version",
    "case_sensitive_like",
    "foreign_keys",
    "defer_foreign_keys",
    "ignore_check_constraints",
    "legacy_alter_table",
    "recursive_triggers",
    "reverse_unordered_selects",
    "foreign_key_check",
    "foreign_key_list",
    "index_info",
    "index_list",
    "index_xinfo",
    "quick_check",
    "optimize",
    "table_list",
    "table_info",
    "table_xinfo",
];

/// What D1 does with a table rebuild, and the rebuild that keeps child rows.
pub(crate) const FOREIGN_KEYS_OFF: &str = "PRAGMA foreign_keys=OFF is ignored inside D1's transaction: foreign keys stay on, so DROP TABLE of a parent deletes its rows first and ON DELETE CASCADE deletes every child row (PRAGMA defer_foreign_keys=ON only delays the check to the end of the file; cascades still fire). Safe rebuild: create parent_new and copy the rows; create each child as child_new REFERENCES parent_new and copy its rows; DROP the old children, then the old parent (nothing references it any more); RENAME parent_new TO parent and child_new TO child";

fn lint_pragma(name: &str, value: Option<&str>, line: usize, findings: &mut Vec<Finding>) {
    let bare = name.rsplit('.').next().unwrap_or(name).to_ascii_lowercase();
    let value = value.map(|v| v.trim_matches(['\'', '"']).to_ascii_lowercase());
    if !D1_PRAGMAS.contains(&bare.as_str()) {
        findings.push(Finding::new(
            "d1-unsupported",
            format!("PRAGMA {bare} is not allowed on D1"),
            Some(line),
        ));
    } else if bare == "foreign_keys"
        && value
            .as_deref()
            .is_some_and(|v| ["off", "0", "false", "no"].contains(&v))
    {
        findings.push(Finding::new(
            "foreign-keys-off",
            FOREIGN_KEYS_OFF.to_owned(),
            Some(line),
        ));
    }
}

/// The fallback when sqlparser cannot parse a statement: its leading keywords.
fn lint_keywords(sql: &str, line: usize, findings: &mut Vec<Finding>) {
    let words: Vec<String> = sql
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .take(8)
        .map(str::to_ascii_uppercase)
        .collect();
    let w = |i: usize| words.get(i).map_or("", String::as_str);
    let mut add = |rule: &'static str, message: String| {
        findings.push(Finding::new(rule, message, Some(line)));
    };
    let upper = sql.to_ascii_uppercase();
    match (w(0), w(1)) {
        ("PRAGMA", _) => {
            let body = sql.trim_start()[6..].trim().trim_end_matches(';');
            let (name, value) = match body.find(['=', '(']) {
                Some(at) => (
                    body[..at].trim(),
                    Some(body[at + 1..].trim().trim_end_matches(')').trim()),
                ),
                None => (body.trim(), None),
            };
            lint_pragma(name, value, line, findings);
        }
        ("DROP", "TABLE") => add(
            "drop-table",
            "DROP TABLE deletes the table and its rows".to_owned(),
        ),
        ("DROP", "INDEX") => add("drop-index", "DROP INDEX".to_owned()),
        ("DROP", "VIEW") => add("drop-view", "DROP VIEW".to_owned()),
        ("DROP", "TRIGGER") => add("drop-trigger", "DROP TRIGGER".to_owned()),
        ("ALTER", "TABLE") if upper.contains(" DROP ") => {
            add(
                "drop-column",
                "DROP COLUMN deletes the column's values".to_owned(),
            );
        }
        ("ALTER", "TABLE") if upper.contains(" RENAME ") && upper.contains(" TO ") => {
            add(
                "rename-column",
                "a rename breaks queries that use the old name".to_owned(),
            );
        }
        ("DELETE", "FROM") if !upper.contains(" WHERE ") => {
            add(
                "delete-without-where",
                "DELETE without WHERE deletes every row".to_owned(),
            );
        }
        ("UPDATE", _) if !upper.contains(" WHERE ") => {
            add(
                "update-without-where",
                "UPDATE without WHERE rewrites every row".to_owned(),
            );
        }
        (
            "BEGIN" | "COMMIT" | "END" | "ROLLBACK" | "SAVEPOINT" | "RELEASE" | "ATTACH" | "DETACH"
            | "VACUUM",
            _,
        ) => {
            add("d1-unsupported", format!("{}: not allowed on D1", w(0)));
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(text: &str) -> Vec<(&'static str, bool)> {
        lint_file(text)
            .into_iter()
            .map(|f| (f.rule, f.suppressed))
            .collect()
    }

    #[test]
    fn destructive_and_risky_statements() {
        let text = "DROP TABLE old;\nALTER TABLE users DROP COLUMN legacy;\nDELETE FROM sessions;\nUPDATE users SET a = 1;\nDELETE FROM t WHERE id = 1;\nALTER TABLE users ADD COLUMN age INTEGER NOT NULL;\nALTER TABLE users ADD COLUMN ok INTEGER NOT NULL DEFAULT 0;\nALTER TABLE users RENAME COLUMN a TO b;\nDROP INDEX i;\nDROP TRIGGER t;\nDROP VIEW v;\nPRAGMA foreign_keys=OFF;\nPRAGMA journal_mode=WAL;\n";
        assert_eq!(
            rules(text),
            [
                ("drop-table", false),
                ("drop-column", false),
                ("delete-without-where", false),
                ("update-without-where", false),
                ("not-null-without-default", false),
                ("rename-column", false),
                ("drop-index", false),
                ("drop-trigger", false),
                ("drop-view", false),
                ("unparsed", false),
                ("foreign-keys-off", false),
                ("unparsed", false),
                ("d1-unsupported", false),
            ]
        );
    }

    #[test]
    fn suppression_by_statement_and_by_file() {
        let text = "-- migrate-dryrun: allow drop-table\nDROP TABLE old;\nDROP TABLE other; -- no comment here\nDELETE FROM t; -- migrate-dryrun: allow delete-without-where\n";
        assert_eq!(
            rules(text),
            [
                ("drop-table", true),
                ("drop-table", false),
                ("delete-without-where", true)
            ]
        );
        let text =
            "-- migrate-dryrun: allow-file drop-table\nSELECT 1;\nDROP TABLE a;\nDROP TABLE b;\n";
        assert_eq!(rules(text), [("drop-table", true), ("drop-table", true)]);
    }

    #[test]
    fn a_transaction_pair_is_flagged_even_though_local_mode_strips_it() {
        let findings = lint_file("-- wrap it\nBEGIN TRANSACTION;\nCREATE TABLE a(x);\nCOMMIT;\n");
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(findings[0].rule, "d1-unsupported");
        assert_eq!(findings[0].line, Some(2));
    }

    /// A deterministic stand-in for a fuzzer: odd mixes of the characters and words the
    /// splitter and the linter care about never panic, and the lines stay in the file.
    #[test]
    fn arbitrary_text_never_panics() {
        const PIECES: &[&str] = &[
            "'",
            "\"",
            "`",
            "$",
            "$a$",
            "-",
            "--",
            "/",
            "/*",
            "*/",
            ";",
            "\n",
            " ",
            "\t",
            "BEGIN",
            "END",
            "end",
            "CASE",
            "TRANSACTION",
            "COMMIT",
            "DROP TABLE x",
            "PRAGMA",
            "foreign_keys=OFF",
            "ALTER TABLE t DROP COLUMN c",
            "é",
            "😀",
            "(",
            ")",
            "=",
            "x",
            "-- migrate-dryrun: allow drop-table",
            "DELETE FROM t",
            "UPDATE t SET a=1",
        ];
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..3000 {
            let mut text = String::new();
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let pieces = 1 + state % 24;
            for _ in 0..pieces {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let index = usize::try_from(state % PIECES.len() as u64).expect("small");
                text.push_str(PIECES[index]);
            }
            let lines = text.lines().count().max(1);
            for finding in lint_file(&text) {
                assert!(
                    finding.line.is_none_or(|l| l >= 1 && l <= lines + 1),
                    "{text:?}: {finding:?}"
                );
            }
            let _ = split::split(&split::with_migration_record(
                &text,
                "d1_migrations",
                "x.sql",
            ));
        }
    }

    #[test]
    fn unparsable_statements_fall_back_to_keywords() {
        // sqlparser does not know SQLite's trigger syntax with a WHEN clause and RAISE.
        let text = "CREATE TRIGGER t BEFORE DELETE ON a WHEN old.x > 0 BEGIN SELECT RAISE(ABORT, 'no'); END;\nDROP TABLE IF EXISTS \"weird\" ;\n";
        let findings = lint_file(text);
        assert!(
            findings.iter().any(|f| f.rule == "drop-table"),
            "{findings:?}"
        );
        for f in &findings {
            assert!(f.line.is_some());
        }
    }
}

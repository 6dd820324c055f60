//! PostgreSQL lints: statements that take a lock production traffic waits on, or rewrite
//! or scan a whole table, each with the table's rows in the copy. The rule set follows
//! the locking behaviour PostgreSQL documents for `ALTER TABLE` and `CREATE INDEX` (the
//! same ground squawk's rules cover); statements are recognised by their leading
//! keywords.

use std::collections::BTreeMap;

use crate::lint::Finding;
use crate::supabase::Statement;

/// Functions whose value differs per row: a column default calling one rewrites the
/// table when the column is added.
const VOLATILE: &[&str] = &[
    "RANDOM(",
    "GEN_RANDOM_UUID(",
    "UUID_GENERATE_V4(",
    "UUID_GENERATE_V1(",
    "CLOCK_TIMESTAMP(",
    "TIMEOFDAY(",
    "NEXTVAL(",
];

/// The findings for `statements`; `rows` holds every table of the copy before the file
/// ran (`schema.table`, unquoted), `schema_only` whether those counts are empty by
/// construction.
#[must_use]
pub fn lint(
    statements: &[Statement],
    rows: &BTreeMap<String, u64>,
    schema_only: bool,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    for statement in statements {
        let code = crate::supabase::leading_code(&statement.text);
        let upper = code.to_uppercase();
        let words: Vec<&str> = code.split_whitespace().collect();
        let upper_words: Vec<String> = words.iter().map(|w| w.to_uppercase()).collect();
        let line = Some(statement.line);
        let size = |table: &str| describe(table, rows, schema_only);
        let existing = |table: &str| rows.contains_key(&key(table));
        match upper_words
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice()
        {
            ["CREATE", "INDEX" | "UNIQUE", ..]
                if !upper_words.iter().any(|w| w == "CONCURRENTLY") =>
            {
                if let Some(table) = after_keyword(&words, "ON").filter(|t| existing(t)) {
                    findings.push(Finding::new(
                        "pg-index-not-concurrently",
                        format!(
                            "CREATE INDEX without CONCURRENTLY blocks writes to {} while it builds; use CREATE INDEX CONCURRENTLY (it runs outside the file's transaction)",
                            size(&table)
                        ),
                        line,
                    ));
                }
            }
            ["ALTER", "TABLE", ..] => {
                if let Some(table) = alter_table_name(&words).filter(|t| existing(t)) {
                    alter_table(&upper, &table, line, rows, schema_only, &mut findings);
                }
            }
            _ => {}
        }
    }
    findings
}

/// The findings of one `ALTER TABLE` statement (`upper`: its text in upper case) on
/// `table`, which production has.
fn alter_table(
    upper: &str,
    table: &str,
    line: Option<usize>,
    rows: &BTreeMap<String, u64>,
    schema_only: bool,
    findings: &mut Vec<Finding>,
) {
    let size = |table: &str| describe(table, rows, schema_only);
    let has = |needle: &str| upper.contains(needle);
    if has("ADD COLUMN")
        || has(" ADD ")
            && !has("ADD CONSTRAINT")
            && !has(" ADD CHECK")
            && !has(" ADD FOREIGN")
            && !has(" ADD UNIQUE")
            && !has(" ADD PRIMARY")
    {
        let rows_here = rows.get(&key(table)).copied().unwrap_or(0);
        if has("NOT NULL") && !has("DEFAULT") && (rows_here > 0 || schema_only) {
            findings.push(Finding::new(
                "pg-add-not-null-no-default",
                format!(
                    "ADD COLUMN … NOT NULL without DEFAULT fails on a table that has rows: {}",
                    size(table)
                ),
                line,
            ));
        }
        if has("DEFAULT") && VOLATILE.iter().any(|f| upper.contains(f)) {
            findings.push(Finding::new(
                "pg-volatile-default",
                format!(
                    "a column default that differs per row rewrites {} under an ACCESS EXCLUSIVE lock; add the column without it, then backfill in batches",
                    size(table)
                ),
                line,
            ));
        }
    }
    if has(" TYPE ") && has("ALTER COLUMN") || has(" SET DATA TYPE ") {
        findings.push(Finding::new(
            "pg-column-type-change",
            format!(
                "changing a column's type rewrites {} (and its indexes) under an ACCESS EXCLUSIVE lock, unless the new type is binary-compatible",
                size(table)
            ),
            line,
        ));
    }
    if has("SET NOT NULL") {
        findings.push(Finding::new(
            "pg-set-not-null",
            format!(
                "SET NOT NULL scans {} under an ACCESS EXCLUSIVE lock; add a CHECK (col IS NOT NULL) NOT VALID constraint, VALIDATE it, then SET NOT NULL",
                size(table)
            ),
            line,
        ));
    }
    let adds_checked = has(" CHECK") || has("FOREIGN KEY") || has(" REFERENCES ");
    if (has("ADD CONSTRAINT") || has(" ADD CHECK") || has(" ADD FOREIGN"))
        && adds_checked
        && !has("NOT VALID")
    {
        findings.push(Finding::new(
            "pg-constraint-not-valid",
            format!(
                "adding a CHECK or FOREIGN KEY constraint checks every row of {} while holding a lock that blocks writes; add it NOT VALID, then VALIDATE CONSTRAINT in a later migration",
                size(table)
            ),
            line,
        ));
    }
    if (has(" UNIQUE") || has("PRIMARY KEY")) && has(" ADD ") && !has("USING INDEX") {
        findings.push(Finding::new(
            "pg-unique-without-index",
            format!(
                "adding a UNIQUE or PRIMARY KEY constraint builds its index on {} under an ACCESS EXCLUSIVE lock; build it with CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT … USING INDEX",
                size(table)
            ),
            line,
        ));
    }
    if has("VALIDATE CONSTRAINT") {
        findings.push(Finding::new(
            "pg-validate-constraint",
            format!(
                "VALIDATE CONSTRAINT scans {}; it holds a SHARE UPDATE EXCLUSIVE lock, so reads and writes go on, but in the file's transaction it keeps any stronger lock taken before it",
                size(table)
            ),
            line,
        ));
    }
}

/// `schema.table` without quotes, `public` when the name has no schema: the key of the
/// row counts.
#[must_use]
pub fn key(name: &str) -> String {
    let parts: Vec<String> = split_name(name)
        .into_iter()
        .map(|(part, quoted)| if quoted { part } else { part.to_lowercase() })
        .collect();
    match parts.as_slice() {
        [table] => format!("public.{table}"),
        [schema, table] => format!("{schema}.{table}"),
        _ => parts.join("."),
    }
}

fn split_name(name: &str) -> Vec<(String, bool)> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut in_quotes = false;
    let mut chars = name.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if in_quotes && chars.peek() == Some(&'"') => {
                current.push('"');
                chars.next();
            }
            '"' => {
                in_quotes = !in_quotes;
                quoted = true;
            }
            '.' if !in_quotes => {
                parts.push((std::mem::take(&mut current), quoted));
                quoted = false;
            }
            _ => current.push(c),
        }
    }
    parts.push((current, quoted));
    parts
}

fn describe(table: &str, rows: &BTreeMap<String, u64>, schema_only: bool) -> String {
    let name = key(table);
    match rows.get(&name) {
        _ if schema_only => format!("{name} (a --schema-only copy: its rows are unknown)"),
        Some(n) => format!("{name} ({n} rows in the copy)"),
        None => name,
    }
}

/// The table after `keyword` (`ON` of `CREATE INDEX`), without `ONLY` and a column list.
fn after_keyword(words: &[&str], keyword: &str) -> Option<String> {
    let at = words.iter().position(|w| w.eq_ignore_ascii_case(keyword))?;
    let mut rest = words[at + 1..].iter();
    let mut name = *rest.next()?;
    if name.eq_ignore_ascii_case("ONLY") {
        name = rest.next()?;
    }
    Some(clean(name))
}

/// `ALTER TABLE [IF EXISTS] [ONLY] name`.
fn alter_table_name(words: &[&str]) -> Option<String> {
    let mut rest = words.iter().skip(2).peekable();
    let mut name = *rest.next()?;
    if name.eq_ignore_ascii_case("IF") {
        rest.next();
        name = rest.next()?;
    }
    if name.eq_ignore_ascii_case("ONLY") {
        name = rest.next()?;
    }
    Some(clean(name))
}

fn clean(name: &str) -> String {
    let name = name.split('(').next().unwrap_or(name);
    name.trim_end_matches([';', ',', '*']).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(sql: &str, rows: &[(&str, u64)]) -> Vec<&'static str> {
        let rows = rows.iter().map(|(t, n)| ((*t).to_owned(), *n)).collect();
        lint(&crate::supabase::split(sql), &rows, false)
            .into_iter()
            .map(|f| f.rule)
            .collect()
    }

    #[test]
    fn locking_statements_on_existing_tables_are_flagged() {
        let big = [("public.users", 5000), ("app.Orders", 10)];
        assert_eq!(
            rules("create index users_email on users (email);", &big),
            ["pg-index-not-concurrently"]
        );
        assert!(
            rules(
                "create index concurrently users_email on users (email);",
                &big
            )
            .is_empty()
        );
        assert!(
            rules("create index t_x on new_table (x);", &big).is_empty(),
            "a new table is empty"
        );
        assert_eq!(
            rules(
                "alter table public.users add column age int not null;",
                &big
            ),
            ["pg-add-not-null-no-default"]
        );
        assert!(
            rules(
                "alter table empty add column age int not null;",
                &[("public.empty", 0)]
            )
            .is_empty()
        );
        assert!(
            rules(
                "alter table users add column age int not null default 0;",
                &big
            )
            .is_empty()
        );
        assert_eq!(
            rules(
                "ALTER TABLE users ADD COLUMN id2 uuid DEFAULT gen_random_uuid();",
                &big
            ),
            ["pg-volatile-default"]
        );
        assert_eq!(
            rules(
                "alter table users alter column email type varchar(200);",
                &big
            ),
            ["pg-column-type-change"]
        );
        assert_eq!(
            rules("alter table users alter column email set not null;", &big),
            ["pg-set-not-null"]
        );
        assert_eq!(
            rules(
                "alter table app.\"Orders\" add constraint fk foreign key (user_id) references users (id);",
                &big
            ),
            ["pg-constraint-not-valid"]
        );
        assert!(
            rules(
                "alter table users add constraint c check (id > 0) not valid;",
                &big
            )
            .is_empty()
        );
        assert_eq!(
            rules("alter table users validate constraint c;", &big),
            ["pg-validate-constraint"]
        );
        assert_eq!(
            rules("alter table users add constraint u unique (email);", &big),
            ["pg-unique-without-index"]
        );
        assert!(
            rules(
                "alter table users add constraint u unique using index users_email;",
                &big
            )
            .is_empty()
        );
    }

    #[test]
    fn names_are_keyed_as_the_row_counts_are() {
        assert_eq!(key("users"), "public.users");
        assert_eq!(key("App.Users"), "app.users");
        assert_eq!(key("\"App\".\"Us\"\"ers\""), "App.Us\"ers");
    }
}

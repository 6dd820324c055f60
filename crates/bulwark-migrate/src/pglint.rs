//! PostgreSQL lints: statements that take a lock production traffic waits on, or rewrite
//! or scan a whole table, each with the table's rows in the copy. The rule set follows
//! the locking behaviour PostgreSQL documents for `ALTER TABLE` and `CREATE INDEX` (the
//! same ground squawk's rules cover).
//!
//! Each statement is parsed with sqlparser's PostgreSQL dialect and linted from its
//! syntax tree, so comments, string literals and dollar-quoted bodies cannot fool it.
//! Where sqlparser cannot parse a statement PostgreSQL accepts, the statement is linted
//! from its keywords instead, after sqlparser's tokenizer has removed its comments and
//! literals, and each such finding says so.

use std::collections::BTreeMap;

use sqlparser::ast::{
    AlterColumnOperation, AlterTableOperation, ColumnOption, Statement as Ast, TableConstraint,
};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, Tokenizer};

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

/// What the keyword path adds to a finding's message.
const BY_KEYWORDS: &str = " [sqlparser could not parse this statement: found by its keywords, with comments and string literals left out]";

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
    let ctx = Context { rows, schema_only };
    for statement in statements {
        let line = Some(statement.line);
        if let Ok(parsed) = Parser::parse_sql(&PostgreSqlDialect {}, &statement.text) {
            for ast in &parsed {
                ctx.syntax(ast, line, &mut findings);
            }
        } else {
            let before = findings.len();
            ctx.keywords(&code(&statement.text, false), line, &mut findings);
            for finding in &mut findings[before..] {
                finding.message.push_str(BY_KEYWORDS);
            }
        }
    }
    findings
}

/// `sql` as sqlparser's tokenizer reads it, tokens separated by one space (none around
/// `.`), without comments; string literals become `''`, and dollar-quoted bodies too
/// unless `bodies` (then their own code is kept). Text the tokenizer cannot read is
/// returned with its `--` comments cut.
#[must_use]
pub fn code(sql: &str, bodies: bool) -> String {
    let Ok(tokens) = Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize() else {
        return sql
            .lines()
            .map(|l| l.split_once("--").map_or(l, |(code, _)| code))
            .collect::<Vec<_>>()
            .join("\n");
    };
    let mut out = String::new();
    let mut glue = true;
    for token in tokens {
        let text = match token {
            Token::Whitespace(_) => continue,
            Token::DollarQuotedString(body) if bodies => code(&body.value, true),
            Token::DollarQuotedString(_)
            | Token::SingleQuotedString(_)
            | Token::EscapedStringLiteral(_)
            | Token::NationalStringLiteral(_)
            | Token::UnicodeStringLiteral(_)
            | Token::HexStringLiteral(_)
            | Token::SingleQuotedByteStringLiteral(_)
            | Token::DoubleQuotedByteStringLiteral(_) => "''".to_owned(),
            Token::Period => {
                out.push('.');
                glue = true;
                continue;
            }
            other => other.to_string(),
        };
        if !glue {
            out.push(' ');
        }
        out.push_str(&text);
        glue = false;
    }
    out
}

struct Context<'a> {
    rows: &'a BTreeMap<String, u64>,
    schema_only: bool,
}

impl Context<'_> {
    fn existing(&self, table: &str) -> bool {
        self.rows.contains_key(&key(table))
    }

    fn rows_of(&self, table: &str) -> u64 {
        self.rows.get(&key(table)).copied().unwrap_or(0)
    }

    fn add(&self, rule: &'static str, table: &str, line: Option<usize>, out: &mut Vec<Finding>) {
        out.push(Finding::new(
            rule,
            message(rule, &describe(table, self.rows, self.schema_only)),
            line,
        ));
    }

    /// The findings of one parsed statement.
    fn syntax(&self, ast: &Ast, line: Option<usize>, out: &mut Vec<Finding>) {
        match ast {
            Ast::CreateIndex(index) => {
                let table = index.table_name.to_string();
                if !index.concurrently && self.existing(&table) {
                    self.add("pg-index-not-concurrently", &table, line, out);
                }
            }
            Ast::AlterTable(alter) => {
                let table = alter.name.to_string();
                if !self.existing(&table) {
                    return;
                }
                for op in &alter.operations {
                    self.operation(op, &table, line, out);
                }
            }
            _ => {}
        }
    }

    fn operation(
        &self,
        op: &AlterTableOperation,
        table: &str,
        line: Option<usize>,
        out: &mut Vec<Finding>,
    ) {
        match op {
            AlterTableOperation::AddColumn { column_def, .. } => {
                let options = || column_def.options.iter().map(|o| &o.option);
                let not_null = options().any(|o| matches!(o, ColumnOption::NotNull));
                let default = options().find_map(|o| match o {
                    ColumnOption::Default(expr) => Some(expr.to_string().to_uppercase()),
                    _ => None,
                });
                if not_null && default.is_none() && (self.rows_of(table) > 0 || self.schema_only) {
                    self.add("pg-add-not-null-no-default", table, line, out);
                }
                if default.is_some_and(|d| VOLATILE.iter().any(|f| d.contains(f))) {
                    self.add("pg-volatile-default", table, line, out);
                }
                if options()
                    .any(|o| matches!(o, ColumnOption::Unique(_) | ColumnOption::PrimaryKey(_)))
                {
                    self.add("pg-unique-without-index", table, line, out);
                }
            }
            AlterTableOperation::AlterColumn { op, .. } => match op {
                AlterColumnOperation::SetDataType { .. } => {
                    self.add("pg-column-type-change", table, line, out);
                }
                AlterColumnOperation::SetNotNull => self.add("pg-set-not-null", table, line, out),
                _ => {}
            },
            AlterTableOperation::AddConstraint {
                constraint,
                not_valid,
            } => match constraint {
                TableConstraint::Check(_) | TableConstraint::ForeignKey(_) if !not_valid => {
                    self.add("pg-constraint-not-valid", table, line, out);
                }
                TableConstraint::Unique(_) | TableConstraint::PrimaryKey(_) => {
                    self.add("pg-unique-without-index", table, line, out);
                }
                _ => {}
            },
            AlterTableOperation::ValidateConstraint { .. } => {
                self.add("pg-validate-constraint", table, line, out);
            }
            _ => {}
        }
    }

    /// The findings of a statement sqlparser could not parse, from `code` (its tokens,
    /// without comments and literals).
    fn keywords(&self, code: &str, line: Option<usize>, out: &mut Vec<Finding>) {
        let words: Vec<&str> = code.split_whitespace().collect();
        let upper_words: Vec<String> = words.iter().map(|w| w.to_uppercase()).collect();
        let upper = format!(" {} ", upper_words.join(" "));
        match upper_words
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice()
        {
            ["CREATE", "INDEX" | "UNIQUE", ..]
                if !upper_words.iter().any(|w| w == "CONCURRENTLY") =>
            {
                if let Some(table) = after_keyword(&words, "ON").filter(|t| self.existing(t)) {
                    self.add("pg-index-not-concurrently", &table, line, out);
                }
            }
            ["ALTER", "TABLE", ..] => {
                if let Some(table) = alter_table_name(&words).filter(|t| self.existing(t)) {
                    self.alter_keywords(&upper, &table, line, out);
                }
            }
            _ => {}
        }
    }

    /// The findings of one unparsed `ALTER TABLE` (`upper`: its code in upper case) on
    /// `table`, which production has.
    fn alter_keywords(
        &self,
        upper: &str,
        table: &str,
        line: Option<usize>,
        out: &mut Vec<Finding>,
    ) {
        let has = |needle: &str| upper.contains(needle);
        if has(" ADD COLUMN ")
            || has(" ADD ")
                && !has(" ADD CONSTRAINT ")
                && !has(" ADD CHECK ")
                && !has(" ADD FOREIGN ")
                && !has(" ADD UNIQUE ")
                && !has(" ADD PRIMARY ")
        {
            if has(" NOT NULL ")
                && !has(" DEFAULT ")
                && (self.rows_of(table) > 0 || self.schema_only)
            {
                self.add("pg-add-not-null-no-default", table, line, out);
            }
            let compact = upper.replace(" (", "(");
            if has(" DEFAULT ") && VOLATILE.iter().any(|f| compact.contains(f)) {
                self.add("pg-volatile-default", table, line, out);
            }
        }
        if has(" TYPE ") && has(" ALTER COLUMN ") || has(" SET DATA TYPE ") {
            self.add("pg-column-type-change", table, line, out);
        }
        if has(" SET NOT NULL ") {
            self.add("pg-set-not-null", table, line, out);
        }
        let adds_checked = has(" CHECK ") || has(" FOREIGN KEY ") || has(" REFERENCES ");
        if (has(" ADD CONSTRAINT ") || has(" ADD CHECK ") || has(" ADD FOREIGN "))
            && adds_checked
            && !has(" NOT VALID ")
        {
            self.add("pg-constraint-not-valid", table, line, out);
        }
        if (has(" UNIQUE ") || has(" PRIMARY KEY ")) && has(" ADD ") && !has(" USING INDEX ") {
            self.add("pg-unique-without-index", table, line, out);
        }
        if has(" VALIDATE CONSTRAINT ") {
            self.add("pg-validate-constraint", table, line, out);
        }
    }
}

/// The message of `rule` about `table` (described with its rows).
fn message(rule: &str, table: &str) -> String {
    match rule {
        "pg-index-not-concurrently" => format!(
            "CREATE INDEX without CONCURRENTLY blocks writes to {table} while it builds; use CREATE INDEX CONCURRENTLY (it runs outside the file's transaction)"
        ),
        "pg-add-not-null-no-default" => {
            format!("ADD COLUMN … NOT NULL without DEFAULT fails on a table that has rows: {table}")
        }
        "pg-volatile-default" => format!(
            "a column default that differs per row rewrites {table} under an ACCESS EXCLUSIVE lock; add the column without it, then backfill in batches"
        ),
        "pg-column-type-change" => format!(
            "changing a column's type rewrites {table} (and its indexes) under an ACCESS EXCLUSIVE lock, unless the new type is binary-compatible"
        ),
        "pg-set-not-null" => format!(
            "SET NOT NULL scans {table} under an ACCESS EXCLUSIVE lock; add a CHECK (col IS NOT NULL) NOT VALID constraint, VALIDATE it, then SET NOT NULL"
        ),
        "pg-constraint-not-valid" => format!(
            "adding a CHECK or FOREIGN KEY constraint checks every row of {table} while holding a lock that blocks writes; add it NOT VALID, then VALIDATE CONSTRAINT in a later migration"
        ),
        "pg-unique-without-index" => format!(
            "adding a UNIQUE or PRIMARY KEY constraint builds its index on {table} under an ACCESS EXCLUSIVE lock; build it with CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT … USING INDEX"
        ),
        _ => format!(
            "VALIDATE CONSTRAINT scans {table}; it holds a SHARE UPDATE EXCLUSIVE lock, so reads and writes go on, but in the file's transaction it keeps any stronger lock taken before it"
        ),
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

    /// Text in comments, string literals and dollar-quoted bodies is not code.
    #[test]
    fn comments_strings_and_bodies_do_not_fool_the_lints() {
        let big = [("public.users", 5000)];
        assert_eq!(
            rules(
                "create index /* concurrently */ users_email on users (email);",
                &big
            ),
            ["pg-index-not-concurrently"]
        );
        assert_eq!(
            rules(
                "create index users_email on users (email) where email <> 'concurrently';",
                &big
            ),
            ["pg-index-not-concurrently"]
        );
        assert!(
            rules(
                "alter table users -- alter column email type text\n  add column note text;",
                &big
            )
            .is_empty()
        );
        assert!(
            rules(
                "alter table users add column note text default 'set not null';",
                &big
            )
            .is_empty()
        );
        assert!(
            rules(
                "alter table users add column note text default $$alter column x type int$$;",
                &big
            )
            .is_empty()
        );
        assert!(
            rules(
                "do $$ begin\n  -- create index users_email on users (email)\n  perform 'create index x on users (email)';\nend $$;",
                &big
            )
            .is_empty()
        );
    }

    /// A statement sqlparser cannot parse is linted by its keywords, outside comments
    /// and literals, and the finding says so.
    #[test]
    fn unparsed_statements_fall_back_to_keywords_and_say_so() {
        let big = [("public.users", 5000)];
        let sql = "alter table users alter column email type text collate \"C\" /* set not null */, alter column id set statistics 'x';";
        let found = lint(
            &crate::supabase::split(sql),
            &big.iter().map(|(t, n)| ((*t).to_owned(), *n)).collect(),
            false,
        );
        assert_eq!(
            found.iter().map(|f| f.rule).collect::<Vec<_>>(),
            ["pg-column-type-change"],
            "{found:?}"
        );
        assert!(found[0].message.contains("could not parse"), "{found:?}");
        assert_eq!(code("a -- b\n 'c' $$d$$ x.\"Y\"", false), "a '' '' x.\"Y\"");
        assert_eq!(
            code("f($$select auth.uid()$$)", true),
            "f ( select auth.uid ( ) )"
        );
    }

    #[test]
    fn names_are_keyed_as_the_row_counts_are() {
        assert_eq!(key("users"), "public.users");
        assert_eq!(key("App.Users"), "app.users");
        assert_eq!(key("\"App\".\"Us\"\"ers\""), "App.Us\"ers");
    }
}

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

use std::collections::{BTreeMap, BTreeSet};

use sqlparser::ast::{
    AlterColumnOperation, AlterTableOperation, ColumnDef, ColumnOption, CreateTable, DataType,
    Expr, GeneratedExpressionMode, ObjectName, ObjectType, Set, Statement as Ast, TableConstraint,
    TimezoneInfo, Value,
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
    let mut ctx = Context::new(rows, schema_only);
    for statement in statements {
        let line = Some(statement.line);
        if let Ok(parsed) = Parser::parse_sql(&PostgreSqlDialect {}, &statement.text) {
            for ast in &parsed {
                let locked = ctx.syntax(ast, line, &mut findings);
                ctx.timeout(locked.as_deref(), line, &mut findings);
            }
        } else {
            let before = findings.len();
            let locked = ctx.keywords(&code(&statement.text, false), line, &mut findings);
            ctx.timeout(locked.as_deref(), line, &mut findings);
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
    /// Indexes and materialized views this file created (keyed as tables are): dropping
    /// or refreshing them locks nothing production uses.
    created: BTreeSet<String>,
    /// Whether a `SET [LOCAL] lock_timeout` (not 0) ran earlier in the file.
    lock_timeout: bool,
    /// Whether `pg-no-lock-timeout` was already reported for this file.
    timeout_reported: bool,
}

impl<'a> Context<'a> {
    /// The context at the start of a file.
    fn new(rows: &'a BTreeMap<String, u64>, schema_only: bool) -> Self {
        Self {
            rows,
            schema_only,
            created: BTreeSet::new(),
            lock_timeout: false,
            timeout_reported: false,
        }
    }

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

    /// Reports `pg-no-lock-timeout` once per file, at the first statement that takes a
    /// lock blocking reads on `locked` (a table production has) before any `SET
    /// lock_timeout`.
    fn timeout(&mut self, locked: Option<&str>, line: Option<usize>, out: &mut Vec<Finding>) {
        if let Some(table) = locked
            && !self.lock_timeout
            && !self.timeout_reported
        {
            self.timeout_reported = true;
            self.add("pg-no-lock-timeout", table, line, out);
        }
    }

    /// The findings of one parsed statement; returns the table production has that it
    /// locks `ACCESS EXCLUSIVE` (or, for a foreign key, against writes), if any.
    fn syntax(&mut self, ast: &Ast, line: Option<usize>, out: &mut Vec<Finding>) -> Option<String> {
        match ast {
            Ast::CreateIndex(index) => {
                let table = index.table_name.to_string();
                if let Some(name) = &index.name {
                    self.created
                        .insert(key(&qualify(&name.to_string(), &table)));
                }
                if !index.concurrently && self.existing(&table) {
                    self.add("pg-index-not-concurrently", &table, line, out);
                }
                None
            }
            Ast::CreateView(view) => {
                if view.materialized {
                    self.created.insert(key(&view.name.to_string()));
                }
                None
            }
            Ast::CreateTable(create) => {
                self.create_table(create, line, out);
                None
            }
            Ast::AlterTable(alter) => {
                let table = alter.name.to_string();
                for op in &alter.operations {
                    if let AlterTableOperation::AddColumn { column_def, .. } = op {
                        self.types(column_def, &table, line, out);
                    }
                }
                if !self.existing(&table) {
                    return None;
                }
                for op in &alter.operations {
                    self.operation(op, &table, line, out);
                }
                let weak = |op: &AlterTableOperation| {
                    matches!(op, AlterTableOperation::ValidateConstraint { .. })
                };
                (!alter.operations.iter().all(weak)).then_some(table)
            }
            Ast::Drop {
                object_type, names, ..
            } => self.drop(*object_type, names, line, out),
            Ast::Truncate(truncate) => {
                let names: Vec<String> = truncate
                    .table_names
                    .iter()
                    .map(|t| t.name.to_string())
                    .filter(|t| self.existing(t))
                    .collect();
                let cascade = matches!(
                    truncate.cascade,
                    Some(sqlparser::ast::CascadeOption::Cascade)
                );
                if cascade {
                    for name in &names {
                        self.add("pg-truncate-cascade", name, line, out);
                    }
                }
                names.into_iter().next()
            }
            Ast::RefreshMaterializedView(refresh) => {
                let name = refresh.name.to_string();
                if !refresh.concurrently && !self.created.contains(&key(&name)) {
                    self.add("pg-refresh-not-concurrently", &name, line, out);
                }
                None
            }
            Ast::Set(Set::SingleAssignment {
                variable, values, ..
            }) => {
                if variable.to_string().eq_ignore_ascii_case("lock_timeout") {
                    self.lock_timeout = !values.iter().all(zero);
                }
                None
            }
            _ => None,
        }
    }

    /// The type-preference findings of a `CREATE TABLE`.
    fn create_table(&self, create: &CreateTable, line: Option<usize>, out: &mut Vec<Finding>) {
        let table = create.name.to_string();
        for column in &create.columns {
            self.types(column, &table, line, out);
        }
        let pk: Vec<String> = create
            .constraints
            .iter()
            .filter_map(|c| match c {
                TableConstraint::PrimaryKey(pk) if pk.columns.len() == 1 => {
                    Some(pk.columns[0].column.expr.to_string().to_lowercase())
                }
                _ => None,
            })
            .collect();
        if create
            .columns
            .iter()
            .any(|c| pk.contains(&c.name.value.to_lowercase()) && small_key(&c.data_type))
        {
            self.add("pg-prefer-bigint-key", &table, line, out);
        }
    }

    /// The findings of a `DROP` of `names`; returns the table production has it locks.
    fn drop(
        &self,
        object_type: ObjectType,
        names: &[ObjectName],
        line: Option<usize>,
        out: &mut Vec<Finding>,
    ) -> Option<String> {
        let mut locked = None;
        for name in names {
            let name = name.to_string();
            match object_type {
                ObjectType::Table if self.existing(&name) => {
                    self.add("pg-drop-table", &name, line, out);
                    locked.get_or_insert(name);
                }
                ObjectType::Index if !self.created.contains(&key(&name)) => {
                    out.push(Finding::new(
                        "pg-drop-index-not-concurrently",
                        message("pg-drop-index-not-concurrently", &key(&name)),
                        line,
                    ));
                    locked.get_or_insert_with(|| format!("{name} (an index)"));
                }
                _ => {}
            }
        }
        locked
    }

    /// The type-preference findings (`pg-prefer-*`) of a column `table` gets.
    fn types(&self, column: &ColumnDef, table: &str, line: Option<usize>, out: &mut Vec<Finding>) {
        match &column.data_type {
            DataType::Timestamp(_, TimezoneInfo::None | TimezoneInfo::WithoutTimeZone) => {
                self.add("pg-prefer-timestamptz", table, line, out);
            }
            DataType::Char(_) | DataType::Character(_) => {
                self.add("pg-prefer-text", table, line, out);
            }
            DataType::Varchar(Some(_))
            | DataType::CharacterVarying(Some(_))
            | DataType::CharVarying(Some(_)) => self.add("pg-prefer-text", table, line, out),
            _ => {}
        }
        let primary = column
            .options
            .iter()
            .any(|o| matches!(o.option, ColumnOption::PrimaryKey(_)));
        if primary && small_key(&column.data_type) {
            self.add("pg-prefer-bigint-key", table, line, out);
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
                let generated = options().any(|o| match o {
                    ColumnOption::Generated {
                        generation_expr,
                        generation_expr_mode,
                        ..
                    } => {
                        generation_expr.is_none()
                            || matches!(generation_expr_mode, Some(GeneratedExpressionMode::Stored))
                    }
                    _ => false,
                });
                if generated || serial(&column_def.data_type) {
                    self.add("pg-add-column-rewrite", table, line, out);
                }
            }
            AlterTableOperation::RenameColumn { .. } => {
                self.add("pg-rename-column", table, line, out);
            }
            AlterTableOperation::RenameTable { .. } => {
                self.add("pg-rename-table", table, line, out);
            }
            AlterTableOperation::DropColumn { .. } => {
                self.add("pg-drop-column", table, line, out);
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
    /// without comments and literals); returns the table production has that it locks,
    /// as [`Self::syntax`] does.
    fn keywords(
        &mut self,
        code: &str,
        line: Option<usize>,
        out: &mut Vec<Finding>,
    ) -> Option<String> {
        let words: Vec<&str> = code.split_whitespace().collect();
        let upper_words: Vec<String> = words.iter().map(|w| w.to_uppercase()).collect();
        let upper = format!(" {} ", upper_words.join(" "));
        let concurrently = upper_words.iter().any(|w| w == "CONCURRENTLY");
        match upper_words
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice()
        {
            ["CREATE", "INDEX" | "UNIQUE", ..] if !concurrently => {
                if let Some(table) = after_keyword(&words, "ON").filter(|t| self.existing(t)) {
                    self.add("pg-index-not-concurrently", &table, line, out);
                }
                None
            }
            ["ALTER", "TABLE", ..] => {
                let table = alter_table_name(&words).filter(|t| self.existing(t))?;
                self.alter_keywords(&upper, &table, line, out);
                let weak = upper.contains(" VALIDATE CONSTRAINT ") && !upper.contains(',');
                (!weak).then_some(table)
            }
            ["DROP", "INDEX", ..] if !concurrently => {
                let name = names_after(&words[2..]).into_iter().next()?;
                if self.created.contains(&key(&name)) {
                    return None;
                }
                out.push(Finding::new(
                    "pg-drop-index-not-concurrently",
                    message("pg-drop-index-not-concurrently", &key(&name)),
                    line,
                ));
                Some(format!("{name} (an index)"))
            }
            ["DROP", "TABLE", ..] => {
                let mut locked = None;
                for name in names_after(&words[2..]) {
                    if self.existing(&name) {
                        self.add("pg-drop-table", &name, line, out);
                        locked.get_or_insert(name);
                    }
                }
                locked
            }
            ["TRUNCATE", ..] => {
                let names: Vec<String> = names_after(&words[1..])
                    .into_iter()
                    .filter(|t| self.existing(t))
                    .collect();
                if upper_words.iter().any(|w| w == "CASCADE") {
                    for name in &names {
                        self.add("pg-truncate-cascade", name, line, out);
                    }
                }
                names.into_iter().next()
            }
            ["REFRESH", "MATERIALIZED", "VIEW", ..] if !concurrently => {
                let name = names_after(&words[3..]).into_iter().next()?;
                if !self.created.contains(&key(&name)) {
                    self.add("pg-refresh-not-concurrently", &name, line, out);
                }
                None
            }
            ["SET", ..] if upper.contains(" LOCK_TIMEOUT ") => {
                self.lock_timeout = !upper.contains(" 0 ") && !upper.contains(" '0' ");
                None
            }
            _ => None,
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
            let generated = has(" GENERATED ") && (has(" IDENTITY ") || has(" STORED "));
            if generated
                || [" SERIAL ", " BIGSERIAL ", " SMALLSERIAL "]
                    .iter()
                    .any(|t| has(t))
            {
                self.add("pg-add-column-rewrite", table, line, out);
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
        if has(" RENAME COLUMN ")
            || has(" RENAME ") && !has(" RENAME TO ") && !has(" RENAME CONSTRAINT ")
        {
            self.add("pg-rename-column", table, line, out);
        }
        if has(" RENAME TO ") {
            self.add("pg-rename-table", table, line, out);
        }
        if has(" DROP COLUMN ") {
            self.add("pg-drop-column", table, line, out);
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
        "pg-drop-index-not-concurrently" => format!(
            "DROP INDEX without CONCURRENTLY locks the table of index {table} ACCESS EXCLUSIVE (its reads and writes wait) until the drop commits; use DROP INDEX CONCURRENTLY (it runs outside the file's transaction)"
        ),
        "pg-rename-column" => format!(
            "renaming a column of {table}: the application running now still queries the old name and fails until it is deployed; add the new column, write both, then drop the old one in a later release"
        ),
        "pg-rename-table" => format!(
            "renaming {table}: the application running now still queries the old name and fails until it is deployed; a view under the old name can bridge the release"
        ),
        "pg-drop-column" => format!(
            "dropping a column of {table}: the application running now may still read or write it and fail; stop using it in a release first"
        ),
        "pg-drop-table" => format!(
            "dropping {table}: the application running now may still query it and fail, and its rows are gone; stop using it in a release first"
        ),
        "pg-no-lock-timeout" => format!(
            "no SET lock_timeout before this statement, which locks {table} against reads and writes: if it waits behind a long query, every query on the table queues behind it; put SET LOCAL lock_timeout = '5s' (or so) at the top of the file and retry on timeout"
        ),
        "pg-add-column-rewrite" => format!(
            "adding a serial, identity or stored generated column fills every existing row: it rewrites {table} under an ACCESS EXCLUSIVE lock; add a plain column, backfill in batches, then attach the default or sequence"
        ),
        "pg-truncate-cascade" => format!(
            "TRUNCATE … CASCADE on {table} also empties every table whose foreign keys reference it, and the tables that reference those, without naming them"
        ),
        "pg-refresh-not-concurrently" => format!(
            "REFRESH MATERIALIZED VIEW without CONCURRENTLY locks {table} ACCESS EXCLUSIVE: reads of the view wait until it is rebuilt; use CONCURRENTLY (needs a unique index on the view)"
        ),
        "pg-prefer-timestamptz" => format!(
            "a timestamp without time zone column on {table} stores wall-clock time with no offset; timestamptz stores an instant"
        ),
        "pg-prefer-text" => format!(
            "a char(n)/varchar(n) column on {table}: raising the limit later is an ALTER TYPE, and char pads with spaces; text with a CHECK (length(col) <= n) can be changed with NOT VALID and VALIDATE"
        ),
        "pg-prefer-bigint-key" => format!(
            "a 32-bit (int or serial) primary key on {table} runs out at 2,147,483,647 and widening it later rewrites the table; use bigint GENERATED ALWAYS AS IDENTITY"
        ),
        _ => format!(
            "VALIDATE CONSTRAINT scans {table}; it holds a SHARE UPDATE EXCLUSIVE lock, so reads and writes go on, but in the file's transaction it keeps any stronger lock taken before it"
        ),
    }
}

/// Whether a `SET lock_timeout` value turns the timeout off.
fn zero(value: &Expr) -> bool {
    match value {
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) | Value::SingleQuotedString(n) => {
                n.trim().trim_end_matches("ms").trim_end_matches('s').trim() == "0"
            }
            Value::Null => true,
            _ => false,
        },
        Expr::Identifier(ident) => ident.value.eq_ignore_ascii_case("default"),
        _ => false,
    }
}

/// Whether `data_type` is a serial pseudo-type (the column gets a sequence default).
fn serial(data_type: &DataType) -> bool {
    let name = data_type.to_string().to_lowercase();
    matches!(
        name.as_str(),
        "serial" | "serial2" | "serial4" | "serial8" | "smallserial" | "bigserial"
    )
}

/// Whether `data_type` is a key type narrower than 64 bits.
fn small_key(data_type: &DataType) -> bool {
    let name = data_type.to_string().to_lowercase();
    matches!(
        data_type,
        DataType::Int(_)
            | DataType::Integer(_)
            | DataType::Int4(_)
            | DataType::SmallInt(_)
            | DataType::Int2(_)
    ) || matches!(
        name.as_str(),
        "serial" | "serial2" | "serial4" | "smallserial"
    )
}

/// `index` in the schema of `table` when it has none (an index lives in its table's
/// schema).
fn qualify(index: &str, table: &str) -> String {
    if index.contains('.') {
        return index.to_owned();
    }
    match split_name(table).as_slice() {
        [(schema, quoted), _] if *quoted => format!("{}.{index}", bulwark_pg::quote_ident(schema)),
        [(schema, _), _] => format!("{schema}.{index}"),
        _ => index.to_owned(),
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

/// The names listed at the start of `words` (`[IF EXISTS] [ONLY] a, b` of a `DROP TABLE`,
/// `DROP INDEX`, `TRUNCATE [TABLE]` or `REFRESH MATERIALIZED VIEW`), up to the first
/// option that ends the list. `TABLE` is a reserved word, never a bare name.
fn names_after(words: &[&str]) -> Vec<String> {
    const SKIP: [&str; 6] = ["IF", "EXISTS", "ONLY", "TABLE", ",", "*"];
    const END: [&str; 5] = ["CASCADE", "RESTRICT", "RESTART", "CONTINUE", ";"];
    words
        .iter()
        .map(|w| w.to_uppercase())
        .zip(words)
        .take_while(|(upper, _)| !END.contains(&upper.as_str()))
        .filter(|(upper, _)| !SKIP.contains(&upper.as_str()))
        .map(|(_, word)| clean(word))
        .filter(|name| !name.is_empty())
        .collect()
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

/// `name` without a column list after it and a trailing `;`, `,` or `*`.
pub(crate) fn clean(name: &str) -> String {
    let name = name.split('(').next().unwrap_or(name);
    name.trim_end_matches([';', ',', '*']).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rules `sql` raises after a `SET lock_timeout`, so each rule is seen alone.
    fn rules(sql: &str, rows: &[(&str, u64)]) -> Vec<&'static str> {
        raw_rules(&format!("set lock_timeout = '5s';\n{sql}"), rows)
    }

    /// The rules `sql` raises as it is.
    fn raw_rules(sql: &str, rows: &[(&str, u64)]) -> Vec<&'static str> {
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
        let sql = "set lock_timeout = '5s';\nalter table users alter column email type text collate \"C\" /* set not null */, alter column id set statistics 'x';";
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

    /// The rules `sql` raises when every statement goes through the keyword fallback,
    /// as one sqlparser cannot parse does.
    fn keyword_rules(sql: &str, rows: &[(&str, u64)]) -> Vec<&'static str> {
        let rows: BTreeMap<String, u64> = rows.iter().map(|(t, n)| ((*t).to_owned(), *n)).collect();
        let mut ctx = Context::new(&rows, false);
        let mut out = Vec::new();
        for statement in crate::supabase::split(&format!("set lock_timeout = '5s';\n{sql}")) {
            let line = Some(statement.line);
            let locked = ctx.keywords(&code(&statement.text, false), line, &mut out);
            ctx.timeout(locked.as_deref(), line, &mut out);
        }
        out.into_iter().map(|f| f.rule).collect()
    }

    /// What the parser finds in a statement, the keyword fallback finds too: a statement
    /// sqlparser cannot read (a newer syntax in the same line) loses no lint.
    #[test]
    fn the_keyword_fallback_finds_what_the_parser_finds() {
        let big = [
            ("public.users", 5000),
            ("public.fresh", 10),
            ("public.stats", 10),
        ];
        for sql in [
            "create index users_email on users (email);",
            "alter table users alter column email type text;",
            "alter table users alter column email set not null;",
            "alter table users add constraint fk foreign key (org) references orgs (id);",
            "alter table users validate constraint fk;",
            "alter table users rename column email to mail;",
            "alter table users rename to people;",
            "alter table users drop column email;",
            "alter table users add column n bigserial;",
            "alter table users add column n int generated always as identity;",
            "alter table users add column l text generated always as (lower(email)) stored;",
            "drop index users_email;",
            "drop table users;",
            "drop table if exists users, fresh cascade;",
            "drop table if exists gone;",
            "truncate users cascade;",
            "truncate table only users, fresh restart identity cascade;",
            "truncate users;",
            "truncate only users * cascade;",
            "refresh materialized view stats;",
            "refresh materialized view concurrently stats;",
        ] {
            assert_eq!(keyword_rules(sql, &big), rules(sql, &big), "{sql}");
        }
    }

    #[test]
    fn drop_index_without_concurrently_is_flagged() {
        let big = [("public.users", 5000)];
        let found = |sql| rules(sql, &big);
        assert_eq!(
            found("drop index users_email;"),
            ["pg-drop-index-not-concurrently"]
        );
        assert_eq!(
            found("drop index if exists public.users_email;"),
            ["pg-drop-index-not-concurrently"]
        );
        assert!(found("drop index concurrently users_email;").is_empty());
        assert!(found("drop index concurrently if exists public.users_email;").is_empty());
        assert!(
            found("create index t_x on new_table (x);\ndrop index t_x;").is_empty(),
            "an index this file created"
        );
        assert!(found("-- drop index users_email;\nselect 'drop index users_email';").is_empty());
        assert_eq!(
            found("drop index /* concurrently */ users_email;"),
            ["pg-drop-index-not-concurrently"]
        );
    }

    #[test]
    fn renames_and_drops_the_running_application_reads_are_flagged() {
        let big = [("public.users", 5000), ("public.old", 7)];
        let found = |sql| rules(sql, &big);
        assert_eq!(
            found("alter table users rename column email to mail;"),
            ["pg-rename-column"]
        );
        assert_eq!(
            found("alter table users rename to people;"),
            ["pg-rename-table"]
        );
        assert_eq!(
            found("alter table users drop column email;"),
            ["pg-drop-column"]
        );
        assert_eq!(found("drop table if exists old, fresh;"), ["pg-drop-table"]);
        assert!(found("create table fresh (id bigint);\ndrop table fresh;").is_empty());
        assert!(found("alter table fresh rename column a to b;").is_empty());
        assert!(
            found(
                "alter table users add column note text default 'drop column email'; -- rename to x"
            )
            .is_empty()
        );
        let rows = [("public.old".to_owned(), 7)].into_iter().collect();
        let message = &lint(&crate::supabase::split("drop table old;"), &rows, false)[0].message;
        assert!(
            message.contains("public.old (7 rows in the copy)"),
            "{message}"
        );
        assert!(
            rules(
                "alter table users rename email to mail, alter column id set statistics 'x';",
                &big
            )
            .contains(&"pg-rename-column"),
            "by keywords"
        );
    }

    #[test]
    fn locking_statements_need_a_lock_timeout_set_before_them() {
        let big = [("public.users", 5000)];
        assert_eq!(
            raw_rules("alter table users add column note text;", &big),
            ["pg-no-lock-timeout"]
        );
        assert_eq!(
            raw_rules(
                "create table t (id bigint);\nalter table users add column a text;\nalter table users add column b text;",
                &big
            ),
            ["pg-no-lock-timeout"],
            "once per file"
        );
        for set in [
            "set lock_timeout = '3s';",
            "SET LOCAL lock_timeout TO 3000;",
            "set session lock_timeout = '1min';",
        ] {
            assert!(
                raw_rules(
                    &format!("{set}\nalter table users add column note text;"),
                    &big
                )
                .is_empty(),
                "{set}"
            );
        }
        assert_eq!(
            raw_rules(
                "set lock_timeout = 0;\nalter table users add column note text;",
                &big
            ),
            ["pg-no-lock-timeout"],
            "0 turns the timeout off"
        );
        assert_eq!(
            raw_rules(
                "alter table users add column note text;\nset lock_timeout = '3s';",
                &big
            ),
            ["pg-no-lock-timeout"],
            "too late"
        );
        assert!(
            raw_rules("alter table users validate constraint c;", &big)
                == ["pg-validate-constraint"],
            "VALIDATE takes a weaker lock"
        );
        assert!(raw_rules("alter table fresh add column note text;", &big).is_empty());
        assert_eq!(
            raw_rules(
                "-- set lock_timeout = '3s';\nselect 'set lock_timeout = 1';\ntruncate users;",
                &big
            ),
            ["pg-no-lock-timeout"],
            "a SET in a comment or a string does not count"
        );
    }

    #[test]
    fn rewrites_cascades_and_blocking_refreshes_are_flagged() {
        let big = [("public.users", 5000)];
        let found = |sql| rules(sql, &big);
        assert_eq!(
            found("alter table users add column n bigserial;"),
            ["pg-add-column-rewrite"]
        );
        assert_eq!(
            found("alter table users add column n bigint generated always as (id * 2) stored;"),
            ["pg-add-column-rewrite"]
        );
        assert_eq!(
            found("alter table users add column n bigint generated by default as identity;"),
            ["pg-add-column-rewrite"]
        );
        assert!(found("alter table users add column n bigint;").is_empty());
        assert!(found("alter table fresh add column n bigserial;").is_empty());
        assert_eq!(found("truncate users cascade;"), ["pg-truncate-cascade"]);
        assert!(found("truncate users;").is_empty());
        assert!(found("truncate fresh cascade;").is_empty());
        assert!(found("select 'truncate users cascade'; -- truncate users cascade").is_empty());
        assert_eq!(
            found("refresh materialized view stats;"),
            ["pg-refresh-not-concurrently"]
        );
        assert!(found("refresh materialized view concurrently stats;").is_empty());
        assert!(
            found(
                "create materialized view stats as select 1 as n;\nrefresh materialized view stats;"
            )
            .is_empty(),
            "a view this file created"
        );
        assert!(found("/* refresh materialized view stats; */ select 1;").is_empty());
    }

    #[test]
    fn type_preferences_are_noted() {
        let found = |sql| rules(sql, &[("public.users", 5000)]);
        assert_eq!(
            found("create table t (id bigint primary key, at timestamp);"),
            ["pg-prefer-timestamptz"]
        );
        assert_eq!(
            found("create table t (id bigint primary key, at timestamp without time zone);"),
            ["pg-prefer-timestamptz"]
        );
        assert_eq!(
            found("create table t (id bigint primary key, name varchar(40), code char(2));"),
            ["pg-prefer-text", "pg-prefer-text"]
        );
        assert_eq!(
            found("create table t (id serial primary key);"),
            ["pg-prefer-bigint-key"]
        );
        assert_eq!(
            found("create table t (id int, primary key (id));"),
            ["pg-prefer-bigint-key"]
        );
        assert_eq!(
            found("alter table users add column seen timestamp;"),
            ["pg-prefer-timestamptz"]
        );
        assert!(
            found(
                "create table t (id bigint generated always as identity primary key, at timestamptz, name text, note varchar);"
            )
            .is_empty()
        );
        assert!(
            found("create table t (id bigint primary key, note text default 'timestamp varchar(4)'); -- id serial primary key")
                .is_empty()
        );
    }

    #[test]
    fn new_rules_are_suppressed_by_allow_comments() {
        let rows = [("public.users".to_owned(), 5000)].into_iter().collect();
        let text = "set lock_timeout = '2s';\n-- migrate-dryrun: allow pg-drop-column\nalter table users drop column email;\ndrop index users_email;\n";
        let mut found = lint(&crate::supabase::split(text), &rows, false);
        crate::lint::suppress(text, &mut found);
        let state: Vec<_> = found.iter().map(|f| (f.rule, f.suppressed)).collect();
        assert_eq!(
            state,
            [
                ("pg-drop-column", true),
                ("pg-drop-index-not-concurrently", false)
            ]
        );
        assert_eq!(
            crate::lint::severity("pg-truncate-cascade"),
            crate::lint::Severity::Error
        );
        assert_eq!(
            crate::lint::severity("pg-prefer-text"),
            crate::lint::Severity::Info
        );
    }

    #[test]
    fn names_are_keyed_as_the_row_counts_are() {
        assert_eq!(key("users"), "public.users");
        assert_eq!(key("App.Users"), "app.users");
        assert_eq!(key("\"App\".\"Us\"\"ers\""), "App.Us\"ers");
    }
}

//! What `supabase db push` decides on its own side, before and around what PostgreSQL
//! does: which files are migrations, their order, how a file is cut into statements,
//! which versions are pending, and when it refuses to push at all.
//!
//! Measured with the Supabase CLI 2.117.0 against PostgreSQL 15 (docs/migrate-dryrun.md
//! lists the observations); the parity suite (tests/supabase_parity.rs) re-checks them.

use std::path::{Path, PathBuf};

use crate::MigrateError;

/// The history table `supabase db push` reads and writes.
pub const HISTORY_TABLE: &str = "supabase_migrations.schema_migrations";

/// The statement the CLI adds to every file's pipeline, word for word.
pub const HISTORY_INSERT: &str = "INSERT INTO supabase_migrations.schema_migrations(version, name, statements) VALUES($1, $2, $3)";

/// What the CLI runs, in one transaction, when the history table is missing or lacks a
/// column (after `BEGIN`; `COMMIT` follows).
pub const HISTORY_SETUP: [&str; 5] = [
    "SET LOCAL lock_timeout = '4s'",
    "CREATE SCHEMA IF NOT EXISTS supabase_migrations",
    "CREATE TABLE IF NOT EXISTS supabase_migrations.schema_migrations (version text NOT NULL PRIMARY KEY)",
    "ALTER TABLE supabase_migrations.schema_migrations ADD COLUMN IF NOT EXISTS statements text[]",
    "ALTER TABLE supabase_migrations.schema_migrations ADD COLUMN IF NOT EXISTS name text",
];

/// A migration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalMigration {
    /// The file.
    pub path: PathBuf,
    /// Its file name.
    pub file: String,
    /// The digits before the first `_`.
    pub version: String,
    /// What follows the `_`, without the final `.sql` (`a.sql` for `1_a.sql.sql`).
    pub name: String,
}

/// The migration files of `dir` in the CLI's order (by version, then file name byte by
/// byte), and the names it skips with a warning (not `<digits>_<name>.sql`, or a first
/// `…_init.sql` from before December 2021). Directories are passed over silently, as the
/// CLI does.
pub fn discover(dir: &Path) -> Result<(Vec<LocalMigration>, Vec<String>), MigrateError> {
    let mut names: Vec<(String, PathBuf)> = crate::discover::entry_names(dir)?
        .into_iter()
        .map(|name| {
            let path = dir.join(&name);
            (name, path)
        })
        .collect();
    names.sort();
    let mut found = Vec::new();
    let mut skipped = Vec::new();
    for (index, (file, path)) in names.into_iter().enumerate() {
        // A symbolic link is taken as it is, without looking at what it points to.
        let link = std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink());
        if !link && path.is_dir() {
            continue;
        }
        if index == 0 && is_old_init(&file) {
            skipped.push(file);
            continue;
        }
        match parse_name(&file) {
            Some((version, name)) => found.push(LocalMigration {
                version: version.to_owned(),
                name: name.to_owned(),
                file,
                path,
            }),
            None => skipped.push(file),
        }
    }
    // By version; files of one version stay in name order.
    found.sort_by(|a, b| a.version.cmp(&b.version));
    Ok((found, skipped))
}

/// The CLI skips a first file `<14 digits>_init.sql` older than 2021-12-09.
fn is_old_init(file: &str) -> bool {
    file.match_indices("_init.sql").any(|(at, _)| {
        at >= 14
            && file[at - 14..at].bytes().all(|b| b.is_ascii_digit())
            && file[at - 14..at]
                .parse::<u64>()
                .is_ok_and(|v| v < 20_211_209_000_000)
    })
}

/// `<digits>_<anything>.sql` into the version and the name.
fn parse_name(file: &str) -> Option<(&str, &str)> {
    let stem = file.strip_suffix(".sql")?;
    let (version, name) = stem.split_once('_')?;
    (!version.is_empty() && version.bytes().all(|b| b.is_ascii_digit())).then_some((version, name))
}

/// Why the CLI pushes nothing.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Refusal {
    /// The history holds versions no local file has (squashed, deleted or renamed).
    RemoteOnly {
        /// Those versions.
        versions: Vec<String>,
    },
    /// Local files sort before the last applied version.
    OutOfOrder {
        /// Those files.
        files: Vec<String>,
    },
}

impl Refusal {
    /// The CLI's own words, then what it lists.
    #[must_use]
    pub fn message(&self) -> String {
        match self {
            Self::RemoteOnly { versions } => format!(
                "Remote migration versions not found in local migrations directory: {}",
                versions.join(", ")
            ),
            Self::OutOfOrder { files } => format!(
                "Found local migration files to be inserted before the last migration on remote database: {}",
                files.join(", ")
            ),
        }
    }
}

/// The pending migrations: `local` (in order) walked against the applied versions
/// `remote` (sorted), as the CLI does. Refuses as the CLI does: versions missing locally
/// first, then local files that sort before applied ones.
pub fn pending<'a>(
    local: &'a [LocalMigration],
    remote: &[String],
) -> Result<Vec<&'a LocalMigration>, Refusal> {
    let mut missing = Vec::new();
    let mut unapplied = Vec::new();
    let (mut r, mut l) = (0, 0);
    while r < remote.len() && l < local.len() {
        let (applied, here) = (&remote[r], &local[l].version);
        match applied.cmp(here) {
            std::cmp::Ordering::Equal => {
                r += 1;
                l += 1;
            }
            std::cmp::Ordering::Less => {
                missing.push(applied.clone());
                r += 1;
            }
            std::cmp::Ordering::Greater => {
                unapplied.push(local[l].file.clone());
                l += 1;
            }
        }
    }
    if l == local.len() {
        missing.extend(remote[r..].iter().cloned());
    }
    if !missing.is_empty() {
        return Err(Refusal::RemoteOnly { versions: missing });
    }
    if !unapplied.is_empty() {
        return Err(Refusal::OutOfOrder { files: unapplied });
    }
    Ok(local.iter().skip(remote.len()).collect())
}

/// One statement as the CLI sends it: trimmed, without its `;`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The text sent.
    pub text: String,
    /// The 1-based line of the file where it starts.
    pub line: usize,
}

impl Statement {
    /// The line of the 1-based character `position` PostgreSQL points at.
    #[must_use]
    pub fn line_of(&self, position: Option<usize>) -> usize {
        let Some(position) = position.filter(|p| *p > 0) else {
            return self.line;
        };
        self.line
            + self
                .text
                .chars()
                .take(position - 1)
                .filter(|c| *c == '\n')
                .count()
    }
}

/// The splitter's state after a character, as the CLI's scanner keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    /// Outside anything.
    Ready,
    /// After one `-`.
    Dash,
    /// After `/`: a comment once `*` follows, `depth` deep.
    Block(usize),
    /// Inside `'…'` or `"…"`; `closing` after a delimiter that may be doubled.
    Quote { delimiter: char, closing: bool },
    /// After `$` and word characters: a dollar quote if `$` follows. `start` is the
    /// byte offset of the first `$` in the statement.
    Tag { start: usize },
    /// Until the statement so far ends with this (a dollar quote's tag, or a newline
    /// after `--`).
    Until(String),
    /// After a backslash outside quotes: the next character is taken as is.
    Escape,
    /// Inside `( … )` or `BEGIN ATOMIC … END`: `;` does not end the statement.
    Nested {
        inner: Box<State>,
        closing: &'static str,
    },
}

impl State {
    /// The state after `c`, `text` being the statement so far including `c`; `None`
    /// when `c` ends the statement.
    fn next(self, c: char, text: &str) -> Option<Self> {
        match self {
            Self::Ready => Some(match c {
                '$' => Self::Tag {
                    start: text.len() - 1,
                },
                '\'' | '"' => Self::Quote {
                    delimiter: c,
                    closing: false,
                },
                '-' => Self::Dash,
                '/' => Self::Block(0),
                '\\' => Self::Escape,
                ';' => return None,
                '(' => Self::Nested {
                    inner: Box::new(Self::Ready),
                    closing: ")",
                },
                'c' | 'C' if ends_with_begin_atomic(text) => Self::Nested {
                    inner: Box::new(Self::Ready),
                    closing: "END",
                },
                _ => Self::Ready,
            }),
            Self::Dash if c == '-' => Some(Self::Until("\n".to_owned())),
            Self::Dash => Self::Ready.next(c, text),
            Self::Block(depth) => {
                if text.ends_with("/*") {
                    Some(Self::Block(depth + 1))
                } else if depth == 0 {
                    Self::Ready.next(c, text)
                } else if text.ends_with("*/") {
                    Some(if depth == 1 {
                        Self::Ready
                    } else {
                        Self::Block(depth - 1)
                    })
                } else {
                    Some(Self::Block(depth))
                }
            }
            Self::Quote {
                delimiter,
                closing: true,
            } => {
                if c == delimiter {
                    Some(Self::Quote {
                        delimiter,
                        closing: false,
                    })
                } else {
                    Self::Ready.next(c, text)
                }
            }
            Self::Quote { delimiter, .. } => Some(Self::Quote {
                delimiter,
                closing: c == delimiter,
            }),
            Self::Tag { start } => {
                if c == '$' {
                    Some(Self::Until(text[start..].to_owned()))
                } else if c.is_alphanumeric() || c == '_' {
                    Some(Self::Tag { start })
                } else {
                    Self::Ready.next(c, text)
                }
            }
            Self::Until(end) => Some(if text.ends_with(&end) {
                Self::Ready
            } else {
                Self::Until(end)
            }),
            Self::Escape => Some(Self::Ready),
            Self::Nested { inner, closing } => {
                let inner = match inner.clone().next(c, text) {
                    Some(next) => Box::new(next),
                    None => inner,
                };
                if *inner == Self::Ready && ends_with_ignore_case(text, closing) {
                    Some(Self::Ready)
                } else {
                    Some(Self::Nested { inner, closing })
                }
            }
        }
    }
}

fn ends_with_ignore_case(text: &str, suffix: &str) -> bool {
    let n = suffix.chars().count();
    let tail: String = text
        .chars()
        .rev()
        .take(n)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    tail.eq_ignore_ascii_case(suffix)
}

/// A word character as the CLI's scanner sees one next to a keyword.
fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

/// Whether `text` ends with the words `BEGIN ATOMIC`.
fn ends_with_begin_atomic(text: &str) -> bool {
    if !ends_with_ignore_case(text, "ATOMIC") {
        return false;
    }
    let head = &text[..text.len() - "ATOMIC".len()];
    if head.chars().next_back().is_some_and(is_word) {
        return false;
    }
    let head = head.trim_end();
    if !ends_with_ignore_case(head, "BEGIN") {
        return false;
    }
    !head[..head.len() - "BEGIN".len()]
        .chars()
        .next_back()
        .is_some_and(is_word)
}

/// JavaScript's `trim()`: Unicode white space and the byte order mark, but not NEL.
fn js_trim(text: &str) -> &str {
    let space = |c: char| (c.is_whitespace() && c != '\u{85}') || c == '\u{feff}';
    text.trim_matches(space)
}

/// Cuts a file into statements as the CLI's scanner does: at each `;` outside quotes
/// (`''` and `""` doubled inside them, no backslash escapes, even in `E'…'`), dollar
/// quotes, `--` and nested `/* */` comments, parentheses and `BEGIN ATOMIC … END`; a
/// backslash outside quotes takes the next character as is. Each piece loses its
/// trailing `;` and surrounding white space; empty ones are dropped, a last piece
/// without `;` is kept (a comment alone is sent too).
#[must_use]
pub fn split(text: &str) -> Vec<Statement> {
    let mut statements = Vec::new();
    let mut state = State::Ready;
    let mut piece = String::new();
    let mut line = 1;
    let mut start_line = 1;
    let finish = |piece: &str, first_line: usize, out: &mut Vec<Statement>| {
        let body = js_trim(piece.trim_end_matches(';'));
        if !body.is_empty() {
            let leading = &piece[..piece.find(body).unwrap_or(0)];
            out.push(Statement {
                text: body.to_owned(),
                line: first_line + leading.matches('\n').count(),
            });
        }
    };
    for c in text.chars() {
        piece.push(c);
        if c == '\n' {
            line += 1;
        }
        if let Some(next) = state.next(c, &piece) {
            state = next;
        } else {
            finish(&piece, start_line, &mut statements);
            piece.clear();
            start_line = line;
            state = State::Ready;
        }
    }
    finish(&piece, start_line, &mut statements);
    statements
}

/// `text` without leading white space, byte order marks and comments, as the CLI looks
/// at a statement to classify it.
pub(crate) fn leading_code(text: &str) -> &str {
    fn skip(t: &str) -> &str {
        t.trim_start_matches([' ', '\t', '\n', '\r', '\u{feff}'])
    }
    let mut rest = skip(text);
    loop {
        if rest.starts_with("--") {
            match rest.find('\n') {
                Some(end) => rest = skip(&rest[end + 1..]),
                None => return "",
            }
        } else if rest.starts_with("/*") {
            match rest.find("*/") {
                Some(end) => rest = skip(&rest[end + 2..]),
                None => return rest,
            }
        } else {
            return js_trim(rest);
        }
    }
}

/// How the CLI runs a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Statements in pipelines, one transaction each; statements that cannot run in a
    /// transaction (`CREATE INDEX CONCURRENTLY`, `VACUUM`, …) alone in between; the
    /// history insert in the last pipeline.
    Transactional,
    /// The file controls transactions itself (`BEGIN`, `COMMIT`, …): every statement on
    /// its own (autocommit), then the history insert; `ROLLBACK` after a failure.
    OneByOne,
    /// The first line is `-- pg-delta: transaction=false`: like `OneByOne`, `RESET ALL`
    /// after a failure.
    NoTransaction,
}

impl Mode {
    /// The mode of a file with `text` cut into `statements`.
    #[must_use]
    pub fn of(text: &str, statements: &[Statement]) -> Self {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let first = text.split('\n').next().unwrap_or("");
        if first.strip_suffix('\r').unwrap_or(first) == "-- pg-delta: transaction=false" {
            Self::NoTransaction
        } else if statements.iter().any(|s| controls_transaction(&s.text)) {
            Self::OneByOne
        } else {
            Self::Transactional
        }
    }
}

/// `BEGIN`, `START TRANSACTION`, `COMMIT`, `END`, `ABORT`, `PREPARE TRANSACTION`, or a
/// `ROLLBACK` that is not `ROLLBACK TO` a savepoint.
#[must_use]
pub fn controls_transaction(statement: &str) -> bool {
    let code = leading_code(statement).to_uppercase();
    let words: Vec<&str> = code.split_whitespace().collect();
    match words.as_slice() {
        ["ROLLBACK", rest @ ..] => {
            let at = usize::from(matches!(rest.first(), Some(&("WORK" | "TRANSACTION"))));
            rest.get(at) != Some(&"TO")
        }
        ["BEGIN" | "COMMIT" | "END" | "ABORT", ..] | ["START" | "PREPARE", "TRANSACTION", ..] => {
            true
        }
        _ => false,
    }
}

/// Statements the CLI runs alone, outside any pipeline: `CREATE [UNIQUE] INDEX
/// CONCURRENTLY`, `DROP INDEX CONCURRENTLY`, `REINDEX … CONCURRENTLY`, `VACUUM`,
/// `ALTER SYSTEM`, `CLUSTER`.
#[must_use]
pub fn runs_alone(statement: &str) -> bool {
    let code = leading_code(statement).to_uppercase();
    let words: Vec<&str> = code.split_whitespace().collect();
    let keyword_then = |word: &str| {
        code.strip_prefix(word).is_some_and(|rest| {
            rest.is_empty() || rest.starts_with(char::is_whitespace) || rest.starts_with('(')
        })
    };
    match words.as_slice() {
        ["CREATE", "INDEX" | "UNIQUE", ..]
            if words[1..].starts_with(&["UNIQUE", "INDEX", "CONCURRENTLY"])
                || words[1..].starts_with(&["INDEX", "CONCURRENTLY"]) =>
        {
            true
        }
        ["DROP", "INDEX", "CONCURRENTLY", ..] | ["ALTER", "SYSTEM", ..] | ["CLUSTER", ..] => true,
        _ if keyword_then("VACUUM") => true,
        _ if keyword_then("REINDEX") => {
            let first_line = code
                .split(['\n', '\r', '\u{2028}', '\u{2029}'])
                .next()
                .unwrap_or("");
            first_line.match_indices("CONCURRENTLY").any(|(at, word)| {
                first_line[..at].ends_with(char::is_whitespace)
                    && code[at + word.len()..]
                        .chars()
                        .next()
                        .is_none_or(char::is_whitespace)
            })
        }
        _ => false,
    }
}

/// A `text[]` literal of `items`, for the history row's `statements`.
#[must_use]
pub fn array_literal(items: &[Statement]) -> String {
    let mut out = String::from("{");
    for (n, item) in items.iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        out.push('"');
        for c in item.text.chars() {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
        out.push('"');
    }
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(sql: &str) -> Vec<String> {
        split(sql).into_iter().map(|s| s.text).collect()
    }

    /// Observed with the CLI: what it stored in `statements` for this very file.
    #[test]
    fn splits_as_the_cli_does() {
        let file = "-- leading comment\ncreate table x(id int); -- trailing\n;;\n/* block ; comment */ create function f() returns int language sql as $$ select 1; $$;\ncreate function g() returns int language plpgsql as $body$ begin return 2; end $body$;\ninsert into x values (1) -- no semicolon before comment\n;\nselect 'a;b', \"x\".id from x;\ncreate procedure p() begin atomic select 1; select 2; end;\n-- final comment\n";
        assert_eq!(
            texts(file),
            [
                "-- leading comment\ncreate table x(id int)",
                "-- trailing",
                "/* block ; comment */ create function f() returns int language sql as $$ select 1; $$",
                "create function g() returns int language plpgsql as $body$ begin return 2; end $body$",
                "insert into x values (1) -- no semicolon before comment",
                "select 'a;b', \"x\".id from x",
                "create procedure p() begin atomic select 1; select 2; end",
                "-- final comment",
            ]
        );
        let file = "select 1 -- a; b\n;\nselect 2 /* x /* nested; */ y; */ ;\nselect 'it''s;' as \"we;ird\";\n   \n  select 3  ;  \ncreate function h() returns int language sql begin atomic select 1; end;\ncreate table \"BEGIN\"(id int); create table z(b int);\n";
        assert_eq!(
            texts(file),
            [
                "select 1 -- a; b",
                "select 2 /* x /* nested; */ y; */",
                "select 'it''s;' as \"we;ird\"",
                "select 3",
                "create function h() returns int language sql begin atomic select 1; end",
                "create table \"BEGIN\"(id int)",
                "create table z(b int)",
            ]
        );
        // No backslash escapes: the CLI cut `E'c\';d'` after `\'`.
        assert_eq!(texts("select E'c\\';d';")[0], "select E'c\\'");
    }

    #[test]
    fn lines_point_at_the_statement_and_at_postgres_position() {
        let statements = split("\n\ncreate table a(id int);\n\n  select\n  1/0;\n");
        assert_eq!(statements[0].line, 3);
        assert_eq!(statements[1].line, 5);
        assert_eq!(statements[1].line_of(Some(10)), 6);
        assert_eq!(statements[1].line_of(None), 5);
        // The CLI ends a BEGIN ATOMIC body at the first END, even a CASE's.
        let atomic = split(
            "create function f() returns int language sql\nbegin atomic\n select 1; select 2;\nend;\nselect 2;",
        );
        assert_eq!(atomic.len(), 2, "{atomic:?}");
        assert_eq!(atomic[1].line, 5);
        let cased = split(
            "create function f() returns int language sql begin atomic select case when true then 1 end; end;",
        );
        assert_eq!(cased.len(), 2, "{cased:?}");
    }

    fn m(file: &str) -> LocalMigration {
        let (version, name) = parse_name(file).expect("a migration name");
        LocalMigration {
            path: PathBuf::from(file),
            file: file.to_owned(),
            version: version.to_owned(),
            name: name.to_owned(),
        }
    }

    #[test]
    fn names_are_digits_underscore_anything_dot_sql() {
        assert_eq!(
            parse_name("20240101000000_a.sql.sql"),
            Some(("20240101000000", "a.sql"))
        );
        assert_eq!(parse_name("2024_x.sql"), Some(("2024", "x")));
        assert_eq!(
            parse_name("20240104000000_x-y.sql"),
            Some(("20240104000000", "x-y"))
        );
        assert_eq!(parse_name("20240102000000.sql"), None);
        assert_eq!(parse_name("20240103000000_x.SQL"), None);
        assert_eq!(parse_name("abc_x.sql"), None);
        assert!(is_old_init("20201209000000_init.sql"));
        assert!(!is_old_init("20221209000000_init.sql"));
    }

    #[test]
    fn pending_refuses_remote_only_then_out_of_order() {
        let local = [m("1_a.sql"), m("3_c.sql"), m("5_e.sql")];
        let applied = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let names = |p: Vec<&LocalMigration>| p.iter().map(|m| m.file.clone()).collect::<Vec<_>>();
        assert_eq!(
            names(pending(&local, &[]).expect("all")),
            ["1_a.sql", "3_c.sql", "5_e.sql"]
        );
        assert_eq!(
            names(pending(&local, &applied(&["1", "3"])).expect("one")),
            ["5_e.sql"]
        );
        assert_eq!(pending(&local, &applied(&["1", "3"])).map(|_| ()), Ok(()));
        assert_eq!(
            pending(&local, &applied(&["1", "5"])).map(names),
            Err(Refusal::OutOfOrder {
                files: vec!["3_c.sql".into()]
            })
        );
        assert_eq!(
            pending(&local, &applied(&["1", "2"])).map(names),
            Err(Refusal::RemoteOnly {
                versions: vec!["2".into()]
            })
        );
        assert_eq!(
            pending(&local, &applied(&["1", "5", "9"])).map(names),
            Err(Refusal::RemoteOnly {
                versions: vec!["9".into()]
            })
        );
        // A second file with an applied version is pending; the history's key stops it.
        // Versions compare as text.
        let odd = [m("1_b.sql"), m("10_a.sql")];
        assert_eq!(
            names(pending(&odd, &applied(&["1"])).expect("pending")),
            ["10_a.sql"]
        );
        let dup = [m("1_a.sql"), m("1_b.sql")];
        assert_eq!(
            names(pending(&dup, &applied(&["1"])).expect("pending")),
            ["1_b.sql"]
        );
    }

    #[test]
    fn parentheses_and_backslashes_hold_semicolons() {
        assert_eq!(
            texts("select (1; 2); select \\; 3;"),
            ["select (1; 2)", "select \\; 3"]
        );
        assert_eq!(texts("\u{feff}select 1;"), ["select 1"]);
    }

    #[test]
    fn files_that_control_transactions_run_statement_by_statement() {
        let mode = |sql: &str| Mode::of(sql, &split(sql));
        assert_eq!(
            mode("create table a(id int); select 1;"),
            Mode::Transactional
        );
        assert_eq!(mode("create table a(id int);\ncommit;"), Mode::OneByOne);
        assert_eq!(mode("-- c\nBEGIN;\nselect 1;\nEND;"), Mode::OneByOne);
        assert_eq!(mode("savepoint s; rollback to s;"), Mode::Transactional);
        assert_eq!(mode("rollback work to savepoint s;"), Mode::Transactional);
        assert_eq!(mode("select 'commit'; -- commit"), Mode::Transactional);
        assert_eq!(
            mode("-- pg-delta: transaction=false\nselect 1;"),
            Mode::NoTransaction
        );
        assert!(runs_alone("create index concurrently i on t(x)"));
        assert!(runs_alone(
            "/* x */ CREATE UNIQUE INDEX CONCURRENTLY i ON t(x)"
        ));
        assert!(runs_alone("vacuum(analyze) t"));
        assert!(runs_alone("reindex (verbose) table concurrently t"));
        assert!(!runs_alone("create index i on t(x)"));
        assert!(!runs_alone("vacuumed"));
    }

    #[test]
    fn the_history_array_escapes_quotes_and_backslashes() {
        let items = split("select '\"x\\';select 2;");
        assert_eq!(
            array_literal(&items),
            "{\"select '\\\"x\\\\'\",\"select 2\"}"
        );
    }
}

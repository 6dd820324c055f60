//! How wrangler turns a migration file into the statements it sends to D1.
//!
//! `wrangler d1 migrations apply` appends `INSERT INTO <table> (name) values ('<file>');` to
//! the file's text, then (in `src/d1/splitter.ts` and `src/d1/trimmer.ts` of wrangler 4)
//! strips one `BEGIN TRANSACTION;`/`COMMIT;` pair, and splits the text on semicolons outside
//! quotes, comments and `BEGIN … END`/`CASE … END` blocks. Comments are dropped on the way.
//! Each piece goes to D1 as one query of a single batch. The quirks matter, because they
//! decide what D1 sees: `END` closes a block only in upper case, a file without any
//! semicolon is sent whole (and then runs into the appended `INSERT`), and `$` starts a
//! dollar-quoted string. This module reproduces that behaviour; it is not a SQL parser.

use std::fmt;

/// The text wrangler appends to every migration file before it sends it.
#[must_use]
pub fn with_migration_record(sql: &str, table: &str, name: &str) -> String {
    format!(
        "{sql}\n\t\t\t\t\t\t\t\tINSERT INTO {table} (name)\n\t\t\t\t\t\t\t\tvalues ('{name}');\n\t\t\t\t\t\t"
    )
}

/// Wrangler refused the text before sending anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeveralTransactions;

impl fmt::Display for SeveralTransactions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "wrangler could not process the file, as it contains several transactions (D1 runs each file in a transaction for you)",
        )
    }
}

/// One query of the batch, with the 1-based line in the sent text where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// The query text, as D1 receives it.
    pub sql: String,
    /// Line (1-based) of the query's first character in the text wrangler sent.
    pub line: usize,
}

/// Splits `sql` the way wrangler does before it calls D1's batch API.
pub fn split(sql: &str) -> Result<Vec<Chunk>, SeveralTransactions> {
    let trimmed = trim_transaction(sql)?;
    if !may_contain_multiple_statements(&trimmed) {
        return Ok(vec![Chunk {
            sql: trimmed,
            line: 1,
        }]);
    }
    let pieces = split_statements(&trimmed);
    if pieces.is_empty() {
        return Ok(vec![Chunk {
            sql: trimmed,
            line: 1,
        }]);
    }
    Ok(pieces)
}

/// `trimSqlQuery`: one `BEGIN TRANSACTION;` and one `COMMIT;` are removed (case-sensitive);
/// a second `BEGIN TRANSACTION` is an error.
fn trim_transaction(sql: &str) -> Result<String, SeveralTransactions> {
    if !sql.contains("BEGIN TRANSACTION") {
        return Ok(sql.to_owned());
    }
    let trimmed = sql
        .replacen("BEGIN TRANSACTION;", "", 1)
        .replacen("COMMIT;", "", 1);
    if trimmed.contains("BEGIN TRANSACTION") {
        return Err(SeveralTransactions);
    }
    Ok(trimmed)
}

fn may_contain_multiple_statements(sql: &str) -> bool {
    let trimmed = js_trim_end(sql);
    match trimmed.find(';') {
        None => false,
        Some(index) => index != trimmed.len() - 1,
    }
}

/// JavaScript's `\s` and `String.prototype.trim` whitespace.
fn is_js_space(c: char) -> bool {
    c.is_whitespace() || c == '\u{feff}'
}

fn js_trim_end(s: &str) -> &str {
    s.trim_end_matches(is_js_space)
}

fn js_trim(s: &str) -> &str {
    s.trim_matches(is_js_space)
}

/// `/\s(BEGIN|CASE)\s$/i`
fn is_block_start(s: &str) -> bool {
    // The last seven characters, last first.
    let tail: Vec<char> = s.chars().rev().take(7).collect();
    if tail.first().is_none_or(|c| !is_js_space(*c)) {
        return false;
    }
    ["BEGIN", "CASE"].iter().any(|word| {
        let n = word.len();
        tail.len() > n + 1 && {
            let found: String = tail[1..=n].iter().rev().collect();
            found.eq_ignore_ascii_case(word) && is_js_space(tail[n + 1])
        }
    })
}

/// `/\sEND[;\s]$/` (case-sensitive) on `current` followed by `next`.
fn is_block_end(current: &str, next: char) -> bool {
    let tail: Vec<char> = current.chars().rev().take(4).collect();
    tail.len() == 4
        && (next == ';' || is_js_space(next))
        && tail[0] == 'D'
        && tail[1] == 'N'
        && tail[2] == 'E'
        && is_js_space(tail[3])
}

fn is_dollar_quote_identifier(s: &str) -> bool {
    let Some(last) = s.chars().next_back() else {
        return false;
    };
    last != '$'
        && (last.is_ascii_digit() || last == '_' || last.to_lowercase().ne(last.to_uppercase()))
}

struct Cursor<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    line: usize,
}

impl Cursor<'_> {
    fn next(&mut self) -> Option<char> {
        let c = self.chars.next()?;
        if c == '\n' {
            self.line += 1;
        }
        Some(c)
    }

    /// `consumeWhile`: takes characters, including the first one that fails `keep_going`.
    fn consume_while(&mut self, keep_going: impl Fn(&str) -> bool) -> String {
        let mut taken = String::new();
        while let Some(c) = self.next() {
            taken.push(c);
            if !keep_going(&taken) {
                break;
            }
        }
        taken
    }

    fn consume_until(&mut self, marker: &str) -> String {
        self.consume_while(|s| !s.ends_with(marker))
    }
}

fn split_statements(sql: &str) -> Vec<Chunk> {
    let mut statements: Vec<(String, usize)> = Vec::new();
    let mut current = String::new();
    // Line where `current` got its first non-space character.
    let mut start_line: Option<usize> = None;
    let mut blocks: usize = 0;
    let mut cursor = Cursor {
        chars: sql.chars().peekable(),
        line: 1,
    };
    let mut pending = cursor.next();
    while let Some(c) = pending {
        let line_here = cursor.line - usize::from(c == '\n');
        if blocks > 0 && is_block_end(&current, c) {
            blocks -= 1;
        }
        let before = current.len();
        match c {
            '\'' | '"' | '`' => {
                current.push(c);
                let marker = c.to_string();
                current.push_str(&cursor.consume_until(&marker));
            }
            '$' => {
                let quote = format!("${}", cursor.consume_while(is_dollar_quote_identifier));
                current.push_str(&quote);
                if quote.ends_with('$') {
                    current.push_str(&cursor.consume_until(&quote));
                }
            }
            '-' => {
                pending = cursor.next();
                if pending == Some('-') {
                    cursor.consume_until("\n");
                    current.push('\n');
                } else {
                    current.push('-');
                    mark_start(&mut start_line, &current, before, line_here);
                    continue;
                }
            }
            '/' => {
                pending = cursor.next();
                if pending == Some('*') {
                    cursor.consume_until("*/");
                } else {
                    current.push('/');
                    mark_start(&mut start_line, &current, before, line_here);
                    continue;
                }
            }
            ';' => {
                if blocks == 0 {
                    statements.push((
                        std::mem::take(&mut current),
                        start_line.unwrap_or(line_here),
                    ));
                    start_line = None;
                } else {
                    current.push(c);
                }
            }
            _ => current.push(c),
        }
        mark_start(&mut start_line, &current, before, line_here);
        if is_block_start(&current) {
            blocks += 1;
        }
        pending = cursor.next();
    }
    let last_line = start_line.unwrap_or(cursor.line);
    statements.push((current, last_line));
    statements
        .into_iter()
        .filter_map(|(text, line)| {
            let text = js_trim(&text);
            (!text.is_empty()).then(|| Chunk {
                sql: text.to_owned(),
                line,
            })
        })
        .collect()
}

/// Records the line of the first non-space character added to the current statement.
fn mark_start(start: &mut Option<usize>, current: &str, before: usize, line: usize) {
    if start.is_none()
        && current
            .get(before..)
            .is_some_and(|added| added.chars().any(|c| !is_js_space(c)))
    {
        *start = Some(line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(sql: &str) -> Vec<String> {
        split(sql)
            .expect("one transaction at most")
            .into_iter()
            .map(|c| c.sql)
            .collect()
    }

    #[test]
    fn splits_on_semicolons_outside_quotes_and_comments() {
        let sql = "CREATE TABLE a(x TEXT DEFAULT 'a;b'); -- c;d\nINSERT INTO a VALUES (\"q;\"); /* e;f */ SELECT 1;";
        assert_eq!(
            texts(sql),
            [
                "CREATE TABLE a(x TEXT DEFAULT 'a;b')",
                "INSERT INTO a VALUES (\"q;\")",
                "SELECT 1"
            ]
        );
    }

    #[test]
    fn trigger_bodies_stay_whole_only_with_upper_case_end() {
        let upper = "CREATE TRIGGER t AFTER INSERT ON a BEGIN UPDATE a SET x = 1; END;\nSELECT 1;";
        assert_eq!(
            texts(upper),
            [
                "CREATE TRIGGER t AFTER INSERT ON a BEGIN UPDATE a SET x = 1; END",
                "SELECT 1"
            ]
        );
        let lower = "create trigger t after insert on a begin update a set x = 1; end;\nselect 1;";
        assert_eq!(
            texts(lower),
            ["create trigger t after insert on a begin update a set x = 1; end;\nselect 1;"],
            "a lower-case `end` never closes the block, as in wrangler"
        );
    }

    #[test]
    fn case_expressions_are_blocks() {
        let sql = "SELECT CASE WHEN 1 THEN 2 END; SELECT 3;";
        assert_eq!(texts(sql), ["SELECT CASE WHEN 1 THEN 2 END", "SELECT 3"]);
    }

    #[test]
    fn one_statement_without_inner_semicolon_is_sent_whole() {
        assert_eq!(texts("  CREATE TABLE a(x);  "), ["  CREATE TABLE a(x);  "]);
        assert_eq!(texts("CREATE TABLE a(x)"), ["CREATE TABLE a(x)"]);
    }

    #[test]
    fn one_transaction_is_removed_two_are_refused() {
        assert_eq!(
            texts("BEGIN TRANSACTION;\nCREATE TABLE a(x);\nCOMMIT;\nSELECT 1;"),
            ["CREATE TABLE a(x)", "SELECT 1"]
        );
        assert_eq!(
            split("BEGIN TRANSACTION; COMMIT; BEGIN TRANSACTION; COMMIT;"),
            Err(SeveralTransactions)
        );
        assert_eq!(texts("BEGIN; SELECT 1;"), ["BEGIN", "SELECT 1"]);
    }

    #[test]
    fn dollar_quotes_and_lone_dashes_and_slashes() {
        assert_eq!(
            texts("SELECT $a$;x$a$; SELECT 2-1;"),
            ["SELECT $a$;x$a$", "SELECT 2-1"]
        );
        assert_eq!(texts("SELECT 4/2; SELECT 1;"), ["SELECT 4/2", "SELECT 1"]);
    }

    #[test]
    fn lines_point_at_the_first_character_of_each_statement() {
        let sql = "-- header\n\nCREATE TABLE a(x);\n\n  INSERT INTO a\n VALUES (1);\n";
        let chunks = split(sql).expect("fine");
        assert_eq!(chunks.len(), 2);
        assert_eq!(chunks[0].line, 3);
        assert_eq!(chunks[1].line, 5);
    }

    #[test]
    fn appended_record_matches_wrangler() {
        let sent = with_migration_record("SELECT 1;", "d1_migrations", "0001_a.sql");
        assert!(sent.ends_with("values ('0001_a.sql');\n\t\t\t\t\t\t"));
        assert_eq!(texts(&sent).len(), 2);
    }
}

//! The store's plaintext format: a dotenv file.
//!
//! ```text
//! # comment
//! export API_TOKEN=plain-value        # `export ` is tolerated, inline comments after a space
//! SINGLE='taken literally, no escapes'
//! DOUBLE="escapes: \n \t \" \\ \$"
//! MULTI="first line
//! second line"
//! ```
//!
//! Values are never expanded (`$OTHER` stays as written). A name defined twice is an
//! error, not "last one wins": the store is a source of truth. Errors give the line
//! number and what was expected, never the line's text, which may hold a value.
//!
//! A parsed [`Dotenv`] keeps every comment, blank line and untouched entry exactly as
//! written, so `set` changes one entry and nothing else, and an edit that changes
//! nothing writes the same bytes back.

use std::collections::HashMap;
use std::fmt;

use bulwark_secret::{Secret, SecretBuf};
use zeroize::Zeroizing;

/// A dotenv document: its lines in order, entries parsed, everything else verbatim.
#[derive(Default)]
pub struct Dotenv {
    lines: Vec<Line>,
}

impl fmt::Debug for Dotenv {
    /// Names only: the written text of an entry holds its value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dotenv")
            .field("names", &self.names())
            .finish()
    }
}

enum Line {
    /// A comment or blank line, kept as written (with its newline).
    Other(String),
    /// `NAME=value`, with the text it was written as (with its newline), if it came
    /// from a file and was not changed since.
    Entry {
        name: String,
        value: Secret,
        written: Option<Zeroizing<String>>,
    },
}

/// Why a dotenv text could not be parsed. Holds a line number and a reason, never text
/// from the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {problem}")]
pub struct DotenvError {
    /// 1-based line number.
    pub line: usize,
    /// What was expected there.
    pub problem: String,
}

impl Dotenv {
    /// Parses `text`. On error nothing of the text is kept.
    pub fn parse(text: &str) -> Result<Self, DotenvError> {
        let mut lines = Vec::new();
        // A map, not a list: a store of many names must not take quadratic time.
        let mut first_lines: HashMap<String, usize> = HashMap::new();
        let mut rest = text;
        let mut line_no = 1;
        while !rest.is_empty() {
            let (line, consumed, newlines) = parse_line(rest, line_no)?;
            if let Line::Entry { name, .. } = &line {
                if let Some(first) = first_lines.get(name) {
                    return Err(DotenvError {
                        line: line_no,
                        problem: format!("`{name}` is defined again (first on line {first})"),
                    });
                }
                first_lines.insert(name.clone(), line_no);
            }
            lines.push(line);
            rest = &rest[consumed..];
            line_no += newlines;
        }
        Ok(Self { lines })
    }

    /// The names, in file order.
    #[must_use]
    pub fn names(&self) -> Vec<&str> {
        self.entries().map(|(name, _)| name).collect()
    }

    /// Each name and its value, in file order.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &Secret)> {
        self.lines.iter().filter_map(|line| match line {
            Line::Entry { name, value, .. } => Some((name.as_str(), value)),
            Line::Other(_) => None,
        })
    }

    /// The value of `name`.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&Secret> {
        self.entries().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// Sets `name` to `value`: in place when it exists (other lines untouched), else
    /// appended. Returns whether the value changed.
    pub fn set(&mut self, name: &str, value: Secret) -> bool {
        for line in &mut self.lines {
            if let Line::Entry {
                name: existing,
                value: old,
                written,
            } = line
                && existing == name
            {
                if *old == value {
                    return false;
                }
                *old = value;
                *written = None;
                return true;
            }
        }
        let open_last_line = match self.lines.last() {
            Some(Line::Other(text)) => !text.ends_with('\n'),
            Some(Line::Entry {
                written: Some(text),
                ..
            }) => !text.ends_with('\n'),
            _ => false,
        };
        if open_last_line {
            self.lines.push(Line::Other("\n".to_owned()));
        }
        self.lines.push(Line::Entry {
            name: name.to_owned(),
            value,
            written: None,
        });
        true
    }

    /// Removes `name`; returns whether it was there.
    pub fn remove(&mut self, name: &str) -> bool {
        let before = self.lines.len();
        self.lines
            .retain(|line| !matches!(line, Line::Entry { name: n, .. } if n == name));
        before != self.lines.len()
    }

    /// The document as text, in a buffer that wipes every copy of it. Sized for values
    /// written as they are; escapes grow it.
    #[must_use]
    pub fn to_text(&self) -> SecretBuf {
        let size = self
            .lines
            .iter()
            .map(|line| match line {
                Line::Other(text) => text.len(),
                Line::Entry {
                    written: Some(text),
                    ..
                } => text.len(),
                // `NAME="value"` and a newline.
                Line::Entry { name, value, .. } => name.len() + value.len() + 4,
            })
            .sum();
        let mut out = SecretBuf::with_capacity(size);
        for line in &self.lines {
            match line {
                Line::Other(text) => out.push_str(text),
                Line::Entry {
                    written: Some(text),
                    ..
                } => out.push_str(text),
                Line::Entry { name, value, .. } => {
                    out.push_str(name);
                    out.push('=');
                    write_value(&mut out, value.expose());
                    out.push('\n');
                }
            }
        }
        out
    }
}

/// Writes a value so that [`Dotenv::parse`] reads it back exactly: bare when it is made
/// of safe characters, double-quoted with escapes otherwise.
fn write_value(out: &mut SecretBuf, value: &str) {
    let bare = !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-./:@+=,%~^".contains(&b));
    if bare {
        out.push_str(value);
        return;
    }
    out.push('"');
    bulwark_secret::push_dotenv_escaped(out, value);
    out.push('"');
}

/// Parses the line (or, for a multi-line value, the lines) at the start of `text`.
/// Returns the line, the bytes consumed and the number of newlines consumed.
fn parse_line(text: &str, line_no: usize) -> Result<(Line, usize, usize), DotenvError> {
    let error = |line: usize, problem: &str| DotenvError {
        line,
        problem: problem.to_owned(),
    };
    let first_end = text.find('\n').map_or(text.len(), |at| at + 1);
    let first = &text[..first_end];
    let trimmed = first.trim();
    if trimmed.is_empty() || trimmed.starts_with('#') {
        return Ok((
            Line::Other(first.to_owned()),
            first_end,
            usize::from(first.ends_with('\n')),
        ));
    }
    let body = first.trim_start();
    let body = body
        .strip_prefix("export")
        .filter(|rest| rest.starts_with([' ', '\t']))
        .map_or(body, str::trim_start);
    let Some(eq) = body.find('=') else {
        return Err(error(line_no, "expected NAME=VALUE"));
    };
    let name = body[..eq].trim_end();
    let valid_name = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid_name {
        return Err(error(
            line_no,
            "the name before `=` must be letters, digits and `_`, not starting with a digit",
        ));
    }
    // Byte offset of the value within `text`.
    let value_start = (first.len() - body.len()) + eq + 1;
    let after_eq = &text[value_start..];
    let leading = after_eq.len() - after_eq.trim_start_matches([' ', '\t']).len();
    let value_text = &after_eq[leading..];
    let (value, used) = match value_text.chars().next() {
        Some('"') => parse_double(value_text, line_no)?,
        Some('\'') => {
            let line_rest = &value_text[1..value_text.find('\n').unwrap_or(value_text.len())];
            let close = line_rest
                .find('\'')
                .ok_or_else(|| error(line_no, "a single-quoted value must end on the same line"))?;
            (Secret::new(line_rest[..close].to_owned()), close + 2)
        }
        _ => {
            let line_end = value_text.find('\n').unwrap_or(value_text.len());
            let raw = &value_text[..line_end];
            let raw = raw
                .find(" #")
                .or_else(|| raw.find("\t#"))
                .map_or(raw, |at| &raw[..at]);
            let raw = raw.trim_end_matches([' ', '\t', '\r']);
            (Secret::new(raw.to_owned()), raw.len())
        }
    };
    // After a quoted value: only blanks and an optional comment, up to the newline.
    let tail_start = value_start + leading + used;
    let tail_end = text[tail_start..]
        .find('\n')
        .map_or(text.len(), |at| tail_start + at + 1);
    let tail = text[tail_start..tail_end].trim();
    if !tail.is_empty() && !tail.starts_with('#') {
        let line = line_no + text[..tail_start].matches('\n').count();
        return Err(error(line, "unexpected text after the closing quote"));
    }
    let consumed = &text[..tail_end];
    let newlines = consumed.matches('\n').count();
    Ok((
        Line::Entry {
            name: name.to_owned(),
            value,
            written: Some(Zeroizing::new(consumed.to_owned())),
        },
        tail_end,
        newlines,
    ))
}

/// A double-quoted value starting at `text[0] == '"'`: escapes, and literal newlines
/// for multi-line values. Returns the value and the bytes used, quotes included.
fn parse_double(text: &str, line_no: usize) -> Result<(Secret, usize), DotenvError> {
    // It grows as it is read: a `SecretBuf` wipes each buffer it outgrows.
    let mut value = SecretBuf::new();
    let mut chars = text.char_indices().skip(1);
    while let Some((at, ch)) = chars.next() {
        match ch {
            '"' => return Ok((value.into_secret(), at + 1)),
            '\\' => match chars.next().map(|(_, c)| c) {
                Some('n') => value.push('\n'),
                Some('r') => value.push('\r'),
                Some('t') => value.push('\t'),
                Some('"') => value.push('"'),
                Some('\\') => value.push('\\'),
                Some('$') => value.push('$'),
                Some(other) => {
                    value.push('\\');
                    value.push(other);
                }
                None => break,
            },
            c => value.push(c),
        }
    }
    Err(DotenvError {
        line: line_no,
        problem: "a double-quoted value is never closed".to_owned(),
    })
}

impl fmt::Display for Dotenv {
    /// Names only: a document never prints its values.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "dotenv with {} entries", self.names().len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 50,000 names parse in linear time (the duplicate check was quadratic: minutes).
    #[test]
    fn many_names_parse_quickly_and_a_late_duplicate_is_found() {
        use std::fmt::Write as _;
        let mut text = (0..50_000).fold(String::new(), |mut text, i| {
            let _ = writeln!(text, "NAME_{i}=value");
            text
        });
        let start = std::time::Instant::now();
        assert_eq!(Dotenv::parse(&text).expect("valid").names().len(), 50_000);
        text.push_str("NAME_7=again\n");
        let err = Dotenv::parse(&text).expect_err("a duplicate");
        assert_eq!(err.line, 50_001);
        assert!(err.problem.contains("first on line 8"), "{}", err.problem);
        assert!(
            start.elapsed() < std::time::Duration::from_secs(5),
            "took {:?}",
            start.elapsed()
        );
    }

    const CANARY: &str = "canary-dotenv-4c1a9e77";

    fn parse(text: &str) -> Dotenv {
        Dotenv::parse(text).expect("valid dotenv")
    }

    fn value<'a>(doc: &'a Dotenv, name: &str) -> &'a str {
        doc.get(name).expect("present").expose()
    }

    #[test]
    fn every_documented_form_parses() {
        let text = "# comment\n\nexport A=plain # note\nB = 'single # not a comment'\nC=\"tab\\tnew\\nquote\\\" back\\\\ dollar\\$ other\\q\"\nD=\"line one\nline two\"  # after\nE=\nF=  spaced value  \n\tG=x=y\n";
        let doc = parse(text);
        assert_eq!(doc.names(), ["A", "B", "C", "D", "E", "F", "G"]);
        assert_eq!(value(&doc, "A"), "plain");
        assert_eq!(value(&doc, "B"), "single # not a comment");
        assert_eq!(
            value(&doc, "C"),
            "tab\tnew\nquote\" back\\ dollar$ other\\q"
        );
        assert_eq!(value(&doc, "D"), "line one\nline two");
        assert_eq!(value(&doc, "E"), "");
        assert_eq!(value(&doc, "F"), "spaced value");
        assert_eq!(value(&doc, "G"), "x=y");
        let written = doc.to_text();
        assert_eq!(
            written.expose(),
            text,
            "an untouched document is written back as is"
        );
        assert_eq!(written.capacity(), text.len(), "in one buffer, never grown");
    }

    #[test]
    fn crlf_and_a_missing_final_newline_are_handled() {
        let doc = parse("A=one\r\nB=\"two\"\r\nC=three");
        assert_eq!(value(&doc, "A"), "one");
        assert_eq!(value(&doc, "B"), "two");
        assert_eq!(value(&doc, "C"), "three");
    }

    #[test]
    fn set_changes_one_entry_and_keeps_the_rest() {
        let text = "# header\nA=1 # keep me\nB='two'\n";
        let mut doc = parse(text);
        assert!(
            !doc.set("A", Secret::new("1".to_owned())),
            "same value: no change"
        );
        assert_eq!(doc.to_text().expose(), text);
        assert!(doc.set("B", Secret::new("new \"value\"\n2".to_owned())));
        assert!(doc.set("C", Secret::new("plain-3".to_owned())));
        assert_eq!(
            doc.to_text().expose(),
            "# header\nA=1 # keep me\nB=\"new \\\"value\\\"\\n2\"\nC=plain-3\n"
        );
        assert!(doc.remove("A") && !doc.remove("A"));
        let again = parse(&doc.to_text());
        assert_eq!(value(&again, "B"), "new \"value\"\n2");
        assert_eq!(again.names(), ["B", "C"]);
    }

    #[test]
    fn written_values_read_back_exactly() {
        for text in [
            "",
            "simple",
            "with space",
            "quote\"s",
            "back\\slash",
            "$HOME",
            "multi\nline\r\n",
            "tab\there",
            "ünïcödé",
            "'single'",
            "#hash",
            "a # b",
        ] {
            let mut doc = Dotenv::default();
            doc.set("V", Secret::new(text.to_owned()));
            let back = parse(&doc.to_text());
            assert_eq!(
                value(&back, "V"),
                text,
                "{text:?} written as {:?}",
                doc.to_text().expose()
            );
        }
    }

    #[test]
    fn appending_after_a_last_line_without_newline_starts_a_new_line() {
        let mut doc = parse("A=1");
        doc.set("B", Secret::new("2".to_owned()));
        assert_eq!(doc.to_text().expose(), "A=1\nB=2\n");
    }

    #[test]
    fn errors_name_the_line_and_never_echo_it() {
        let cases = [
            (format!("A=1\n{CANARY}\n"), 2, "expected NAME=VALUE"),
            (format!("A=1\n\n1BAD={CANARY}\n"), 3, "the name before"),
            (format!("A=\"{CANARY}\nstill open\n"), 1, "never closed"),
            (format!("A='{CANARY}\n"), 1, "same line"),
            (
                format!("A=\"{CANARY}\" trailing\n"),
                1,
                "after the closing quote",
            ),
            (
                format!("A=\"x\ny\" {CANARY}\n"),
                2,
                "after the closing quote",
            ),
            (
                format!("A={CANARY}\nB=2\nA={CANARY}\n"),
                3,
                "`A` is defined again (first on line 1)",
            ),
        ];
        for (text, line, problem) in cases {
            let err = Dotenv::parse(&text).expect_err("invalid");
            assert_eq!(err.line, line, "{text:?}: {err}");
            assert!(err.problem.contains(problem), "{text:?}: {err}");
            let shown = format!("{err} {err:?}");
            assert!(!shown.contains(CANARY), "{shown}");
        }
    }

    #[test]
    fn debug_and_display_hold_no_value() {
        let doc = parse(&format!("A={CANARY}\n"));
        let shown = format!("{doc} {doc:?}");
        assert!(!shown.contains(CANARY), "{shown}");
    }
}

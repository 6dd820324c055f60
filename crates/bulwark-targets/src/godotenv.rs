//! A model of how gh reads `secret set -f` documents, for tests only: godotenv's
//! parsing rules (github.com/joho/godotenv), written down here without Go so that the
//! round trip of [`crate::apply`]'s GitHub document can be checked. [`parse`] is 1.5
//! (`parser.go`, what current gh builds with); [`parse_v1_4`] is the line-based 1.4
//! that older gh builds (and distributions' packages) may still use.
//!
//! The rules, as godotenv 1.5 applies them:
//! - every `---` followed by a newline is dropped from the whole input (YAML document
//!   separators), and every carriage return before a newline;
//! - blank space and `#` comment lines between statements are skipped; a statement is
//!   `[export ]KEY=` or `KEY:` (letters, digits, `_`, `.`), then the value after blanks;
//! - a value starting with `'` or `"` ends at the first same quote not preceded by a
//!   backslash, and every such quote is then trimmed from both ends of it;
//! - inside double quotes, `\n` and `\r` become a newline and a carriage return, any
//!   other backslash pair `\X` becomes `X` except `\$`, and then `$NAME`, `${NAME}` are
//!   expanded (from earlier keys, then the process environment) while `\$…` becomes a
//!   literal `$…`;
//! - inside single quotes nothing is unescaped or expanded;
//! - an unquoted value runs to the end of its line, loses a ` #` comment and surrounding
//!   blanks, and is expanded like a double-quoted one.

use std::collections::BTreeMap;

use regex::{Captures, Regex};

fn is_blank(c: char) -> bool {
    matches!(
        c,
        '\t' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{85}' | '\u{a0}'
    )
}

/// Parses `input` as gh does; `Err` holds godotenv's reason.
pub(crate) fn parse(input: &str) -> Result<BTreeMap<String, String>, String> {
    let text = input.replace("---\n", "\n").replace("\r\n", "\n");
    let mut out = BTreeMap::new();
    let mut rest = text.as_str();
    loop {
        // The next statement: skip whitespace and comment lines.
        rest = rest.trim_start_matches(char::is_whitespace);
        if rest.is_empty() {
            break;
        }
        if rest.starts_with('#') {
            match rest.find('\n') {
                Some(end) => {
                    rest = &rest[end..];
                    continue;
                }
                None => break,
            }
        }
        let mut line = rest.trim_start_matches(is_blank);
        if let Some(after) = line.strip_prefix("export")
            && after.starts_with(is_blank)
        {
            line = after.trim_start_matches(is_blank);
        }
        let end = line
            .find(['=', ':'])
            .ok_or_else(|| "zero length string".to_owned())?;
        let key = line[..end].trim_end_matches(char::is_whitespace);
        if !key
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '.' || is_blank(c))
        {
            return Err(format!("unexpected character in variable name {key:?}"));
        }
        let key = key.to_owned();
        let value_src = line[end + 1..].trim_start_matches(is_blank);
        let (value, left) = value_of(value_src, &out)?;
        out.insert(key, value);
        rest = left;
    }
    Ok(out)
}

fn value_of<'a>(
    src: &'a str,
    vars: &BTreeMap<String, String>,
) -> Result<(String, &'a str), String> {
    let Some(quote) = src.chars().next().filter(|c| *c == '"' || *c == '\'') else {
        let end = src.find(['\n', '\r']).unwrap_or(src.len());
        let line: Vec<char> = src[..end].chars().collect();
        let mut stop = line.len();
        for i in (1..line.len()).rev() {
            if line[i] == '#' && is_blank(line[i - 1]) {
                stop = i;
                break;
            }
        }
        let value: String = line[..stop].iter().collect();
        return Ok((expand(value.trim_matches(is_blank), vars), &src[end..]));
    };
    let bytes = src.as_bytes();
    for i in 1..bytes.len() {
        if bytes[i] != quote as u8 || bytes[i - 1] == b'\\' {
            continue;
        }
        let inner = src[..i].trim_end_matches(quote).trim_start_matches(quote);
        let value = if quote == '"' {
            expand(&unescape(inner), vars)
        } else {
            inner.to_owned()
        };
        return Ok((value, &src[i + 1..]));
    }
    Err("unterminated quoted value".to_owned())
}

fn unescape(text: &str) -> String {
    let pairs = Regex::new(r"\\.").expect("valid");
    let once = pairs.replace_all(text, |c: &Captures<'_>| match &c[0] {
        r"\n" => "\n".to_owned(),
        r"\r" => "\r".to_owned(),
        other => other.to_owned(),
    });
    let drop = Regex::new(r"\\([^$])").expect("valid");
    drop.replace_all(&once, "$1").into_owned()
}

fn expand(text: &str, vars: &BTreeMap<String, String>) -> String {
    let variable = Regex::new(r"(\\)?(\$)(\()?\{?([A-Z0-9_]+)?\}?").expect("valid");
    variable
        .replace_all(text, |c: &Captures<'_>| {
            if c.get(1).is_some() {
                return c[0][1..].to_owned();
            }
            match c.get(4) {
                Some(name) => vars
                    .get(name.as_str())
                    .cloned()
                    .or_else(|| std::env::var(name.as_str()).ok())
                    .unwrap_or_default(),
                None => c[0].to_owned(),
            }
        })
        .into_owned()
}

/// godotenv 1.4: one statement per line; blank lines and lines starting with `#` are
/// skipped; `#` starts a comment unless it sits inside quotes, which 1.4 decides by
/// splitting the line at every `#` and counting quote characters per piece (a piece
/// with exactly one `"` or `'` opens or closes; a piece met while closed is dropped);
/// the key ends at the first `=`; the value is trimmed of spaces, and a value wholly in
/// double quotes is unescaped and expanded as in 1.5, one in single quotes taken as is,
/// any other expanded.
pub(crate) fn parse_v1_4(input: &str) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    for full in input.lines() {
        let trimmed = full.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let mut line = full.to_owned();
        if line.contains('#') {
            let mut open = false;
            let mut kept: Vec<&str> = Vec::new();
            for piece in full.split('#') {
                if piece.matches('"').count() == 1 || piece.matches('\'').count() == 1 {
                    if open {
                        open = false;
                        kept.push(piece);
                    } else {
                        open = true;
                    }
                }
                if kept.is_empty() || open {
                    kept.push(piece);
                }
            }
            line = kept.join("#");
        }
        let (key, value) = line
            .split_once('=')
            .ok_or_else(|| "can't separate key from value".to_owned())?;
        let key = key.trim().trim_start_matches("export ").trim().to_owned();
        let value = value.trim_matches(' ');
        let double = value.len() > 1 && value.starts_with('"') && value.ends_with('"');
        let single = value.len() > 1 && value.starts_with('\'') && value.ends_with('\'');
        let inner = if double || single {
            &value[1..value.len() - 1]
        } else {
            value
        };
        let value = if double {
            expand(&unescape(inner), &out)
        } else if single {
            inner.to_owned()
        } else {
            expand(inner, &out)
        };
        out.insert(key, value);
    }
    Ok(out)
}

//! RE2 syntax, as Go's `regexp/syntax` parses it (gitleaks compiles its configs with
//! `regexp.MustCompile`, so with its Perl flags), rewritten in the `regex` crate's syntax
//! with the same meaning.
//!
//! Where the two differ, and what this does:
//! - `{` that does not start a well-formed `{n}`, `{n,}` or `{n,m}` (no leading zeros)
//!   is a literal in RE2 and an error in `regex`: written `\{`. A lone `}` too.
//! - `\Q…\E` (RE2 only): each character written as a literal.
//! - `\d`, `\w`, `\s` and `\b` are ASCII in RE2 (and RE2's `\s` has no `\v`), Unicode in
//!   `regex`: written as explicit ASCII classes and `(?-u:\b)`.
//! - `\<` and `\>` are literals in RE2, word boundaries in `regex`: written `<` and `>`.
//! - Octal escapes `\0`, `\012`, `\12` (RE2 only): written `\x{…}`.
//! - `\p{^Greek}` (RE2's negation): written `\P{Greek}`.
//! - In a class, `[`, `&&`, `--` and `~~` are literals in RE2 and nested classes or set
//!   operations in `regex`: every literal in a class is escaped.
//! - Flags: RE2 knows `i`, `m`, `s` and `U`; `regex` also `x`, `R` and `u`, which RE2
//!   refuses, so this refuses them too.
//!
//! What both accept alike (`\A`, `\z`, `\x7F`, `\x{…}`, `\pL`, POSIX classes, named
//! groups, lazy repetitions) is passed through. What RE2 refuses is refused with RE2's
//! reason where this notices it, else by `regex`'s compiler.

use std::fmt::Write as _;

/// A pattern rewritten for the `regex` crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Translated {
    /// The pattern in `regex` syntax.
    pub(crate) pattern: String,
    /// Whether it needs Unicode mode: a non-ASCII literal or a `\p` class.
    pub(crate) unicode: bool,
}

/// The ASCII classes RE2 gives `\d`, `\s` and `\w`, as class items.
const DIGIT: &str = "0-9";
const SPACE: &str = r"\t\n\x0C\r ";
const WORD: &str = "0-9A-Za-z_";

/// POSIX class names RE2 knows (`[:alpha:]`, and `[:^alpha:]` negated).
const POSIX: [&str; 14] = [
    "alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph", "lower", "print", "punct",
    "space", "upper", "word", "xdigit",
];

/// Rewrites an RE2 pattern in the `regex` crate's syntax; `Err` holds why RE2 refuses it.
pub(crate) fn translate(pattern: &str) -> Result<Translated, String> {
    let mut parser = Parser {
        chars: pattern.chars().collect(),
        at: 0,
        out: String::with_capacity(pattern.len() + 16),
        unicode: false,
    };
    parser.run()?;
    Ok(Translated {
        pattern: parser.out,
        unicode: parser.unicode,
    })
}

struct Parser {
    chars: Vec<char>,
    at: usize,
    out: String,
    unicode: bool,
}

impl Parser {
    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.at + ahead).copied()
    }

    fn run(&mut self) -> Result<(), String> {
        while let Some(c) = self.peek(0) {
            match c {
                '\\' => self.escape()?,
                '[' => self.class()?,
                '{' => {
                    if let Some(len) = repeat_len(&self.chars[self.at..]) {
                        self.out.extend(&self.chars[self.at..self.at + len]);
                        self.at += len;
                    } else {
                        self.out.push_str(r"\{");
                        self.at += 1;
                    }
                }
                '}' => {
                    self.out.push_str(r"\}");
                    self.at += 1;
                }
                '(' if self.peek(1) == Some('?') => self.group_flags()?,
                _ => {
                    if !c.is_ascii() {
                        self.unicode = true;
                    }
                    self.out.push(c);
                    self.at += 1;
                }
            }
        }
        Ok(())
    }

    /// `(?flags)`, `(?flags:`, `(?P<name>` or `(?<name>`: copied, after checking that
    /// the flags are RE2's.
    fn group_flags(&mut self) -> Result<(), String> {
        let mut end = self.at + 2;
        if matches!(self.chars.get(end), Some('P' | '<')) {
            // A named group: the name is plain text for both.
            self.out.push_str("(?");
            self.at += 2;
            return Ok(());
        }
        while let Some(&c) = self.chars.get(end) {
            match c {
                ':' | ')' => break,
                'i' | 'm' | 's' | 'U' | '-' => end += 1,
                other => {
                    return Err(format!(
                        "invalid or unsupported Perl syntax: `(?{other}`: RE2 knows the flags \
                         i, m, s and U"
                    ));
                }
            }
        }
        self.out.extend(&self.chars[self.at..end]);
        self.at = end;
        Ok(())
    }

    /// An escape outside a class.
    fn escape(&mut self) -> Result<(), String> {
        let Some(c) = self.peek(1) else {
            return Err("trailing backslash at end of expression".to_owned());
        };
        match c {
            'A' | 'z' => {
                self.out.push('\\');
                self.out.push(c);
                self.at += 2;
            }
            'b' | 'B' => {
                let _ = write!(self.out, r"(?-u:\{c})");
                self.at += 2;
            }
            'Q' => {
                self.at += 2;
                while let Some(c) = self.peek(0) {
                    if c == '\\' && self.peek(1) == Some('E') {
                        self.at += 2;
                        break;
                    }
                    self.literal(c);
                    self.at += 1;
                }
            }
            'd' | 'D' | 's' | 'S' | 'w' | 'W' => {
                let items = perl_class(c);
                let negate = if c.is_ascii_uppercase() { "^" } else { "" };
                let _ = write!(self.out, "[{negate}{items}]");
                self.at += 2;
            }
            'p' | 'P' => self.unicode_class()?,
            _ => {
                let value = self.escaped_char()?;
                self.literal(value);
            }
        }
        Ok(())
    }

    /// `\pL`, `\p{Greek}`, `\p{^Greek}` and the `\P` forms, at `self.at`.
    fn unicode_class(&mut self) -> Result<(), String> {
        let mut negate = self.peek(1) == Some('P');
        self.unicode = true;
        match self.peek(2) {
            Some('{') => {
                let close = self.chars[self.at..]
                    .iter()
                    .position(|&c| c == '}')
                    .ok_or("invalid character class range: `\\p{` is not closed")?;
                let mut name: String = self.chars[self.at + 3..self.at + close].iter().collect();
                if let Some(rest) = name.strip_prefix('^') {
                    negate = !negate;
                    name = rest.to_owned();
                }
                let letter = if negate { 'P' } else { 'p' };
                let _ = write!(self.out, r"\{letter}{{{name}}}");
                self.at += close + 1;
            }
            Some(one) => {
                let letter = if negate { 'P' } else { 'p' };
                let _ = write!(self.out, r"\{letter}{one}");
                self.at += 3;
            }
            None => return Err("invalid character class range: `\\p` at the end".to_owned()),
        }
        Ok(())
    }

    /// One escaped character (Go's `parseEscape`) at `self.at`, which holds `\`.
    fn escaped_char(&mut self) -> Result<char, String> {
        let Some(c) = self.peek(1) else {
            return Err("trailing backslash at end of expression".to_owned());
        };
        self.at += 2;
        if c.is_ascii() && !c.is_ascii_alphanumeric() {
            return Ok(c);
        }
        let value = match c {
            '0'..='7' => {
                // One non-zero digit alone is a backreference, which RE2 does not have.
                if c != '0' && !matches!(self.peek(0), Some('0'..='7')) {
                    return Err(format!(
                        "invalid escape sequence: `\\{c}` (backreferences are not supported)"
                    ));
                }
                let mut value = c.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    match self.peek(0).and_then(|d| d.to_digit(8)) {
                        Some(digit) => {
                            value = value * 8 + digit;
                            self.at += 1;
                        }
                        None => break,
                    }
                }
                value
            }
            'x' => self.hex()?,
            'a' => 0x07,
            'f' => 0x0C,
            'n' => 0x0A,
            'r' => 0x0D,
            't' => 0x09,
            'v' => 0x0B,
            other => return Err(format!("invalid escape sequence: `\\{other}`")),
        };
        char::from_u32(value)
            .ok_or_else(|| format!("invalid escape sequence: code point {value:#x}"))
    }

    /// The digits of `\x7F` or `\x{10FFFF}`, after the `x`.
    fn hex(&mut self) -> Result<u32, String> {
        let bad = || "invalid escape sequence: `\\x` needs two hex digits or {…}".to_owned();
        if self.peek(0) == Some('{') {
            let close = self.chars[self.at..]
                .iter()
                .position(|&c| c == '}')
                .ok_or_else(bad)?;
            let digits: String = self.chars[self.at + 1..self.at + close].iter().collect();
            self.at += close + 1;
            let value = u32::from_str_radix(&digits, 16).map_err(|_| bad())?;
            if digits.is_empty() || value > 0x10_FFFF {
                return Err(bad());
            }
            Ok(value)
        } else {
            let digits: String = self.chars.iter().skip(self.at).take(2).collect();
            if digits.len() != 2 || !digits.chars().all(|d| d.is_ascii_hexdigit()) {
                return Err(bad());
            }
            self.at += 2;
            u32::from_str_radix(&digits, 16).map_err(|_| bad())
        }
    }

    /// A character class (Go's `parseClass`) at `self.at`, which holds `[`.
    fn class(&mut self) -> Result<(), String> {
        self.at += 1;
        self.out.push('[');
        if self.peek(0) == Some('^') {
            self.out.push('^');
            self.at += 1;
        }
        let mut first = true;
        loop {
            let Some(c) = self.peek(0) else {
                return Err("missing closing ]".to_owned());
            };
            if c == ']' && !first {
                self.at += 1;
                break;
            }
            first = false;
            if c == '[' && self.peek(1) == Some(':') && self.posix_class()? {
                continue;
            }
            if c == '\\' {
                match self.peek(1) {
                    Some('p' | 'P') => {
                        self.unicode_class()?;
                        continue;
                    }
                    Some(perl @ ('d' | 'D' | 's' | 'S' | 'w' | 'W')) => {
                        let items = perl_class(perl);
                        if perl.is_ascii_uppercase() {
                            let _ = write!(self.out, "[^{items}]");
                        } else {
                            self.out.push_str(items);
                        }
                        self.at += 2;
                        continue;
                    }
                    _ => {}
                }
            }
            let low = self.class_char()?;
            self.literal(low);
            // `[a-]` is `a` or `-`.
            if self.peek(0) == Some('-') && self.peek(1).is_some_and(|next| next != ']') {
                self.at += 1;
                let high = self.class_char()?;
                if high < low {
                    return Err(format!("invalid character class range: `{low}-{high}`"));
                }
                self.out.push('-');
                self.literal(high);
            }
        }
        self.out.push(']');
        Ok(())
    }

    /// `[:alpha:]` or `[:^alpha:]` at `self.at`; `Ok(false)` when it is no POSIX class
    /// (then `[` is a literal).
    fn posix_class(&mut self) -> Result<bool, String> {
        let rest = &self.chars[self.at + 2..];
        let Some(end) = rest.windows(2).position(|pair| pair == [':', ']']) else {
            return Ok(false);
        };
        let name: String = rest[..end].iter().collect();
        if !POSIX.contains(&name.strip_prefix('^').unwrap_or(&name)) {
            return Err(format!("invalid character class range: `[:{name}:]`"));
        }
        let _ = write!(self.out, "[:{name}:]");
        self.at += 2 + end + 2;
        Ok(true)
    }

    /// One character of a class: a plain one or an escape.
    fn class_char(&mut self) -> Result<char, String> {
        match self.peek(0) {
            Some('\\') => self.escaped_char(),
            Some(c) => {
                self.at += 1;
                Ok(c)
            }
            None => Err("missing closing ]".to_owned()),
        }
    }

    /// Writes `c` so that it stands for itself, in a class or out of one.
    fn literal(&mut self, c: char) {
        if !c.is_ascii() {
            self.unicode = true;
            self.out.push(c);
        } else if c.is_ascii_alphanumeric() || c == '<' || c == '>' {
            self.out.push(c);
        } else if c.is_ascii_graphic() {
            self.out.push('\\');
            self.out.push(c);
        } else {
            let _ = write!(self.out, r"\x{:02X}", u32::from(c));
        }
    }
}

/// The class items of RE2's ASCII `\d`, `\s` or `\w` (either case).
fn perl_class(letter: char) -> &'static str {
    match letter.to_ascii_lowercase() {
        'd' => DIGIT,
        's' => SPACE,
        _ => WORD,
    }
}

/// The length of a well-formed repetition `{n}`, `{n,}` or `{n,m}` at the start of
/// `chars` (Go's `parseRepeat`: digits without leading zeros); `None` when `{` is a
/// literal there.
fn repeat_len(chars: &[char]) -> Option<usize> {
    let number = |from: usize| -> Option<usize> {
        let digits = chars[from..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if digits == 0 || (digits > 1 && chars[from] == '0') {
            None
        } else {
            Some(from + digits)
        }
    };
    let mut at = number(1)?;
    if chars.get(at) == Some(&',') {
        at += 1;
        if chars.get(at) != Some(&'}') {
            at = number(at)?;
        }
    }
    (chars.get(at) == Some(&'}')).then_some(at + 1)
}

#[cfg(test)]
mod tests {
    use super::translate;

    fn rust(pattern: &str) -> String {
        translate(pattern).expect("RE2 accepts it").pattern
    }

    #[test]
    fn braces_that_are_no_repetition_are_literals() {
        assert_eq!(rust("a{2}"), "a{2}");
        assert_eq!(rust("a{2,}b{1,3}"), "a{2,}b{1,3}");
        assert_eq!(rust("${x}"), r"$\{x\}");
        assert_eq!(rust("a{,3}"), r"a\{,3\}");
        assert_eq!(rust("a{01}"), r"a\{01\}");
        assert_eq!(rust("a{1"), r"a\{1");
        assert_eq!(rust("{"), r"\{");
    }

    #[test]
    fn quoted_text_is_literal() {
        assert_eq!(rust(r"\Qa.b*\E+c"), r"a\.b\*+c");
        assert_eq!(rust(r"x\Q[{"), r"x\[\{");
    }

    #[test]
    fn perl_classes_and_boundaries_are_ascii() {
        assert_eq!(rust(r"\d\W"), "[0-9][^0-9A-Za-z_]");
        assert_eq!(rust(r"\s"), r"[\t\n\x0C\r ]");
        assert_eq!(rust(r"\bx\B"), r"(?-u:\b)x(?-u:\B)");
        assert_eq!(rust(r"[\w.-]"), r"[0-9A-Za-z_\.\-]");
        assert_eq!(rust(r"[^\S]"), r"[^[^\t\n\x0C\r ]]");
    }

    #[test]
    fn escapes_rust_reads_otherwise_are_rewritten() {
        assert_eq!(rust(r"\<a\>"), "<a>");
        assert_eq!(rust(r"\012\0\101"), r"\x0A\x00A");
        assert_eq!(rust(r"\p{^Greek}\P{^L}\pN"), r"\P{Greek}\p{L}\pN");
        assert_eq!(rust(r"\_\-\x41\x{263a}"), r"\_\-A☺");
        assert!(translate(r"\1").is_err());
        assert!(translate(r"\8").is_err());
        assert!(translate(r"\e").is_err());
    }

    #[test]
    fn class_literals_are_escaped() {
        assert_eq!(rust("[[]"), r"[\[]");
        assert_eq!(rust("[a&&b]"), r"[a\&\&b]");
        assert_eq!(rust("[-~~&&]"), r"[\-\~\~\&\&]");
        assert!(translate("[a--b]").is_err());
        assert_eq!(rust("[]a]"), r"[\]a]");
        assert_eq!(rust("[^]a-]"), r"[^\]a\-]");
        assert_eq!(rust("[[:alpha:][:^digit:]_]"), r"[[:alpha:][:^digit:]\_]");
        assert!(translate("[[:nope:]]").is_err());
        assert!(translate("[z-a]").is_err());
        assert!(translate("[a").is_err());
    }

    #[test]
    fn flags_are_re2_flags() {
        assert_eq!(rust("(?i)a(?s-m:b)(?U)c"), "(?i)a(?s-m:b)(?U)c");
        assert_eq!(rust("(?P<n>a)(?<m>b)"), "(?P<n>a)(?<m>b)");
        assert!(translate("(?x) a").is_err());
        assert!(translate("(?u)a").is_err());
    }
}

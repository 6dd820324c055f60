//! Scrubbing known secret values, and their usual encodings, out of text.

use std::borrow::Cow;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use zeroize::Zeroizing;

use crate::{REDACTED, Secret};

/// Shortest base64 fragment (see [`Redactor::add`]) worth matching: 8 characters carry
/// 6 bytes of the value, so an accidental match in unrelated text is unlikely.
const MIN_FRAGMENT_LEN: usize = 8;

/// RFC 3986 unreserved characters stay as they are; everything else is escaped.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Replaces every known secret value in a text with [`REDACTED`].
///
/// For each value it also knows the forms a CLI, a URL or a log line might print:
/// base64 and base64url (padded, unpadded, and the part of the encoding that stays the
/// same when the value sits inside a longer base64 payload, such as the password in
/// `Authorization: Basic …`), percent-encoding (upper- and lower-case hex, `+` for
/// spaces) and JSON string escapes (minimal, ASCII-only and with `\/`).
///
/// The forms are kept in zeroizing buffers; the redactor holds no copy that outlives it.
#[derive(Default)]
pub struct Redactor {
    /// Every form of every value, longest first, without duplicates.
    needles: Vec<Zeroizing<String>>,
}

impl Redactor {
    /// A redactor that knows no value yet and leaves text unchanged.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Learns `secret` and its encoded forms.
    pub fn add(&mut self, secret: &Secret) {
        self.add_value(secret.expose());
    }

    /// Learns a value that is not (yet) held in a [`Secret`], e.g. a token read from the
    /// environment. An empty value is ignored: there is nothing to hide.
    pub fn add_value(&mut self, value: &str) {
        if value.is_empty() {
            return;
        }
        for form in encoded_forms(value) {
            if !self.needles.iter().any(|known| **known == *form) {
                self.needles.push(form);
            }
        }
        self.needles
            .sort_by_key(|needle| std::cmp::Reverse(needle.len()));
    }

    /// Whether the redactor knows no value.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.needles.is_empty()
    }

    /// `text` with every occurrence of a known form replaced by [`REDACTED`].
    ///
    /// Overlapping or touching occurrences collapse into one replacement, so the output
    /// never reveals where one form ended and another began.
    #[must_use]
    pub fn redact<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let mut spans: Vec<(usize, usize)> = Vec::new();
        for needle in &self.needles {
            spans.extend(
                text.match_indices(needle.as_str())
                    .map(|(start, found)| (start, start + found.len())),
            );
        }
        if spans.is_empty() {
            return Cow::Borrowed(text);
        }
        spans.sort_unstable();
        let mut out = String::with_capacity(text.len());
        let mut copied = 0;
        let mut spans = spans.into_iter().peekable();
        while let Some((start, mut end)) = spans.next() {
            while let Some(&(next_start, next_end)) = spans.peek() {
                if next_start > end {
                    break;
                }
                end = end.max(next_end);
                spans.next();
            }
            out.push_str(&text[copied..start]);
            out.push_str(REDACTED);
            copied = end;
        }
        out.push_str(&text[copied..]);
        Cow::Owned(out)
    }

    /// Redacts bytes from a child process (invalid UTF-8 is replaced, then redacted).
    #[must_use]
    pub fn redact_bytes(&self, bytes: &[u8]) -> String {
        let text = String::from_utf8_lossy(bytes);
        self.redact(&text).into_owned()
    }
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redactor")
            .field("forms", &self.needles.len())
            .finish_non_exhaustive()
    }
}

/// The value itself and every encoded form of it the redactor matches.
fn encoded_forms(value: &str) -> Vec<Zeroizing<String>> {
    let mut forms = vec![Zeroizing::new(value.to_owned())];
    let bytes = value.as_bytes();
    for engine in [&STANDARD, &URL_SAFE] {
        forms.push(Zeroizing::new(engine.encode(bytes)));
    }
    for engine in [&STANDARD_NO_PAD, &URL_SAFE_NO_PAD] {
        forms.push(Zeroizing::new(engine.encode(bytes)));
        forms.extend(base64_fragments(engine, bytes));
    }
    let percent = Zeroizing::new(utf8_percent_encode(value, COMPONENT).to_string());
    forms.push(Zeroizing::new(percent.to_ascii_lowercase_hex()));
    forms.push(Zeroizing::new(percent.replace("%20", "+")));
    forms.push(percent);
    forms.push(json_escape(value, false, false));
    forms.push(json_escape(value, true, false));
    forms.push(json_escape(value, false, true));
    forms.retain(|form| !form.is_empty());
    forms
}

/// The parts of the base64 encoding of `bytes` that do not depend on what surrounds the
/// value, for each of the three byte alignments it can have inside a longer payload.
///
/// Output character `j` encodes bits `6j..6j+6` of the input; it is fixed by the value
/// alone when those bits lie inside the value's bits `8k..8(k+len)`.
fn base64_fragments(
    engine: &base64::engine::GeneralPurpose,
    bytes: &[u8],
) -> Vec<Zeroizing<String>> {
    let mut fragments = Vec::new();
    for offset in 0..3usize {
        let mut shifted = Zeroizing::new(vec![0u8; offset]);
        shifted.extend_from_slice(bytes);
        let encoded = Zeroizing::new(engine.encode(shifted.as_slice()));
        let first = (8 * offset).div_ceil(6);
        let end = (8 * (offset + bytes.len())) / 6;
        if end > first && end - first >= MIN_FRAGMENT_LEN {
            fragments.push(Zeroizing::new(encoded[first..end].to_owned()));
        }
    }
    fragments
}

/// JSON string-literal escaping (without the quotes). `ascii_only` writes non-ASCII as
/// `\uXXXX` (as Python's `json.dumps` does); `escape_slash` writes `/` as `\/` (as PHP does).
fn json_escape(value: &str, ascii_only: bool, escape_slash: bool) -> Zeroizing<String> {
    use std::fmt::Write as _;
    let mut out = Zeroizing::new(String::with_capacity(value.len()));
    for ch in value.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' if escape_slash => out.push_str("\\/"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c.is_control() || (ascii_only && !c.is_ascii()) => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    write!(out, "\\u{unit:04x}").expect("writing to a String cannot fail");
                }
            }
            c => out.push(c),
        }
    }
    out
}

trait LowercaseHex {
    fn to_ascii_lowercase_hex(&self) -> String;
}

impl LowercaseHex for str {
    /// Lower-cases the two hex digits after each `%`, leaving the rest as it is.
    fn to_ascii_lowercase_hex(&self) -> String {
        let mut out = String::with_capacity(self.len());
        let mut hex_left = 0;
        for ch in self.chars() {
            if hex_left > 0 {
                out.push(ch.to_ascii_lowercase());
                hex_left -= 1;
            } else {
                if ch == '%' {
                    hex_left = 2;
                }
                out.push(ch);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A canary with characters that every encoding changes: space, quote, slash, plus,
    /// non-ASCII, and bytes that make base64 emit `+`, `/`, `-` and `_`.
    const CANARY: &str = "cAnary-7d1e \"q\"/p+?>>>~é-4b2f9";

    fn redactor() -> Redactor {
        let mut redactor = Redactor::new();
        redactor.add(&Secret::new(CANARY.to_owned()));
        redactor
    }

    fn assert_hidden(text: &str) {
        let out = redactor().redact(text).into_owned();
        assert!(out.contains(REDACTED), "nothing redacted in {out:?}");
        assert!(!out.contains("cAnary"), "raw value survived in {out:?}");
        for form in encoded_forms(CANARY) {
            assert!(!out.contains(form.as_str()), "form {:?} survived", *form);
        }
    }

    #[test]
    fn raw_value_is_redacted() {
        assert_hidden(&format!("error: token {CANARY} rejected"));
        assert_eq!(
            redactor().redact(&format!("a {CANARY} b {CANARY}")),
            "a [redacted] b [redacted]"
        );
    }

    #[test]
    fn base64_forms_are_redacted() {
        for engine in [&STANDARD, &URL_SAFE, &STANDARD_NO_PAD, &URL_SAFE_NO_PAD] {
            let encoded = engine.encode(CANARY);
            assert_hidden(&format!("payload={encoded};"));
            // The whole encoding goes, padding and last partial group included.
            assert_eq!(
                redactor().redact(&format!("payload={encoded};")),
                "payload=[redacted];"
            );
        }
        // The two alphabets really differ for this canary, and it needs padding.
        assert_ne!(STANDARD.encode(CANARY), URL_SAFE.encode(CANARY));
        assert!(STANDARD.encode(CANARY).ends_with("=="));
    }

    #[test]
    fn base64_inside_a_longer_payload_is_redacted_at_every_alignment() {
        for prefix in ["", "u", "us", "user:"] {
            for engine in [&STANDARD, &URL_SAFE] {
                let header = engine.encode(format!("{prefix}{CANARY}"));
                let out = redactor()
                    .redact(&format!("Authorization: Basic {header}"))
                    .into_owned();
                assert!(out.contains(REDACTED), "prefix {prefix:?}: {out}");
                // What is left of the payload must not decode to any 6-byte run of the value.
                let leftover: String = out.split(REDACTED).collect();
                for window in CANARY.as_bytes().windows(6) {
                    let form = engine.encode(window);
                    assert!(!leftover.contains(&form[..7]), "prefix {prefix:?}: {out}");
                }
            }
        }
    }

    #[test]
    fn percent_encoded_forms_are_redacted() {
        let upper = utf8_percent_encode(CANARY, COMPONENT).to_string();
        assert!(upper.contains("%20") && upper.contains("%C3%A9"));
        assert_hidden(&format!("https://x.test/?token={upper}&a=1"));
        assert_hidden(&format!("url={}", upper.to_ascii_lowercase_hex()));
        assert_hidden(&format!("form={}", upper.replace("%20", "+")));
    }

    #[test]
    fn json_escaped_forms_are_redacted() {
        let serde_like = format!("{{\"value\":\"{}\"}}", *json_escape(CANARY, false, false));
        assert!(serde_like.contains(r#"\"q\""#));
        assert_hidden(&serde_like);
        let python_like = format!("{{\"value\": \"{}\"}}", *json_escape(CANARY, true, false));
        assert!(python_like.contains("\\u00e9"));
        assert_hidden(&python_like);
        assert_hidden(&format!("\"{}\"", *json_escape(CANARY, false, true)));
    }

    #[test]
    fn every_value_is_redacted_and_other_text_kept() {
        let mut redactor = Redactor::new();
        redactor.add_value("first-canary-91ab");
        redactor.add_value("second-canary-22cd");
        redactor.add_value("");
        let out = redactor.redact("x first-canary-91ab y second-canary-22cd z");
        assert_eq!(out, "x [redacted] y [redacted] z");
        assert_eq!(redactor.redact("nothing here"), "nothing here");
        assert!(matches!(redactor.redact("nothing here"), Cow::Borrowed(_)));
    }

    #[test]
    fn overlapping_values_collapse_into_one_replacement() {
        let mut redactor = Redactor::new();
        redactor.add_value("abcdef-canary");
        redactor.add_value("canary-ghijkl");
        assert_eq!(redactor.redact("<abcdef-canary-ghijkl>"), "<[redacted]>");
    }

    #[test]
    fn redact_bytes_handles_invalid_utf8() {
        let mut bytes = b"\xff stderr: ".to_vec();
        bytes.extend_from_slice(CANARY.as_bytes());
        let out = redactor().redact_bytes(&bytes);
        assert!(out.ends_with("stderr: [redacted]"), "{out}");
    }

    #[test]
    fn empty_redactor_changes_nothing_and_debug_shows_no_value() {
        let redactor = Redactor::new();
        assert!(redactor.is_empty());
        assert_eq!(redactor.redact("text"), "text");
        let debug = format!("{:?}", self::redactor());
        assert!(!debug.contains("cAnary"), "{debug}");
    }
}

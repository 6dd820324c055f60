//! Scrubbing known secret values, and their usual encodings, out of text.

use std::borrow::Cow;
use std::fmt;
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use zeroize::Zeroizing;

use crate::{REDACTED, Secret};

/// Shortest form matched anywhere in a text. A shorter form (a short value, or a short
/// encoding of it) is matched only as a whole word, so that a value `e` does not turn
/// `schema_version` into `sch[redacted]ma_version`; it is also the shortest base64
/// fragment (see [`Redactor::add`]) worth matching: 8 characters carry 6 bytes of the
/// value, so an accidental match in unrelated text is unlikely. Stores refuse values this
/// short (`secrets-sync`'s value policy).
const MIN_REDACTABLE_LEN: usize = 8;

/// RFC 3986 unreserved characters stay as they are; everything else is escaped.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Replaces every known secret value in a text with [`REDACTED`].
///
/// For each value it knows the texts Bulwark ever writes to a child or a file (the value,
/// each line of a multi-line value, its JSON string escapes as `serde_json`, Bulwark's
/// own bodies, Python and PHP write them, and its double-quoted dotenv form), and for
/// each of those texts the forms a CLI, a URL or a log line might print: base64 and
/// base64url (padded, unpadded, and the part of the encoding that stays the same when the
/// text sits inside a longer base64 payload, such as a request body or the password in
/// `Authorization: Basic …`) and percent-encoding (upper- and lower-case hex, `+` for
/// spaces).
///
/// It also knows Bulwark's own structure ([`Redactor::keep`]: names, paths, labels): an
/// occurrence of a value that lies wholly inside such a text is left alone, since
/// redacting there would only show which name the value equals.
///
/// All forms are found in one pass over the text by an Aho-Corasick automaton. The forms
/// themselves are kept in zeroizing buffers, but the automaton copies their bytes into
/// its own tables, which are freed without being wiped when the redactor is dropped or
/// learns a new value. That is a deliberate trade: the copies live in this process only,
/// for as long as the `Secret`s they were made from; core dumps are off in every binary
/// (`bulwark_core::harden`), and a reader of this process's memory could read the
/// `Secret`s themselves. In exchange a text is scanned once for every form of every
/// value, instead of once per form.
#[derive(Default)]
pub struct Redactor {
    /// Every form of every value, sorted, without duplicates.
    needles: Vec<Zeroizing<String>>,
    /// Bulwark's own texts a match may lie in without being redacted.
    kept: Vec<String>,
    /// The needles, then the kept texts, as one automaton; built on first use.
    automaton: OnceLock<Option<AhoCorasick>>,
}

impl Redactor {
    /// Shortest value (in bytes) that is redacted wherever it occurs; a shorter one only
    /// where it stands as a whole word. Stores refuse values shorter than this.
    pub const MIN_LEN: usize = MIN_REDACTABLE_LEN;

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
        self.needles.extend(encoded_forms(value));
        self.needles
            .sort_unstable_by(|a, b| a.as_str().cmp(b.as_str()));
        self.needles.dedup_by(|a, b| a.as_str() == b.as_str());
        self.automaton = OnceLock::new();
    }

    /// Learns a text of Bulwark's own (a secret's name, an environment's name, a path, a
    /// fixed label) that a value may coincide with: an occurrence of a value wholly
    /// inside an occurrence of `structure` is not redacted. Never pass a value here.
    pub fn keep(&mut self, structure: &str) {
        if !structure.is_empty() && !self.kept.iter().any(|k| k == structure) {
            self.kept.push(structure.to_owned());
            self.automaton = OnceLock::new();
        }
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
        let spans = self.spans(text);
        if spans.is_empty() {
            return Cow::Borrowed(text);
        }
        let mut out = String::with_capacity(text.len());
        let mut copied = 0;
        for (start, end) in spans {
            out.push_str(&text[copied..start]);
            out.push_str(REDACTED);
            copied = end;
        }
        out.push_str(&text[copied..]);
        Cow::Owned(out)
    }

    /// A JSON document with every known form redacted inside its string values; object
    /// keys are Bulwark's own structure and are left as they are. A replacement never
    /// splits an escape sequence, so the result is valid JSON when `doc` is.
    #[must_use]
    pub fn redact_json<'t>(&self, doc: &'t str) -> Cow<'t, str> {
        if self.is_empty() {
            return Cow::Borrowed(doc);
        }
        let bytes = doc.as_bytes();
        let mut out = String::new();
        let mut copied = 0;
        let mut at = 0;
        while let Some(offset) = bytes[at..].iter().position(|&b| b == b'"') {
            let open = at + offset;
            let close = string_end(bytes, open + 1);
            at = close + 1;
            let is_key = bytes[at.min(bytes.len())..]
                .iter()
                .find(|b| !b.is_ascii_whitespace())
                == Some(&b':');
            if is_key || close <= open + 1 {
                continue;
            }
            let content = &doc[open + 1..close];
            let spans = self.spans(content);
            if spans.is_empty() {
                continue;
            }
            out.push_str(&doc[copied..=open]);
            let mut inner = 0;
            for (start, end) in snap_to_escapes(content, spans) {
                out.push_str(&content[inner..start]);
                out.push_str(REDACTED);
                inner = end;
            }
            out.push_str(&content[inner..]);
            copied = close;
        }
        if copied == 0 {
            return Cow::Borrowed(doc);
        }
        out.push_str(&doc[copied..]);
        Cow::Owned(out)
    }

    /// Redacts bytes from a child process (invalid UTF-8 is replaced, then redacted).
    #[must_use]
    pub fn redact_bytes(&self, bytes: &[u8]) -> String {
        let text = String::from_utf8_lossy(bytes);
        self.redact(&text).into_owned()
    }

    /// The automaton, or `None` if it could not be built (see [`Redactor::spans`]).
    fn automaton(&self) -> Option<&AhoCorasick> {
        self.automaton
            .get_or_init(|| {
                let patterns = self
                    .needles
                    .iter()
                    .map(|n| n.as_bytes())
                    .chain(self.kept.iter().map(String::as_bytes));
                // Standard semantics: the overlapping search reports every occurrence of
                // every form (leftmost-longest would skip a second value that overlaps
                // the first, and leave its tail in the text), still in one pass.
                AhoCorasickBuilder::new()
                    .match_kind(MatchKind::Standard)
                    .build(patterns)
                    .ok()
            })
            .as_ref()
    }

    /// The byte ranges to replace in `text`: sorted, merged where they overlap or touch,
    /// without the ones inside a kept text or, for a short form, inside a word.
    fn spans(&self, text: &str) -> Vec<(usize, usize)> {
        if self.needles.is_empty() {
            return Vec::new();
        }
        // (pattern index, start, end) of every occurrence of every form and kept text.
        let hits: Vec<(usize, usize, usize)> = match self.automaton() {
            Some(automaton) => automaton
                .find_overlapping_iter(text)
                .map(|hit| (hit.pattern().as_usize(), hit.start(), hit.end()))
                .collect(),
            // No automaton (one too large to build): the same search, one form at a
            // time, rather than no redaction at all.
            None => self
                .needles
                .iter()
                .map(|needle| needle.as_str())
                .chain(self.kept.iter().map(String::as_str))
                .enumerate()
                .flat_map(|(index, pattern)| {
                    text.match_indices(pattern)
                        .map(move |(start, found)| (index, start, start + found.len()))
                })
                .collect(),
        };
        let mut found = Vec::new();
        let mut kept = Vec::new();
        for (pattern, start, end) in hits {
            if pattern >= self.needles.len() {
                kept.push((start, end));
            } else if end - start >= MIN_REDACTABLE_LEN || is_whole_word(text, start, end) {
                found.push((start, end));
            }
        }
        found.retain(|&(start, end)| !kept.iter().any(|&(s, e)| s <= start && end <= e));
        found.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::with_capacity(found.len());
        for (start, end) in found {
            match merged.last_mut() {
                Some(last) if start <= last.1 => last.1 = last.1.max(end),
                _ => merged.push((start, end)),
            }
        }
        merged
    }
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redactor")
            .field("forms", &self.needles.len())
            .field("kept", &self.kept.len())
            .finish_non_exhaustive()
    }
}

/// Whether `text[start..end]` is neither preceded nor followed by a word character.
fn is_whole_word(text: &str, start: usize, end: usize) -> bool {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    !text[..start].chars().next_back().is_some_and(word)
        && !text[end..].chars().next().is_some_and(word)
}

/// The index of the `"` that closes the JSON string whose content starts at `from` (or
/// the end of `bytes` if it is never closed).
fn string_end(bytes: &[u8], from: usize) -> usize {
    let mut at = from;
    while at < bytes.len() {
        match bytes[at] {
            b'\\' => at += 2,
            b'"' => return at,
            _ => at += 1,
        }
    }
    bytes.len()
}

/// Widens each span so that it neither starts nor ends inside a JSON escape sequence
/// (`\n`, `\"`, `\u00e9`) of `content`, and merges spans that then touch.
fn snap_to_escapes(content: &str, spans: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    let bytes = content.as_bytes();
    let mut escapes = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] == b'\\' {
            let len = if bytes.get(at + 1) == Some(&b'u') {
                6
            } else {
                2
            };
            let end = (at + len).min(bytes.len());
            escapes.push((at, end));
            at = end;
        } else {
            at += 1;
        }
    }
    let mut snapped: Vec<(usize, usize)> = Vec::with_capacity(spans.len());
    for (mut start, mut end) in spans {
        for &(s, e) in &escapes {
            if s < start && start < e {
                start = s;
            }
            if s < end && end < e {
                end = e;
            }
        }
        match snapped.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => snapped.push((start, end)),
        }
    }
    snapped
}

/// Every form of `value` the redactor matches: each text Bulwark writes for it, in each
/// encoding.
fn encoded_forms(value: &str) -> Vec<Zeroizing<String>> {
    let mut forms = Vec::new();
    for text in written_texts(value) {
        forms.extend(encodings(&text));
        forms.push(text);
    }
    forms.retain(|form| !form.is_empty());
    forms
}

/// The texts a value is written as: itself, each line of a multi-line value, its JSON
/// string escapes (as `serde_json`, `bulwark-targets`' request bodies, Python's
/// `json.dumps` and PHP write them) and its double-quoted dotenv form (the store's own
/// format, e.g. the file `secrets-sync edit` hands to the editor).
fn written_texts(value: &str) -> Vec<Zeroizing<String>> {
    let mut texts = vec![Zeroizing::new(value.to_owned())];
    if value.contains(['\n', '\r']) {
        texts.extend(
            value
                .split(['\n', '\r'])
                .filter(|line| !line.trim().is_empty())
                .map(|line| Zeroizing::new(line.to_owned())),
        );
    }
    for style in [
        JsonStyle::Serde,
        JsonStyle::UnicodeControls,
        JsonStyle::AsciiOnly,
        JsonStyle::EscapedSlash,
    ] {
        texts.push(json_escape(value, style));
    }
    texts.push(dotenv_escape(value));
    texts
}

/// `text` in base64 (whole and as fragments) and percent-encoded.
fn encodings(text: &str) -> Vec<Zeroizing<String>> {
    let mut forms = Vec::new();
    let bytes = text.as_bytes();
    for engine in [&STANDARD, &URL_SAFE] {
        forms.push(Zeroizing::new(engine.encode(bytes)));
    }
    for engine in [&STANDARD_NO_PAD, &URL_SAFE_NO_PAD] {
        forms.push(Zeroizing::new(engine.encode(bytes)));
        forms.extend(base64_fragments(engine, bytes));
    }
    let percent = Zeroizing::new(utf8_percent_encode(text, COMPONENT).to_string());
    forms.push(Zeroizing::new(percent.to_ascii_lowercase_hex()));
    forms.push(Zeroizing::new(percent.replace("%20", "+")));
    forms.push(percent);
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
        if end > first && end - first >= MIN_REDACTABLE_LEN {
            fragments.push(Zeroizing::new(encoded[first..end].to_owned()));
        }
    }
    fragments
}

/// How a JSON writer escapes a string.
#[derive(Clone, Copy, PartialEq, Eq)]
enum JsonStyle {
    /// `serde_json`: `\b`, `\f`, `\n`, `\r`, `\t`, other C0 controls as `\u00xx`.
    Serde,
    /// `\n`, `\r`, `\t`, every other C0 control as `\u00xx` (`bulwark-targets`' bodies).
    UnicodeControls,
    /// As `Serde`, and everything beyond ASCII as `\uXXXX` (Python's `json.dumps`).
    AsciiOnly,
    /// As `Serde`, and `/` as `\/` (PHP).
    EscapedSlash,
}

/// JSON string-literal escaping (without the quotes) in `style`.
fn json_escape(value: &str, style: JsonStyle) -> Zeroizing<String> {
    use std::fmt::Write as _;
    let short_controls = style != JsonStyle::UnicodeControls;
    let mut out = Zeroizing::new(String::with_capacity(value.len()));
    for ch in value.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' if style == JsonStyle::EscapedSlash => out.push_str("\\/"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' if short_controls => out.push_str("\\b"),
            '\u{c}' if short_controls => out.push_str("\\f"),
            c if u32::from(c) < 0x20 || (style == JsonStyle::AsciiOnly && !c.is_ascii()) => {
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

/// The inside of the store's double-quoted dotenv form (`bulwark-sync`'s `Dotenv`).
fn dotenv_escape(value: &str) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(value.len()));
    push_dotenv_escaped(&mut out, value);
    out
}

/// Appends `value` escaped for the inside of a double-quoted dotenv value, as the store
/// writes it: `"`, `\`, newline, carriage return, tab and `$` escaped. One function for
/// the store's writer and the redactor, so the form redacted is the form written.
pub fn push_dotenv_escaped(out: &mut impl StrSink, value: &str) {
    for ch in value.chars() {
        match ch {
            '"' => out.sink_str("\\\""),
            '\\' => out.sink_str("\\\\"),
            '\n' => out.sink_str("\\n"),
            '\r' => out.sink_str("\\r"),
            '\t' => out.sink_str("\\t"),
            '$' => out.sink_str("\\$"),
            c => out.sink_char(c),
        }
    }
}

/// Text that secret forms are appended to: a zeroizing `String` or a [`crate::SecretBuf`].
pub trait StrSink {
    /// Appends `text`.
    fn sink_str(&mut self, text: &str);
    /// Appends `ch`.
    fn sink_char(&mut self, ch: char);
}

impl StrSink for Zeroizing<String> {
    fn sink_str(&mut self, text: &str) {
        self.push_str(text);
    }
    fn sink_char(&mut self, ch: char) {
        self.push(ch);
    }
}

impl StrSink for crate::SecretBuf {
    fn sink_str(&mut self, text: &str) {
        self.push_str(text);
    }
    fn sink_char(&mut self, ch: char) {
        self.push(ch);
    }
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
        let serde_like = format!(
            "{{\"value\":\"{}\"}}",
            *json_escape(CANARY, JsonStyle::Serde)
        );
        assert!(serde_like.contains(r#"\"q\""#));
        assert_hidden(&serde_like);
        let python_like = format!(
            "{{\"value\": \"{}\"}}",
            *json_escape(CANARY, JsonStyle::AsciiOnly)
        );
        assert!(python_like.contains("\\u00e9"));
        assert_hidden(&python_like);
        assert_hidden(&format!(
            "\"{}\"",
            *json_escape(CANARY, JsonStyle::EscapedSlash)
        ));
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

    /// Canaries with the characters that escaping changes, and a multi-line PEM.
    const SHAPED: [&str; 4] = [
        "cAnary$HOME-31f0${X}`id`",
        "cAnary\\back\\slash\\-72ad",
        "cAnary \"double\" 'single' -9c4e",
        "-----BEGIN PRIVATE KEY-----\nMIIcAnaryPemLine1a2b3c4d5e6f\nMIIcAnaryPemLine2f6e5d4c3b2a\n-----END PRIVATE KEY-----\n",
    ];

    fn shaped() -> Redactor {
        let mut redactor = Redactor::new();
        for value in SHAPED {
            redactor.add_value(value);
        }
        redactor
    }

    /// `text` with the redactions removed holds no 6-byte run of `value`, raw or in the
    /// base64 of anything (at any alignment), so nothing of it can be decoded.
    fn assert_nothing_recoverable(out: &str, value: &str) {
        assert!(!out.contains("cAnary"), "raw canary in {out:?}");
        let leftover: String = out.split(REDACTED).collect::<Vec<_>>().join(" ");
        let tokens = leftover
            .split(|c: char| !(c.is_ascii_alphanumeric() || "+/-_=".contains(c)))
            .filter(|t| t.len() >= 8);
        for token in tokens {
            for skip in 0..4 {
                let Some(rest) = token.get(skip..) else {
                    continue;
                };
                let usable = &rest[..rest.len() / 4 * 4];
                for engine in [&STANDARD, &URL_SAFE] {
                    let Ok(decoded) = engine.decode(usable.trim_end_matches('=')) else {
                        let trimmed = usable.trim_end_matches('=');
                        let cut = &trimmed[..trimmed.len() / 4 * 4];
                        if let Ok(decoded) = engine.decode(cut) {
                            assert!(
                                !String::from_utf8_lossy(&decoded).contains("cAnary"),
                                "{value:?} decodable from {token:?} in {out:?}"
                            );
                        }
                        continue;
                    };
                    assert!(
                        !String::from_utf8_lossy(&decoded).contains("cAnary"),
                        "{value:?} decodable from {token:?} in {out:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn base64_of_a_json_body_hides_every_escaped_value() {
        let redactor = shaped();
        for (index, value) in SHAPED.iter().enumerate() {
            for style in [JsonStyle::Serde, JsonStyle::UnicodeControls] {
                // As `wrangler secret bulk` gets it, and as a CLI might echo it.
                let body = format!("{{\"NAME_{index}\":\"{}\"}}", *json_escape(value, style));
                for prefix in ["", "x", "xy"] {
                    for engine in [&STANDARD, &URL_SAFE, &STANDARD_NO_PAD] {
                        let echoed =
                            format!("bad body: {}", engine.encode(format!("{prefix}{body}")));
                        let out = redactor.redact(&echoed).into_owned();
                        assert!(out.contains(REDACTED), "{out}");
                        assert_nothing_recoverable(&out, value);
                    }
                }
                assert_nothing_recoverable(&redactor.redact(&body), value);
            }
        }
    }

    #[test]
    fn dotenv_form_and_each_line_of_a_multi_line_value_are_redacted() {
        let redactor = shaped();
        for value in SHAPED {
            let dotenv = format!("NAME=\"{}\"\n", *dotenv_escape(value));
            assert_nothing_recoverable(&redactor.redact(&dotenv), value);
            let encoded = STANDARD.encode(&dotenv);
            assert_nothing_recoverable(&redactor.redact(&encoded), value);
        }
        assert!(dotenv_escape(SHAPED[0]).contains("\\$HOME"));
        let out = redactor.redact("line 2: MIIcAnaryPemLine1a2b3c4d5e6f: bad base64");
        assert_eq!(out, "line 2: [redacted]: bad base64");
        let one_line = STANDARD.encode("MIIcAnaryPemLine2f6e5d4c3b2a");
        assert_nothing_recoverable(&redactor.redact(&format!("got {one_line}")), SHAPED[3]);
    }

    #[test]
    fn without_an_automaton_the_same_spans_are_found() {
        let mut redactor = shaped();
        redactor.add_value("abcdef-canary");
        redactor.add_value("canary-ghijkl");
        redactor.add_value("e");
        redactor.keep("production");
        redactor.add_value("production");
        let text = format!(
            "plan for production: <abcdef-canary-ghijkl> e schema {}",
            STANDARD.encode(format!(
                "{{\"A\":\"{}\"}}",
                *json_escape(SHAPED[1], JsonStyle::Serde)
            ))
        );
        let with = redactor.redact(&text).into_owned();
        assert!(with.starts_with("plan for production: <[redacted]> [redacted] schema "));
        // Force the fallback: an automaton that failed to build.
        redactor.automaton = OnceLock::new();
        redactor.automaton.set(None).expect("unset");
        assert_eq!(redactor.redact(&text), with);
    }

    #[test]
    fn a_short_value_is_redacted_only_as_a_whole_word() {
        let mut redactor = Redactor::new();
        redactor.add_value("e");
        redactor.add_value("s3cr");
        assert_eq!(
            redactor.redact("\"schema_version\": e, s3cr!"),
            "\"schema_version\": [redacted], [redacted]!"
        );
        assert_eq!(redactor.redact("xs3cr es3cr_"), "xs3cr es3cr_");
        let mut long = Redactor::new();
        long.add_value("abcdefgh");
        assert_eq!(
            long.redact("xxabcdefghxx"),
            "xx[redacted]xx",
            "8 bytes: anywhere"
        );
    }

    #[test]
    fn kept_structure_is_never_redacted_but_values_around_it_are() {
        let mut redactor = Redactor::new();
        redactor.add_value("production");
        redactor.keep("production");
        redactor.keep("secrets/production.env.age");
        assert_eq!(
            redactor.redact("plan for production (secrets/production.env.age)"),
            "plan for production (secrets/production.env.age)"
        );
        let mut longer = Redactor::new();
        longer.add_value("production-password-1");
        longer.keep("production");
        assert_eq!(
            longer.redact("production: production-password-1"),
            "production: [redacted]"
        );
        // Without `keep`, as in a child's stderr, the value goes.
        let mut plain = Redactor::new();
        plain.add_value("production");
        assert_eq!(plain.redact("token production bad"), "token [redacted] bad");
    }

    #[test]
    fn json_keys_are_kept_and_string_values_redacted_into_valid_json() {
        let mut redactor = Redactor::new();
        redactor.add_value("schema_version");
        redactor.add_value("\"quoted-cAnary\"");
        redactor.add_value("é-cAnary-7788");
        let doc = serde_like_doc();
        let out = redactor.redact_json(&doc).into_owned();
        let parsed: serde_json_like::Value = serde_json_like::parse(&out);
        assert_eq!(
            parsed.keys,
            ["schema_version", "message", "other", "ascii"],
            "{out}"
        );
        assert!(!out.contains("cAnary"), "{out}");
        assert!(!out.contains("\\u00e9-"), "{out}");
        assert_eq!(
            parsed.values,
            [
                "1",
                "error: [redacted] at [redacted]",
                "[redacted] x",
                "n[redacted]"
            ],
            "{out}"
        );
        assert_eq!(redactor.redact_json("{\"a\":\"b\"}"), "{\"a\":\"b\"}");
    }

    /// `{"schema_version":1,"message":…}` with values that need escapes, and one that
    /// starts right after an escape.
    fn serde_like_doc() -> String {
        format!(
            "{{\"schema_version\":1,\"message\":\"error: schema_version at {}\",\"other\":\"{} x\",\"ascii\":\"n\\u00e9-cAnary-7788\"}}",
            *json_escape("\"quoted-cAnary\"", JsonStyle::Serde),
            *json_escape("é-cAnary-7788", JsonStyle::Serde),
        )
    }

    /// Just enough of a JSON reader for [`serde_like_doc`]'s flat object: its keys and
    /// the raw text of its values, failing on an invalid escape.
    mod serde_json_like {
        pub(super) struct Value {
            pub(super) keys: Vec<String>,
            pub(super) values: Vec<String>,
        }

        pub(super) fn parse(doc: &str) -> Value {
            let inner = doc
                .strip_prefix('{')
                .and_then(|d| d.strip_suffix('}'))
                .expect("an object");
            let mut keys = Vec::new();
            let mut values = Vec::new();
            let mut rest = inner;
            while !rest.is_empty() {
                let (key, after) = string(rest);
                keys.push(key);
                let after = after.strip_prefix(':').expect("a colon");
                let (value, after) = if after.starts_with('"') {
                    string(after)
                } else {
                    let end = after.find(',').unwrap_or(after.len());
                    (after[..end].to_owned(), &after[end..])
                };
                values.push(value);
                rest = after.strip_prefix(',').unwrap_or(after);
            }
            Value { keys, values }
        }

        fn string(text: &str) -> (String, &str) {
            let bytes = text.as_bytes();
            assert_eq!(bytes[0], b'"');
            let mut at = 1;
            while bytes[at] != b'"' {
                if bytes[at] == b'\\' {
                    let valid = match bytes[at + 1] {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => 2,
                        b'u' if bytes[at + 2..at + 6].iter().all(u8::is_ascii_hexdigit) => 6,
                        _ => panic!("invalid escape in {text:?}"),
                    };
                    at += valid;
                } else {
                    at += 1;
                }
            }
            (text[1..at].to_owned(), &text[at + 1..])
        }
    }
}

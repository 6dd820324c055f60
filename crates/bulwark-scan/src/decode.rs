//! The decoding stage: runs of base64, hex and percent-encoding in a text, decoded so
//! that the rules can look inside them (a base64-encoded PEM key in an environment
//! variable is the common case). A finding inside a decoded segment is reported at the
//! encoded segment's place; segments nest up to [`MAX_DEPTH`] encodings deep.
//!
//! It is kept cheap: one pass over the bytes with a lookup table finds the runs, only
//! runs long enough to hold a secret are decoded, and only a decoding that gives text
//! (printable ASCII) is scanned.

use crate::checks::decode_base64_lenient;

/// How many encodings deep a secret is looked for (base64 of base64 of a key is 2).
pub(crate) const MAX_DEPTH: u8 = 3;

/// Shortest base64 run decoded: 18 bytes, shorter than any token the rules know.
const MIN_BASE64: usize = 24;
/// Shortest hex run decoded: 16 bytes.
const MIN_HEX: usize = 32;
/// Shortest decoded text scanned.
const MIN_DECODED: usize = 8;
/// At most this many decoded bytes per text, so that a huge blob of base64 text costs
/// a bounded amount of work.
const MAX_DECODED: usize = 8 << 20;

/// How a segment was encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    Base64,
    Hex,
    Percent,
}

impl Encoding {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Base64 => "base64",
            Self::Hex => "hex",
            Self::Percent => "percent",
        }
    }
}

/// One encoded run of a text and what it decodes to.
#[derive(Debug)]
pub(crate) struct Segment {
    /// Byte range of the encoded run in the text.
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) encoding: Encoding,
    pub(crate) decoded: Vec<u8>,
}

const fn table(chars: &[u8]) -> [bool; 256] {
    let mut table = [false; 256];
    let mut i = 0;
    while i < chars.len() {
        table[chars[i] as usize] = true;
        i += 1;
    }
    table
}

/// Base64 and base64url characters (without padding).
const BASE64: [bool; 256] =
    table(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_");
/// Characters that end a percent-encoded run.
const URL_STOP: [bool; 256] = table(b" \t\r\n\"'`<>()[]{}\\|,;");

/// Every encoded segment of `data` that decodes to text.
pub(crate) fn segments(data: &[u8]) -> Vec<Segment> {
    let mut found = Vec::new();
    let mut budget = MAX_DECODED;
    let mut at = 0;
    let len = data.len();
    while at < len {
        if !BASE64[usize::from(data[at])] {
            at += 1;
            continue;
        }
        let start = at;
        while at < len && BASE64[usize::from(data[at])] {
            at += 1;
        }
        if at - start < MIN_BASE64 {
            continue;
        }
        let mut end = at;
        while end < len && end - at < 2 && data[end] == b'=' {
            end += 1;
        }
        if let Some(segment) = decode_run(data, start, at, end)
            && segment.decoded.len() <= budget
        {
            budget -= segment.decoded.len();
            found.push(segment);
        }
        at = end;
    }
    percent_segments(data, &mut found, &mut budget);
    found
}

/// The run `data[start..run_end]` (plus padding up to `end`) as hex or base64.
fn decode_run(data: &[u8], start: usize, run_end: usize, end: usize) -> Option<Segment> {
    let run = &data[start..run_end];
    let hex = run.iter().all(u8::is_ascii_hexdigit);
    let (encoding, decoded) = if hex {
        if run.len() < MIN_HEX || !run.len().is_multiple_of(2) {
            return None;
        }
        (Encoding::Hex, decode_hex(run)?)
    } else {
        // A length of 4n+1 cannot be base64: the last character belongs to something else.
        let usable = if run.len() % 4 == 1 {
            run.len() - 1
        } else {
            run.len()
        };
        let text = std::str::from_utf8(&data[start..start + usable]).ok()?;
        (Encoding::Base64, decode_base64_lenient(text)?)
    };
    is_text(&decoded).then_some(Segment {
        start,
        end: if hex { run_end } else { end },
        encoding,
        decoded,
    })
}

/// Runs that hold `%XX` escapes, decoded.
fn percent_segments(data: &[u8], found: &mut Vec<Segment>, budget: &mut usize) {
    let mut covered = 0;
    for percent in memchr::memchr_iter(b'%', data) {
        if percent < covered
            || !(data.get(percent + 1).is_some_and(u8::is_ascii_hexdigit)
                && data.get(percent + 2).is_some_and(u8::is_ascii_hexdigit))
        {
            continue;
        }
        let mut start = percent;
        while start > covered && !URL_STOP[usize::from(data[start - 1])] {
            start -= 1;
        }
        let mut end = percent;
        while end < data.len() && !URL_STOP[usize::from(data[end])] {
            end += 1;
        }
        covered = end;
        let decoded: Vec<u8> = percent_encoding::percent_decode(&data[start..end]).collect();
        if decoded.len() <= *budget && is_text(&decoded) {
            *budget -= decoded.len();
            found.push(Segment {
                start,
                end,
                encoding: Encoding::Percent,
                decoded,
            });
        }
    }
}

fn decode_hex(run: &[u8]) -> Option<Vec<u8>> {
    let digit = |b: u8| char::from(b).to_digit(16);
    run.chunks_exact(2)
        .map(|pair| {
            let high = digit(pair[0])?;
            let low = digit(pair[1])?;
            u8::try_from(high * 16 + low).ok()
        })
        .collect()
}

/// Whether `bytes` is text worth scanning: long enough, printable ASCII and whitespace.
fn is_text(bytes: &[u8]) -> bool {
    bytes.len() >= MIN_DECODED
        && bytes
            .iter()
            .all(|&b| (0x20..0x7f).contains(&b) || matches!(b, b'\n' | b'\r' | b'\t'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> (Encoding, String, &str) {
        let found = segments(text.as_bytes());
        assert_eq!(found.len(), 1, "{text}: {found:?}");
        let segment = &found[0];
        (
            segment.encoding,
            String::from_utf8(segment.decoded.clone()).expect("text"),
            &text[segment.start..segment.end],
        )
    }

    #[test]
    fn finds_and_decodes_each_encoding() {
        // "the quick brown fox jumps" in each encoding.
        let (encoding, decoded, span) = one("KEY=dGhlIHF1aWNrIGJyb3duIGZveCBqdW1wcw== # note");
        assert_eq!(encoding, Encoding::Base64);
        assert_eq!(decoded, "the quick brown fox jumps");
        assert_eq!(span, "dGhlIHF1aWNrIGJyb3duIGZveCBqdW1wcw==");
        let (encoding, decoded, _) = one("x 74686520717569636b2062726f776e20666f78 y");
        assert_eq!(
            (encoding, decoded.as_str()),
            (Encoding::Hex, "the quick brown fox")
        );
        let (encoding, decoded, span) = one("url=\"a%3Db%26c%3Dd%20e\" rest");
        assert_eq!(
            (encoding, decoded.as_str()),
            (Encoding::Percent, "a=b&c=d e")
        );
        assert_eq!(span, "a%3Db%26c%3Dd%20e");
    }

    #[test]
    fn binary_short_and_plain_runs_are_left_alone() {
        // A git object id decodes to binary; identifiers are too short or not base64 text.
        assert!(segments(b"commit 4b825dc642cb6eb9a060e54bf8d69288fbee4904").is_empty());
        assert!(segments(b"let some_identifier = other_identifier_name;").is_empty());
        assert!(segments(b"100% sure, 50%% off").is_empty());
        assert!(segments(b"").is_empty());
    }
}

//! Checks a candidate must pass besides its regex: Shannon entropy, the checksums that
//! some token formats carry (GitHub/npm CRC32, age's bech32), the structure others have
//! (a JWT's JSON header, a base64 key's decoded length, a JSON payload), and the filler
//! that placeholders are made of.

use base64::Engine as _;

/// Shannon entropy of `text` in bits per byte, as gitleaks computes it for `entropy`.
#[must_use]
pub fn shannon_entropy(text: &[u8]) -> f64 {
    if text.is_empty() {
        return 0.0;
    }
    let mut counts = [0_u32; 256];
    for &byte in text {
        counts[usize::from(byte)] += 1;
    }
    #[expect(
        clippy::cast_precision_loss,
        reason = "lengths of scanned secrets are far below 2^52"
    )]
    let len = text.len() as f64;
    counts
        .iter()
        .filter(|&&count| count > 0)
        .map(|&count| {
            let p = f64::from(count) / len;
            -p * p.log2()
        })
        .sum()
}

/// CRC-32 (IEEE 802.3, reflected, as zlib computes it), from `crc32fast`.
#[must_use]
pub fn crc32(data: &[u8]) -> u32 {
    crc32fast::hash(data)
}

/// The base62 alphabet GitHub and npm tokens use (digits, upper case, lower case).
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `value` in base62, left-padded with `0` to six digits (a `u32` always fits).
#[must_use]
pub fn base62_6(mut value: u32) -> String {
    let mut digits = [b'0'; 6];
    for slot in digits.iter_mut().rev() {
        *slot = BASE62[(value % 62) as usize];
        value /= 62;
    }
    digits.iter().map(|&b| char::from(b)).collect()
}

/// Whether a GitHub-style token (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`, `npm_`: a
/// four-character prefix, 30 random base62 characters, then the CRC32 of those 30
/// characters in six base62 digits) carries a valid checksum.
#[must_use]
pub fn github_checksum_ok(token: &str) -> bool {
    let bytes = token.as_bytes();
    if bytes.len() != 40 || !bytes[4..].iter().all(u8::is_ascii_alphanumeric) {
        return false;
    }
    let (random, checksum) = (&bytes[4..34], &token[34..]);
    base62_6(crc32(random)) == checksum
}

/// Whether a GitLab routable token (`<prefix><payload>.<version>.<length><crc>`: the
/// payload in base64url without padding, then in base36 a 2-digit version, the payload's
/// length in 2 digits and, in 7, the CRC32 of everything before it) is well formed: the
/// length is the payload's and the CRC32 is right. This is how GitLab's token generator
/// builds them (`Authn::TokenField::Generator::RoutableToken`).
#[must_use]
pub fn gitlab_routable_ok(token: &str) -> bool {
    let Some(head_len) = token.len().checked_sub(7) else {
        return false;
    };
    let (Some(head), Some(crc)) = (token.get(..head_len), token.get(head_len..)) else {
        return false;
    };
    let Some(length) = head.get(head.len().saturating_sub(2)..) else {
        return false;
    };
    let payload = token
        .split_once('-')
        .map_or("", |(_, rest)| rest.split('.').next().unwrap_or(""));
    let base36 = |digits: &str| {
        (digits
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase()))
        .then(|| u64::from_str_radix(digits, 36).ok())
        .flatten()
    };
    base36(length) == Some(payload.len() as u64)
        && base36(crc) == Some(u64::from(crc32(head.as_bytes())))
}

/// Whether `text` is a bech32 string (BIP-173) with a valid checksum, case-insensitive
/// but not mixed-case, as age encodes its `AGE-SECRET-KEY-1…` identities.
#[must_use]
pub fn bech32_ok(text: &str) -> bool {
    bech32::primitives::decode::CheckedHrpstring::new::<bech32::Bech32>(text).is_ok()
}

/// Whether `token` looks like a real JWT: its first segment decodes (base64url) to a
/// JSON object with an `alg` member.
#[must_use]
pub fn jwt_header_ok(token: &str) -> bool {
    let Some(header) = token.split('.').next() else {
        return false;
    };
    let Ok(decoded) =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(header.trim_end_matches('='))
    else {
        return false;
    };
    serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&decoded)
        .is_ok_and(|object| object.contains_key("alg"))
}

/// Decodes base64 in any of its alphabets (standard or URL-safe), padded or not.
#[must_use]
pub(crate) fn decode_base64_lenient(text: &str) -> Option<Vec<u8>> {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    let config = GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true);
    let url_safe = text.bytes().any(|b| b == b'-' || b == b'_');
    let engine = if url_safe {
        GeneralPurpose::new(&base64::alphabet::URL_SAFE, config)
    } else {
        GeneralPurpose::new(&base64::alphabet::STANDARD, config)
    };
    engine.decode(text).ok()
}

/// Whether `text` is standard base64 of exactly `bytes` bytes (Azure's account keys are
/// 64 random bytes, App Configuration secrets 32, Vault unseal key shares 33).
#[must_use]
pub(crate) fn base64_len_ok(text: &str, bytes: usize) -> bool {
    decode_base64_lenient(text).is_some_and(|decoded| decoded.len() == bytes)
}

/// Whether the part of `token` after its first `skip` bytes, up to the next `_`, is base64
/// of a JSON object (holding `key`, unless `key` is empty): Sentry org tokens
/// (`sntrys_<json>_<secret>`) and 1Password service-account tokens (`ops_<json>`).
#[must_use]
pub(crate) fn json_payload_ok(token: &str, skip: usize, key: &str) -> bool {
    let Some(rest) = token.get(skip..) else {
        return false;
    };
    let payload = rest.split('_').next().unwrap_or(rest);
    decode_base64_lenient(payload.trim_end_matches('='))
        .and_then(|decoded| {
            serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&decoded).ok()
        })
        .is_some_and(|object| key.is_empty() || object.contains_key(key))
}

/// Whether the JWT `token`'s payload has the string claim `claim` equal to `value`
/// (Supabase's service-role keys say `"role": "service_role"`).
#[must_use]
pub(crate) fn jwt_claim_ok(token: &str, claim: &str, value: &str) -> bool {
    if !jwt_header_ok(token) {
        return false;
    }
    let Some(payload) = token.split('.').nth(1) else {
        return false;
    };
    decode_base64_lenient(payload.trim_end_matches('='))
        .and_then(|decoded| {
            serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&decoded).ok()
        })
        .is_some_and(|object| object.get(claim).and_then(|v| v.as_str()) == Some(value))
}

/// Whether a Discord bot token's first segment is base64 of the bot's numeric user id.
#[must_use]
pub(crate) fn discord_id_ok(token: &str) -> bool {
    let first = token.split('.').next().unwrap_or_default();
    decode_base64_lenient(first.trim_end_matches('=')).is_some_and(|decoded| {
        (15..=20).contains(&decoded.len()) && decoded.iter().all(u8::is_ascii_digit)
    })
}

/// Whether `secret` is made of filler rather than randomness: a character repeated six
/// times in a row (`XXXXXX`, `000000`), or a run of seven characters each one after the
/// previous (`abcdefg`, `1234567`), as in `AKIAXXXXXXXXXXXXXXXX` or a key typed as the
/// alphabet. A random base62 token holds either with odds below one in ten million.
#[must_use]
pub fn is_filler(secret: &str) -> bool {
    const REPEAT: usize = 6;
    const ASCENDING: usize = 7;
    let bytes = secret.as_bytes();
    let (mut repeat, mut ascending) = (1, 1);
    for pair in bytes.windows(2) {
        let (previous, current) = (pair[0], pair[1]);
        repeat = if current == previous { repeat + 1 } else { 1 };
        ascending = if current.is_ascii_alphanumeric() && current == previous.wrapping_add(1) {
            ascending + 1
        } else {
            1
        };
        if repeat >= REPEAT || ascending >= ASCENDING {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_standard_check_value() {
        // The CRC-32/ISO-HDLC check value of "123456789".
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn base62_pads_to_six_digits() {
        assert_eq!(base62_6(0), "000000");
        assert_eq!(base62_6(61), "00000z");
        assert_eq!(base62_6(62), "000010");
        assert_eq!(base62_6(u32::MAX), "4gfFC3");
    }

    #[test]
    fn github_checksum_accepts_generated_and_rejects_altered_tokens() {
        let random = "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5";
        let token = format!("ghp_{random}{}", base62_6(crc32(random.as_bytes())));
        assert!(github_checksum_ok(&token), "{token}");
        let mut altered = token.clone().into_bytes();
        altered[10] = if altered[10] == b'x' { b'y' } else { b'x' };
        let altered = String::from_utf8(altered).expect("ascii");
        assert!(!github_checksum_ok(&altered));
        assert!(!github_checksum_ok("ghp_short"));
    }

    #[test]
    fn entropy_of_uniform_and_repeated_text() {
        assert!(shannon_entropy(b"aaaaaaaa").abs() < f64::EPSILON);
        assert!((shannon_entropy(b"abcd") - 2.0).abs() < 1e-9);
        assert!(shannon_entropy(b"") == 0.0);
    }

    #[test]
    fn bech32_checks_the_checksum() {
        // BIP-173 test vectors.
        assert!(bech32_ok("A12UEL5L"));
        assert!(bech32_ok("abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw"));
        assert!(!bech32_ok("A12UEL5M"));
        assert!(!bech32_ok("a12UEL5L"), "mixed case");
    }

    #[test]
    fn filler_is_repetition_or_a_run_of_the_alphabet() {
        assert!(is_filler("AKIAXXXXXXXXXXXXXXXX"));
        assert!(is_filler("xoxb-0000000000-0000000000"));
        assert!(is_filler("AIzaSyabcdefghijklmnopqrstuvwxyz1234567"));
        assert!(is_filler("key-1234567aa"));
        assert!(!is_filler("AKIA2E0A8F3B244C9986"));
        assert!(!is_filler("a1b2c3d4e5f6g7h8i9j0"));
    }

    #[test]
    fn base64_lengths_and_json_payloads() {
        assert!(base64_len_ok(
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            32
        ));
        assert!(!base64_len_ok("AAAA", 32));
        // {"iat":1}
        assert!(json_payload_ok("sntrys_eyJpYXQiOjF9_rest", 7, "iat"));
        assert!(!json_payload_ok("sntrys_eyJpYXQiOjF9_rest", 7, "url"));
        assert!(json_payload_ok("ops_eyJpYXQiOjF9", 4, ""));
        assert!(!json_payload_ok("ops_bm90IGpzb24", 4, ""));
        // {"alg":"HS256"} . {"role":"service_role"} . sig
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.c2ln";
        assert!(jwt_claim_ok(jwt, "role", "service_role"));
        assert!(!jwt_claim_ok(jwt, "role", "anon"));
        // base64("123456789012345678") is a Discord id segment.
        assert!(discord_id_ok("MTIzNDU2Nzg5MDEyMzQ1Njc4.abcdef.sig"));
        assert!(!discord_id_ok("bm90IGFuIGlkIGF0IGFsbA.abcdef.sig"));
    }

    #[test]
    fn jwt_header_must_be_json_with_alg() {
        assert!(jwt_header_ok("eyJhbGciOiJIUzI1NiJ9.e30.sig"));
        assert!(!jwt_header_ok("eyJub3QiOiJqd3QifQ.e30.sig"));
        assert!(!jwt_header_ok("eyJ!!!.e30.sig"));
    }
}

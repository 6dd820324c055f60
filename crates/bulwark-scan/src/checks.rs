//! Checks a candidate must pass besides its regex: Shannon entropy, and the checksums
//! that some token formats carry (GitHub/npm CRC32, age's bech32, a JWT's JSON header).

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
    fn jwt_header_must_be_json_with_alg() {
        assert!(jwt_header_ok("eyJhbGciOiJIUzI1NiJ9.e30.sig"));
        assert!(!jwt_header_ok("eyJub3QiOiJqd3QifQ.e30.sig"));
        assert!(!jwt_header_ok("eyJ!!!.e30.sig"));
    }
}

//! Shared by the integration tests: canary generation. Every token is generated at run
//! time from a fixed seed, so no secret-shaped literal sits in the repository.

use bulwark_scan::{base62_6, crc32};

pub(crate) const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
pub(crate) const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";
pub(crate) const DIGITS: &str = "0123456789";
pub(crate) const HEX: &str = "0123456789abcdef";
pub(crate) const BECH32: &str = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

/// A deterministic generator of canary text (xorshift).
pub(crate) struct Canary(u64);

impl Canary {
    pub(crate) fn new(seed: u64) -> Self {
        // Odd and distinct for distinct seeds (xorshift needs a non-zero state).
        Self(seed.wrapping_mul(2).wrapping_add(1))
    }
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub(crate) fn text(&mut self, alphabet: &str, len: usize) -> String {
        let chars: Vec<char> = alphabet.chars().collect();
        (0..len)
            .map(|_| chars[(self.next() % chars.len() as u64) as usize])
            .collect()
    }
    pub(crate) fn alnum(&mut self, len: usize) -> String {
        self.text(&format!("{UPPER}{LOWER}{DIGITS}"), len)
    }
}

/// A GitHub-format token with a valid CRC32 checksum.
pub(crate) fn github_token(prefix: &str, seed: u64) -> String {
    let random = Canary::new(seed).alnum(30);
    format!("{prefix}{random}{}", base62_6(crc32(random.as_bytes())))
}

//! Secret values that never print, and a redactor that scrubs them from text.
//!
//! [`Secret`] holds a value in a zeroizing buffer: it is wiped when dropped, and its
//! `Debug` and `Display` print [`REDACTED`]. The only way to read it is
//! [`Secret::expose`], which makes every use of the plaintext easy to find in review.
//!
//! [`SecretBuf`] builds text that holds values (a request body, a dotenv document) and,
//! unlike a growing `String`, wipes each buffer it outgrows.
//!
//! [`Redactor`] knows a set of values and replaces each of them, and the encoded forms a
//! tool might print them in (base64, base64url, percent-encoding, JSON escapes), in any
//! text before that text reaches a terminal, a log or a report.

mod buf;
mod redactor;

use std::fmt;

use zeroize::Zeroizing;

pub use buf::SecretBuf;
pub use redactor::{Redactor, StrSink, push_dotenv_escaped};

/// What a secret value prints as, everywhere.
pub const REDACTED: &str = "[redacted]";

/// A secret value: zeroized on drop, redacted by `Debug` and `Display`.
///
/// It is deliberately not `Clone`: a copy is one more buffer to wipe. Use
/// [`Secret::duplicate`] where a second owner is truly needed.
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Takes ownership of `value`; its buffer is wiped when the `Secret` is dropped.
    #[must_use]
    pub fn new(value: String) -> Self {
        Self(Zeroizing::new(value))
    }

    /// Takes ownership of UTF-8 bytes without copying them.
    ///
    /// On invalid UTF-8 the bytes are wiped and an error that holds no part of them is
    /// returned.
    pub fn from_utf8(bytes: Vec<u8>) -> Result<Self, NotUtf8> {
        match String::from_utf8(bytes) {
            Ok(value) => Ok(Self::new(value)),
            Err(err) => {
                let valid_up_to = err.utf8_error().valid_up_to();
                drop(Zeroizing::new(err.into_bytes()));
                Err(NotUtf8 { valid_up_to })
            }
        }
    }

    /// The plaintext. Keep the borrow short and never format it into a `String` that
    /// outlives its use.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The plaintext as bytes, for writing to a child's stdin.
    #[must_use]
    pub fn expose_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// Length in bytes; safe to report.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the value is empty; safe to report.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A second zeroizing copy of the value.
    #[must_use]
    pub fn duplicate(&self) -> Self {
        Self::new(self.0.as_str().to_owned())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl PartialEq for Secret {
    /// Compares in time independent of where the first difference is, so a comparison
    /// against a guess cannot be timed.
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (self.expose_bytes(), other.expose_bytes());
        if a.len() != b.len() {
            return false;
        }
        a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

impl Eq for Secret {}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

/// Bytes that should have been a UTF-8 secret were not; says where, never what.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotUtf8 {
    /// Number of leading bytes that were valid UTF-8.
    pub valid_up_to: usize,
}

impl fmt::Display for NotUtf8 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "value is not valid UTF-8 after byte {}",
            self.valid_up_to
        )
    }
}

impl std::error::Error for NotUtf8 {}

#[cfg(test)]
mod tests {
    use super::*;

    const CANARY: &str = "canary-secret-3f9c1e7a-do-not-print";

    #[test]
    fn debug_and_display_never_show_the_value() {
        let secret = Secret::new(CANARY.to_owned());
        let shown = format!("{secret} {secret:?} {secret:#?} {:?}", Some(&secret));
        assert!(!shown.contains(CANARY), "{shown}");
        assert_eq!(shown.matches(REDACTED).count(), 4);
    }

    #[test]
    fn debug_of_a_struct_holding_a_secret_is_redacted() {
        #[derive(Debug)]
        #[expect(dead_code, reason = "only Debug reads the fields")]
        struct Holder {
            name: &'static str,
            value: Secret,
        }
        let holder = Holder {
            name: "API_TOKEN",
            value: Secret::new(CANARY.to_owned()),
        };
        let shown = format!("{holder:?}");
        assert!(shown.contains("API_TOKEN"));
        assert!(!shown.contains(CANARY));
    }

    #[test]
    fn expose_returns_the_value() {
        let secret = Secret::new(CANARY.to_owned());
        assert_eq!(secret.expose(), CANARY);
        assert_eq!(secret.len(), CANARY.len());
        assert!(!secret.is_empty());
        assert_eq!(secret.duplicate(), secret);
        assert_ne!(secret, Secret::new("other".to_owned()));
    }

    #[test]
    fn invalid_utf8_error_holds_no_bytes() {
        let mut bytes = CANARY.as_bytes().to_vec();
        bytes.push(0xff);
        let err = Secret::from_utf8(bytes).expect_err("0xff is not UTF-8");
        assert_eq!(err.valid_up_to, CANARY.len());
        assert!(!err.to_string().contains(CANARY));
    }
}

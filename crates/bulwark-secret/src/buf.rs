//! [`SecretBuf`]: text that holds secret values and is built piece by piece.

use std::fmt;
use std::ops::Deref;

use zeroize::{Zeroize, Zeroizing};

use crate::{REDACTED, Secret};

/// A growable text buffer for secret material (a request body, a dotenv document) that
/// never leaves an unwiped copy behind.
///
/// A `String` that grows past its capacity moves its bytes to a larger allocation and
/// frees the old one as it is, so a `Zeroizing<String>` built with `push` wipes only
/// its last allocation. A `SecretBuf` grows on its own instead: it allocates the larger
/// buffer, copies the text over and wipes the old buffer before freeing it. It is
/// wiped on drop, and its `Debug` prints [`REDACTED`].
///
/// Reserve what you know up front ([`SecretBuf::with_capacity`]): every growth is one
/// more copy, even if a wiped one.
#[derive(Default)]
pub struct SecretBuf {
    /// Valid UTF-8: only `str`s and `char`s are ever appended.
    bytes: Zeroizing<Vec<u8>>,
}

impl SecretBuf {
    /// An empty buffer that allocates nothing yet.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty buffer with room for exactly `capacity` bytes.
    #[must_use]
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            bytes: Zeroizing::new(Vec::with_capacity(capacity)),
        }
    }

    /// Appends `text`, growing (and wiping the old buffer) if it does not fit.
    pub fn push_str(&mut self, text: &str) {
        self.reserve(text.len());
        self.bytes.extend_from_slice(text.as_bytes());
    }

    /// Appends `ch`, growing (and wiping the old buffer) if it does not fit.
    pub fn push(&mut self, ch: char) {
        self.push_str(ch.encode_utf8(&mut [0; 4]));
    }

    /// Makes room for at least `additional` more bytes. When the buffer must grow, the
    /// text moves to a new buffer (twice the old capacity, or more if needed) and the old
    /// one is wiped before it is freed.
    ///
    /// # Panics
    ///
    /// If the new capacity overflows `usize`, as `String::reserve` does.
    pub fn reserve(&mut self, additional: usize) {
        let needed = self
            .bytes
            .len()
            .checked_add(additional)
            .expect("capacity overflow");
        if needed > self.bytes.capacity() {
            drop(self.regrow(needed.max(self.bytes.capacity().saturating_mul(2))));
        }
    }

    /// Moves the text into a new buffer of `capacity` bytes and returns the old buffer,
    /// already wiped, for the caller to free.
    fn regrow(&mut self, capacity: usize) -> Vec<u8> {
        let mut grown = Vec::with_capacity(capacity);
        grown.extend_from_slice(&self.bytes);
        let mut old = std::mem::replace(&mut *self.bytes, grown);
        // The length stays, so that a test can see the zeros; the spare capacity was
        // never written, but costs nothing to wipe.
        old.as_mut_slice().zeroize();
        old.spare_capacity_mut().zeroize();
        old
    }

    /// How many bytes fit before the buffer must grow; safe to report.
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.bytes.capacity()
    }

    /// The text, as [`Secret::expose`] gives it: keep the borrow short.
    #[must_use]
    pub fn expose(&self) -> &str {
        std::str::from_utf8(&self.bytes).expect("only UTF-8 text is ever appended")
    }

    /// The text as bytes, for writing to a child's stdin or a file.
    #[must_use]
    pub fn expose_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The text as a [`Secret`], moved, not copied.
    #[must_use]
    pub fn into_secret(mut self) -> Secret {
        let bytes = std::mem::take(&mut *self.bytes);
        Secret::from_utf8(bytes).expect("only UTF-8 text is ever appended")
    }
}

impl From<String> for SecretBuf {
    /// Takes ownership of `text` without copying it; it is wiped like the rest.
    fn from(text: String) -> Self {
        Self {
            bytes: Zeroizing::new(text.into_bytes()),
        }
    }
}

impl Deref for SecretBuf {
    type Target = str;

    /// The text; see [`SecretBuf::expose`].
    fn deref(&self) -> &str {
        self.expose()
    }
}

impl fmt::Write for SecretBuf {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        self.push_str(text);
        Ok(())
    }
}

impl fmt::Debug for SecretBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::*;

    const CANARY: &str = "canary-buf-6d1f0b93";

    #[test]
    fn reserves_exactly_and_grows_only_past_capacity() {
        let mut buf = SecretBuf::with_capacity(CANARY.len());
        assert_eq!(buf.capacity(), CANARY.len());
        buf.push_str(CANARY);
        assert_eq!(buf.capacity(), CANARY.len(), "a fitting push does not grow");
        buf.push('é');
        assert_eq!(buf.capacity(), 2 * CANARY.len(), "growth doubles");
        buf.push_str(&"x".repeat(100));
        assert_eq!(
            buf.capacity(),
            CANARY.len() + 2 + 100,
            "or takes what is needed"
        );
        assert_eq!(buf.expose(), format!("{CANARY}é{}", "x".repeat(100)));
        let mut small = SecretBuf::new();
        small.push('a');
        assert_eq!(
            small.capacity(),
            1,
            "its own growth: a Vec would round up to 8"
        );
    }

    #[test]
    fn growth_wipes_the_old_buffer() {
        let mut buf = SecretBuf::with_capacity(CANARY.len());
        buf.push_str(CANARY);
        let old = buf.regrow(64);
        assert_eq!(old.len(), CANARY.len());
        assert!(old.iter().all(|&b| b == 0), "{old:?}");
        assert_eq!(buf.expose(), CANARY);
        assert_eq!(buf.capacity(), 64);
    }

    #[test]
    fn writes_formats_and_converts_without_showing_the_value() {
        let mut buf = SecretBuf::new();
        assert_eq!(buf.capacity(), 0);
        write!(buf, "{CANARY}\\u{:04x}", 1).expect("writing to memory");
        assert_eq!(&*buf, format!("{CANARY}\\u0001"));
        assert_eq!(buf.expose_bytes(), buf.expose().as_bytes());
        assert_eq!(format!("{buf:?}"), REDACTED);
        let secret = buf.into_secret();
        assert_eq!(SecretBuf::from(CANARY.to_owned()).expose(), CANARY);
        assert_eq!(secret.expose(), format!("{CANARY}\\u0001"));
    }
}

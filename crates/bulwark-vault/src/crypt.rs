//! Streaming age encryption and decryption.

use std::fmt;
use std::io::{self, BufRead, BufReader, Read, Write};

use zeroize::Zeroizing;

use crate::{Identities, Recipient, VaultError};

/// Whether to write binary age or ASCII armor (`-----BEGIN AGE ENCRYPTED FILE-----`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Armor {
    /// Binary, as `age -e` writes it (backups).
    Binary,
    /// ASCII armored, as `age -e -a` writes it (stores kept in git).
    Armored,
}

enum Sink<W: Write> {
    Binary(age::stream::StreamWriter<W>),
    Armored(age::stream::StreamWriter<age::armor::ArmoredWriter<W>>),
}

/// A writer that encrypts what it is given. Call [`EncryptWriter::finish`]: without it the
/// file is truncated and will not decrypt.
pub struct EncryptWriter<W: Write> {
    sink: Sink<W>,
}

impl<W: Write> fmt::Debug for EncryptWriter<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EncryptWriter")
    }
}

impl<W: Write> Write for EncryptWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.sink {
            Sink::Binary(w) => w.write(buf),
            Sink::Armored(w) => w.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match &mut self.sink {
            Sink::Binary(w) => w.write_all(buf),
            Sink::Armored(w) => w.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.sink {
            Sink::Binary(w) => w.flush(),
            Sink::Armored(w) => w.flush(),
        }
    }
}

impl<W: Write> EncryptWriter<W> {
    /// Writes the last chunk (and the armor's end line) and returns the output.
    pub fn finish(self) -> Result<W, VaultError> {
        let io = |source| VaultError::Io {
            action: "finish the encrypted stream",
            source,
        };
        match self.sink {
            Sink::Binary(w) => w.finish().map_err(io),
            Sink::Armored(w) => w
                .finish()
                .and_then(age::armor::ArmoredWriter::finish)
                .map_err(io),
        }
    }
}

/// Starts an age file for `recipients` on `output`. Fails closed: no recipient, no file.
pub fn encrypt_to<W: Write>(
    recipients: &[Recipient],
    armor: Armor,
    output: W,
) -> Result<EncryptWriter<W>, VaultError> {
    if recipients.is_empty() {
        return Err(VaultError::NoRecipients);
    }
    let encryptor = age::Encryptor::with_recipients(recipients.iter().map(Recipient::as_age))
        .map_err(|source| VaultError::Encrypt { source })?;
    let io = |source| VaultError::Io {
        action: "write the age header",
        source,
    };
    let sink = match armor {
        Armor::Binary => Sink::Binary(encryptor.wrap_output(output).map_err(io)?),
        Armor::Armored => {
            let armored =
                age::armor::ArmoredWriter::wrap_output(output, age::armor::Format::AsciiArmor)
                    .map_err(io)?;
            Sink::Armored(encryptor.wrap_output(armored).map_err(io)?)
        }
    };
    Ok(EncryptWriter { sink })
}

/// A reader of the plaintext of an age file. Corruption or truncation of the payload
/// surfaces as an [`io::Error`] from `read` (age authenticates every 64 KiB chunk and the
/// end of the stream).
pub struct DecryptReader<R: Read> {
    inner: age::stream::StreamReader<age::armor::ArmoredReader<BufReader<R>>>,
}

impl<R: Read> fmt::Debug for DecryptReader<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DecryptReader")
    }
}

impl<R: Read> Read for DecryptReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf)
    }
}

/// Opens an age file (binary or armored, detected) with `identities`.
pub fn decrypt_from<R: Read>(
    identities: &Identities,
    input: R,
) -> Result<DecryptReader<R>, VaultError> {
    let reader = age::armor::ArmoredReader::new(input);
    decrypt_buffered(identities, reader).map(|inner| DecryptReader { inner })
}

fn decrypt_buffered<R: BufRead>(
    identities: &Identities,
    reader: R,
) -> Result<age::stream::StreamReader<R>, VaultError> {
    let decryptor =
        age::Decryptor::new_buffered(reader).map_err(|source| VaultError::Decrypt { source })?;
    decryptor
        .decrypt(identities.as_age())
        .map_err(|source| match source {
            age::DecryptError::NoMatchingKeys => VaultError::WrongIdentity {
                origin: identities.source().to_string(),
            },
            source => VaultError::Decrypt { source },
        })
}

/// Encrypts a small plaintext in memory.
pub fn encrypt_bytes(
    recipients: &[Recipient],
    armor: Armor,
    plaintext: &[u8],
) -> Result<Vec<u8>, VaultError> {
    let mut writer = encrypt_to(recipients, armor, Vec::new())?;
    writer
        .write_all(plaintext)
        .map_err(|source| VaultError::Io {
            action: "encrypt",
            source,
        })?;
    writer.finish()
}

/// Decrypts a small age file in memory into a zeroizing buffer.
pub fn decrypt_bytes(
    identities: &Identities,
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, VaultError> {
    let mut reader = decrypt_from(identities, ciphertext)?;
    let mut plaintext = Zeroizing::new(Vec::new());
    // The input is in memory, so a read can only fail on the file's own bytes (a chunk or
    // the armor that does not authenticate), never on the OS.
    reader
        .read_to_end(&mut plaintext)
        .map_err(|source| VaultError::Corrupt { source })?;
    Ok(plaintext)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Identity, IdentitySource};

    #[test]
    fn round_trips_binary_and_armored() {
        let identity = Identity::generate();
        let recipients = vec![identity.recipient().clone()];
        let identities = Identities::from_identities(vec![identity], IdentitySource::Memory);
        for armor in [Armor::Binary, Armor::Armored] {
            let sealed = encrypt_bytes(&recipients, armor, b"hello").expect("encrypts");
            assert_eq!(
                sealed.starts_with(b"-----BEGIN AGE ENCRYPTED FILE-----"),
                armor == Armor::Armored
            );
            let plain = decrypt_bytes(&identities, &sealed).expect("decrypts");
            assert_eq!(plain.as_slice(), b"hello");
        }
    }

    #[test]
    fn fails_closed_and_reports_wrong_keys_and_corruption() {
        assert!(matches!(
            encrypt_bytes(&[], Armor::Binary, b"x"),
            Err(VaultError::NoRecipients)
        ));
        let sealed = encrypt_bytes(
            &[Identity::generate().recipient().clone()],
            Armor::Binary,
            b"x",
        )
        .expect("encrypts");
        let other = Identities::from_identities(vec![Identity::generate()], IdentitySource::Memory);
        assert!(matches!(
            decrypt_bytes(&other, &sealed),
            Err(VaultError::WrongIdentity { .. })
        ));
        assert!(matches!(
            decrypt_bytes(&other, b"not age"),
            Err(VaultError::Decrypt { .. })
        ));
    }

    /// A store cut short, with a flipped byte or with bytes appended is bad input (exit 2,
    /// as docs/exit-codes.md says for a corrupted file), whether age notices in the header
    /// or only in the payload.
    #[test]
    fn every_damaged_file_is_bad_input_not_an_operational_failure() {
        use bulwark_core::{Exit, Failure};
        let identity = Identity::generate();
        let recipients = vec![identity.recipient().clone()];
        let identities = Identities::from_identities(vec![identity], IdentitySource::Memory);
        let plaintext = vec![b'x'; 70_000];
        for armor in [Armor::Binary, Armor::Armored] {
            let sealed = encrypt_bytes(&recipients, armor, &plaintext).expect("encrypts");
            let mut damaged = Vec::new();
            for cut in [
                1,
                10,
                100,
                sealed.len() / 2,
                sealed.len() - 30,
                sealed.len() - 1,
            ] {
                damaged.push(sealed[..cut].to_vec());
            }
            for at in [5, 40, sealed.len() / 2, sealed.len() - 40, sealed.len() - 2] {
                let mut flipped = sealed.clone();
                flipped[at] ^= 0x01;
                damaged.push(flipped);
            }
            for tail in [&b"x"[..], b"\n\n", &[0u8; 17]] {
                let mut extended = sealed.clone();
                extended.extend_from_slice(tail);
                damaged.push(extended);
            }
            for bytes in &damaged {
                // A flip inside armor whitespace or a trailing newline may still decrypt.
                if let Err(err) = decrypt_bytes(&identities, bytes) {
                    assert_eq!(
                        err.exit(),
                        Exit::Usage,
                        "{armor:?}, {} bytes: {err}",
                        bytes.len()
                    );
                }
            }
        }
    }
}

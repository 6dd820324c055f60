//! The byte pipeline: plaintext → zstd (multithreaded) → age → file, hashing both ends; and
//! back: file → age → zstd → plaintext. The format is nothing of our own: `age -d | zstd -d`
//! undoes it.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::Path;

use bulwark_core::Progress;
use bulwark_vault::{Armor, Identities, Recipient, VaultError, decrypt_from, encrypt_to};
use sha2::{Digest as _, Sha256};

use crate::BackupError;
use crate::layout::{Digest, hex};

/// zstd level: 3 is zstd's default, fast with a good ratio for database pages.
const LEVEL: i32 = 3;
const CHUNK: usize = 1 << 20;

/// A writer that hashes and counts what passes through.
struct Hashing<W> {
    inner: W,
    hasher: Sha256,
    size: u64,
}

impl<W: Write> Hashing<W> {
    fn new(inner: W) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
            size: 0,
        }
    }

    fn finish(self) -> (W, Digest) {
        let digest = Digest {
            size: self.size,
            sha256: hex(&self.hasher.finalize()),
        };
        (self.inner, digest)
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

fn workers() -> u32 {
    std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .clamp(1, 8)
        .try_into()
        .unwrap_or(1)
}

/// Compresses `input` into `sink`, hashing the plaintext on the way.
fn compress<W: Write>(
    input: &mut dyn Read,
    sink: W,
    progress: &dyn Progress,
) -> io::Result<(W, Digest)> {
    let mut encoder = zstd::stream::write::Encoder::new(sink, LEVEL)?;
    encoder.include_checksum(true)?;
    let workers = workers();
    if workers > 1 {
        encoder.multithread(workers)?;
    }
    let mut plain = Hashing::new(encoder);
    let mut buf = vec![0; CHUNK];
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        };
        plain.write_all(&buf[..n])?;
        progress.advance(n as u64);
    }
    let (encoder, digest) = plain.finish();
    Ok((encoder.finish()?, digest))
}

/// Writes `input`, compressed and (with `recipients`) encrypted, to `output`. Returns the
/// plaintext's and the written file's digests. The caller syncs and renames the file.
pub(crate) fn seal(
    input: &mut dyn Read,
    output: &File,
    output_path: &Path,
    recipients: Option<&[Recipient]>,
    progress: &dyn Progress,
) -> Result<(Digest, Digest), BackupError> {
    let io_err = BackupError::io("write", output_path);
    let sink = Hashing::new(BufWriter::with_capacity(CHUNK, output));
    let (sink, plain) = match recipients {
        Some(recipients) => {
            let encrypted = encrypt_to(recipients, Armor::Binary, sink)?;
            let (encrypted, plain) = compress(input, encrypted, progress).map_err(io_err)?;
            (encrypted.finish()?, plain)
        }
        None => compress(input, sink, progress).map_err(io_err)?,
    };
    let (mut file, sealed) = sink.finish();
    file.flush()
        .map_err(BackupError::io("write", output_path))?;
    Ok((plain, sealed))
}

/// Size and SHA-256 of a file.
pub(crate) fn digest_file(path: &Path) -> Result<Digest, BackupError> {
    let mut file = File::open(path).map_err(|source| BackupError::Input {
        path: path.to_owned(),
        source,
    })?;
    let mut hashing = Hashing::new(io::sink());
    io::copy(&mut file, &mut hashing).map_err(BackupError::io("read", path))?;
    Ok(hashing.finish().1)
}

/// Decrypts (with `identities`, for a `.age` file) and decompresses `backup` into `out`.
/// Returns the plaintext digest. A corrupt or truncated stream is
/// [`BackupError::Unrestorable`]; a key that does not fit is a [`VaultError`].
pub(crate) fn open(
    backup: &Path,
    identities: Option<&Identities>,
    out: &mut dyn Write,
    out_path: &Path,
    progress: &dyn Progress,
) -> Result<Digest, BackupError> {
    let unrestorable = |reason: String| BackupError::Unrestorable {
        path: backup.to_owned(),
        reason,
    };
    let file = File::open(backup).map_err(|source| BackupError::Input {
        path: backup.to_owned(),
        source,
    })?;
    let reader: Box<dyn Read> = match identities {
        Some(identities) => match decrypt_from(identities, file) {
            Ok(reader) => Box::new(reader),
            Err(VaultError::Decrypt { source }) => {
                return Err(unrestorable(format!("not a valid age file: {source}")));
            }
            Err(err) => return Err(err.into()),
        },
        None => Box::new(file),
    };
    let mut decoder = zstd::stream::read::Decoder::new(reader)
        .map_err(|err| unrestorable(format!("zstd: {err}")))?;
    let mut plain = Hashing::new(out);
    let mut buf = vec![0; CHUNK];
    loop {
        let n = match decoder.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => {
                return Err(unrestorable(format!(
                    "the stream is corrupted or truncated: {err}"
                )));
            }
        };
        plain
            .write_all(&buf[..n])
            .map_err(BackupError::io("write", out_path))?;
        progress.advance(n as u64);
    }
    let (out, digest) = plain.finish();
    out.flush().map_err(BackupError::io("write", out_path))?;
    Ok(digest)
}

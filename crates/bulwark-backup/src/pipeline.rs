//! The byte pipeline: plaintext → zstd (multithreaded) → age → file, hashing both ends; and
//! back: file → age → zstd → plaintext. The format is nothing of our own: `age -d | zstd -d`
//! undoes it. After the zstd frame comes a zstd *skippable* frame (which `zstd -d` skips)
//! holding the manifest's copy ([`trailer_frame`]), so the encryption authenticates it.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::Path;
use std::sync::mpsc::{SyncSender, sync_channel};

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

/// Bytes written between two `fdatasync`s of a backup being written: the disk works while
/// zstd compresses, instead of all at the end when the file is synced before its rename.
const SYNC_EVERY: u64 = 32 << 20;

/// Writes to a file and syncs its data every [`SYNC_EVERY`] bytes.
struct SyncEvery<'a> {
    file: &'a File,
    since_sync: u64,
}

impl Write for SyncEvery<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = (&mut &*self.file).write(buf)?;
        self.since_sync += n as u64;
        if self.since_sync >= SYNC_EVERY {
            self.file.sync_data()?;
            self.since_sync = 0;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A writer that ships its bytes, in `CHUNK`-sized buffers, to another thread.
struct ChannelWriter {
    tx: SyncSender<Vec<u8>>,
    buf: Vec<u8>,
}

impl ChannelWriter {
    fn ship(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let full = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK));
        self.tx
            .send(full)
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the output thread stopped"))
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let room = CHUNK - self.buf.len();
        let n = data.len().min(room);
        self.buf.extend_from_slice(&data[..n]);
        if self.buf.len() >= CHUNK {
            self.ship()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.ship()
    }
}

/// Magic number of the skippable frame that carries the manifest's copy (zstd reserves
/// 0x184D2A50..=0x184D2A5F for frames decoders skip).
const TRAILER_MAGIC: u32 = 0x184D_2A5B;
/// The last bytes of the trailer frame.
const TRAILER_MARK: &[u8; 8] = b"DBBKMANI";

/// The skippable frame holding `copy`: magic, frame size, `copy`, its length, a mark.
pub(crate) fn trailer_frame(copy: &[u8]) -> Vec<u8> {
    let len = u32::try_from(copy.len()).unwrap_or(u32::MAX);
    let mut frame = Vec::with_capacity(copy.len() + 20);
    frame.extend_from_slice(&TRAILER_MAGIC.to_le_bytes());
    frame.extend_from_slice(&len.saturating_add(12).to_le_bytes());
    frame.extend_from_slice(copy);
    frame.extend_from_slice(&len.to_le_bytes());
    frame.extend_from_slice(TRAILER_MARK);
    frame
}

/// The manifest copy at the very end of a decrypted stream's `tail`, if there is one.
fn parse_trailer(tail: &[u8]) -> Option<Vec<u8>> {
    let body = tail.strip_suffix(TRAILER_MARK.as_slice())?;
    let (body, len) = body.split_at_checked(body.len().checked_sub(4)?)?;
    let len = usize::try_from(u32::from_le_bytes(len.try_into().ok()?)).ok()?;
    let (head, copy) = body.split_at_checked(body.len().checked_sub(len)?)?;
    let header = head.get(head.len().checked_sub(8)?..)?;
    let expected = [
        TRAILER_MAGIC.to_le_bytes(),
        u32::try_from(len + 12).ok()?.to_le_bytes(),
    ]
    .concat();
    (header == expected.as_slice()).then(|| copy.to_vec())
}

/// A reader that keeps the last `keep` bytes it passed on.
struct TailCapture<R> {
    inner: R,
    tail: Vec<u8>,
    keep: usize,
}

impl<R: Read> Read for TailCapture<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.tail.extend_from_slice(&buf[..n]);
        if self.tail.len() > 2 * self.keep {
            let cut = self.tail.len() - self.keep;
            self.tail.drain(..cut);
        }
        Ok(n)
    }
}

impl<R> TailCapture<R> {
    fn tail(&self) -> &[u8] {
        let start = self.tail.len().saturating_sub(self.keep);
        &self.tail[start..]
    }
}

/// Reads `input` to its end in `CHUNK`s, hashing it, and sends the chunks to `tx`.
fn read_and_hash(mut input: impl Read, tx: &SyncSender<Vec<u8>>) -> io::Result<Digest> {
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    loop {
        if crate::interrupt::is_set() {
            return Err(io::Error::other("interrupted by a signal"));
        }
        let mut buf = vec![0; CHUNK];
        let mut filled = 0;
        while filled < CHUNK {
            match input.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(err),
            }
        }
        if filled == 0 {
            break;
        }
        buf.truncate(filled);
        hasher.update(&buf);
        size += filled as u64;
        if tx.send(buf).is_err() {
            break; // the compressor stopped; its error is the one to report
        }
    }
    Ok(Digest {
        size,
        sha256: hex(&hasher.finalize()),
    })
}

/// Compresses `input` into `sink` on three kinds of threads, so that each stage runs on
/// its own core as a shell pipeline would: one reads and hashes the plaintext, zstd's
/// workers compress (this thread feeds them), one encrypts, hashes and writes the output.
/// After the zstd frame, `trailer` (given the plaintext's digest) adds the bytes of the
/// manifest's frame.
fn compress<W: Write + Send>(
    input: impl Read + Send,
    sink: W,
    progress: &dyn Progress,
    trailer: impl FnOnce(&Digest) -> io::Result<Vec<u8>>,
) -> io::Result<(W, Digest)> {
    std::thread::scope(|scope| {
        let (in_tx, in_rx) = sync_channel::<Vec<u8>>(4);
        // Room for the compressed output of a few zstd jobs while the writer syncs.
        let (out_tx, out_rx) = sync_channel::<Vec<u8>>(32);
        let reader = scope.spawn(move || read_and_hash(input, &in_tx));
        let mut read = None;
        let writer = scope.spawn(move || -> io::Result<W> {
            let mut sink = sink;
            for chunk in out_rx {
                sink.write_all(&chunk)?;
            }
            Ok(sink)
        });
        let compressed = (|| -> io::Result<()> {
            let channel = ChannelWriter {
                tx: out_tx,
                buf: Vec::with_capacity(CHUNK),
            };
            let mut encoder = zstd::stream::write::Encoder::new(channel, LEVEL)?;
            encoder.include_checksum(true)?;
            let workers = workers();
            if workers > 1 {
                encoder.multithread(workers)?;
            }
            for chunk in &in_rx {
                encoder.write_all(&chunk)?;
                progress.advance(chunk.len() as u64);
            }
            let mut channel = encoder.finish()?;
            let digest = reader
                .join()
                .map_err(|_| io::Error::other("the reader thread panicked"))??;
            channel.write_all(&trailer(&digest)?)?;
            read = Some(digest);
            channel.flush()
        })();
        drop(in_rx);
        let written = writer
            .join()
            .map_err(|_| io::Error::other("the writer thread panicked"))?;
        // The first real cause wins: a failed write shows up upstream as a broken pipe.
        let sink = written?;
        compressed?;
        let read = read.ok_or_else(|| io::Error::other("the reader thread stopped"))?;
        Ok((sink, read))
    })
}

/// Writes `input`, compressed and (with `recipients`) encrypted, to `output`, followed by
/// the frame of the manifest copy that `copy` makes once the plaintext's digest is known.
/// Returns the plaintext's and the written file's digests. The caller syncs and renames
/// the file.
pub(crate) fn seal(
    input: impl Read + Send,
    output: &File,
    output_path: &Path,
    recipients: Option<&[Recipient]>,
    progress: &dyn Progress,
    copy: impl FnOnce(&Digest) -> Result<Vec<u8>, BackupError>,
) -> Result<(Digest, Digest), BackupError> {
    let mut failed = None;
    let trailer = |digest: &Digest| match copy(digest) {
        Ok(bytes) => Ok(trailer_frame(&bytes)),
        Err(err) => {
            failed = Some(err);
            Err(io::Error::other("the manifest could not be made"))
        }
    };
    let sealed = seal_with(input, output, output_path, recipients, progress, trailer);
    match (failed, sealed) {
        (Some(err), _) | (None, Err(err)) => Err(crate::interrupt::or_interrupted(err)),
        (None, Ok(digests)) => Ok(digests),
    }
}

fn seal_with(
    input: impl Read + Send,
    output: &File,
    output_path: &Path,
    recipients: Option<&[Recipient]>,
    progress: &dyn Progress,
    trailer: impl FnOnce(&Digest) -> io::Result<Vec<u8>>,
) -> Result<(Digest, Digest), BackupError> {
    let io_err = BackupError::io("write", output_path);
    let sink = Hashing::new(BufWriter::with_capacity(
        CHUNK,
        SyncEvery {
            file: output,
            since_sync: 0,
        },
    ));
    let (sink, plain) = match recipients {
        Some(recipients) => {
            let encrypted = encrypt_to(recipients, Armor::Binary, sink)?;
            let (encrypted, plain) =
                compress(input, encrypted, progress, trailer).map_err(io_err)?;
            (encrypted.finish()?, plain)
        }
        None => compress(input, sink, progress, trailer).map_err(io_err)?,
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

/// What [`open`] read.
pub(crate) struct Opened {
    /// The plaintext's size and SHA-256.
    pub(crate) digest: Digest,
    /// The manifest copy at the end of the payload (`None` in a backup of db-backup 0.x).
    pub(crate) copy: Option<Vec<u8>>,
}

/// Decrypts (with `identities`, for a `.age` file) and decompresses `backup` into `out`,
/// stopping once more than `limit` bytes (the manifest's size) come out. Returns the
/// plaintext digest and the manifest copy. A corrupt or truncated stream is
/// [`BackupError::Unrestorable`]; a key that does not fit is a [`VaultError`].
pub(crate) fn open(
    backup: &Path,
    identities: Option<&Identities>,
    out: &mut dyn Write,
    out_path: &Path,
    limit: Option<u64>,
    progress: &dyn Progress,
) -> Result<Opened, BackupError> {
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
    let capture = TailCapture {
        inner: reader,
        tail: Vec::new(),
        keep: crate::layout::MANIFEST_MAX + 32,
    };
    let mut decoder = zstd::stream::read::Decoder::new(capture)
        .map_err(|err| unrestorable(format!("zstd: {err}")))?;
    let mut plain = Hashing::new(out);
    let mut buf = vec![0; CHUNK];
    loop {
        crate::interrupt::check()?;
        let n = match decoder.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => {
                crate::interrupt::check()?;
                return Err(unrestorable(format!(
                    "the stream is corrupted or truncated: {err}"
                )));
            }
        };
        if let Some(limit) = limit
            && plain.size + n as u64 > limit
        {
            return Err(unrestorable(format!(
                "it decompresses to more than the {limit} bytes its manifest gives: stopped there"
            )));
        }
        plain
            .write_all(&buf[..n])
            .map_err(BackupError::io("write", out_path))?;
        progress.advance(n as u64);
    }
    // Whatever the decoder left unread must still pass through (and be authenticated).
    let mut rest = decoder.finish();
    io::copy(&mut rest, &mut io::sink())
        .map_err(|err| unrestorable(format!("the stream is corrupted or truncated: {err}")))?;
    let copy = parse_trailer(rest.get_ref().tail());
    let (out, digest) = plain.finish();
    out.flush().map_err(BackupError::io("write", out_path))?;
    Ok(Opened { digest, copy })
}

//! Files that appear under their final name only when complete.
//!
//! [`AtomicFile`] is a temp file in the target's directory (mode 0600, so a secret never
//! sits in a readable file), written, fsynced, renamed over the target, and followed by an
//! fsync of the directory so the rename survives a crash. Dropped before
//! [`AtomicFile::commit`], or when a step fails, it removes the temp file. [`write_atomic`]
//! does the whole sequence for bytes already in memory.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Default name prefix of the temp files.
const TEMP_PREFIX: &str = ".bulwark-";

/// A file being written to a temp name next to its final `path`.
#[derive(Debug)]
pub struct AtomicFile {
    temp: tempfile::NamedTempFile,
    path: PathBuf,
}

impl AtomicFile {
    /// Creates the temp file (mode 0600) in `path`'s directory.
    pub fn new(path: &Path) -> io::Result<Self> {
        Self::with_prefix(path, TEMP_PREFIX)
    }

    /// Like [`AtomicFile::new`], with the temp file's name starting with `prefix`, for
    /// callers that recognise their own leftovers by name.
    pub fn with_prefix(path: &Path, prefix: &str) -> io::Result<Self> {
        let temp = tempfile::Builder::new()
            .prefix(prefix)
            .suffix(".tmp")
            .tempfile_in(parent_dir(path))?;
        Ok(Self {
            temp,
            path: path.to_owned(),
        })
    }

    /// The open temp file, to write or read back.
    #[must_use]
    pub fn as_file(&self) -> &File {
        self.temp.as_file()
    }

    /// The temp file's current name.
    #[must_use]
    pub fn temp_path(&self) -> &Path {
        self.temp.path()
    }

    /// The name the file gets on [`AtomicFile::commit`].
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Sets the permission bits the file will have (0600 until then); no-op off Unix.
    pub fn set_mode(&self, mode: u32) -> io::Result<()> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            self.as_file()
                .set_permissions(std::fs::Permissions::from_mode(mode))
        }
        #[cfg(not(unix))]
        {
            let _ = mode;
            Ok(())
        }
    }

    /// fsyncs the file, renames it over its final name and fsyncs the directory.
    pub fn commit(self) -> io::Result<()> {
        self.finish(true)
    }

    /// Like [`AtomicFile::commit`], but an existing file at the final name is never
    /// replaced: the error is then [`io::ErrorKind::AlreadyExists`], checked atomically.
    pub fn commit_new(self) -> io::Result<()> {
        self.finish(false)
    }

    fn finish(self, replace: bool) -> io::Result<()> {
        self.temp.as_file().sync_all()?;
        let Self { temp, path } = self;
        // On failure the temp file comes back in the error and is removed when it drops.
        if replace {
            temp.persist(&path).map_err(|err| err.error)?;
        } else {
            temp.persist_noclobber(&path).map_err(|err| err.error)?;
        }
        sync_dir(parent_dir(&path))
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.temp.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.temp.flush()
    }
}

/// Writes `bytes` to `path` so that readers see the old file or the new one, never a
/// part; the new file has mode 0600.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = AtomicFile::new(path)?;
    file.write_all(bytes)?;
    file.commit()
}

/// fsyncs a directory, so that a rename or an unlink in it survives a crash.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    File::open(dir)?.sync_all()
}

/// The directory `path` is in (`.` for a bare file name).
fn parent_dir(path: &Path) -> &Path {
    path.parent()
        .filter(|dir| !dir.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("read dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::metadata(path)
            .expect("metadata")
            .permissions()
            .mode()
            & 0o777
    }

    #[test]
    fn writes_the_content_private_and_replaces_the_old_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("out.txt");
        write_atomic(&path, b"first").expect("write");
        write_atomic(&path, b"second").expect("replace");
        assert_eq!(std::fs::read(&path).expect("read"), b"second");
        #[cfg(unix)]
        assert_eq!(mode(&path), 0o600);
        assert_eq!(entries(dir.path()), ["out.txt"], "no temp file left");
    }

    #[cfg(unix)]
    #[test]
    fn set_mode_applies_to_the_final_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("hook");
        let mut file = AtomicFile::new(&path).expect("create");
        file.write_all(b"#!/bin/sh\n").expect("write");
        file.set_mode(0o755).expect("chmod");
        file.commit().expect("commit");
        assert_eq!(mode(&path), 0o755);
    }

    #[test]
    fn commit_new_never_replaces_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("backup");
        std::fs::write(&path, b"old").expect("write");
        let mut file = AtomicFile::with_prefix(&path, ".mine-").expect("create");
        assert!(
            file.temp_path()
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(".mine-"))
        );
        file.write_all(b"new").expect("write");
        let err = file.commit_new().expect_err("exists");
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&path).expect("read"), b"old");
        assert_eq!(entries(dir.path()), ["backup"], "no temp file left");
    }

    #[test]
    fn a_failed_rename_or_a_drop_leaves_no_temp_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        // A directory where the file should go: the rename fails.
        let path = dir.path().join("taken");
        std::fs::create_dir(&path).expect("mkdir");
        std::fs::write(path.join("inside"), b"x").expect("write");
        write_atomic(&path, b"data").expect_err("a non-empty directory is in the way");
        assert_eq!(entries(dir.path()), ["taken"]);

        let mut file = AtomicFile::new(&dir.path().join("never")).expect("create");
        file.write_all(b"half").expect("write");
        drop(file);
        assert_eq!(entries(dir.path()), ["taken"]);
    }

    #[test]
    fn a_missing_directory_is_an_error() {
        let dir = tempfile::tempdir().expect("temp dir");
        let err = write_atomic(&dir.path().join("no/such/file"), b"x").expect_err("no dir");
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }
}

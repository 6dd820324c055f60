//! Private working directories for plaintext, and the removal of what a killed run left.
//!
//! A directory is created 0700 from the start (never chmod-ed after) with a marker file
//! naming the kind of run and the process that made it. Dropping the returned
//! [`tempfile::TempDir`] removes it on every way out a process survives; a run killed
//! outright (`kill -9`) leaves it behind, and the next run of the same kind removes it
//! once it can prove the directory is of that kind and its process is gone: named with
//! the kind's prefix, a real directory (not a link), owned by this user, mode 0700, and a
//! marker whose process (pid and start time) no longer runs. Anything else is left alone.

use std::fs::OpenOptions;
use std::io::{self, Write as _};
use std::os::unix::fs::{MetadataExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

/// The marker file inside a private directory: who made it.
pub const OWNER_FILE: &str = "owner";

/// One kind of private directory: its name prefix and the marker's first line.
#[derive(Debug, Clone, Copy)]
pub struct Kind {
    /// The prefix of every such directory's name, e.g. `migrate-dryrun-`.
    pub prefix: &'static str,
    /// The marker's first line, which makes a directory provably of this kind.
    pub magic: &'static str,
}

impl Kind {
    /// Creates a private directory of this kind in `base`, marked with this process,
    /// then removes what earlier, killed runs of the same kind left in `base`.
    pub fn create(self, base: &Path) -> io::Result<tempfile::TempDir> {
        let dir = tempfile::Builder::new()
            .prefix(self.prefix)
            .permissions(std::fs::Permissions::from_mode(0o700))
            .tempdir_in(base)?;
        let pid = std::process::id();
        let marker = format!(
            "{}\npid {pid}\nstart {}\n",
            self.magic,
            start_time(pid).unwrap_or_default()
        );
        private_file(&dir.path().join(OWNER_FILE))?.write_all(marker.as_bytes())?;
        let _removed = self.remove_leftovers(base, dir.path());
        Ok(dir)
    }

    /// Removes, in `base`, every directory of this kind whose process is gone (see the
    /// module's documentation), never `own`. Failures are ignored: this is
    /// housekeeping, and a directory that stays is tried again by the next run.
    #[must_use = "the directories removed, for a caller that reports them"]
    pub fn remove_leftovers(self, base: &Path, own: &Path) -> Vec<PathBuf> {
        let Ok(me) = std::fs::metadata(own).map(|m| m.uid()) else {
            return Vec::new();
        };
        let Ok(entries) = std::fs::read_dir(base) else {
            return Vec::new();
        };
        let mut removed = Vec::new();
        for entry in entries.flatten() {
            let path = entry.path();
            let named = entry
                .file_name()
                .to_str()
                .is_some_and(|n| n.starts_with(self.prefix));
            if !named || path == own {
                continue;
            }
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            if !meta.is_dir() || meta.uid() != me || meta.mode() & 0o777 != 0o700 {
                continue;
            }
            if self.abandoned(&path) && std::fs::remove_dir_all(&path).is_ok() {
                removed.push(path);
            }
        }
        removed
    }

    /// Whether the marker in `dir` proves a run of this kind made it and is gone.
    fn abandoned(self, dir: &Path) -> bool {
        let Ok(marker) = std::fs::read_to_string(dir.join(OWNER_FILE)) else {
            return false;
        };
        let mut lines = marker.lines();
        if lines.next() != Some(self.magic) {
            return false;
        }
        let field = |line: Option<&str>, name: &str| -> Option<u64> {
            line?.strip_prefix(name)?.strip_prefix(' ')?.parse().ok()
        };
        let (Some(pid), Some(start)) = (
            field(lines.next(), "pid").and_then(|p| u32::try_from(p).ok()),
            field(lines.next(), "start"),
        ) else {
            return false;
        };
        if pid == std::process::id() {
            return false;
        }
        // Without /proc nothing can be proved: keep the directory.
        if !Path::new("/proc/self/stat").is_file() {
            return false;
        }
        match start_time(pid) {
            None => true,
            Some(now) => now != start,
        }
    }
}

/// Creates `path` as an empty file readable by its owner only. Fails if it exists.
pub fn private_file(path: &Path) -> io::Result<std::fs::File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

/// The start time of process `pid` (clock ticks since boot, field 22 of
/// `/proc/PID/stat`), which tells a live process from a later one with the same id.
#[must_use]
pub fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces or ')'.
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(19)?.parse().ok()
}

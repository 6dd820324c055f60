//! The private directory a dry run keeps its copies in, the signals that stop a run
//! cleanly, and the removal of what a killed run left behind.
//!
//! The copies hold production data in plain text, so: the directory is created 0700 (not
//! chmod-ed after), every file in it 0600; it is removed on every way out, including
//! SIGINT, SIGTERM and SIGHUP (the run stops at its next check and unwinds); and a run
//! that was killed outright (`kill -9`) leaves a directory that the next run removes once
//! it can prove the directory is a dry run's and its process is gone.

use std::fs::OpenOptions;
use std::io::Write as _;
use std::os::unix::fs::{MetadataExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::MigrateError;

/// The prefix of every workspace directory's name.
pub(crate) const PREFIX: &str = "migrate-dryrun-";

/// The marker file inside a workspace: who made it.
const OWNER_FILE: &str = "owner";

/// The first line of the marker: what makes a directory provably a dry run's.
const OWNER_MAGIC: &str = "bulwark migrate-dryrun workspace";

/// Creates the private workspace in `base`: 0700 from the start, with a marker naming
/// this process. Then removes what earlier, killed runs left in `base`.
pub(crate) fn create(base: &Path) -> Result<tempfile::TempDir, MigrateError> {
    let dir = tempfile::Builder::new()
        .prefix(PREFIX)
        .permissions(std::fs::Permissions::from_mode(0o700))
        .tempdir_in(base)
        .map_err(|source| MigrateError::Io {
            action: "create a private temporary directory",
            source,
        })?;
    let marker = format!(
        "{OWNER_MAGIC}\npid {}\nstart {}\n",
        std::process::id(),
        start_time(std::process::id()).unwrap_or_default()
    );
    private_file(&dir.path().join(OWNER_FILE))
        .and_then(|mut file| file.write_all(marker.as_bytes()))
        .map_err(|source| MigrateError::Io {
            action: "write the private directory's marker",
            source,
        })?;
    remove_leftovers(base, dir.path());
    Ok(dir)
}

/// Creates `path` as an empty file readable by its owner only (an empty file is an empty
/// SQLite database). Fails if it exists.
pub(crate) fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

/// The start time of process `pid` (clock ticks since boot, field 22 of
/// `/proc/PID/stat`), which tells a live process from a later one with the same id.
fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces or ')'.
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(19)?.parse().ok()
}

/// Whether the marker at `dir` proves a dry run made the directory and that run is gone.
fn abandoned(dir: &Path) -> bool {
    let Ok(marker) = std::fs::read_to_string(dir.join(OWNER_FILE)) else {
        return false;
    };
    let mut lines = marker.lines();
    if lines.next() != Some(OWNER_MAGIC) {
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

/// Removes, in `base`, every directory that a dry run made and whose process is gone:
/// named like a workspace, a real directory (not a link), owned by this user, mode 0700,
/// with a marker whose process no longer runs. Anything else is left alone. Failures
/// are ignored: this is housekeeping, and a directory that stays is retried next time.
pub(crate) fn remove_leftovers(base: &Path, own: &Path) -> Vec<PathBuf> {
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
            .is_some_and(|n| n.starts_with(PREFIX));
        if !named || path == own {
            continue;
        }
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if !meta.is_dir() || meta.uid() != me || meta.mode() & 0o777 != 0o700 {
            continue;
        }
        if abandoned(&path) && std::fs::remove_dir_all(&path).is_ok() {
            removed.push(path);
        }
    }
    removed
}

/// SIGINT, SIGTERM and SIGHUP set a flag instead of killing the process while a dry run
/// holds a workspace; the run checks it (SQLite's progress handler, between phases) and
/// unwinds, so the workspace is removed. Dropping this restores the default handling.
pub(crate) struct StopOnSignal {
    flag: Arc<AtomicBool>,
    handlers: Vec<signal_hook::SigId>,
}

impl StopOnSignal {
    /// Registers the handlers.
    pub(crate) fn register() -> Self {
        let flag = Arc::new(AtomicBool::new(false));
        let mut handlers = Vec::new();
        for signal in [
            signal_hook::consts::SIGINT,
            signal_hook::consts::SIGTERM,
            signal_hook::consts::SIGHUP,
        ] {
            if let Ok(id) = signal_hook::flag::register(signal, Arc::clone(&flag)) {
                handlers.push(id);
            }
        }
        Self { flag, handlers }
    }

    /// The flag a signal sets.
    pub(crate) fn flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.flag)
    }

    /// Whether a signal arrived.
    pub(crate) fn stopped(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }
}

impl Drop for StopOnSignal {
    fn drop(&mut self) {
        for id in self.handlers.drain(..) {
            signal_hook::low_level::unregister(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workspace_is_private_and_marked() {
        let base = tempfile::tempdir().expect("temp dir");
        let dir = create(base.path()).expect("workspace");
        let mode = std::fs::metadata(dir.path()).expect("stat").mode();
        assert_eq!(mode & 0o777, 0o700);
        assert!(!abandoned(dir.path()), "our own process is alive");
        let file = dir.path().join("x.sqlite");
        private_file(&file).expect("create");
        assert_eq!(
            std::fs::metadata(&file).expect("stat").mode() & 0o777,
            0o600
        );
        assert!(private_file(&file).is_err(), "never reuses a file");
    }

    /// Issue 13 item 14: a killed run's directory is removed by the next run, and only
    /// directories that are provably a dry run's and whose process is gone.
    #[test]
    fn leftovers_of_dead_runs_are_removed_and_nothing_else() {
        let base = tempfile::tempdir().expect("temp dir");
        let make = |name: &str, mode: u32, marker: Option<String>| {
            let path = base.path().join(name);
            std::fs::create_dir(&path).expect("mkdir");
            std::fs::write(path.join("migrated.sqlite"), b"plaintext").expect("write");
            if let Some(marker) = marker {
                std::fs::write(path.join(OWNER_FILE), marker).expect("marker");
            }
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
            path
        };
        // A process that has exited: its pid is free (or reused, with another start time).
        let mut child = std::process::Command::new("true").spawn().expect("spawn");
        let dead_pid = child.id();
        child.wait().expect("wait");
        let dead = make(
            "migrate-dryrun-dead",
            0o700,
            Some(format!("{OWNER_MAGIC}\npid {dead_pid}\nstart 1\n")),
        );
        // pid 1 runs, but it is not the process that wrote this marker.
        let reused = make(
            "migrate-dryrun-reused",
            0o700,
            Some(format!(
                "{OWNER_MAGIC}\npid 1\nstart {}\n",
                start_time(1).unwrap_or(0) + 1
            )),
        );
        let alive = make(
            "migrate-dryrun-alive",
            0o700,
            Some(format!(
                "{OWNER_MAGIC}\npid 1\nstart {}\n",
                start_time(1).unwrap_or(0)
            )),
        );
        let unmarked = make("migrate-dryrun-unmarked", 0o700, None);
        let foreign_marker = make(
            "migrate-dryrun-foreign",
            0o700,
            Some(format!("something else\npid {dead_pid}\nstart 1\n")),
        );
        let open_mode = make(
            "migrate-dryrun-open",
            0o755,
            Some(format!("{OWNER_MAGIC}\npid {dead_pid}\nstart 1\n")),
        );
        let other_name = make(
            "db-backup-work-x",
            0o700,
            Some(format!("{OWNER_MAGIC}\npid {dead_pid}\nstart 1\n")),
        );
        let link = base.path().join("migrate-dryrun-link");
        std::os::unix::fs::symlink(&dead, &link).expect("symlink");

        let own = create(base.path()).expect("a new run");
        assert!(!dead.exists(), "a dead run's directory is removed");
        assert!(!reused.exists(), "a reused pid is not the owner");
        for kept in [&alive, &unmarked, &foreign_marker, &open_mode, &other_name] {
            assert!(kept.exists(), "{} must stay", kept.display());
        }
        assert!(
            std::fs::symlink_metadata(&link).is_ok(),
            "a link is never followed"
        );
        assert!(own.path().exists());
    }
}

//! The private directory a dry run keeps its copies in, the signals that stop a run
//! cleanly, and the removal of what a killed run left behind.
//!
//! The copies hold production data in plain text, so: the directory is created 0700 (not
//! chmod-ed after), every file in it 0600; it is removed on every way out, including
//! SIGINT, SIGTERM and SIGHUP (the run stops at its next check and unwinds); and a run
//! that was killed outright (`kill -9`) leaves a directory that the next run removes once
//! it can prove the directory is a dry run's and its process is gone.

use std::path::Path;

use bulwark_core::private_dir::Kind;

use crate::MigrateError;

/// A dry run's private directory: its name prefix and the marker that proves it is one.
const KIND: Kind = Kind {
    prefix: "migrate-dryrun-",
    magic: "bulwark migrate-dryrun workspace",
};

/// Creates the private workspace in `base`: 0700 from the start, with a marker naming
/// this process. Then removes what earlier, killed runs left in `base`.
pub(crate) fn create(base: &Path) -> Result<tempfile::TempDir, MigrateError> {
    KIND.create(base).map_err(|source| MigrateError::Io {
        action: "create a private temporary directory",
        source,
    })
}

pub(crate) use bulwark_core::private_dir::private_file;

pub(crate) use bulwark_core::StopOnSignal;

#[cfg(test)]
mod tests {
    use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};

    use bulwark_core::private_dir::{OWNER_FILE, start_time};

    use super::*;

    const OWNER_MAGIC: &str = KIND.magic;

    #[test]
    fn the_workspace_is_private_and_marked() {
        let base = tempfile::tempdir().expect("temp dir");
        let dir = create(base.path()).expect("workspace");
        let mode = std::fs::metadata(dir.path()).expect("stat").mode();
        assert_eq!(mode & 0o777, 0o700);
        let second = create(base.path()).expect("a second workspace");
        assert!(dir.path().exists(), "our own process is alive: kept");
        drop(second);
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

//! `migrate-dryrun`'s private copies, seen from outside the process: their modes, and
//! that no copy outlives a run, whether it ends, is stopped by a signal, or is killed.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_migrate-dryrun");

/// A migration that runs for minutes: the run is still applying it when the test
/// signals.
const SLOW: &str = "CREATE TABLE big AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 500000000) SELECT x, randomblob(16) AS r FROM c;";

struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    fn new(migration: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(dir.path().join("tmp")).expect("TMPDIR");
        std::fs::create_dir(dir.path().join("migrations")).expect("migrations");
        std::fs::write(dir.path().join("migrations/0001_a.sql"), migration).expect("write");
        Self { dir }
    }

    fn tmp(&self) -> PathBuf {
        self.dir.path().join("tmp")
    }

    fn command(&self) -> Command {
        let mut command = Command::new(BIN);
        command
            .current_dir(self.dir.path())
            .args(["--migrations", "migrations", "--format", "json"])
            .env("TMPDIR", self.tmp())
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }

    fn tmp_entries(&self) -> Vec<PathBuf> {
        std::fs::read_dir(self.tmp())
            .expect("read TMPDIR")
            .map(|e| e.expect("entry").path())
            .collect()
    }

    /// Waits until the run's workspace holds its copy; returns the workspace.
    fn wait_for_copy(&self, child: &mut Child) -> PathBuf {
        let started = Instant::now();
        loop {
            if let Some(dir) = self
                .tmp_entries()
                .into_iter()
                .find(|p| p.join("migrated.sqlite").is_file())
            {
                return dir;
            }
            assert!(
                child.try_wait().expect("poll").is_none(),
                "migrate-dryrun ended before it made its copy"
            );
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "no workspace appeared"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([format!("-{name}"), child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).expect("stat").permissions().mode() & 0o777
}

/// Issue 13 item 14: the workspace is 0700 and its copy 0600 (they were 0755 and 0644),
/// and SIGINT or SIGTERM in the middle of a migration leaves nothing in TMPDIR.
#[test]
fn a_signalled_run_removes_its_private_copy() {
    for name in ["INT", "TERM"] {
        let project = Project::new(SLOW);
        let mut child = project.command().spawn().expect("spawn");
        let workspace = project.wait_for_copy(&mut child);
        assert_eq!(mode(&workspace), 0o700, "the workspace is private");
        assert_eq!(mode(&workspace.join("migrated.sqlite")), 0o600);
        // Let the slow migration start.
        std::thread::sleep(Duration::from_millis(300));
        signal(&child, name);
        let started = Instant::now();
        let output = child.wait_with_output().expect("wait");
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "SIG{name} stops the run promptly"
        );
        assert_eq!(
            output.status.code(),
            Some(130),
            "SIG{name}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("interrupted"),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(
            project.tmp_entries(),
            Vec::<PathBuf>::new(),
            "SIG{name} left a copy"
        );
    }
}

/// Issue 13 item 14: `kill -9` cannot be caught; the next run removes what it left.
#[test]
fn the_next_run_removes_what_a_killed_run_left() {
    let project = Project::new(SLOW);
    let mut child = project.command().spawn().expect("spawn");
    let workspace = project.wait_for_copy(&mut child);
    signal(&child, "KILL");
    child.wait().expect("wait");
    assert!(workspace.exists(), "kill -9 leaves the workspace");
    // Another user's or another tool's directory next to it stays.
    let unrelated = project.tmp().join("migrate-dryrun-not-ours");
    std::fs::create_dir(&unrelated).expect("mkdir");

    std::fs::write(
        project.dir.path().join("migrations/0001_a.sql"),
        "CREATE TABLE a(x);",
    )
    .expect("a quick migration");
    let output = project.command().output().expect("run");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!workspace.exists(), "the dead run's copy was removed");
    assert_eq!(project.tmp_entries(), [unrelated]);
}

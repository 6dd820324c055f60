//! `db-backup` end to end where one command is not enough: SIGINT, SIGTERM and SIGKILL
//! sent to the real binary in the middle of an export, a verify and a restore, and what
//! each leaves behind; the exit code of a manifest in an unknown format. The key is made
//! with the real `age-keygen`; its secret text is the canary no output may hold.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_db-backup");

struct Key {
    file: PathBuf,
    recipient: String,
    canary: String,
}

fn key(dir: &Path) -> Key {
    let file = dir.join("key.txt");
    let made = Command::new("age-keygen")
        .arg("-o")
        .arg(&file)
        .stderr(Stdio::null())
        .status()
        .expect("age-keygen runs");
    assert!(made.success());
    let text = fs::read_to_string(&file).expect("key");
    let recipient = text
        .lines()
        .find_map(|l| l.strip_prefix("# public key: "))
        .expect("public key line")
        .to_owned();
    let canary = text
        .lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-"))
        .expect("secret line")
        .to_owned();
    Key {
        file,
        recipient,
        canary,
    }
}

/// A database of about `mib` MiB of incompressible rows: seconds of work for a debug build.
fn big_db(path: &Path, mib: u32) {
    let conn = rusqlite::Connection::open(path).expect("create");
    conn.execute_batch("CREATE TABLE blobs(id INTEGER PRIMARY KEY, data BLOB);")
        .expect("schema");
    conn.execute(
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?1)
         INSERT INTO blobs(data) SELECT randomblob(4096) FROM c",
        [mib * 256],
    )
    .expect("rows");
}

fn command(args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env_remove("BULWARK_AGE_IDENTITY")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

fn run(key: &Key, args: &[&str]) -> Output {
    let out = command(args).output().expect("db-backup runs");
    for text in [&out.stdout, &out.stderr] {
        assert!(!String::from_utf8_lossy(text).contains(&key.canary));
    }
    out
}

fn export(key: &Key, db: &Path, out: &Path) -> PathBuf {
    let done = run(
        key,
        &[
            "export",
            "--sqlite",
            &db.display().to_string(),
            "--out",
            &out.display().to_string(),
            "--recipient",
            &key.recipient,
            "--name",
            "app",
        ],
    );
    assert!(done.status.success(), "{done:?}");
    let mut backups: Vec<PathBuf> = fs::read_dir(out)
        .expect("dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".zst.age"))
        .collect();
    backups.sort();
    backups.pop().expect("a backup")
}

/// The names in `dir`.
fn names(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Every file or directory of db-backup's own temp kinds in `dir`.
fn leftovers(dir: &Path) -> Vec<String> {
    names(dir)
        .into_iter()
        .filter(|n| {
            n.starts_with(".db-backup-tmp-")
                || n.starts_with(".db-backup-work-")
                || n.starts_with(".db-backup-private-")
        })
        .collect()
}

/// Waits until a private work directory in `dir` holds more than a MiB of plaintext: the
/// command is in the middle of its run.
fn wait_for_plaintext(dir: &Path, child: &mut Child) {
    let started = Instant::now();
    loop {
        let busy = fs::read_dir(dir).is_ok_and(|d| {
            d.flatten()
                .filter(|e| {
                    e.file_name()
                        .to_string_lossy()
                        .starts_with(bulwark_backup::layout::PRIVATE_DIR.prefix)
                })
                .filter_map(|e| fs::read_dir(e.path()).ok())
                .flat_map(Iterator::flatten)
                .any(|f| f.metadata().is_ok_and(|m| m.len() > 1 << 20))
        });
        if busy {
            return;
        }
        assert!(
            child.try_wait().expect("wait").is_none(),
            "the command ended before the signal"
        );
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no plaintext appeared"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A temp dir with a key and an exported backup of a `mib` MiB database.
fn backed_up(mib: u32) -> (tempfile::TempDir, Key, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = key(dir.path());
    let db = dir.path().join("app.db");
    big_db(&db, mib);
    let backup = export(&key, &db, &dir.path().join("out"));
    (dir, key, backup)
}

/// `db-backup verify BACKUP --identity KEY`, started.
fn start_verify(key: &Key, backup: &Path) -> Child {
    command(&[
        "verify",
        &backup.display().to_string(),
        "--identity",
        &key.file.display().to_string(),
    ])
    .spawn()
    .expect("spawn")
}

/// Sends `name` to `child` once it is writing plaintext into `dir`; it must exit 130.
fn interrupt(mut child: Child, dir: &Path, key: &Key, name: &str) {
    wait_for_plaintext(dir, &mut child);
    signal(&child, name);
    let done = finish(child, key);
    assert_eq!(done.status.code(), Some(130), "{done:?}");
}

fn signal(child: &Child, name: &str) {
    let sent = Command::new("kill")
        .args(["-s", name, &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(sent.success());
}

fn finish(child: Child, key: &Key) -> Output {
    let out = child.wait_with_output().expect("wait");
    for text in [&out.stdout, &out.stderr] {
        assert!(!String::from_utf8_lossy(text).contains(&key.canary));
    }
    out
}

#[test]
fn sigint_during_export_leaves_no_plaintext_and_exits_130() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = key(dir.path());
    let db = dir.path().join("app.db");
    big_db(&db, 40);
    let out = dir.path().join("out");
    let child = command(&[
        "export",
        "--sqlite",
        &db.display().to_string(),
        "--out",
        &out.display().to_string(),
        "--recipient",
        &key.recipient,
    ])
    .spawn()
    .expect("spawn");
    interrupt(child, &out, &key, "INT");
    assert_eq!(leftovers(&out), Vec::<String>::new());
    let finals: Vec<String> = names(&out)
        .into_iter()
        .filter(|n| n.starts_with("app-"))
        .collect();
    assert!(finals.is_empty(), "{finals:?}");
}

#[test]
fn sigterm_during_verify_and_sigint_during_restore_leave_no_plaintext() {
    let (dir, key, backup) = backed_up(40);
    let out = dir.path().join("out");
    let identity = key.file.display().to_string();
    let child = start_verify(&key, &backup);
    interrupt(child, &out, &key, "TERM");
    assert_eq!(leftovers(&out), Vec::<String>::new());
    assert!(
        !out.join(format!(
            "{}.verified.json",
            backup.file_name().expect("name").to_string_lossy()
        ))
        .exists()
    );

    let target_dir = dir.path().join("restore");
    fs::create_dir(&target_dir).expect("mkdir");
    let target = target_dir.join("app.db");
    let child = command(&[
        "restore",
        &backup.display().to_string(),
        "--to",
        &target.display().to_string(),
        "--identity",
        &identity,
    ])
    .spawn()
    .expect("spawn");
    interrupt(child, &target_dir, &key, "INT");
    let left = names(&target_dir);
    assert!(left.is_empty(), "left beside the target: {left:?}");
}

#[test]
fn sigkill_during_verify_leaves_a_private_dir_that_the_next_run_removes() {
    let (dir, key, backup) = backed_up(16);
    let out = dir.path().join("out");
    let identity = key.file.display().to_string();
    let mut child = start_verify(&key, &backup);
    wait_for_plaintext(&out, &mut child);
    child.kill().expect("SIGKILL");
    finish(child, &key);
    let left = leftovers(&out);
    assert_eq!(left.len(), 1, "{left:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = fs::metadata(out.join(&left[0]))
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o777,
            0o700,
            "the plaintext sat in a private directory"
        );
    }
    let again = run(
        &key,
        &[
            "verify",
            &out.display().to_string(),
            "--identity",
            &identity,
        ],
    );
    assert!(again.status.success(), "{again:?}");
    assert_eq!(leftovers(&out), Vec::<String>::new());
}

#[test]
fn a_manifest_in_an_unknown_format_exits_2() {
    let (_dir, key, backup) = backed_up(1);
    let manifest = PathBuf::from(format!("{}.manifest.json", backup.display()));
    let text = fs::read_to_string(&manifest).expect("read");
    let identity = key.file.display().to_string();
    let edited = text.replacen("\"format_version\": 2,", "\"format_version\": 99,", 1);
    assert_ne!(edited, text);
    fs::write(&manifest, edited).expect("write");
    let done = run(
        &key,
        &[
            "verify",
            &backup.display().to_string(),
            "--identity",
            &identity,
        ],
    );
    assert_eq!(done.status.code(), Some(2), "{done:?}");
    assert!(
        String::from_utf8_lossy(&done.stdout).contains("format_version is 99"),
        "{done:?}"
    );
}

#[test]
fn list_fails_closed_on_a_damaged_newer_or_unreadable_manifest() {
    let (dir, key, backup) = backed_up(1);
    let out = dir.path().join("out");
    let list = || run(&key, &["list", &out.display().to_string()]);
    let ok = list();
    assert!(ok.status.success(), "{ok:?}");
    let manifest = PathBuf::from(format!("{}.manifest.json", backup.display()));
    let text = fs::read_to_string(&manifest).expect("read");

    // Damaged: exit 1, the backup marked and the reason printed.
    fs::write(&manifest, &text[..text.len() / 2]).expect("cut");
    let damaged = list();
    let stdout = String::from_utf8_lossy(&damaged.stdout);
    assert_eq!(damaged.status.code(), Some(1), "{damaged:?}");
    assert!(stdout.contains("bad manifest"), "{stdout}");
    assert!(stdout.contains(".manifest.json"), "{stdout}");
    let json = run(
        &key,
        &["list", &out.display().to_string(), "--format", "json"],
    );
    assert_eq!(json.status.code(), Some(1), "{json:?}");
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    assert!(doc["backups"][0]["manifest_problem"].is_string(), "{doc}");
    assert_eq!(doc["backups"][0]["manifest"], false);

    // A newer format: refused too (verify says exit 2 for it).
    let newer = text.replacen("\"format_version\": 2,", "\"format_version\": 99,", 1);
    fs::write(&manifest, newer).expect("write");
    let newer = list();
    assert_eq!(newer.status.code(), Some(1), "{newer:?}");
    assert!(String::from_utf8_lossy(&newer.stdout).contains("format_version is 99"));

    // Unreadable (a directory where the manifest belongs): the listing fails, exit 3.
    fs::remove_file(&manifest).expect("rm");
    fs::create_dir(&manifest).expect("mkdir");
    let unreadable = list();
    assert_eq!(unreadable.status.code(), Some(3), "{unreadable:?}");
    assert!(String::from_utf8_lossy(&unreadable.stderr).contains("error: "));

    // No manifest at all is still only `no manifest`, exit 0.
    fs::remove_dir(&manifest).expect("rmdir");
    let missing = list();
    assert!(missing.status.success(), "{missing:?}");
    assert!(String::from_utf8_lossy(&missing.stdout).contains("no manifest"));
}

/// A directory of db-backup's private kind in `dir`, marked as made by `pid` started at
/// `start`, holding a file of "plaintext".
fn private_dir_of(dir: &Path, name: &str, pid: u32, start: u64) -> PathBuf {
    use std::os::unix::fs::PermissionsExt as _;
    let kind = bulwark_backup::layout::PRIVATE_DIR;
    let path = dir.join(format!("{}{name}", kind.prefix));
    fs::create_dir(&path).expect("mkdir");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o700)).expect("chmod");
    fs::write(path.join("restored.sqlite"), b"plaintext").expect("write");
    fs::write(
        path.join(bulwark_core::private_dir::OWNER_FILE),
        format!("{}\npid {pid}\nstart {start}\n", kind.magic),
    )
    .expect("marker");
    path
}

#[test]
fn the_next_run_removes_a_dead_runs_private_dir_and_never_a_live_ones() {
    let (dir, key, _backup) = backed_up(1);
    let out = dir.path().join("out");
    // A process that has exited: its directory is a leftover.
    let mut gone = Command::new("true").spawn().expect("spawn");
    let gone_pid = gone.id();
    gone.wait().expect("wait");
    let dead = private_dir_of(&out, "dead", gone_pid, 1);
    // A process that still runs (as a verify in the middle of its work would).
    let mut live = Command::new("sleep").arg("300").spawn().expect("spawn");
    let started = bulwark_core::private_dir::start_time(live.id()).expect("its start time");
    let running = private_dir_of(&out, "live", live.id(), started);
    let verified = run(
        &key,
        &[
            "verify",
            &out.display().to_string(),
            "--identity",
            &key.file.display().to_string(),
        ],
    );
    live.kill().expect("kill sleep");
    live.wait().expect("wait");
    assert!(verified.status.success(), "{verified:?}");
    assert!(!dead.exists(), "a dead run's private directory is removed");
    assert!(
        running.join("restored.sqlite").exists(),
        "a live run's private directory is left alone"
    );
}

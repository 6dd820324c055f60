//! End-to-end cases for every binary: `tests/cmd/<tool>/<case>.toml`.
//! Update the expected output with `just snap` after a deliberate change.

mod audit;
mod completions;
mod db_backup_d1;
mod db_backup_runs;
mod docs;
mod fail_closed;
mod generated;
mod migrate_remote;
mod migrate_workspace;
mod runbook;
mod ship;
mod walkthrough;
mod workflow;

/// Held by every test that runs `secrets-sync edit`. An edit removes what dead edits left
/// in the shared `/dev/shm` (that is its job), so an edit running beside
/// `edit_after_a_kill_9_removes_the_dead_edits_plaintext` could remove the very leftover
/// that test checks for, and it failed about one run in twelve with eight test threads.
pub(crate) fn edit_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[test]
fn cli() {
    // cargo_bin! wraps env!(): a binary missing from the package fails to compile here,
    // instead of turning its cases into silently ignored ones.
    // Recording stand-ins for wrangler, fly and gh come first on PATH: in a case with a
    // `standin/` folder they answer from it and log every call; elsewhere they hand over
    // to the real tool (tests/standins/bin/standin).
    let standins = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/standins/bin");
    let path = format!("{standins}:{}", std::env::var("PATH").unwrap_or_default());
    trycmd::TestCases::new()
        .env("PATH", path)
        .env("COLUMNS", "100")
        .env("NO_COLOR", "1")
        .register_bin(
            "secrets-verify",
            trycmd::cargo::cargo_bin!("secrets-verify"),
        )
        .register_bin("secrets-sync", trycmd::cargo::cargo_bin!("secrets-sync"))
        .register_bin("leak-scan", trycmd::cargo::cargo_bin!("leak-scan"))
        .register_bin(
            "migrate-dryrun",
            trycmd::cargo::cargo_bin!("migrate-dryrun"),
        )
        .register_bin("db-backup", trycmd::cargo::cargo_bin!("db-backup"))
        .register_bin("deploy-lint", trycmd::cargo::cargo_bin!("deploy-lint"))
        .case("tests/cmd/*/*.toml");
}

/// Tests of `secrets-sync` that need more than one command or a look around the machine
/// afterwards: the real `age` CLI, the editor, signals, argv and temp dirs.
mod secrets_sync {
    use std::path::{Path, PathBuf};
    use std::process::{Command, Output, Stdio};
    use std::time::{Duration, Instant};

    const BIN: &str = env!("CARGO_BIN_EXE_secrets-sync");
    const FIXTURE: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/cmd/secrets-sync/names.in"
    );
    const STANDINS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/standins/bin");
    /// Values in the fixture store (tests/cmd/secrets-sync/*.in).
    const STORE_CANARIES: [&str; 3] = [
        "canary-sync-api-5f2e9a71",
        "canary-sync-db-88c1d4",
        "canary-sync-multi-31b7",
    ];

    pub(crate) fn copy_dir(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).expect("mkdir");
        for entry in std::fs::read_dir(from).expect("readable fixture") {
            let entry = entry.expect("entry");
            let target = to.join(entry.file_name());
            if entry.file_type().expect("type").is_dir() {
                copy_dir(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), &target).expect("copy");
            }
        }
    }

    /// A copy of the fixture project and an empty TMPDIR, both removed at the end.
    struct Project {
        root: tempfile::TempDir,
        tmp: tempfile::TempDir,
    }

    impl Project {
        fn new() -> Self {
            let root = tempfile::tempdir().expect("temp dir");
            copy_dir(Path::new(FIXTURE), root.path());
            Self {
                root,
                tmp: tempfile::tempdir().expect("temp dir"),
            }
        }

        fn path(&self, rel: &str) -> PathBuf {
            self.root.path().join(rel)
        }

        fn command(&self, args: &[&str]) -> Command {
            let mut command = Command::new(BIN);
            command
                .args(args)
                .args(["--identity", "key.txt"])
                .current_dir(self.root.path())
                .env("TMPDIR", self.tmp.path())
                .env("NO_COLOR", "1")
                .env(
                    "PATH",
                    format!("{STANDINS}:{}", std::env::var("PATH").unwrap_or_default()),
                );
            command
        }

        fn run(&self, args: &[&str], stdin: &str) -> Output {
            let mut child = self
                .command(args)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("secrets-sync runs");
            std::io::Write::write_all(&mut child.stdin.take().expect("piped"), stdin.as_bytes())
                .expect("stdin written");
            child.wait_with_output().expect("finishes")
        }

        /// The store's plaintext, as the real `age -d` reads it.
        fn decrypt_with_age(&self) -> String {
            let out = Command::new("age")
                .args(["-d", "-i", "key.txt", "secrets/production.env.age"])
                .current_dir(self.root.path())
                .output()
                .expect("the age CLI is installed (tests/setup.sh)");
            assert!(
                out.status.success(),
                "age -d failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8(out.stdout).expect("utf-8")
        }

        fn assert_tmpdir_empty(&self) {
            let left: Vec<_> = std::fs::read_dir(self.tmp.path()).expect("tmp").collect();
            assert!(left.is_empty(), "files left in TMPDIR: {left:?}");
        }
    }

    fn assert_no_canary(out: &Output, canaries: &[&str]) {
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        for canary in canaries {
            assert!(!text.contains(canary), "{canary} printed:\n{text}");
        }
    }

    /// An editor script: runs `body` with the file to edit as `$1`.
    fn editor(project: &Project, body: &str) -> String {
        let path = project.path("editor.sh");
        std::fs::write(&path, format!("#!/bin/sh\nset -e\n{body}\n")).expect("write editor");
        let mut perms = std::fs::metadata(&path).expect("meta").permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
        std::fs::set_permissions(&path, perms).expect("chmod");
        path.display().to_string()
    }

    #[test]
    fn set_writes_a_store_the_real_age_cli_decrypts_and_keeps_the_rest() {
        let project = Project::new();
        let before = project.decrypt_with_age();
        let canary = "canary-sync-set-0f3b8e52";
        let out = project.run(&["set", "NEW_TOKEN"], &format!("{canary}\n"));
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_no_canary(&out, &[canary]);
        let after = project.decrypt_with_age();
        assert_eq!(
            after,
            format!("{before}NEW_TOKEN={canary}\n"),
            "one line added, the rest as it was"
        );
        let armored =
            std::fs::read_to_string(project.path("secrets/production.env.age")).expect("store");
        assert!(armored.starts_with("-----BEGIN AGE ENCRYPTED FILE-----"));
        project.assert_tmpdir_empty();
    }

    #[test]
    fn edit_uses_a_private_file_saves_changes_and_shreds_it() {
        let _edits = crate::edit_lock();
        let project = Project::new();
        let seen = project.path("seen.txt");
        let script = editor(
            &project,
            &format!(
                "stat -c '%a' \"$1\" > {seen}\nstat -c '%a' \"$(dirname \"$1\")\" >> {seen}\necho \"$1\" >> {seen}\necho 'EDITED=canary-sync-edit-77c1' >> \"$1\"",
                seen = seen.display()
            ),
        );
        let out = project
            .command(&["edit"])
            .env("EDITOR", &script)
            .env_remove("VISUAL")
            .output()
            .expect("runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_no_canary(&out, &STORE_CANARIES);
        let seen = std::fs::read_to_string(&seen).expect("the editor ran");
        let lines: Vec<&str> = seen.lines().collect();
        assert_eq!(&lines[..2], ["600", "700"], "file 0600 in a 0700 directory");
        let plain = Path::new(lines[2]);
        assert!(!plain.exists(), "the plaintext file is gone");
        assert!(!plain.parent().expect("dir").exists(), "and its directory");
        assert!(
            project
                .decrypt_with_age()
                .ends_with("EDITED=canary-sync-edit-77c1\n")
        );
        project.assert_tmpdir_empty();
    }

    #[test]
    fn edit_without_changes_leaves_the_store_byte_identical() {
        let _edits = crate::edit_lock();
        let project = Project::new();
        let store = project.path("secrets/production.env.age");
        let before = std::fs::read(&store).expect("store");
        let out = project
            .command(&["edit"])
            .env("EDITOR", "true")
            .env_remove("VISUAL")
            .output()
            .expect("runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(std::fs::read(&store).expect("store"), before);
        assert!(String::from_utf8_lossy(&out.stdout).contains("no change"));
    }

    #[test]
    fn edit_interrupted_by_sigterm_exits_130_and_leaves_no_plaintext() {
        let _edits = crate::edit_lock();
        let project = Project::new();
        let seen = project.path("seen.txt");
        let script = editor(
            &project,
            &format!("echo \"$1\" > {}\nsleep 2", seen.display()),
        );
        let store_before =
            std::fs::read(project.path("secrets/production.env.age")).expect("store");
        let child = project
            .command(&["edit"])
            .env("EDITOR", &script)
            .env_remove("VISUAL")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("runs");
        let start = Instant::now();
        // `>` creates the file before echo writes to it: wait for the whole line.
        while !std::fs::read_to_string(&seen).is_ok_and(|t| t.ends_with('\n')) {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "the editor never started"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let plain = std::fs::read_to_string(&seen)
            .expect("path")
            .trim()
            .to_owned();
        assert!(
            Path::new(&plain).exists(),
            "the plaintext exists while editing"
        );
        let killed = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("kill");
        assert!(killed.success());
        let out = child.wait_with_output().expect("finishes");
        assert_eq!(
            out.status.code(),
            Some(130),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !Path::new(&plain).exists(),
            "the plaintext file is gone after the signal"
        );
        assert_eq!(
            std::fs::read(project.path("secrets/production.env.age")).expect("store"),
            store_before
        );
        assert_no_canary(&out, &STORE_CANARIES);
    }

    /// Issue 13 item 14: `kill -9` leaves the plaintext of an edit behind (nothing can run
    /// on SIGKILL); the next `edit` removes it, and only what is provably a dead edit's.
    #[test]
    fn edit_after_a_kill_9_removes_the_dead_edits_plaintext() {
        let _edits = crate::edit_lock();
        let project = Project::new();
        let seen = project.path("seen.txt");
        let script = editor(
            &project,
            &format!("echo \"$1\" > {}\nsleep 30", seen.display()),
        );
        let mut child = project
            .command(&["edit"])
            .env("EDITOR", &script)
            .env_remove("VISUAL")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("runs");
        let start = Instant::now();
        while !seen.exists()
            || std::fs::read_to_string(&seen)
                .unwrap_or_default()
                .is_empty()
        {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "the editor never started"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let plain = std::fs::read_to_string(&seen)
            .expect("path")
            .trim()
            .to_owned();
        let dir = Path::new(&plain).parent().expect("dir").to_owned();
        child.kill().expect("SIGKILL");
        child.wait().expect("reaped");
        // The editor (sleep) was the child's child: end it too, as a shell would.
        let _ = Command::new("pkill").args(["-f", &script]).status();
        assert!(Path::new(&plain).exists(), "SIGKILL leaves the plaintext");
        // A directory of the same name shape that is not an edit's (no marker) stays.
        let stranger = dir.with_file_name(format!("bulwark-edit-not-ours-{}", std::process::id()));
        std::fs::create_dir(&stranger).expect("mkdir");
        std::fs::set_permissions(
            &stranger,
            std::os::unix::fs::PermissionsExt::from_mode(0o700),
        )
        .expect("chmod");

        let out = project
            .command(&["edit"])
            .env("EDITOR", "true")
            .env_remove("VISUAL")
            .output()
            .expect("runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!dir.exists(), "the dead edit's directory is removed");
        assert!(stranger.exists(), "a directory without a marker stays");
        std::fs::remove_dir(&stranger).expect("cleanup");
        assert_no_canary(&out, &STORE_CANARIES);
    }

    #[test]
    fn apply_puts_no_value_on_any_argv_nor_in_temp_files_nor_child_env() {
        let project = Project::new();
        let out = project.run(&["apply", "--yes"], "");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_no_canary(&out, &STORE_CANARIES);
        // Every stand-in recorded its own /proc/PID/cmdline: what any process could read.
        let cmdlines =
            std::fs::read_to_string(project.path("standin/cmdline.log")).expect("stand-ins ran");
        assert!(cmdlines.lines().count() >= 10, "{cmdlines}");
        for canary in STORE_CANARIES {
            assert!(
                !cmdlines.contains(canary),
                "{canary} on an argv:\n{cmdlines}"
            );
        }
        // The values did arrive, on stdin.
        let calls = std::fs::read_to_string(project.path("standin/calls.log")).expect("log");
        let bulk = calls
            .lines()
            .position(|l| l.starts_with("wrangler secret bulk"))
            .expect("bulk ran")
            + 1;
        let body = std::fs::read_to_string(project.path(&format!("standin/stdin-{bulk}")))
            .expect("stdin saved");
        assert!(body.contains(STORE_CANARIES[0]), "{body}");
        for tool in ["wrangler", "fly", "gh"] {
            let env = std::fs::read_to_string(project.path(&format!("standin/env-{tool}.log")))
                .expect("env log");
            assert!(
                env.contains("API_TOKEN=unset") && env.contains("BULWARK_AGE_IDENTITY=unset"),
                "{tool}: {env}"
            );
        }
        project.assert_tmpdir_empty();
    }

    #[test]
    fn identity_store_then_names_then_forget_through_the_real_kernel_keyring() {
        let project = Project::new();
        // A throw-away session keyring, so nothing lands in the user's own session.
        let script = format!(
            "set -e\n\
             {BIN} identity store --env production < key.txt\n\
             {BIN} names --env production\n\
             {BIN} identity forget --env production\n\
             if {BIN} names --env production 2>err.txt; then echo 'still found'; exit 1; fi\n\
             cat err.txt",
        );
        let out = Command::new("keyctl")
            .args(["session", "-", "sh", "-c", &script])
            .current_dir(project.root.path())
            .env("HOME", project.tmp.path())
            .env_remove("BULWARK_AGE_IDENTITY")
            .output()
            .expect("keyctl (keyutils) is installed by tests/setup.sh");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            stdout.contains(
                "stored the identity for `production` in the OS keyring (public key age1"
            ),
            "{stdout}"
        );
        assert!(
            stdout.contains("API_TOKEN\nDB_URL\nMULTI\n"),
            "names read with the keyring's identity: {stdout}"
        );
        assert!(
            stdout.contains("removed the identity for `production`"),
            "{stdout}"
        );
        assert!(stdout.contains("no age identity found"), "{stdout}");
        assert!(
            !stdout.contains("AGE-SECRET-KEY"),
            "the key was printed: {stdout}"
        );
        assert_no_canary(&out, &STORE_CANARIES);
    }

    #[test]
    fn a_dotenv_error_names_the_line_and_never_echoes_it() {
        let project = Project::new();
        let canary = "canary-sync-broken-line-2d9f";
        let sealed = Command::new("age")
            .args([
                "-e",
                "-a",
                "-R",
                "secrets/.recipients",
                "-o",
                "secrets/production.env.age",
            ])
            .current_dir(project.root.path())
            .stdin(Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                std::io::Write::write_all(
                    &mut child.stdin.take().expect("piped"),
                    format!("A=1\n{canary}\n").as_bytes(),
                )?;
                child.wait()
            })
            .expect("age -e runs");
        assert!(sealed.success());
        let out = project.run(&["names"], "");
        assert_eq!(out.status.code(), Some(2));
        assert_no_canary(&out, &[canary]);
        assert!(String::from_utf8_lossy(&out.stderr).contains("line 2: expected NAME=VALUE"));
    }
}

/// The scheduled backup (docs/cron.md): a second export while the first still holds the
/// backup directory's lock is refused, and writes nothing.
#[test]
fn cron_a_second_export_is_refused_while_the_lock_is_held() {
    use std::process::Command;
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("app.sqlite");
    let made = Command::new("sqlite3")
        .arg(&db)
        .arg("CREATE TABLE t (x); INSERT INTO t VALUES (1), (2);")
        .status()
        .expect("sqlite3 is installed by tests/setup.sh");
    assert!(made.success());
    let out_dir = dir.path().join("backups");
    std::fs::create_dir_all(&out_dir).expect("mkdir");
    let recipient = "age1hf45zr66vwj9atsgpdq9ftrtcqfqn3eadh3he2jdam3tkkwgzy7qwzft78";
    let export = |runner: &mut Command| {
        runner
            .arg(env!("CARGO_BIN_EXE_db-backup"))
            .args(["export", "--sqlite"])
            .arg(&db)
            .arg("--out")
            .arg(&out_dir)
            .args(["--recipient", recipient, "--name", "app"])
            .output()
            .expect("runs")
    };
    // The first run, as far as the second can tell: util-linux flock holds the same lock
    // while the second export runs inside it.
    let lock = out_dir.join(".db-backup.lock");
    let second = export(Command::new("flock").arg("--nonblock").arg(&lock));
    assert_eq!(
        second.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(stderr.contains("lock"), "{stderr}");
    let written: Vec<_> = std::fs::read_dir(&out_dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|name| !name.starts_with(".db-backup.lock"))
        .collect();
    assert!(written.is_empty(), "a refused run wrote {written:?}");
    // Once the lock is free, the same command succeeds.
    let first = export(&mut Command::new("env"));
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
}

/// Every child CLI runs through bulwark-process: found the same way by every binary,
/// with its own environment allowlist, and stopped with everything it started.
mod children {
    use std::os::unix::fs::PermissionsExt as _;
    use std::path::{Path, PathBuf};
    use std::process::{Command, Output, Stdio};
    use std::time::{Duration, Instant};

    const STANDINS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/standins/bin");

    fn path_with_standins() -> String {
        format!("{STANDINS}:{}", std::env::var("PATH").unwrap_or_default())
    }

    fn script(path: &Path, body: &str) {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, body).expect("write");
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }

    /// Runs `command` to its end, but fails the test (and kills it) after `limit`.
    fn output_within(command: &mut Command, limit: Duration) -> (Output, Duration) {
        let started = Instant::now();
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starts");
        while child.try_wait().expect("wait").is_none() {
            if started.elapsed() > limit {
                let _ = child.kill();
                let _ = child.wait();
                panic!("still running after {limit:?}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let elapsed = started.elapsed();
        (child.wait_with_output().expect("output"), elapsed)
    }

    /// Whether the process is gone, or a zombie nobody has reaped yet, within a second.
    fn gone(pid: &str) -> bool {
        let until = Instant::now() + Duration::from_secs(1);
        loop {
            let dead = std::fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |stat| {
                stat.rsplit(')')
                    .next()
                    .is_some_and(|rest| rest.trim_start().starts_with('Z'))
            });
            if dead {
                return true;
            }
            if Instant::now() > until {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Issue 13 item 7: a target CLI that exits but leaves a child holding its stdout
    /// (real wrangler's bin/wrangler.js runs a second node process) made secrets-verify
    /// wait for that child, past --timeout.
    #[test]
    fn secrets_verify_stops_a_standin_cli_whose_child_holds_its_stdout_at_the_timeout() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(
            dir.path().join("bulwark.toml"),
            "default_env = \"production\"\n\n[env.production]\nrequired = [\"API_INGRESS_TOKEN\"]\n\n[[env.production.targets]]\nkind = \"fly\"\napp = \"demo-api-worker\"\n",
        )
        .expect("config");
        let fly = dir.path().join("lingering-fly-standin");
        script(
            &fly,
            "#!/bin/sh\n# Answers, then exits, leaving a child that holds stdout open.\nsleep 300 &\necho $! > grandchild.pid\necho '[]'\nexit 0\n",
        );
        let (out, elapsed) = output_within(
            Command::new(env!("CARGO_BIN_EXE_secrets-verify"))
                .args(["--timeout", "2"])
                .current_dir(dir.path())
                .env("BULWARK_FLY", &fly)
                .env("NO_COLOR", "1"),
            Duration::from_secs(30),
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(3), "{stdout}");
        assert!(elapsed < Duration::from_secs(10), "took {elapsed:?}");
        assert!(
            stdout.contains("did not finish within 2 s and was stopped"),
            "{stdout}"
        );
        let pid = std::fs::read_to_string(dir.path().join("grandchild.pid")).expect("pid");
        assert!(gone(pid.trim()), "the stand-in's child {pid} still runs");
    }

    /// db-backup's D1 export used to hand wrangler our whole environment: other tools'
    /// tokens, the age key and the app's own secrets.
    #[test]
    fn db_backup_d1_export_gives_the_standin_wrangler_only_its_own_credentials() {
        let dir = tempfile::tempdir().expect("temp dir");
        let standin = dir.path().join("standin");
        std::fs::create_dir_all(&standin).expect("mkdir");
        for (fixture, answer) in [
            ("demo-production-export.sql", "d1-export-DB.sql"),
            ("demo-production-tables.json", "d1-execute-DB.json"),
            ("demo-production-time-travel.json", "d1-time-travel-DB.json"),
        ] {
            std::fs::copy(
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("tests/fixtures")
                    .join(fixture),
                standin.join(answer),
            )
            .expect("fixture");
        }
        let watched = [
            ("CLOUDFLARE_API_TOKEN", "canary-cf-token-4e1a"),
            ("CLOUDFLARE_ACCOUNT_ID", "canary-cf-account-9b"),
            ("FLY_API_TOKEN", "canary-fly-token-c37d"),
            ("GH_TOKEN", "canary-gh-token-05f2"),
            ("BULWARK_AGE_IDENTITY", "AGE-SECRET-KEY-1CANARYNOTAKEY"),
            ("STRIPE_WEBHOOK_SECRET", "canary-app-secret-7d21"),
            ("WRANGLER_LOG", "debug"),
        ];
        let names: Vec<&str> = watched.iter().map(|(name, _)| *name).collect();
        std::fs::write(standin.join("watch-env"), names.join("\n") + "\n").expect("watch-env");
        let (out, _) = output_within(
            Command::new(env!("CARGO_BIN_EXE_db-backup"))
                .args([
                    "export",
                    "--d1",
                    "DB",
                    "--remote",
                    "--no-encrypt",
                    "--out",
                    "backups",
                ])
                .current_dir(dir.path())
                .env("PATH", path_with_standins())
                .envs(watched),
            Duration::from_secs(60),
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let calls = std::fs::read_to_string(standin.join("calls.log")).expect("calls");
        assert!(calls.contains("wrangler d1 export DB"), "{calls}");
        let env = std::fs::read_to_string(standin.join("env-wrangler.log")).expect("env log");
        assert_eq!(
            env.lines().collect::<Vec<_>>(),
            [
                "CLOUDFLARE_API_TOKEN=set",
                "CLOUDFLARE_ACCOUNT_ID=set",
                "FLY_API_TOKEN=unset",
                "GH_TOKEN=unset",
                "BULWARK_AGE_IDENTITY=unset",
                "STRIPE_WEBHOOK_SECRET=unset",
                "WRANGLER_LOG=unset",
            ]
        );
    }

    /// migrate-dryrun --export-remote used to run whatever `wrangler` PATH held; it now
    /// finds the project's own, as secrets-verify, secrets-sync and db-backup do.
    #[test]
    fn migrate_export_remote_finds_the_projects_node_modules_standin_wrangler() {
        let dir = tempfile::tempdir().expect("temp dir");
        let fixture =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cmd/migrate-dryrun/export-remote.in");
        let project = dir.path().join("app");
        let migrations = project.join("migrations");
        std::fs::create_dir_all(&migrations).expect("mkdir");
        std::fs::copy(
            fixture.join("wrangler.jsonc"),
            project.join("wrangler.jsonc"),
        )
        .expect("config");
        for entry in std::fs::read_dir(fixture.join("migrations")).expect("migrations") {
            let entry = entry.expect("entry");
            std::fs::copy(entry.path(), migrations.join(entry.file_name())).expect("copy");
        }
        // The monorepo's node_modules, one directory above the project.
        let local: PathBuf = dir.path().join("node_modules/.bin/wrangler");
        std::fs::create_dir_all(local.parent().expect("parent")).expect("mkdir");
        std::fs::copy(fixture.join("fake-wrangler"), &local).expect("stand-in");
        // PATH's wrangler is the recording stand-in, which refuses to run here (no
        // standin/ folder and no real wrangler behind it on this PATH).
        let (out, _) = output_within(
            Command::new(env!("CARGO_BIN_EXE_migrate-dryrun"))
                .arg("--export-remote")
                .current_dir(&project)
                .env("PATH", format!("{STANDINS}:/usr/bin:/bin"))
                .env_remove("BULWARK_WRANGLER")
                .env("NO_COLOR", "1"),
            Duration::from_secs(60),
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            stdout.starts_with("migrate-dryrun migrations on remote export of DB"),
            "{stdout}"
        );
    }

    /// What wrangler 4.86.0 prints without `CLOUDFLARE_API_TOKEN` in CI ends with a log
    /// note; migrate-dryrun used to show that note instead of the error above it.
    #[test]
    fn migrate_export_remote_shows_the_real_wrangler_error_replayed_by_a_standin() {
        let dir = tempfile::tempdir().expect("temp dir");
        let fixture =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cmd/migrate-dryrun/export-remote.in");
        std::fs::copy(
            fixture.join("wrangler.jsonc"),
            dir.path().join("wrangler.jsonc"),
        )
        .expect("config");
        std::fs::create_dir(dir.path().join("migrations")).expect("mkdir");
        let recorded = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("crates/bulwark-process/tests/fixtures/wrangler-4.86.0-d1-export-remote-no-token.stderr");
        let wrangler = dir.path().join("replaying-wrangler-standin");
        script(
            &wrangler,
            &format!("#!/bin/sh\ncat '{}' >&2\nexit 1\n", recorded.display()),
        );
        let (out, _) = output_within(
            Command::new(env!("CARGO_BIN_EXE_migrate-dryrun"))
                .arg("--export-remote")
                .current_dir(dir.path())
                .env("BULWARK_WRANGLER", &wrangler)
                .env("NO_COLOR", "1"),
            Duration::from_secs(60),
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{stderr}");
        // The first remote call (reading the schema before the export) is the one that fails.
        assert!(stderr.starts_with("error: `wrangler d1 "), "{stderr}");
        assert!(
            stderr.contains(
                "--remote` failed (exit status: 1): ✘ [ERROR] In a non-interactive environment, it's necessary to set a CLOUDFLARE_API_TOKEN environment variable"
            ),
            "{stderr}"
        );
        assert!(!stderr.contains("Logs were written"), "{stderr}");
    }
}

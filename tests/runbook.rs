//! The release runbook (examples/demo/justfile) driven end to end on a copy of the demo
//! project in a real git repository, with `just`, the built binaries, and recording
//! stand-ins for the Cloudflare, Fly and GitHub CLIs (tests/standins): the order of the
//! steps, that a failing step stops the rest, and that no secret value is printed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/demo");
const STANDINS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/standins/bin");
/// What the stand-in wrangler answers about the remote production database: its export
/// (made by the real wrangler in local mode), its tables, its Time Travel bookmark.
pub(crate) const REMOTE: [(&str, &str); 3] = [
    (
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/demo-production-export.sql"
        ),
        "standin/d1-export-DB.sql",
    ),
    (
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/demo-production-tables.json"
        ),
        "standin/d1-execute-DB.json",
    ),
    (
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/demo-production-time-travel.json"
        ),
        "standin/d1-time-travel-DB.json",
    ),
];
/// The CI job's secrets, as its environment would hold them.
const CANARIES: [(&str, &str); 4] = [
    ("API_INGRESS_TOKEN", "canary-runbook-ingress-8d3f1a60"),
    ("SESSION_SIGNING_KEY", "canary-runbook-session-27b9c4e1"),
    ("SUPABASE_URL", "https://canary-runbook.supabase.invalid"),
    ("SUPABASE_SERVICE_ROLE_KEY", "canary-runbook-role-5c0e7f92"),
];

struct Demo {
    dir: tempfile::TempDir,
}

/// Runs git in `dir` with fixed dates; its stdout, trimmed.
pub(crate) fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_DATE", "2026-11-01T10:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-11-01T10:00:00Z")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("readable") {
        let entry = entry.expect("entry");
        let name = entry.file_name();
        let target = to.join(&name);
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else if !name.to_string_lossy().ends_with(".log") {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

impl Demo {
    /// The demo as a repository released once (tag v1.0.0), plus one new commit adding
    /// `migration` (file name, SQL).
    fn released_with(migration: (&str, &str)) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        copy_dir(Path::new(DEMO), dir.path());
        for (fixture, answer) in REMOTE {
            std::fs::copy(fixture, dir.path().join(answer)).expect("stand-in answer");
        }
        git(dir.path(), &["init", "-q", "-b", "main"]);
        git(dir.path(), &["config", "user.email", "dev@demo.invalid"]);
        git(dir.path(), &["config", "user.name", "Demo Dev"]);
        git(dir.path(), &["add", "-A"]);
        git(dir.path(), &["commit", "-q", "-m", "first release"]);
        git(dir.path(), &["tag", "v1.0.0"]);
        // What the remote's d1_migrations holds (as in the export fixture).
        std::fs::write(
            dir.path().join("standin/d1-applied-DB.txt"),
            "0001_create_users.sql\n0002_create_notes.sql\n0003_add_note_title.sql\n",
        )
        .expect("stand-in answer");
        std::fs::write(dir.path().join("migrations").join(migration.0), migration.1)
            .expect("write");
        git(dir.path(), &["add", "-A"]);
        git(dir.path(), &["commit", "-q", "-m", "add a migration"]);
        Self { dir }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn just(&self, args: &[&str]) -> Output {
        let identity =
            std::fs::read_to_string(self.path("secrets/demo-identity.txt")).expect("demo key");
        let mut command = Command::new("just");
        command
            .args(args)
            .current_dir(self.dir.path())
            .env("PATH", path_with_standins())
            .env("NO_COLOR", "1")
            // The deployer a migration record names comes from git here, not CI's actor.
            .env_remove("GITHUB_ACTOR")
            // db-backup verify needs the key; in CI it is a secret of the job.
            .env("BULWARK_AGE_IDENTITY", identity);
        for (name, value) in CANARIES {
            command.env(name, value);
        }
        command
            .output()
            .expect("just is installed by tests/setup.sh")
    }

    fn calls(&self) -> String {
        std::fs::read_to_string(self.path("standin/calls.log")).unwrap_or_default()
    }
}

/// PATH with the recording stand-ins first (they hand over to the real tool where a
/// directory has no `standin/` folder), then the binaries under test, then the rest.
pub(crate) fn path_with_standins() -> String {
    let bins = Path::new(env!("CARGO_BIN_EXE_secrets-verify"))
        .parent()
        .expect("target dir");
    format!(
        "{STANDINS}:{}:{}",
        bins.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn assert_no_canary(output: &str) {
    for (name, value) in CANARIES {
        assert!(
            !output.contains(value),
            "the value of {name} was printed:\n{output}"
        );
    }
    let key = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/demo/secrets/demo-identity.txt"
    ))
    .expect("demo key");
    let secret_line = key
        .lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-"))
        .expect("a key line");
    assert!(
        !output.contains(secret_line),
        "the identity was printed:\n{output}"
    );
}

/// Index of the first line of `haystack` containing `needle`.
fn line_of(haystack: &str, needle: &str) -> usize {
    haystack
        .lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("`{needle}` not found in:\n{haystack}"))
}

const GOOD_MIGRATION: (&str, &str) = (
    "0004_add_user_name.sql",
    "-- Migration number: 0004 \t users get an optional display name\nALTER TABLE users ADD COLUMN name TEXT;\n",
);
const BAD_MIGRATION: (&str, &str) = (
    "0004_users_again.sql",
    "-- Migration number: 0004 \t a mistake: users already exists\nCREATE TABLE users (id INTEGER PRIMARY KEY);\n",
);

#[test]
fn release_check_runs_standards_secrets_leaks_and_migrations_in_order() {
    let demo = Demo::released_with(GOOD_MIGRATION);
    let out = demo.just(&["release-check", "production"]);
    let output = text(&out);
    assert!(out.status.success(), "{output}");
    let (one, two, three, four) = (
        line_of(&output, "1/4: deploy-lint"),
        line_of(&output, "2/4: secrets-verify"),
        line_of(&output, "3/4: leak-scan"),
        line_of(&output, "4/4: migrate-dryrun"),
    );
    assert!(one < two && two < three && three < four, "{output}");
    assert!(
        output.contains("ok: 1 worker, 0 lints, 0 disabled"),
        "{output}"
    );
    assert!(
        output.contains("(commits since the last release tag, v1.0.0)"),
        "{output}"
    );
    assert!(output.contains("0004_add_user_name.sql"), "{output}");
    assert!(
        output.trim_end().ends_with(
            "release-check production: standards met, secrets present, no new leak, migrations apply cleanly"
        ),
        "{output}"
    );
    let calls = demo.calls();
    let listed = line_of(&calls, "fly secrets list");
    let exported = line_of(&calls, "wrangler d1 export");
    assert!(
        listed < exported,
        "secrets are checked before the export:\n{calls}"
    );
    assert!(
        calls
            .lines()
            .nth(exported)
            .is_some_and(|l| l.contains("--remote")),
        "{calls}"
    );
    assert!(
        !calls.contains("migrations apply"),
        "release-check never migrates:\n{calls}"
    );
    assert_no_canary(&output);
}

#[test]
fn release_check_stops_at_the_first_failing_step() {
    let demo = Demo::released_with(GOOD_MIGRATION);
    std::fs::write(
        demo.path("standin/fly.fail"),
        "Error: not logged in; run fly auth login\n",
    )
    .expect("write");
    let out = demo.just(&["release-check", "production"]);
    let output = text(&out);
    assert!(!out.status.success(), "{output}");
    assert!(output.contains("2/4: secrets-verify"), "{output}");
    assert!(output.contains("fly: could not list secrets"), "{output}");
    assert!(
        !output.contains("3/4"),
        "leak-scan ran after a failed step:\n{output}"
    );
    assert!(!demo.calls().contains("d1 export"), "{}", demo.calls());
    assert_no_canary(&output);
}

#[test]
fn release_check_stops_at_deploy_lint_before_any_target_is_asked() {
    let demo = Demo::released_with(GOOD_MIGRATION);
    let wrangler = demo.path("wrangler.jsonc");
    let text_before = std::fs::read_to_string(&wrangler).expect("read");
    let changed = text_before.replace(
        "\"compatibility_date\": \"2026-11-01\"",
        "\"compatibility_date\": \"2024-01-01\"",
    );
    assert_ne!(changed, text_before, "the demo sets its compatibility_date");
    std::fs::write(&wrangler, changed).expect("write");
    let out = demo.just(&["release-check", "production"]);
    let output = text(&out);
    assert!(!out.status.success(), "{output}");
    assert!(
        output.contains("error[baseline] wrangler.jsonc:"),
        "{output}"
    );
    assert!(
        !output.contains("2/4"),
        "secrets-verify ran after a failed step:\n{output}"
    );
    assert!(demo.calls().is_empty(), "{}", demo.calls());
    assert_no_canary(&output);
}

#[test]
fn migrate_applies_for_real_only_after_a_clean_dry_run_and_a_backup() {
    let demo = Demo::released_with(GOOD_MIGRATION);
    let out = demo.just(&["migrate", "production"]);
    let output = text(&out);
    assert!(out.status.success(), "{output}");
    let calls = demo.calls();
    let dry_run = line_of(&calls, "wrangler d1 export");
    let apply = line_of(
        &calls,
        "wrangler d1 migrations apply DB --env production --remote",
    );
    let exports = calls
        .lines()
        .filter(|l| l.contains("wrangler d1 export"))
        .count();
    assert_eq!(
        exports, 1,
        "one export, shared by the dry run and the backup (D1 serves no queries during one):\n{calls}"
    );
    assert!(dry_run < apply, "{calls}");
    // After the real apply, status reads the remote's migrations table (no export).
    let status = calls
        .lines()
        .collect::<Vec<_>>()
        .iter()
        .rposition(|l| l.contains("d1_migrations"))
        .expect("status queried d1_migrations");
    assert!(status > apply, "{calls}");
    assert!(
        output.contains("applied: 4 migrations applied, as the dry run of"),
        "{output}"
    );
    let log = std::fs::read_to_string(demo.path("migrations.jsonl")).expect("migration log");
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(lines.len(), 2, "{log}");
    assert_eq!(lines[0]["kind"], "dry-run");
    assert_eq!(lines[0]["verdict"], "ok");
    assert_eq!(
        lines[0]["migrations"],
        serde_json::json!([GOOD_MIGRATION.0])
    );
    assert_eq!(lines[0]["env"], "production");
    assert_eq!(lines[0]["deployer"], "Demo Dev <dev@demo.invalid>");
    assert_eq!(lines[1]["kind"], "status");
    assert_eq!(lines[1]["verdict"], "applied");
    let backups: Vec<_> = std::fs::read_dir(demo.path("backups/production"))
        .expect("backup dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        backups.iter().any(|n| n.ends_with(".sql.zst.age")),
        "{backups:?}"
    );
    assert!(
        backups.iter().any(|n| n.ends_with(".manifest.json")),
        "{backups:?}"
    );
    assert_no_canary(&output);
}

#[test]
fn migrate_stops_before_the_backup_and_the_real_migration_when_the_dry_run_fails() {
    let demo = Demo::released_with(BAD_MIGRATION);
    let out = demo.just(&["migrate", "production"]);
    let output = text(&out);
    assert!(!out.status.success(), "{output}");
    assert!(output.contains("0004_users_again.sql"), "{output}");
    let calls = demo.calls();
    assert_eq!(
        calls.lines().filter(|l| l.contains("d1 export")).count(),
        1,
        "{calls}"
    );
    assert!(
        !calls.contains("migrations apply"),
        "migrated despite a failing dry run:\n{calls}"
    );
    assert!(
        !demo.path("backups/production").exists(),
        "backed up despite a failing dry run"
    );
    let log = std::fs::read_to_string(demo.path("migrations.jsonl")).expect("migration log");
    assert_eq!(log.lines().count(), 1, "{log}");
    assert!(log.contains("\"verdict\":\"failed\""), "{log}");
    assert_no_canary(&output);
}

#[test]
fn the_installed_pre_commit_hook_refuses_a_commit_that_adds_a_secret() {
    let dir = tempfile::tempdir().expect("temp dir");
    let repo = dir.path();
    git(repo, &["init", "-q", "-b", "main"]);
    git(repo, &["config", "user.email", "dev@demo.invalid"]);
    git(repo, &["config", "user.name", "Demo Dev"]);
    std::fs::write(repo.join("README.md"), "# app\n").expect("write");
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-q", "-m", "start"]);
    let bins = Path::new(env!("CARGO_BIN_EXE_leak-scan"))
        .parent()
        .expect("target dir")
        .to_owned();
    let path = format!(
        "{}:{}",
        bins.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let installed = Command::new(env!("CARGO_BIN_EXE_leak-scan"))
        .args(["install-hook", "."])
        .current_dir(repo)
        .output()
        .expect("runs");
    assert!(installed.status.success(), "{}", text(&installed));
    // A fresh age identity: a real secret shape with a valid checksum, made for this test.
    let key = Command::new("age-keygen")
        .output()
        .expect("age-keygen is installed by tests/setup.sh");
    let key = String::from_utf8(key.stdout).expect("utf-8");
    let secret = key
        .lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-"))
        .expect("a key")
        .to_owned();
    std::fs::write(repo.join("deploy.env"), format!("AGE_KEY={secret}\n")).expect("write");
    git(repo, &["add", "deploy.env"]);
    let commit = |message: &str| {
        Command::new("git")
            .args(["commit", "-q", "-m", message])
            .current_dir(repo)
            .env("PATH", &path)
            .output()
            .expect("git runs")
    };
    let refused = commit("add deploy config");
    assert!(
        !refused.status.success(),
        "the commit went through:\n{}",
        text(&refused)
    );
    let output = text(&refused);
    assert!(output.contains("deploy.env"), "{output}");
    assert!(
        !output.contains(&secret),
        "the hook printed the secret:\n{output}"
    );
    let log = Command::new("git")
        .args(["log", "--oneline"])
        .current_dir(repo)
        .output()
        .expect("git");
    assert_eq!(
        String::from_utf8_lossy(&log.stdout).lines().count(),
        1,
        "nothing was committed"
    );
    // Without the secret, the same commit passes the hook.
    std::fs::write(repo.join("deploy.env"), "AGE_KEY_FILE=/run/secrets/age\n").expect("write");
    git(repo, &["add", "deploy.env"]);
    let accepted = commit("add deploy config");
    assert!(accepted.status.success(), "{}", text(&accepted));
}

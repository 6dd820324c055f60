//! docs/README.md, the page a new user follows from `git clone` to a first
//! `release-check`, run as written: its `bulwark.toml`, then every command of its shell
//! blocks in order, in a new project (a git repository with a wrangler.jsonc and D1
//! migrations), with a new HOME, the built binaries and the real `age` and `just` on PATH,
//! and the recording stand-in for wrangler, since Cloudflare is out of reach. Each command
//! must exit 0, as the page promises, and no secret value may show in any output.
//!
//! The few lines a test cannot run as written are in [`NOT_AS_WRITTEN`], each with what
//! runs instead and why; each must still be on the page, so the list cannot go stale.

use std::path::Path;
use std::process::Command;

use crate::docs::shell_blocks;
use crate::runbook::{REMOTE, path_with_standins};

const PAGE: &str = include_str!("../docs/README.md");
const JUSTFILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/demo/justfile");
const MIGRATIONS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/demo/migrations");

/// (line on the page, what the test runs instead or `None` to skip it, why).
const NOT_AS_WRITTEN: [(&str, Option<&str>, &str); 4] = [
    (
        "git clone https://github.com/your-org/bulwark && cd bulwark",
        None,
        "the suite runs inside that clone",
    ),
    (
        "bash examples/demo/run.sh",
        None,
        "the README's first set-up command: a release build, run on its own",
    ),
    (
        "cargo install --locked --path .",
        None,
        "the test puts the binaries it built on PATH",
    ),
    (
        "secrets-sync apply                  # asks first (--yes in a script); values go on stdin",
        Some("secrets-sync apply --yes"),
        "no terminal to answer the question; the page names --yes for that",
    ),
];

/// A new user's wrangler.jsonc: one worker with a D1 database in production.
const WRANGLER: &str = r#"{
  "name": "walkthrough-api",
  "main": "src/index.js",
  "compatibility_date": "2026-11-01",
  "d1_databases": [
    { "binding": "DB", "database_name": "walkthrough-db", "database_id": "3c1f6a2e-8b4d-4e9f-a1c7-5d2b8e0f6a93", "migrations_dir": "migrations" }
  ],
  "env": {
    "production": {
      "d1_databases": [
        { "binding": "DB", "database_name": "walkthrough-db-production", "database_id": "9e4b2d7a-1f6c-4a3e-b8d5-0c7f2a9e4b61", "migrations_dir": "migrations" }
      ]
    }
  }
}
"#;

fn unique_canary(label: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .subsec_nanos();
    format!(
        "canary-walkthrough-{label}-{}-{nanos:09}",
        std::process::id()
    )
}

/// The page's commands in order, each as the script line the test runs.
fn commands() -> Vec<String> {
    let mut lines = Vec::new();
    for (_, block) in shell_blocks(PAGE) {
        for line in block.lines().filter(|l| !l.trim().is_empty()) {
            match NOT_AS_WRITTEN.iter().find(|(page, _, _)| *page == line) {
                Some((_, Some(instead), _)) => lines.push((*instead).to_owned()),
                Some((_, None, _)) => {}
                None => lines.push(line.to_owned()),
            }
        }
    }
    lines
}

#[test]
fn every_line_the_walkthrough_test_does_not_run_as_written_is_still_on_the_page() {
    let page_lines: Vec<&str> = PAGE.lines().collect();
    for (line, _, why) in NOT_AS_WRITTEN {
        assert!(
            page_lines.contains(&line),
            "docs/README.md no longer has `{line}` ({why}): update NOT_AS_WRITTEN"
        );
    }
    let commands = commands();
    for expected in ["secrets-sync set API_TOKEN", "just migrate production"] {
        assert!(
            commands.iter().any(|c| c.starts_with(expected)),
            "{commands:#?}"
        );
    }
}

/// The project before step 2 (a worker, its migrations, one of them new), what the
/// stand-in answers for production, the page's `bulwark.toml` and the runbook of step 5;
/// returns the editor script `secrets-sync edit` runs.
fn new_project(tmp: &Path, project: &Path, canaries: [&str; 2]) -> std::path::PathBuf {
    std::fs::create_dir_all(project.join("standin")).expect("project");

    // The project before step 2: a worker, its migrations, a git repository.
    std::fs::write(project.join("wrangler.jsonc"), WRANGLER).expect("wrangler.jsonc");
    std::fs::create_dir_all(project.join("migrations")).expect("migrations");
    for entry in std::fs::read_dir(MIGRATIONS).expect("demo migrations") {
        let entry = entry.expect("entry");
        std::fs::copy(
            entry.path(),
            project.join("migrations").join(entry.file_name()),
        )
        .expect("copy migration");
    }
    // One migration production has not seen yet, for the dry run and the real apply.
    std::fs::write(
        project.join("migrations/0004_add_user_name.sql"),
        "-- Migration number: 0004 \t users get an optional display name\nALTER TABLE users ADD COLUMN name TEXT;\n",
    )
    .expect("new migration");
    // What the stand-in answers for production: the secret names the apply sends, and
    // the D1 database (an export the real wrangler made of the demo's).
    std::fs::write(
        project.join("standin/wrangler-secret-list.production.json"),
        r#"[{"name":"API_TOKEN","type":"secret_text"},{"name":"SUPABASE_URL","type":"secret_text"}]"#,
    )
    .expect("stand-in answer");
    // The migrations production has applied, which `migrate-dryrun status --remote` reads
    // back after the real apply.
    std::fs::write(
        project.join("standin/d1-applied-DB.txt"),
        "0001_create_users.sql\n0002_create_notes.sql\n0003_add_note_title.sql\n",
    )
    .expect("stand-in answer");
    for (fixture, answer) in REMOTE {
        std::fs::copy(fixture, project.join(answer)).expect("stand-in answer");
    }
    std::fs::write(project.join("standin/canaries"), canaries.join("\n")).expect("canaries");
    // `secrets-sync edit` opens $EDITOR: this one adds a line, as a user would.
    let editor = tmp.join("editor.sh");
    std::fs::write(
        &editor,
        "#!/bin/sh\nprintf 'SUPABASE_URL=%s\\n' \"$WALKTHROUGH_SUPABASE_URL\" >> \"$1\"\n",
    )
    .expect("editor");
    std::fs::set_permissions(&editor, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");

    // bulwark.toml is the page's, as written.
    let toml = PAGE
        .split("```toml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the page shows a bulwark.toml");
    std::fs::write(project.join("bulwark.toml"), toml).expect("bulwark.toml");
    // Step 5 copies the runbook; the demo's `db` is already `DB`.
    std::fs::copy(JUSTFILE, project.join("justfile")).expect("justfile");
    editor
}

/// The script that runs the page's commands in order, printing `@@ COMMAND` before and
/// `@@ exit CODE` after each. The project is committed before step 4, as the page says
/// to commit the store, so that `leak-scan git .` has a history to read.
fn script() -> String {
    use std::fmt::Write as _;
    let mut script = String::from(
        "set -u\n\
         git init -q -b main\n\
         git config user.email dev@walkthrough.invalid\n\
         git config user.name 'Walkthrough Dev'\n\
         printf 'standin/\\nbackups/\\n' >> .git/info/exclude\n",
    );
    for command in commands() {
        if command.starts_with("secrets-sync exec -- secrets-verify") {
            script.push_str("git add -A && git commit -q -m 'project with its store'\n");
        }
        let stdin = if command.starts_with("secrets-sync set API_TOKEN") {
            " <<<\"$WALKTHROUGH_API_TOKEN\""
        } else {
            ""
        };
        let quoted = shlex::try_quote(&format!("@@ {command}"))
            .expect("quotable")
            .into_owned();
        writeln!(
            script,
            "echo {quoted}\n( {command}\n){stdin}\necho \"@@ exit $?\""
        )
        .expect("write to a String");
    }
    script
}

#[test]
fn the_getting_started_page_works_as_written_with_a_recording_wrangler_standin() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let home = tmp.path().join("home");
    let project = tmp.path().join("project");
    std::fs::create_dir_all(&home).expect("home");
    let api_token = unique_canary("api");
    let supabase_url = format!("https://{}.supabase.invalid", unique_canary("url"));
    let editor = new_project(tmp.path(), &project, [&api_token, &supabase_url]);
    // A throw-away session keyring: the identity comes from the page's key file.
    let out = Command::new("keyctl")
        .args(["session", "-", "bash", "-c", &script()])
        .current_dir(&project)
        .env("HOME", &home)
        .env("PATH", path_with_standins())
        .env("NO_COLOR", "1")
        .env("EDITOR", &editor)
        .env_remove("VISUAL")
        .env_remove("BULWARK_AGE_IDENTITY")
        .env_remove("GITHUB_ACTIONS")
        .env("WALKTHROUGH_API_TOKEN", &api_token)
        .env("WALKTHROUGH_SUPABASE_URL", &supabase_url)
        .env("GIT_AUTHOR_DATE", "2026-11-01T10:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-11-01T10:00:00Z")
        .output()
        .expect("keyctl (keyutils) is installed by tests/setup.sh");
    let output = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    let mut ran = 0;
    let mut current = String::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        if let Some(code) = line.strip_prefix("@@ exit ") {
            assert_eq!(code, "0", "`{current}` failed:\n{output}");
            ran += 1;
        } else if let Some(command) = line.strip_prefix("@@ ") {
            current = command.to_owned();
        }
    }
    assert_eq!(ran, commands().len(), "every command ran:\n{output}");
    for value in [&api_token, &supabase_url] {
        assert!(
            !output.contains(value.as_str()),
            "a value was printed:\n{output}"
        );
    }
    // What the page promised happened: the values reached wrangler on stdin (never argv,
    // which the stand-in refuses), the dry run read the export, the backup is encrypted,
    // and the real migration ran last.
    let calls = std::fs::read_to_string(project.join("standin/calls.log")).expect("calls");
    assert!(calls.contains("wrangler secret bulk"), "{calls}");
    let apply = calls
        .lines()
        .position(|l| l.starts_with("wrangler d1 migrations apply DB"))
        .unwrap_or_else(|| panic!("the real migration ran: {calls}"));
    let export = calls
        .lines()
        .position(|l| l.starts_with("wrangler d1 export DB"))
        .unwrap_or_else(|| panic!("the dry run exported: {calls}"));
    assert!(export < apply, "{calls}");
    assert!(
        output.contains("ok") && output.contains("0004_add_user_name.sql"),
        "the dry run saw the pending migration:\n{output}"
    );
    let backups: Vec<_> = walk(&project.join("backups"))
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(".age"))
        .collect();
    assert!(!backups.is_empty(), "just migrate made a backup:\n{output}");
    for backup in backups {
        let bytes = std::fs::read(&backup).expect("backup");
        assert!(
            bytes.starts_with(b"age-encryption.org/v1"),
            "{} is an age file",
            backup.display()
        );
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                found.extend(walk(&path));
            } else {
                found.push(path);
            }
        }
    }
    found
}

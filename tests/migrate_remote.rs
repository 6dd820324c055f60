//! migrate-dryrun and the remote D1 database: what a failed `--export-remote` says (the
//! cause wrangler gave, and a hint for that cause), `status --remote` after the real
//! apply, `--record` and GitHub annotations. The remote is either the real wrangler in
//! local mode (`tests/standins/wrangler-local-as-remote`: D1's engine, offline), the real
//! wrangler failing offline, or the recording stand-in (tests/standins/bin); each test's
//! name says which.

use std::path::PathBuf;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_migrate-dryrun");
const STANDINS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/standins/bin");
const LOCAL_AS_REMOTE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/standins/wrangler-local-as-remote"
);
const DATABASE_ID: &str = "00000000-0000-4000-8000-00000000e14e";

struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    fn new(migrations: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(
            dir.path().join("wrangler.jsonc"),
            format!(
                "{{ \"name\": \"remote\", \"compatibility_date\": \"2026-11-01\",\n  \"d1_databases\": [{{ \"binding\": \"DB\", \"database_name\": \"app\", \"database_id\": \"{DATABASE_ID}\" }}],\n  \"env\": {{ \"production\": {{ \"d1_databases\": [{{ \"binding\": \"DB\", \"database_name\": \"app\", \"database_id\": \"{DATABASE_ID}\" }}] }} }} }}\n"
            ),
        )
        .expect("config");
        std::fs::create_dir(dir.path().join("migrations")).expect("mkdir");
        let project = Self { dir };
        for (name, sql) in migrations {
            project.add(name, sql);
        }
        project
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn add(&self, name: &str, sql: &str) {
        std::fs::write(self.path("migrations").join(name), sql).expect("write");
    }

    /// migrate-dryrun in the project, with a clean environment for wrangler: no
    /// credentials, no GitHub Actions unless a test sets it.
    fn dryrun(&self, args: &[&str], envs: &[(&str, &str)]) -> Output {
        let mut command = Command::new(BIN);
        command
            .args(args)
            .current_dir(self.dir.path())
            .env("NO_COLOR", "1")
            .env("CI", "true")
            .env("WRANGLER_SEND_METRICS", "false")
            .env_remove("CLOUDFLARE_API_TOKEN")
            .env_remove("CLOUDFLARE_ACCOUNT_ID")
            .env_remove("GITHUB_ACTIONS")
            .env_remove("BULWARK_WRANGLER");
        for (name, value) in envs {
            command.env(name, value);
        }
        command.output().expect("migrate-dryrun runs")
    }

    /// `wrangler d1 migrations apply DB --local` with the real wrangler: the "real apply"
    /// on the database the local-as-remote stand-in serves.
    fn apply_for_real(&self, env: Option<&str>) {
        let mut args = vec!["d1", "migrations", "apply", "DB", "--local"];
        if let Some(env) = env {
            args.extend(["--env", env]);
        }
        let out = Command::new("wrangler")
            .args(&args)
            .current_dir(self.dir.path())
            .env("CI", "true")
            .env("WRANGLER_SEND_METRICS", "false")
            .output()
            .expect("wrangler is installed by tests/setup.sh");
        assert!(out.status.success(), "{}", text(&out));
    }
}

/// A child's stdout and stderr, for assertion messages.
pub(crate) fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn hint(stderr: &str) -> &str {
    stderr
        .lines()
        .find_map(|l| l.strip_prefix("hint: "))
        .unwrap_or_default()
}

fn path_with(dir: &str) -> String {
    format!("{dir}:{}", std::env::var("PATH").unwrap_or_default())
}

/// Issue 14 item 5: the real wrangler, offline and without a token, fails the export; the
/// error is its `✘ [ERROR]` block (not "Logs were written to …") and the hint is about
/// credentials (it used to send the user to check the database name, or to export by
/// hand, which fails the same way).
#[test]
fn export_remote_without_a_token_shows_wranglers_cause_and_a_credentials_hint_real_wrangler() {
    let project = Project::new(&[("0001_a.sql", "CREATE TABLE a(x);")]);
    let out = project.dryrun(&["--export-remote", "--database", "DB"], &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("CLOUDFLARE_API_TOKEN"), "{stderr}");
    assert!(stderr.contains("non-interactive environment"), "{stderr}");
    assert!(!stderr.contains("Logs were written"), "{stderr}");
    assert!(
        !stderr.contains("\"text\""),
        "the cause, not wrangler's JSON: {stderr}"
    );
    let advice = hint(&stderr);
    assert!(advice.contains("set CLOUDFLARE_API_TOKEN"), "{stderr}");
    assert!(
        !advice.contains("whoami") && !advice.contains("--dump"),
        "{stderr}"
    );
}

/// Issue 14 item 5: without wrangler, the hint says how to install it, not to check a
/// login.
#[test]
fn export_remote_without_wrangler_hints_how_to_install_it() {
    let project = Project::new(&[("0001_a.sql", "CREATE TABLE a(x);")]);
    let missing = project.path("no-such-wrangler");
    let out = project.dryrun(
        &["--export-remote", "--database", "DB"],
        &[("BULWARK_WRANGLER", missing.to_str().expect("utf-8"))],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(hint(&stderr).contains("install wrangler"), "{stderr}");
}

/// Issue 14 item 5: wrangler's "no such database" (the recording stand-in, failing as the
/// real one words it) gives a hint about --database and --env.
#[test]
fn export_remote_of_an_unknown_database_hints_at_database_and_env_recording_standin() {
    let project = Project::new(&[("0001_a.sql", "CREATE TABLE a(x);")]);
    std::fs::create_dir(project.path("standin")).expect("mkdir");
    std::fs::write(
        project.path("standin/wrangler-execute.fail"),
        "\n✘ [ERROR] Couldn't find a D1 DB with the name or binding 'DB' in your wrangler.json file.\n\n\n🪵  Logs were written to \"/root/.config/.wrangler/logs/wrangler.log\"\n",
    )
    .expect("fail file");
    let out = project.dryrun(
        &["--export-remote", "--database", "DB"],
        &[("PATH", &path_with(STANDINS))],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("Couldn't find a D1 DB"), "{stderr}");
    assert!(!stderr.contains("Logs were written"), "{stderr}");
    assert!(hint(&stderr).contains("--database and --env"), "{stderr}");
}

/// Issue 14 item 4: a database with FTS5 tables goes through `--export-remote` (which
/// `wrangler d1 export` alone refuses), with the real wrangler serving its local state
/// as the remote; the migration's full-text search finds the exported rows.
#[test]
fn export_remote_of_an_fts5_database_real_wrangler_local_as_remote() {
    let project = Project::new(&[(
        "0001_docs.sql",
        "CREATE TABLE posts (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT);\nCREATE INDEX posts_body ON posts (body);\nCREATE VIRTUAL TABLE docs USING fts5 (body);\nINSERT INTO docs VALUES ('hello kenobi'), ('general kenobi');\nINSERT INTO posts (body) VALUES ('x');\n",
    )]);
    project.apply_for_real(None);
    project.add(
        "0002_hits.sql",
        "CREATE TABLE hits AS SELECT rowid AS id FROM docs WHERE docs MATCH 'kenobi';\nINSERT INTO posts (body) VALUES ('y');\n",
    );
    let kept = project.path("kept.sqlite");
    let out = project.dryrun(
        &[
            "--export-remote",
            "--database",
            "DB",
            "--keep",
            kept.to_str().expect("utf-8"),
        ],
        &[("BULWARK_WRANGLER", LOCAL_AS_REMOTE)],
    );
    assert!(out.status.success(), "{}", text(&out));
    let conn = rusqlite::Connection::open(&kept).expect("kept copy");
    let one = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).expect(sql) };
    assert_eq!(one("SELECT count(*) FROM hits"), 2, "FTS5 content exported");
    assert_eq!(one("SELECT max(id) FROM posts"), 2, "AUTOINCREMENT kept");
    assert_eq!(
        one("SELECT count(*) FROM sqlite_schema WHERE name = 'posts_body'"),
        1,
        "indexes kept"
    );
}

fn sha256_hex(bytes: &[u8]) -> String {
    bulwark_migrate::record::sha256_hex(bytes)
}

fn records(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .expect("record file")
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON document per line"))
        .collect()
}

fn git(dir: &std::path::Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", text(&out));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A project under git, with 0001 applied for real and 0002 pending, dry-run with
/// `--record` through the real wrangler (local state as the remote). Returns the record
/// file and the JSON report the dry run printed.
fn dry_run_recorded() -> (Project, PathBuf, Vec<u8>) {
    let project = Project::new(&[("0001_a.sql", "CREATE TABLE a (x);\n")]);
    project.apply_for_real(Some("production"));
    project.add(
        "0002_b.sql",
        "CREATE TABLE b (y);\nINSERT INTO a VALUES (1);\n",
    );
    git(project.dir.path(), &["init", "-q", "-b", "main"]);
    git(project.dir.path(), &["add", "-A"]);
    git(
        project.dir.path(),
        &[
            "-c",
            "user.name=Dev",
            "-c",
            "user.email=dev@demo.invalid",
            "commit",
            "-q",
            "-m",
            "release",
        ],
    );
    let record = project.path("migrations.jsonl");
    let out = project.dryrun(
        &[
            "--env",
            "production",
            "--database",
            "DB",
            "--export-remote",
            "--format",
            "json",
            "--record",
            record.to_str().expect("utf-8"),
        ],
        &[
            ("BULWARK_WRANGLER", LOCAL_AS_REMOTE),
            ("GITHUB_ACTOR", "octo-deployer"),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    (project, record, out.stdout)
}

/// Issue 14 item 8: `--record` appends one line per run: UTC time, the commit, the
/// deployer (`$GITHUB_ACTOR`), env, database, what the dry run applied, its verdict and
/// the SHA-256 of the very JSON report it printed. After the real apply, `status
/// --remote` finds exactly the predicted set applied and records that too.
#[test]
fn status_remote_confirms_what_the_recorded_dry_run_predicted_real_wrangler_local_as_remote() {
    let (project, record, report) = dry_run_recorded();
    let lines = records(&record);
    assert_eq!(lines.len(), 1, "{lines:?}");
    let line = &lines[0];
    assert_eq!(line["kind"], "dry-run");
    assert_eq!(line["env"], "production");
    assert_eq!(line["database"], "DB");
    assert_eq!(line["migrations"], serde_json::json!(["0002_b.sql"]));
    assert_eq!(line["applied_before"], 1);
    assert_eq!(line["verdict"], "ok");
    assert_eq!(line["deployer"], "octo-deployer");
    assert_eq!(
        line["commit"],
        git(project.dir.path(), &["rev-parse", "HEAD"])
    );
    assert_eq!(line["report_sha256"], sha256_hex(&report));
    let time = line["time"].as_str().expect("time");
    assert!(time.ends_with('Z') && time.len() == 20, "{time}");

    // Before the real apply, the predicted migration is missing.
    let record_arg = record.to_str().expect("utf-8");
    let status = |project: &Project| {
        project.dryrun(
            &[
                "status",
                "--env",
                "production",
                "--database",
                "DB",
                "--remote",
                "--record",
                record_arg,
                "--format",
                "json",
            ],
            &[("BULWARK_WRANGLER", LOCAL_AS_REMOTE)],
        )
    };
    let out = status(&project);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(doc["missing"], serde_json::json!(["0002_b.sql"]));

    project.apply_for_real(Some("production"));
    let out = status(&project);
    assert!(out.status.success(), "{}", text(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(doc["verdict"], "applied");
    assert_eq!(
        doc["applied"],
        serde_json::json!(["0001_a.sql", "0002_b.sql"])
    );
    let lines = records(&record);
    assert_eq!(lines.len(), 3, "one line per run: {lines:?}");
    assert_eq!(lines[2]["kind"], "status");
    assert_eq!(lines[2]["verdict"], "applied");
    assert_eq!(lines[2]["report_sha256"], sha256_hex(&out.stdout));
}

/// Issue 14 item 8: a migration applied beyond what the dry run predicted (added after
/// it) is "something else": status fails.
#[test]
fn status_remote_fails_on_a_migration_the_dry_run_did_not_predict_real_wrangler_local_as_remote() {
    let (project, record, _) = dry_run_recorded();
    project.add("0003_late.sql", "CREATE TABLE late (z);\n");
    project.apply_for_real(Some("production"));
    let out = project.dryrun(
        &[
            "status",
            "--env",
            "production",
            "--database",
            "DB",
            "--remote",
            "--record",
            record.to_str().expect("utf-8"),
        ],
        &[("BULWARK_WRANGLER", LOCAL_AS_REMOTE)],
    );
    let output = text(&out);
    assert_eq!(out.status.code(), Some(1), "{output}");
    assert!(output.contains("unexpected 0003_late.sql"), "{output}");
    assert!(output.contains("mismatch"), "{output}");
}

/// Issue 14 item 8: under GitHub Actions, a failing migration and a lint error become
/// `::error file=…,line=…` annotations on the migration file; outside it, none.
#[test]
fn github_actions_annotates_failing_migrations_and_lint_errors() {
    let project = Project::new(&[
        (
            "0001_a.sql",
            "CREATE TABLE a (x);\nINSERT INTO a VALUES (1);\n",
        ),
        ("0002_drop.sql", "CREATE TABLE keep (y);\nDROP TABLE a;\n"),
        (
            "0003_bad.sql",
            "CREATE TABLE c (z);\nINSERT INTO nowhere VALUES (1);\n",
        ),
    ]);
    let args = ["--migrations", "migrations", "--strict"];
    let out = project.dryrun(&args, &[("GITHUB_ACTIONS", "true")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("::error file=migrations/0003_bad.sql,line=2,title=migration fails::"),
        "{stderr}"
    );
    assert!(
        stderr.contains("::error file=migrations/0002_drop.sql,line=2,title=drop-table::"),
        "{stderr}"
    );
    let out = project.dryrun(&args, &[]);
    assert!(!text(&out).contains("::error"), "{}", text(&out));
}

/// Issue 14 (time bound): a migration that never ends stops at --timeout with exit 3
/// (it could not be checked), naming the migration, and leaves no private copy.
#[test]
fn a_migration_past_the_timeout_stops_with_exit_3() {
    let project = Project::new(&[(
        "0001_forever.sql",
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n;\n",
    )]);
    let started = std::time::Instant::now();
    let out = project.dryrun(&["--migrations", "migrations", "--timeout", "2"], &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("0001_forever.sql ran for more than 2 s"),
        "{stderr}"
    );
    assert!(hint(&stderr).contains("--timeout"), "{stderr}");
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
}

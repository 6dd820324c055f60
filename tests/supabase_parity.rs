//! Supabase parity: every case in `tests/supabase-parity/<case>/` (a `migrations/`
//! directory, an optional `pre.sql` that sets up the database before the push, an
//! optional `role` the CLI and the dry run log in as (after `hosted-roles.sql`), an
//! optional `dump` marker (the dry run copies a dump of the twin without the platform's
//! schemas, as `supabase db dump` writes it), and the `expected` verdict) is pushed by the real `supabase db push --db-url … --yes` (npm
//! `supabase@2.117.0`, installed by tests/setup.sh) into one database of a throw-away
//! PostgreSQL, and dry-run by `migrate-dryrun --postgres-env` against a twin database.
//! The test asserts both give the same verdict (ok, the failing file, or the refusal),
//! the same applied versions, the same tables afterwards and the same rows lost, and that
//! the dry run left its source database as it was.
//!
//! A separate test binary: it drives the Supabase CLI, which trycmd cannot.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use bulwark_pg::LocalServer;

const BIN: &str = env!("CARGO_BIN_EXE_migrate-dryrun");

#[expect(
    dead_code,
    reason = "files_under and url serve the other PostgreSQL tests"
)]
mod pg_support;
use pg_support::{pg_bin, text};

/// The schemas a case with a `dump` file leaves out of its dump, as `supabase db dump`
/// leaves out the platform's.
const SUPABASE_DUMP_EXCLUDES: [&str; 4] = ["auth", "storage", "extensions", "supabase_migrations"];

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/supabase-parity")
}

/// The Supabase CLI: `BULWARK_SUPABASE`, else `supabase` on PATH (tests/setup.sh puts
/// the npm-installed one there). Missing means setup did not run: fail, never skip.
fn supabase_cli() -> PathBuf {
    if let Some(path) = std::env::var_os("BULWARK_SUPABASE") {
        return PathBuf::from(path);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join("supabase"))
        .find(|candidate| candidate.is_file())
        .expect("the Supabase CLI is installed: run `eval \"$(bash tests/setup.sh)\"`")
}

/// What a database holds that the verdicts are compared on.
#[derive(Debug, Clone, PartialEq, Eq)]
struct State {
    versions: Vec<String>,
    tables: BTreeMap<String, u64>,
}

fn state(server: &LocalServer, database: &str) -> State {
    let client = server.client_for(database);
    let exists = client
        .psql("SELECT to_regclass('supabase_migrations.schema_migrations') IS NOT NULL;\n")
        .expect("history lookup");
    let versions = if exists.trim() == "t" {
        client
            .psql("SELECT coalesce(json_agg(version ORDER BY version), '[]'::json) FROM supabase_migrations.schema_migrations;\n")
            .expect("versions")
    } else {
        "[]".to_owned()
    };
    let versions: Vec<String> = serde_json::from_str(versions.trim()).expect("versions");
    let stats = client.stats(None).expect("stats");
    let tables = stats
        .tables
        .into_iter()
        .filter(|t| !t.name.starts_with("supabase_migrations."))
        .map(|t| (t.name, t.rows))
        .collect();
    State { versions, tables }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
    }
}

/// The CLI's verdict from its output: `ok`, `failed FILE` or `refused KIND`.
fn cli_verdict(status: Option<i32>, stderr: &str) -> String {
    if stderr.contains("Remote migration versions not found in local migrations directory") {
        return "refused remote-only".to_owned();
    }
    if stderr.contains("Found local migration files to be inserted before the last migration") {
        return "refused out-of-order".to_owned();
    }
    if status == Some(0) {
        return "ok".to_owned();
    }
    let last = stderr
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("Applying migration "))
        .map(|l| l.trim_end_matches("...").to_owned());
    format!("failed {}", last.unwrap_or_else(|| "?".to_owned()))
}

fn dry_verdict(report: &serde_json::Value) -> String {
    match report["verdict"].as_str() {
        Some("ok") => "ok".to_owned(),
        Some("refused") => format!(
            "refused {}",
            report["postgres"]["refusal"]["kind"]
                .as_str()
                .unwrap_or("?")
        ),
        Some("failed") => {
            let failed = report["migrations"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|m| m["status"] == "failed");
            format!(
                "failed {}",
                failed.and_then(|m| m["name"].as_str()).unwrap_or("?")
            )
        }
        other => format!("{other:?}"),
    }
}

#[expect(
    clippy::too_many_lines,
    reason = "one case: set up, push, dry-run, then each comparison in turn"
)]
fn run_case(server: &LocalServer, case: &Path) -> Result<(), String> {
    let name = case
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    let db = name.replace('-', "_");
    let (pushed, dry) = (format!("push_{db}"), format!("dry_{db}"));
    let admin = server.client();
    admin
        .psql(&format!(
            "CREATE DATABASE {pushed};\nCREATE DATABASE {dry};\n"
        ))
        .expect("create databases");
    // A case with a `role` runs as that role against production set up as on hosted
    // Supabase (hosted-roles.sql), then its own pre.sql.
    let hosted = case.join("role").is_file();
    for pre in [
        hosted.then(|| cases_dir().join("hosted-roles.sql")),
        Some(case.join("pre.sql")),
    ]
    .into_iter()
    .flatten()
    {
        if let Ok(pre) = std::fs::read_to_string(pre) {
            for database in [&pushed, &dry] {
                server.client_for(database).psql(&pre).expect("pre.sql");
            }
        }
    }
    let project = tempfile::tempdir().expect("project dir");
    let migrations = project.path().join("supabase/migrations");
    copy_dir(&case.join("migrations"), &migrations);
    let before = state(server, &dry);
    // The role both log in as: the server's superuser unless the case names another.
    let role = std::fs::read_to_string(case.join("role"))
        .map_or_else(|_| server.superuser().to_owned(), |r| r.trim().to_owned());

    let url = format!(
        "postgresql://{role}@localhost:5432/{pushed}?host={}&sslmode=disable",
        server.dir().display()
    );
    let cli = Command::new(supabase_cli())
        .args(["db", "push", "--db-url", &url, "--yes"])
        .current_dir(project.path())
        .env("DO_NOT_TRACK", "1")
        .env("SUPABASE_TELEMETRY_DISABLED", "1")
        .output()
        .expect("supabase runs");
    let cli_stderr = format!(
        "{}{}",
        String::from_utf8_lossy(&cli.stdout),
        String::from_utf8_lossy(&cli.stderr)
    );
    let expected_cli = cli_verdict(cli.status.code(), &cli_stderr);
    let after_push = state(server, &pushed);

    let canary = format!("canary-pw-{db}-5e1f");
    let dry_url = format!(
        "postgres://{role}:{canary}@/{dry}?host={}&port=5432",
        server.dir().display()
    );
    let mut dry_run = Command::new(BIN);
    dry_run
        .args(["--format", "json", "--migrations"])
        .arg(&migrations);
    if case.join("dump").is_file() {
        // The dry run copies a dump of the twin as `supabase db dump` writes it, without
        // the platform's schemas: they get the dry run's stand-ins.
        let dump = project.path().join("schema.sql");
        let done = Command::new(pg_bin().join("pg_dump"))
            .args(["--format=plain", "--file"])
            .arg(&dump)
            .args(SUPABASE_DUMP_EXCLUDES.map(|s| format!("--exclude-schema={s}")))
            .env("PGHOST", server.dir())
            .env("PGPORT", "5432")
            .env("PGUSER", server.superuser())
            .env("PGDATABASE", &dry)
            .output()
            .expect("pg_dump runs");
        assert!(done.status.success(), "{}", text(&done));
        dry_run.args(["--postgres", "--dump"]).arg(&dump);
    } else {
        dry_run.args(["--postgres-env", "PARITY_URL"]);
    }
    let out = dry_run
        .current_dir(project.path())
        .env("PARITY_URL", &dry_url)
        .env("NO_COLOR", "1")
        .output()
        .expect("migrate-dryrun runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if stdout.contains(&canary) || stderr.contains(&canary) {
        return Err(format!("{name}: the password reached the output"));
    }
    let report: serde_json::Value = serde_json::from_str(&stdout)
        .map_err(|err| format!("{name}: no JSON report ({err}): {stderr}"))?;
    let verdict = dry_verdict(&report);
    let expected = std::fs::read_to_string(case.join("expected"))
        .expect("expected")
        .trim()
        .to_owned();

    let mut problems = Vec::new();
    if expected_cli != expected {
        problems.push(format!(
            "the CLI's verdict `{expected_cli}` is not the case's `{expected}`: {cli_stderr}"
        ));
    }
    if verdict != expected_cli {
        problems.push(format!(
            "migrate-dryrun says `{verdict}`, supabase db push `{expected_cli}`"
        ));
    }
    let exit = out.status.code();
    if (expected_cli == "ok") != (exit == Some(0)) || exit == Some(2) || exit == Some(3) {
        problems.push(format!(
            "migrate-dryrun exited {exit:?} for `{expected_cli}`: {stderr}"
        ));
    }
    // The versions the dry run says end up recorded: the applied ones and the ok ones.
    let mut dry_versions: Vec<String> = before.versions.clone();
    for m in report["migrations"].as_array().into_iter().flatten() {
        if m["status"] == "ok" {
            let file = m["name"].as_str().unwrap_or("");
            dry_versions.push(file.split('_').next().unwrap_or("").to_owned());
        }
    }
    dry_versions.sort();
    if dry_versions != after_push.versions {
        problems.push(format!(
            "applied versions: migrate-dryrun {dry_versions:?}, supabase db push {:?}",
            after_push.versions
        ));
    }
    // The tables afterwards: the source's, plus what the diff adds, minus what it drops.
    let mut dry_tables: BTreeSet<String> = before.tables.keys().cloned().collect();
    let diff = &report["schema_diff"];
    for added in diff["added"].as_array().into_iter().flatten() {
        if added["kind"] == "table" {
            dry_tables.insert(added["name"].as_str().unwrap_or("").to_owned());
        }
    }
    for dropped in diff["dropped"].as_array().into_iter().flatten() {
        if dropped["kind"] == "table" {
            dry_tables.remove(dropped["name"].as_str().unwrap_or(""));
        }
    }
    let pushed_tables: BTreeSet<String> = after_push.tables.keys().cloned().collect();
    if dry_tables != pushed_tables {
        problems.push(format!(
            "tables afterwards: migrate-dryrun {dry_tables:?}, supabase db push {pushed_tables:?}"
        ));
    }
    // Rows lost: every table that kept its name and lost rows in the push.
    let mut lost_push: BTreeMap<String, u64> = BTreeMap::new();
    for (table, rows) in &before.tables {
        if let Some(after) = after_push.tables.get(table)
            && after < rows
        {
            lost_push.insert(table.clone(), rows - after);
        }
    }
    let mut lost_dry: BTreeMap<String, u64> = BTreeMap::new();
    for lost in report["data_at_risk"]["rows_lost"]
        .as_array()
        .into_iter()
        .flatten()
    {
        *lost_dry
            .entry(lost["table"].as_str().unwrap_or("").to_owned())
            .or_default() += lost["rows_lost"].as_u64().unwrap_or(0);
    }
    if lost_dry != lost_push {
        problems.push(format!(
            "rows lost: migrate-dryrun {lost_dry:?}, supabase db push {lost_push:?}"
        ));
    }
    // Production is never written.
    let after_dry = state(server, &dry);
    if after_dry != before {
        problems.push(format!(
            "the dry run changed its source: {before:?} -> {after_dry:?}"
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{name}:\n  {}", problems.join("\n  ")))
    }
}

#[test]
fn supabase_db_push_and_migrate_dryrun_agree() {
    let server = LocalServer::start().expect("a throw-away PostgreSQL");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(cases_dir())
        .expect("cases")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    let only = std::env::var("SUPABASE_PARITY_CASES").unwrap_or_default();
    let mut failures = Vec::new();
    let mut ran = 0;
    for case in cases
        .iter()
        .filter(|c| c.to_string_lossy().contains(only.as_str()))
    {
        ran += 1;
        if let Err(problem) = run_case(&server, case) {
            failures.push(problem);
        }
    }
    assert!(ran >= 11 || !only.is_empty(), "only {ran} cases ran");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

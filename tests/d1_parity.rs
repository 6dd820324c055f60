//! D1 parity: every case in `tests/d1-parity/<case>/` (a `migrations/` directory, an
//! optional `seed.sql` and the `expected` outcome) runs through `migrate-dryrun` and,
//! with the real `wrangler d1 migrations apply --local` (installed by tests/setup.sh),
//! through D1's local engine. The test asserts that both give the same outcome per
//! migration (ok / failed with the same error class / not run), the same applied list
//! and the same final schema, and that migrate-dryrun never writes the source database.
//! After wrangler's apply, `migrate-dryrun status` must find exactly what the dry run
//! recorded (`--record`) as its prediction applied.
//!
//! A separate test binary because it runs wrangler (2–5 s per case, run on 4 threads),
//! which `tests/cli.rs`'s trycmd cases cannot drive.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use rusqlite::Connection;

const DATABASE_ID: &str = "00000000-0000-4000-8000-00000000d1d1";

#[derive(Debug, Clone, PartialEq, Eq)]
struct Outcome {
    name: String,
    status: String,
    class: Option<String>,
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.name, self.status)?;
        if let Some(class) = &self.class {
            write!(f, " {class}")?;
        }
        Ok(())
    }
}

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/d1-parity")
}

fn wrangler() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("wrangler"))
        .find(|candidate| candidate.is_file())
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read case dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

fn local_state_file(project: &Path) -> PathBuf {
    project
        .join(".wrangler/state/v3/d1/miniflare-D1DatabaseObject")
        .join(format!(
            "{}.sqlite",
            bulwark_migrate::snapshot::local_object_id(DATABASE_ID)
        ))
}

/// What migrate-dryrun said: the outcome of each pending migration, and the tables it
/// reports losing rows (`table rows_lost`, sorted).
struct DryRun {
    outcomes: Vec<Outcome>,
    rows_lost: Vec<String>,
}

/// The real wrangler with `--remote` turned into `--local`: the export path against D1's
/// engine, offline.
const LOCAL_AS_REMOTE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/standins/wrangler-local-as-remote"
);

/// The dry run's `--record` file, in the case's project.
const RECORD: &str = "migrations.jsonl";

/// `migrate-dryrun status` after wrangler's real apply, against the dry run's record: it
/// must find exactly what the dry run predicted applied (issue 14 item 8), read the way
/// the dry run read it (`--remote` through the export path, else `--local`).
fn status_after_apply(project: &Path, read: Read) -> Result<(), String> {
    let mut command = Command::new(env!("CARGO_BIN_EXE_migrate-dryrun"));
    command
        .current_dir(project)
        .args(["status", "--format", "json", "--record"])
        .arg(project.join(RECORD))
        .env("NO_COLOR", "1");
    if read == Read::Export {
        command
            .arg("--remote")
            .env("BULWARK_WRANGLER", LOCAL_AS_REMOTE)
            .env("WRANGLER_SEND_METRICS", "false");
    } else {
        command.arg("--local");
    }
    let output = command
        .output()
        .map_err(|e| format!("migrate-dryrun status: {e}"))?;
    let doc: serde_json::Value = serde_json::from_slice(&output.stdout).map_err(|e| {
        format!(
            "migrate-dryrun status printed no JSON ({e}); stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    })?;
    if doc["verdict"] == "applied" && output.status.code() == Some(0) {
        Ok(())
    } else {
        Err(format!("status after wrangler's apply: {doc}"))
    }
}

/// How migrate-dryrun reads the case's database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Read {
    /// No seed: an empty database.
    Empty,
    /// `--local`: wrangler's local state file.
    Local,
    /// `--export-remote` through the real wrangler, local state as the remote
    /// (a `via-export` file in the case).
    Export,
}

/// How migrate-dryrun reads `case`'s database; `None` when that needs wrangler and
/// there is none.
fn read_of(case: &Path, seeded: bool, wrangler: Option<&Path>) -> Option<Read> {
    if !seeded {
        Some(Read::Empty)
    } else if case.join("via-export").is_file() {
        wrangler.map(|_| Read::Export)
    } else {
        Some(Read::Local)
    }
}

/// `migrate-dryrun --format json`: the outcome of each pending migration.
fn dryrun(project: &Path, read: Read, kept: &Path) -> Result<DryRun, String> {
    let mut command = Command::new(env!("CARGO_BIN_EXE_migrate-dryrun"));
    command
        .current_dir(project)
        .args(["--format", "json", "--keep"])
        .arg(kept)
        .arg("--record")
        .arg(project.join(RECORD))
        .env("NO_COLOR", "1");
    match read {
        Read::Empty => {}
        Read::Local => {
            command.arg("--local");
        }
        Read::Export => {
            command
                .arg("--export-remote")
                .env("BULWARK_WRANGLER", LOCAL_AS_REMOTE)
                .env("WRANGLER_SEND_METRICS", "false");
        }
    }
    let output = command
        .output()
        .map_err(|e| format!("migrate-dryrun: {e}"))?;
    let doc: serde_json::Value = serde_json::from_slice(&output.stdout).map_err(|e| {
        format!(
            "migrate-dryrun printed no JSON ({e}); stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    })?;
    let code = output.status.code();
    let verdict = doc["verdict"].as_str().unwrap_or_default();
    if (verdict == "ok") != (code == Some(0)) {
        return Err(format!("verdict {verdict} but exit {code:?}"));
    }
    let migrations = doc["migrations"].as_array().ok_or("no migrations array")?;
    let outcomes = migrations
        .iter()
        .filter(|m| m["status"] != "already-applied")
        .map(|m| Outcome {
            name: m["name"].as_str().unwrap_or_default().to_owned(),
            status: m["status"].as_str().unwrap_or_default().to_owned(),
            class: m["error"]["class"].as_str().map(str::to_owned),
        })
        .collect();
    let mut rows_lost: Vec<String> = doc["data_at_risk"]["rows_lost"]
        .as_array()
        .ok_or("no data_at_risk.rows_lost")?
        .iter()
        .map(|l| {
            format!(
                "{} {}",
                l["table"].as_str().unwrap_or_default(),
                l["rows_lost"]
            )
        })
        .collect();
    rows_lost.sort();
    Ok(DryRun {
        outcomes,
        rows_lost,
    })
}

/// The error class of wrangler's message, as migrate-dryrun names it.
fn wrangler_class(message: &str) -> String {
    if message.contains("To execute a transaction") {
        return "transaction".to_owned();
    }
    if message.contains("parameter bindings")
        || message.contains("only the last statement can have parameters")
    {
        return "parameters".to_owned();
    }
    if message.contains("several transactions") {
        return "wrangler".to_owned();
    }
    if message.contains("No SQL statements detected")
        || message.contains("did not contain a statement")
    {
        return "empty".to_owned();
    }
    message.find("SQLITE_").map_or_else(
        || format!("unclassified: {message}"),
        |at| {
            message[at..]
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || *c == '_')
                .collect()
        },
    )
}

fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for next in chars.by_ref() {
                if next.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// `wrangler d1 migrations apply DB --local`: the outcome of each pending migration.
fn wrangler_apply(wrangler: &Path, project: &Path) -> Result<Vec<Outcome>, String> {
    let output = Command::new(wrangler)
        .current_dir(project)
        .args(["d1", "migrations", "apply", "DB", "--local"])
        .env("CI", "1")
        .env("WRANGLER_SEND_METRICS", "false")
        .env("NO_COLOR", "1")
        .env("FORCE_COLOR", "0")
        .output()
        .map_err(|e| format!("wrangler: {e}"))?;
    let text = strip_ansi(&format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    ));
    // The last table wrangler prints has every pending migration and its status.
    let mut statuses: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let cells: Vec<&str> = line.split('│').map(str::trim).collect();
        // Wrangler's own test: names ending in `.sql`, case-sensitively.
        #[expect(
            clippy::case_sensitive_file_extension_comparisons,
            reason = "wrangler only counts names ending in lower-case `.sql`"
        )]
        let is_migration = cells.len() == 4 && cells[1].ends_with(".sql");
        if is_migration {
            let status = if cells[2].contains('✅') {
                "ok"
            } else if cells[2].contains('❌') {
                "failed"
            } else if cells[2].contains('🕒') {
                "not-run"
            } else {
                continue;
            };
            if let Some(entry) = statuses.iter_mut().find(|(n, _)| n == cells[1]) {
                status.clone_into(&mut entry.1);
            } else {
                statuses.push((cells[1].to_owned(), status.to_owned()));
            }
        }
    }
    if statuses.is_empty() && !text.contains("No migrations to apply") {
        return Err(format!("could not read wrangler's output:\n{text}"));
    }
    let error = text
        .split_once("failed with the following errors:")
        .map(|(_, rest)| {
            rest.lines()
                .map(|l| l.trim().trim_start_matches("✘ [ERROR] ").trim())
                .find(|l| !l.is_empty())
                .unwrap_or_default()
                .to_owned()
        });
    Ok(statuses
        .into_iter()
        .map(|(name, status)| Outcome {
            class: (status == "failed")
                .then(|| wrangler_class(error.as_deref().unwrap_or("no error message"))),
            name,
            status,
        })
        .collect())
}

/// Schema objects (type, name, normalised SQL, and a table's row count) and the applied
/// migrations of a database.
fn final_state(path: &Path) -> Result<(BTreeMap<String, String>, Vec<String>), String> {
    let conn = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| format!("open {}: {e}", path.display()))?;
    let read = || -> rusqlite::Result<(BTreeMap<String, String>, Vec<String>)> {
        let mut statement = conn.prepare(
            "SELECT type, name, coalesce(sql, '') FROM sqlite_schema WHERE name NOT LIKE '\\_cf\\_%' ESCAPE '\\'",
        )?;
        let mut objects = BTreeMap::new();
        let rows = statement.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        for row in rows {
            let (kind, name, sql) = row?;
            objects.insert(
                format!("{kind} {name}"),
                sql.split_whitespace().collect::<Vec<_>>().join(" "),
            );
            // Rows, so that what migrate-dryrun says about lost rows is checked against
            // D1's engine.
            if kind == "table" && !name.starts_with("sqlite_") {
                let rows: i64 = conn.query_row(
                    &format!("SELECT count(*) FROM \"{}\"", name.replace('"', "\"\"")),
                    [],
                    |r| r.get(0),
                )?;
                objects.insert(format!("rows {name}"), rows.to_string());
            }
        }
        let applied = match conn.prepare("SELECT name FROM d1_migrations ORDER BY id") {
            Ok(mut statement) => statement
                .query_map([], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?,
            Err(_) => Vec::new(),
        };
        Ok((objects, applied))
    };
    read().map_err(|e| format!("read {}: {e}", path.display()))
}

fn expected(case: &Path) -> Vec<Outcome> {
    std::fs::read_to_string(case.join("expected"))
        .expect("every case has an `expected` file")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let mut words = line.split_whitespace();
            Outcome {
                name: words.next().unwrap_or_default().to_owned(),
                status: words.next().unwrap_or_default().to_owned(),
                class: words.next().map(str::to_owned),
            }
        })
        .collect()
}

fn show(outcomes: &[Outcome]) -> String {
    outcomes
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Runs one case; returns what differs.
fn run_case(case: &Path, wrangler: Option<&Path>) -> Vec<String> {
    let mut problems = Vec::new();
    let work = tempfile::tempdir().expect("temp dir");
    let project = work.path().join("project");
    copy_dir(&case.join("migrations"), &project.join("migrations"));
    std::fs::write(
        project.join("wrangler.jsonc"),
        format!(
            "{{ \"name\": \"parity\", \"compatibility_date\": \"2026-11-01\",\n  \"d1_databases\": [{{ \"binding\": \"DB\", \"database_name\": \"parity\", \"database_id\": \"{DATABASE_ID}\" }}] }}\n"
        ),
    )
    .expect("write wrangler config");
    let seed = case.join("seed.sql");
    let state = local_state_file(&project);
    let seeded = seed.is_file();
    let mut seed_bytes = None;
    if seeded {
        std::fs::create_dir_all(state.parent().expect("has a parent")).expect("state dir");
        let conn = Connection::open(&state).expect("create local state");
        conn.execute_batch(&std::fs::read_to_string(&seed).expect("read seed"))
            .expect("seed loads");
        drop(conn);
        seed_bytes = Some(std::fs::read(&state).expect("read state"));
    }

    // Only the real wrangler exports; without it, the loud note says it is missing.
    let Some(read) = read_of(case, seeded, wrangler) else {
        return problems;
    };
    let kept = work.path().join("dryrun.sqlite");
    let (ours, rows_lost) = match dryrun(&project, read, &kept) {
        Ok(run) => (run.outcomes, run.rows_lost),
        Err(err) => return vec![err],
    };
    // `expected-rows-lost`: one `table rows` line per table the migrations leave with
    // fewer rows; no file means none.
    let mut want_lost: Vec<String> = std::fs::read_to_string(case.join("expected-rows-lost"))
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    want_lost.sort();
    if rows_lost != want_lost {
        problems.push(format!(
            "rows lost: migrate-dryrun {rows_lost:?}, expected {want_lost:?}"
        ));
    }
    // Through the export path, wrangler's own engine opens (and so writes) the state
    // file; migrate-dryrun never sees it.
    if let Some(bytes) = seed_bytes.as_ref().filter(|_| read != Read::Export)
        && std::fs::read(&state).expect("read state") != *bytes
    {
        problems.push("migrate-dryrun wrote the source database".to_owned());
    }
    let want = expected(case);
    if ours != want {
        problems.push(format!(
            "migrate-dryrun: {}\n      expected: {}",
            show(&ours),
            show(&want)
        ));
    }
    let Some(wrangler) = wrangler else {
        return problems;
    };
    let theirs = match wrangler_apply(wrangler, &project) {
        Ok(theirs) => theirs,
        Err(err) => {
            problems.push(err);
            return problems;
        }
    };
    if ours != theirs {
        problems.push(format!(
            "migrate-dryrun: {}\n       wrangler: {}",
            show(&ours),
            show(&theirs)
        ));
    }
    if let Err(err) = status_after_apply(&project, read) {
        problems.push(err);
    }
    match (final_state(&kept), final_state(&state)) {
        (Ok((our_schema, our_applied)), Ok((their_schema, their_applied))) => {
            if our_applied != their_applied {
                problems.push(format!(
                    "applied: ours {our_applied:?}, wrangler's {their_applied:?}"
                ));
            }
            for key in our_schema.keys().chain(their_schema.keys()) {
                let (a, b) = (our_schema.get(key), their_schema.get(key));
                if a != b {
                    problems.push(format!("schema {key}: ours {a:?}, wrangler's {b:?}"));
                }
            }
        }
        (Err(err), _) | (_, Err(err)) => problems.push(err),
    }
    problems.dedup();
    problems
}

#[test]
#[expect(
    clippy::print_stderr,
    reason = "a skipped parity check must be loud in the test log"
)]
fn d1_parity() {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(cases_dir())
        .expect("tests/d1-parity exists")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(
        cases.len() >= 25,
        "the parity suite has {} cases",
        cases.len()
    );
    // D1_PARITY_CASES=rebuild runs only the cases whose name contains "rebuild".
    if let Ok(filter) = std::env::var("D1_PARITY_CASES") {
        cases.retain(|case| case.to_string_lossy().contains(&filter));
    }
    let wrangler = wrangler();
    if wrangler.is_none() {
        eprintln!(
            "\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\
             !! d1-parity: `wrangler` is not on PATH, so migrate-dryrun is compared with the\n\
             !! cases' `expected` files only, NOT with D1's engine. Run `bash tests/run.sh`\n\
             !! (or `eval \"$(bash tests/setup.sh)\"`) to install wrangler and test parity.\n\
             !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n"
        );
    }
    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    let threads = std::env::var("D1_PARITY_THREADS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(4);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::SeqCst);
                    let Some(case) = cases.get(index) else { break };
                    let problems = run_case(case, wrangler.as_deref());
                    if !problems.is_empty() {
                        let name = case
                            .file_name()
                            .unwrap_or_default()
                            .to_string_lossy()
                            .into_owned();
                        failures
                            .lock()
                            .expect("no thread panicked holding the lock")
                            .push(format!("{name}:\n    {}", problems.join("\n    ")));
                    }
                }
            });
        }
    });
    let mut failures = failures.into_inner().expect("no thread panicked");
    failures.sort();
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// Issue 13 item 8: when the real wrangler refuses its own config, `wrangler d1
/// migrations apply` runs nothing, and migrate-dryrun must not predict a run: it exits 2
/// with wrangler's reason. And a config wrangler accepts is not refused.
#[test]
fn wrangler_config_refusals_match_wrangler() {
    let Some(wrangler) = wrangler() else {
        // The parity test above already says loudly that wrangler is missing.
        return;
    };
    let d1 = format!(
        "\"d1_databases\": [{{ \"binding\": \"DB\", \"database_name\": \"parity\", \"database_id\": \"{DATABASE_ID}\" }}]"
    );
    let configs = [
        format!("{{ \"name\": \"Parity\", \"compatibility_date\": \"2026-11-01\", {d1} }}"),
        format!("{{ \"name\": \"par_ity-2\", \"compatibility_date\": \"2026-11-01\", {d1} }}"),
        format!("{{ \"name\": \"parity\", \"compatibility_date\": \"2026-13-45\", {d1} }}"),
        format!("{{ \"name\": \"parity\", \"compatibility_date\": \"2026-02-31\", {d1} }}"),
        format!("{{ \"name\": 7, \"compatibility_date\": \"2026-11-01\", {d1} }}"),
        "{ \"name\": \"parity\", \"d1_databases\": [{ \"binding\": \"DB\", \"database_id\": 5 }] }"
            .to_owned(),
    ];
    let mut problems = Vec::new();
    for config in &configs {
        let work = tempfile::tempdir().expect("temp dir");
        let project = work.path();
        std::fs::create_dir(project.join("migrations")).expect("mkdir");
        std::fs::write(project.join("migrations/0001_a.sql"), "CREATE TABLE a(x);").expect("write");
        std::fs::write(project.join("wrangler.jsonc"), config).expect("write config");
        let ours = Command::new(env!("CARGO_BIN_EXE_migrate-dryrun"))
            .current_dir(project)
            .args(["--local", "--format", "json"])
            .env("NO_COLOR", "1")
            .output()
            .expect("migrate-dryrun");
        let theirs = Command::new(&wrangler)
            .current_dir(project)
            .args(["d1", "migrations", "apply", "DB", "--local"])
            .env("CI", "1")
            .env("WRANGLER_SEND_METRICS", "false")
            .env("NO_COLOR", "1")
            .env("FORCE_COLOR", "0")
            .output()
            .expect("wrangler");
        let their_text = strip_ansi(&format!(
            "{}{}",
            String::from_utf8_lossy(&theirs.stdout),
            String::from_utf8_lossy(&theirs.stderr)
        ));
        let refused = their_text.contains("Processing wrangler.jsonc configuration");
        let doc: serde_json::Value = serde_json::from_slice(&ours.stdout).unwrap_or_default();
        let our_message = doc["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        match (refused, ours.status.code()) {
            (true, Some(2)) => {
                let reason = our_message
                    .split_once(": ")
                    .map_or("", |(_, reasons)| reasons)
                    .split("; ")
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                if reason.is_empty() || !their_text.contains(&reason) {
                    problems.push(format!(
                        "{config}: our reason {reason:?} is not wrangler's:\n{their_text}"
                    ));
                }
            }
            (false, code) if code != Some(2) || !our_message.starts_with("wrangler refuses") => {}
            (refused, code) => problems.push(format!(
                "{config}: wrangler refused: {refused}, migrate-dryrun exit {code:?} {our_message}\n{their_text}"
            )),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

//! The dry run: copy, read what is applied, apply what is pending, check, keep, lock.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::time::Duration;

use bulwark_core::Progress;

use crate::checks::{FULL_CHECK_BYTES, run_checks};
use crate::d1::{self, D1Connection};
use crate::discover::{self, MigrationFile};
use crate::lint::{self, Finding};
use crate::list::applied_names;
use crate::report::{self, DryRunReport, MigrationReport, Status, Summary, Verdict};
use crate::schema::{self, DataAtRisk, Schema, SchemaDiff};
use crate::workspace::StopOnSignal;
use crate::{MigrateError, Request, lock, rows, snapshot, split};

fn sqlite_err(path: &Path, action: &'static str) -> impl FnOnce(rusqlite::Error) -> MigrateError {
    let path = path.to_owned();
    move |source| MigrateError::Sqlite {
        path,
        action,
        source,
    }
}

/// Applies the pending migrations of `request` to a private copy and reports. SIGINT,
/// SIGTERM and SIGHUP stop the run with [`MigrateError::Interrupted`] once its private
/// directory is removed.
pub fn run(request: &Request, progress: &dyn Progress) -> Result<DryRunReport, MigrateError> {
    let signals = StopOnSignal::register();
    let watchdog = Watchdog::new(request.timeout, signals.flag());
    let result = dry_run(request, progress, &signals.flag(), &watchdog);
    // The workspace is gone by now, whatever happened. A migration that ran out of time
    // could not be checked (fail closed); a signal wins over any other result.
    if let Some((migration, limit)) = watchdog.expired() {
        return Err(MigrateError::TimedOut {
            migration,
            seconds: limit.as_secs(),
        });
    }
    if signals.stopped() {
        return Err(MigrateError::Interrupted);
    }
    result
}

/// Bounds each migration's run on the copy: when one runs past the limit, it names it
/// and sets the stop flag, which interrupts whatever SQLite runs.
struct Watchdog {
    limit: Option<Duration>,
    stop: Arc<AtomicBool>,
    expired: Arc<Mutex<Option<String>>>,
}

/// A running bound; dropping it (the migration ended) disarms it.
struct Armed {
    _disarm: mpsc::Sender<()>,
}

impl Watchdog {
    fn new(limit: Option<Duration>, stop: Arc<AtomicBool>) -> Self {
        Self {
            limit,
            stop,
            expired: Arc::default(),
        }
    }

    /// Starts the bound for the migration `name`.
    fn arm(&self, name: &str) -> Option<Armed> {
        let limit = self.limit?;
        let (disarm, disarmed) = mpsc::channel::<()>();
        let stop = Arc::clone(&self.stop);
        let expired = Arc::clone(&self.expired);
        let name = name.to_owned();
        std::thread::spawn(move || {
            if let Err(mpsc::RecvTimeoutError::Timeout) = disarmed.recv_timeout(limit) {
                *expired.lock().unwrap_or_else(PoisonError::into_inner) = Some(name);
                stop.store(true, Ordering::SeqCst);
            }
        });
        Some(Armed { _disarm: disarm })
    }

    /// The migration that ran out of time, and the limit.
    fn expired(&self) -> Option<(String, Duration)> {
        let name = self
            .expired
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()?;
        Some((name, self.limit.unwrap_or_default()))
    }
}

fn stop_point(stop: &AtomicBool) -> Result<(), MigrateError> {
    if stop.load(Ordering::SeqCst) {
        Err(MigrateError::Interrupted)
    } else {
        Ok(())
    }
}

#[expect(
    clippy::too_many_lines,
    reason = "the dry run's phases in order: copy, applied, pending, checks, keep, lock"
)]
fn dry_run(
    request: &Request,
    progress: &dyn Progress,
    stop: &Arc<AtomicBool>,
    watchdog: &Watchdog,
) -> Result<DryRunReport, MigrateError> {
    if let Some(keep) = &request.keep
        && keep.exists()
    {
        return Err(MigrateError::KeepExists { path: keep.clone() });
    }
    let files = discover::list_migrations(&request.migrations_dir)?;
    let lock = match &request.lock {
        Some(path) => Some(lock::Lock::read(path)?),
        None => None,
    };
    progress.set_message("copying the database");
    let work = snapshot::prepare_stoppable(&request.source, progress, stop)?;
    stop_point(stop)?;
    if let Some(path) = &request.save_export {
        snapshot::save_export(&work, path)?;
    }
    let db = D1Connection::open_stoppable(&work.copy, Arc::clone(stop))
        .map_err(sqlite_err(&work.copy, "open"))?;
    // wrangler creates the table first, in a batch of its own.
    db.trusted(|conn| {
        conn.execute_batch(&format!(
            "CREATE TABLE IF NOT EXISTS {}(\n\t\tid         INTEGER PRIMARY KEY AUTOINCREMENT,\n\t\tname       TEXT UNIQUE,\n\t\tapplied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL\n);",
            request.table
        ))
    })
    .map_err(|source| MigrateError::MigrationsTable {
        table: request.table.clone(),
        source,
    })?;
    let applied = db.trusted(|conn| applied_names(conn, &request.table))?;
    let schema_before = db
        .trusted(|conn| Schema::read(conn, &request.table))
        .map_err(sqlite_err(&work.copy, "read the schema of"))?;

    let mut reports = Vec::new();
    let mut pending: Vec<MigrationFile> = Vec::new();
    let mut new_lock = lock.clone();
    for file in &files {
        if applied.contains(&file.name) {
            let mut findings = Vec::new();
            if let Some(lock) = &lock {
                let bytes = read_file(&file.path)?;
                let sum = lock::checksum(&bytes);
                match lock.entries.get(&file.name) {
                    Some(recorded) if *recorded != sum => findings.push(Finding::new(
                        "changed-after-apply",
                        format!("{} changed after it was applied (lock has {}…, file is {}…); wrangler will not run it again", file.name, &recorded[..12], &sum[..12]),
                        None,
                    )),
                    Some(_) => {}
                    None => {
                        if let Some(new_lock) = &mut new_lock {
                            new_lock.entries.insert(file.name.clone(), sum);
                        }
                    }
                }
            }
            reports.push(MigrationReport::new(
                &file.name,
                Status::AlreadyApplied,
                findings,
            ));
        } else {
            pending.push(file.clone());
        }
    }
    discover::apply_order(&mut pending);

    let mut failed = false;
    let mut current = schema_before.clone();
    let mut rows_lost = Vec::new();
    let mut renames = Vec::new();
    for file in &pending {
        stop_point(stop)?;
        let bytes = read_file(&file.path)?;
        // Node reads the file as UTF-8, replacing invalid bytes.
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let mut findings = lint::lint_file(&text);
        if failed {
            reports.push(MigrationReport::new(&file.name, Status::NotRun, findings));
            continue;
        }
        progress.set_message(&file.name);
        let sent = split::with_migration_record(&text, &request.table, &file.name);
        let mut report = MigrationReport::new(&file.name, Status::Ok, Vec::new());
        let bound = watchdog.arm(&file.name);
        let outcome = db.run_batch(&sent);
        drop(bound);
        match outcome {
            Ok(stats) => {
                report.statements = stats.statements;
                report.rows_changed = stats.rows_changed;
                report.duration_ms = stats.duration.as_secs_f64() * 1000.0;
                let lost = db
                    .trusted(|conn| {
                        rows::rows_lost(conn, &file.name, &stats.ledger, |table| {
                            current.objects.iter().any(|(name, o)| {
                                o.kind == "table" && name.eq_ignore_ascii_case(table)
                            })
                        })
                    })
                    .map_err(sqlite_err(&work.copy, "count rows in"))?;
                let mut loss_findings: Vec<Finding> = lost
                    .iter()
                    .map(|l| Finding::new("rows-lost", l.describe(), Some(l.line)))
                    .collect();
                lint::suppress(&text, &mut loss_findings);
                findings.extend(loss_findings);
                rows_lost.extend(lost);
                renames.extend(stats.ledger.renames);
                let after = db
                    .trusted(|conn| Schema::read(conn, &request.table))
                    .map_err(sqlite_err(&work.copy, "read the schema of"))?;
                findings.extend(schema_findings(&db, &current, &after));
                current = after;
            }
            Err(err) => {
                report.status = Status::Failed;
                // A limit or rule of D1's own, or would plain SQLite fail too?
                let plain = err
                    .chunk
                    .is_some_and(|chunk| db.plain_sqlite_accepts(&sent, chunk));
                report.error = Some(report::MigrationError::new(err, &file.path, &text, plain));
                failed = true;
            }
        }
        report.findings = findings;
        reports.push(report);
    }

    stop_point(stop)?;
    let schema_diff = SchemaDiff::between(&schema_before, &current);
    let mut data_at_risk = match &work.before {
        Some(path) => {
            let before = snapshot::open_read_only(path)?;
            DataAtRisk::count(&before, &schema_diff, &renames)
                .map_err(sqlite_err(path, "count rows in"))?
        }
        None => DataAtRisk::default(),
    };
    data_at_risk.rows_lost = rows_lost;
    let size_bytes = std::fs::metadata(&work.copy).map_or(0, |m| m.len());
    let checks = run_checks(&db, size_bytes, FULL_CHECK_BYTES, &schema_diff)
        .map_err(sqlite_err(&work.copy, "check"))?;
    drop(db);

    let kept = match &request.keep {
        Some(path) => {
            keep_copy(&work.copy, path)?;
            Some(path.display().to_string())
        }
        None => None,
    };
    let mut summary = Summary::of(&reports);
    summary.rows_lost = data_at_risk.rows_lost.iter().map(|l| l.rows_lost).sum();
    let mut report = DryRunReport {
        source: request.source.describe(),
        migrations_dir: request.migrations_dir.display().to_string(),
        table: request.table.clone(),
        strict: request.strict,
        verdict: Verdict::of(&summary, size_bytes, d1::MAX_DATABASE_BYTES, request.strict),
        migrations: reports,
        schema_diff,
        data_at_risk,
        checks,
        size_bytes,
        size_limit_bytes: d1::MAX_DATABASE_BYTES,
        kept,
        lock_updated: None,
        summary,
        postgres: None,
    };
    if request.update_lock
        && let (Some(path), Some(new_lock)) = (&request.lock, &new_lock)
        && report.verdict == Verdict::Ok
        && Some(new_lock) != lock.as_ref()
    {
        new_lock.write(path)?;
        report.lock_updated = Some(path.display().to_string());
    }
    Ok(report)
}

fn read_file(path: &Path) -> Result<Vec<u8>, MigrateError> {
    std::fs::read(path).map_err(|source| MigrateError::ReadFile {
        path: path.to_owned(),
        source,
    })
}

/// Findings only the schema shows: type changes through a rebuild, views that broke.
fn schema_findings(db: &D1Connection, before: &Schema, after: &Schema) -> Vec<Finding> {
    let mut findings = Vec::new();
    let diff = SchemaDiff::between(before, after);
    for change in diff.changed.iter().filter(|c| c.kind == "table") {
        for column in &change.columns_changed {
            if !column
                .before
                .decl_type
                .eq_ignore_ascii_case(&column.after.decl_type)
            {
                findings.push(Finding::new(
                    "type-change",
                    format!(
                        "{}.{} changes type from {} to {}",
                        change.name,
                        column.name,
                        empty_as(&column.before.decl_type),
                        empty_as(&column.after.decl_type)
                    ),
                    None,
                ));
            }
        }
    }
    for name in after
        .objects
        .iter()
        .filter(|(_, o)| o.kind == "view")
        .map(|(name, _)| name)
    {
        let broken = db.trusted(|conn| {
            conn.prepare(&format!("SELECT * FROM {} LIMIT 0", schema::quote(name)))
                .err()
                .map(|err| err.to_string())
        });
        if let Some(err) = broken {
            findings.push(Finding::new(
                "broken-view",
                format!("view {name} no longer works: {err}"),
                None,
            ));
        }
    }
    findings
}

fn empty_as(decl: &str) -> &str {
    if decl.is_empty() { "(none)" } else { decl }
}

/// Copies the migrated database to `keep` atomically; an existing file there is never
/// replaced.
fn keep_copy(copy: &Path, keep: &Path) -> Result<(), MigrateError> {
    let write = || {
        let file = bulwark_core::fs::AtomicFile::new(keep)?;
        std::io::copy(&mut std::fs::File::open(copy)?, &mut file.as_file())?;
        file.commit_new()
    };
    write().map_err(|source| MigrateError::WriteFile {
        path: keep.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use bulwark_core::{Exit, Report as _};
    use rusqlite::Connection;

    use super::*;
    use crate::Source;
    use crate::testing::{dry_run, request, write};

    #[test]
    fn applies_in_order_stops_at_the_first_failure_and_leaves_the_source_alone() {
        let dir = tempfile::tempdir().expect("temp dir");
        let migrations = dir.path().join("migrations");
        std::fs::create_dir(&migrations).expect("mkdir");
        write(
            &migrations,
            "0001_users.sql",
            "CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT);",
        );
        write(
            &migrations,
            "0002_seed.sql",
            "INSERT INTO users(email) VALUES ('a'), ('b');",
        );
        write(
            &migrations,
            "0003_bad.sql",
            "CREATE TABLE x(a);\nINSERT INTO nope VALUES (1);",
        );
        write(&migrations, "0004_later.sql", "DROP TABLE users;");
        let source = dir.path().join("prod.sqlite");
        let conn = Connection::open(&source).expect("create");
        conn.execute_batch("CREATE TABLE d1_migrations(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL); INSERT INTO d1_migrations(name) VALUES ('0001_users.sql'); CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT);")
            .expect("fill");
        drop(conn);
        let bytes = std::fs::read(&source).expect("read");
        let mut req = request(&migrations, Source::File(source.clone()));
        let keep = dir.path().join("kept.sqlite");
        req.keep = Some(keep.clone());
        let report = run(&req, &bulwark_core::NoProgress).expect("dry run");
        let statuses: Vec<_> = report
            .migrations
            .iter()
            .map(|m| (m.name.as_str(), m.status))
            .collect();
        assert_eq!(
            statuses,
            [
                ("0001_users.sql", Status::AlreadyApplied),
                ("0002_seed.sql", Status::Ok),
                ("0003_bad.sql", Status::Failed),
                ("0004_later.sql", Status::NotRun),
            ]
        );
        let error = report.migrations[2].error.as_ref().expect("error");
        assert_eq!(error.class, "SQLITE_ERROR");
        assert_eq!(error.line, Some(2));
        assert_eq!(report.migrations[1].rows_changed, 2);
        assert!(
            report.migrations[3]
                .findings
                .iter()
                .any(|f| f.rule == "drop-table")
        );
        assert_eq!(report.exit(), Exit::Problem);
        assert_eq!(
            std::fs::read(&source).expect("read"),
            bytes,
            "source untouched"
        );
        let kept = Connection::open(&keep).expect("kept copy");
        let names: Vec<String> = kept
            .prepare("SELECT name FROM d1_migrations ORDER BY id")
            .expect("prepare")
            .query_map([], |r| r.get(0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        assert_eq!(
            names,
            ["0001_users.sql", "0002_seed.sql"],
            "0003 left nothing behind"
        );
    }

    #[cfg(unix)]
    #[test]
    fn the_kept_copy_is_private() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().expect("temp dir");
        let migrations = dir.path().join("migrations");
        std::fs::create_dir(&migrations).expect("mkdir");
        write(&migrations, "0001_a.sql", "CREATE TABLE a(x);");
        let keep = dir.path().join("kept.sqlite");
        let mut req = request(&migrations, Source::Empty);
        req.keep = Some(keep.clone());
        run(&req, &bulwark_core::NoProgress).expect("dry run");
        let mode = std::fs::metadata(&keep).expect("kept").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the copy may hold production data");
        let entries = std::fs::read_dir(dir.path()).expect("read dir").count();
        assert_eq!(entries, 2, "migrations/ and kept.sqlite, no temp file");
    }

    #[test]
    fn schema_findings_type_changes_and_broken_views() {
        let dir = tempfile::tempdir().expect("temp dir");
        let migrations = dir.path().join("migrations");
        std::fs::create_dir(&migrations).expect("mkdir");
        let users = "CREATE TABLE users (id INTEGER PRIMARY KEY, age TEXT, mail TEXT);\nCREATE VIEW mails AS SELECT id, mail FROM users;";
        let rebuild = "CREATE TABLE users_new (id INTEGER PRIMARY KEY, age INTEGER);\nINSERT INTO users_new SELECT id, CAST(age AS INTEGER) FROM users;\nDROP TABLE users;\nALTER TABLE users_new RENAME TO users;";
        write(&migrations, "0001_users.sql", users);
        write(&migrations, "0002_rebuild.sql", rebuild);
        // SQLite checks views when a table is renamed: the rebuild fails.
        let report = dry_run(&migrations, Source::Empty);
        let failed = &report.migrations[1];
        assert_eq!(failed.status, Status::Failed);
        let error = failed.error.as_ref().expect("an error");
        assert_eq!(error.line, Some(4));
        assert!(
            error.message.starts_with("error in view mails"),
            "{}",
            error.message
        );
        // With legacy_alter_table (which D1 allows) it applies, and leaves a broken view.
        write(
            &migrations,
            "0002_rebuild.sql",
            &format!("PRAGMA legacy_alter_table = ON;\n{rebuild}"),
        );
        let report = dry_run(&migrations, Source::Empty);
        let applied = &report.migrations[1];
        assert_eq!(applied.status, Status::Ok);
        let rules: Vec<&str> = applied.findings.iter().map(|f| f.rule).collect();
        for rule in ["drop-table", "rename-table", "type-change", "broken-view"] {
            assert!(rules.contains(&rule), "{rule} missing from {rules:?}");
        }
    }

    #[test]
    fn data_at_risk_and_lock_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let migrations = dir.path().join("migrations");
        std::fs::create_dir(&migrations).expect("mkdir");
        write(&migrations, "0001_a.sql", "CREATE TABLE a(x, y);");
        write(
            &migrations,
            "0002_b.sql",
            "-- migrate-dryrun: allow drop-column\nALTER TABLE a DROP COLUMN y;\nDROP TABLE old;",
        );
        let source = dir.path().join("prod.sqlite");
        let conn = Connection::open(&source).expect("create");
        conn.execute_batch("CREATE TABLE d1_migrations(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL); INSERT INTO d1_migrations(name) VALUES ('0001_a.sql'); CREATE TABLE a(x, y); INSERT INTO a VALUES (1, 2), (3, NULL); CREATE TABLE old(z); INSERT INTO old VALUES (1);")
            .expect("fill");
        drop(conn);
        let lock_path = dir.path().join("migrations.lock");
        let mut req = request(&migrations, Source::File(source));
        req.lock = Some(lock_path.clone());
        req.update_lock = true;
        req.strict = true;
        let report = run(&req, &bulwark_core::NoProgress).expect("dry run");
        assert_eq!(report.data_at_risk.tables[0].rows, 1);
        assert_eq!(report.data_at_risk.columns[0].non_null_values, 1);
        let pending = &report.migrations[1];
        assert!(
            pending
                .findings
                .iter()
                .any(|f| f.rule == "drop-column" && f.suppressed)
        );
        assert!(
            pending
                .findings
                .iter()
                .any(|f| f.rule == "drop-table" && !f.suppressed)
        );
        assert_eq!(
            report.verdict,
            Verdict::LintFailed,
            "strict and an unsuppressed drop-table"
        );
        assert!(
            report.lock_updated.is_none(),
            "a failing run does not update the lock"
        );

        req.strict = false;
        let report = run(&req, &bulwark_core::NoProgress).expect("dry run");
        assert_eq!(report.verdict, Verdict::Ok);
        assert!(report.lock_updated.is_some());
        let lock = lock::Lock::read(&lock_path).expect("lock");
        assert_eq!(
            lock.entries.keys().collect::<Vec<_>>(),
            ["0001_a.sql"],
            "only applied files are locked: a pending one may still change"
        );

        write(&migrations, "0001_a.sql", "CREATE TABLE a(x, y, z);");
        let report = run(&req, &bulwark_core::NoProgress).expect("dry run");
        assert!(
            report.migrations[0]
                .findings
                .iter()
                .any(|f| f.rule == "changed-after-apply")
        );
    }
}

#[cfg(test)]
mod large_schema_tests {
    use std::fmt::Write as _;

    use super::*;
    use crate::Source;
    use crate::testing::{dry_run, write};
    use bulwark_core::Report as _;

    fn seeded_blog(dir: &Path) -> std::path::PathBuf {
        let source = dir.join("prod.sqlite");
        rusqlite::Connection::open(&source)
            .expect("create")
            .execute_batch(
                "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, age TEXT);
                 INSERT INTO users VALUES (1, 'a@x', '31'), (2, 'b@x', '42');
                 CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id) ON DELETE CASCADE);
                 INSERT INTO posts VALUES (1, 1), (2, 2), (3, 2);",
            )
            .expect("seed");
        source
    }

    fn count(path: &Path, table: &str) -> i64 {
        rusqlite::Connection::open(path)
            .expect("open")
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .expect("count")
    }

    const REBUILD_USERS: &str = "CREATE TABLE users_new (id INTEGER PRIMARY KEY, email TEXT, age INTEGER);\nINSERT INTO users_new SELECT id, email, CAST(age AS INTEGER) FROM users;\nDROP TABLE users;\nALTER TABLE users_new RENAME TO users;";

    /// Issue 14 item 2: a table rebuild empties ON DELETE CASCADE children, two levels
    /// deep; each is reported with its count, the statement and the cascade path, the
    /// rebuilt table itself is not, and --strict fails.
    #[test]
    fn rows_lost_through_two_levels_of_cascade_are_reported() {
        let dir = tempfile::tempdir().expect("temp dir");
        let migrations = dir.path().join("migrations");
        std::fs::create_dir(&migrations).expect("mkdir");
        let source = seeded_blog(dir.path());
        rusqlite::Connection::open(&source)
            .expect("open")
            .execute_batch(
                "CREATE TABLE comments (id INTEGER PRIMARY KEY, post_id INTEGER REFERENCES posts(id) ON DELETE CASCADE);
                 INSERT INTO comments VALUES (1, 1), (2, 1), (3, 3), (4, 3);
                 CREATE TABLE audit (id INTEGER PRIMARY KEY, x);
                 INSERT INTO audit VALUES (1, 1);",
            )
            .expect("seed");
        write(&migrations, "0001_rebuild.sql", REBUILD_USERS);
        let mut req = crate::testing::request(&migrations, Source::File(source));
        let report = run(&req, &bulwark_core::NoProgress).expect("dry run");
        assert_eq!(report.verdict, Verdict::Ok, "a loud warning, not a failure");
        let lost: Vec<(&str, u64, u64, usize)> = report
            .data_at_risk
            .rows_lost
            .iter()
            .map(|l| (l.table.as_str(), l.rows_before, l.rows_lost, l.line))
            .collect();
        assert_eq!(lost, [("comments", 4, 4, 3), ("posts", 3, 3, 3)]);
        let comments = &report.data_at_risk.rows_lost[0];
        assert_eq!(comments.migration, "0001_rebuild.sql");
        assert_eq!(comments.statement, "DROP TABLE users");
        assert_eq!(
            comments.cascade.as_deref(),
            Some(
                &[
                    "comments".to_owned(),
                    "posts".to_owned(),
                    "users".to_owned()
                ][..]
            )
        );
        assert_eq!(report.summary.rows_lost, 7);
        assert!(
            report.migrations[0]
                .findings
                .iter()
                .any(|f| f.rule == "rows-lost" && f.message.starts_with("posts loses 3 of 3 rows"))
        );
        let mut human = Vec::new();
        report
            .render_human(&mut human, &bulwark_core::Styles::plain())
            .expect("render");
        let human = String::from_utf8(human).expect("utf-8");
        assert!(
            human.contains("warning: these migrations delete 7 rows from 2 table(s)"),
            "{human}"
        );
        req.strict = true;
        let report = run(&req, &bulwark_core::NoProgress).expect("dry run");
        assert_eq!(report.verdict, Verdict::LintFailed);
    }

    /// Issue 14 item 2: a drop-and-recreate under the same name deletes every row.
    #[test]
    fn drop_and_recreate_loses_the_rows_and_renames_keep_them() {
        let dir = tempfile::tempdir().expect("temp dir");
        let migrations = dir.path().join("migrations");
        std::fs::create_dir(&migrations).expect("mkdir");
        let source = seeded_blog(dir.path());
        write(
            &migrations,
            "0001_recreate.sql",
            "CREATE TABLE keep (x);\nDROP TABLE posts;\nCREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER, title TEXT);",
        );
        write(
            &migrations,
            "0002_rename.sql",
            "ALTER TABLE users RENAME COLUMN email TO mail;\nDELETE FROM users WHERE id = 2; -- migrate-dryrun: allow rows-lost",
        );
        let report = dry_run(&migrations, Source::File(source));
        let lost = &report.data_at_risk.rows_lost;
        assert_eq!(lost.len(), 2, "{lost:?}");
        assert_eq!(
            (
                lost[0].table.as_str(),
                lost[0].rows_lost,
                lost[0].line,
                lost[0].cascade.as_ref()
            ),
            ("posts", 3, 2, None)
        );
        assert_eq!(lost[0].migration, "0001_recreate.sql");
        assert_eq!(
            (
                lost[1].table.as_str(),
                lost[1].rows_lost,
                lost[1].migration.as_str()
            ),
            ("users", 1, "0002_rename.sql")
        );
        assert!(
            report.migrations[1]
                .findings
                .iter()
                .any(|f| f.rule == "rows-lost" && f.suppressed),
            "an intended delete can be allowed"
        );
        assert!(
            report.data_at_risk.columns.is_empty(),
            "a renamed column keeps its values: {:?}",
            report.data_at_risk.columns
        );
        assert_eq!(report.summary.rows_lost, 4);
    }

    /// A rebuild of a table without cascading children loses nothing.
    #[test]
    fn a_rebuild_without_children_loses_nothing() {
        let dir = tempfile::tempdir().expect("temp dir");
        let migrations = dir.path().join("migrations");
        std::fs::create_dir(&migrations).expect("mkdir");
        let source = dir.path().join("prod.sqlite");
        rusqlite::Connection::open(&source)
            .expect("create")
            .execute_batch(
                "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, age TEXT);
                 INSERT INTO users VALUES (1, 'a@x', '31'), (2, 'b@x', '42');",
            )
            .expect("seed");
        write(&migrations, "0001_rebuild.sql", REBUILD_USERS);
        write(
            &migrations,
            "0002_scratch.sql",
            "CREATE TABLE scratch (x);\nINSERT INTO scratch VALUES (1), (2);\nDELETE FROM scratch WHERE x = 1;",
        );
        let report = dry_run(&migrations, Source::File(source));
        assert_eq!(report.verdict, Verdict::Ok);
        assert!(
            report.data_at_risk.rows_lost.is_empty(),
            "a table the migration creates held no data before it: {:?}",
            report.data_at_risk.rows_lost
        );
        assert_eq!(report.summary.rows_lost, 0);
    }

    /// Issue 14 item 3: the foreign-keys-off hint used to recommend
    /// `defer_foreign_keys=ON`, with which D1 still cascades; the rebuild it now
    /// describes keeps every child row.
    #[test]
    fn the_foreign_keys_off_hint_is_right_about_cascades() {
        let dir = tempfile::tempdir().expect("temp dir");
        let migrations = dir.path().join("migrations");
        std::fs::create_dir(&migrations).expect("mkdir");
        let source = seeded_blog(dir.path());
        let keep = dir.path().join("kept.sqlite");
        // What the old hint said: defer, then rebuild. D1 cascades.
        write(
            &migrations,
            "0001_rebuild.sql",
            "PRAGMA foreign_keys=OFF;\nPRAGMA defer_foreign_keys=ON;\nCREATE TABLE users_new (id INTEGER PRIMARY KEY, email TEXT, age INTEGER);\nINSERT INTO users_new SELECT id, email, CAST(age AS INTEGER) FROM users;\nDROP TABLE users;\nALTER TABLE users_new RENAME TO users;",
        );
        let mut req = crate::testing::request(&migrations, Source::File(source.clone()));
        req.keep = Some(keep.clone());
        let report = run(&req, &bulwark_core::NoProgress).expect("dry run");
        assert_eq!(report.migrations[0].status, Status::Ok);
        assert_eq!(count(&keep, "posts"), 0, "the cascade emptied posts");
        let hint = report.migrations[0]
            .findings
            .iter()
            .find(|f| f.rule == "foreign-keys-off")
            .expect("the warning");
        assert!(
            hint.message.contains("cascades still fire")
                && hint.message.contains("only delays the check"),
            "{}",
            hint.message
        );
        assert!(
            !hint
                .message
                .contains("use PRAGMA defer_foreign_keys=ON for a table rebuild")
        );
        // The rebuild the hint describes.
        std::fs::remove_file(&keep).expect("remove kept copy");
        write(
            &migrations,
            "0001_rebuild.sql",
            "CREATE TABLE users_new (id INTEGER PRIMARY KEY, email TEXT, age INTEGER);\nINSERT INTO users_new SELECT id, email, CAST(age AS INTEGER) FROM users;\nCREATE TABLE posts_new (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users_new(id) ON DELETE CASCADE);\nINSERT INTO posts_new SELECT id, user_id FROM posts;\nDROP TABLE posts;\nDROP TABLE users;\nALTER TABLE users_new RENAME TO users;\nALTER TABLE posts_new RENAME TO posts;",
        );
        let report = run(&req, &bulwark_core::NoProgress).expect("dry run");
        assert_eq!(
            report.migrations[0].status,
            Status::Ok,
            "{:?}",
            report.migrations[0].error
        );
        assert_eq!(count(&keep, "posts"), 3, "every child row kept");
        assert_eq!(count(&keep, "users"), 2);
        assert!(report.checks.foreign_key_violations.is_empty());
    }

    /// Issue 14 item 7: a failure is D1-only when plain SQLite accepts the statement;
    /// D1 (workerd) allows 5 terms in a compound SELECT, SQLite 500.
    #[test]
    fn limits_of_d1_alone_are_marked_d1_only() {
        let dir = tempfile::tempdir().expect("temp dir");
        let migrations = dir.path().join("migrations");
        std::fs::create_dir(&migrations).expect("mkdir");
        let union = (0..6)
            .map(|i| format!("SELECT {i} AS n"))
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        write(
            &migrations,
            "0001_view.sql",
            &format!("CREATE TABLE a(x);\nCREATE VIEW six AS {union};"),
        );
        let report = dry_run(&migrations, Source::Empty);
        let error = report.migrations[0].error.as_ref().expect("D1 refuses it");
        assert!(
            error.message.contains("too many terms in compound SELECT"),
            "{}",
            error.message
        );
        assert!(error.d1_only, "plain SQLite accepts a 6-term UNION ALL");
        // A real error stays a real error, and the replay left nothing behind.
        write(
            &migrations,
            "0001_view.sql",
            "CREATE TABLE a(x);\nINSERT INTO nope VALUES (1);",
        );
        let report = dry_run(&migrations, Source::Empty);
        let error = report.migrations[0].error.as_ref().expect("no such table");
        assert!(!error.d1_only, "{}", error.message);
        let deep = format!("SELECT {};", vec!["1"; 150].join(" + "));
        write(&migrations, "0001_view.sql", &deep);
        let report = dry_run(&migrations, Source::Empty);
        let error = report.migrations[0]
            .error
            .as_ref()
            .expect("too deep for D1");
        assert!(error.d1_only, "{}", error.message);
    }

    /// Issue 14 item 1: D1's statement limits (25,000 VDBE ops) must not apply to
    /// Bulwark's own checks, or a large schema ends in "out of memory".
    #[test]
    fn a_500_table_1500_index_schema_gets_a_verdict() {
        let dir = tempfile::tempdir().expect("temp dir");
        let migrations = dir.path().join("migrations");
        std::fs::create_dir(&migrations).expect("mkdir");
        let mut sql = String::new();
        for t in 0..500 {
            let parent = if t == 0 {
                String::new()
            } else {
                format!(
                    ", parent INTEGER REFERENCES t{}(id) ON DELETE CASCADE",
                    t - 1
                )
            };
            let _ = writeln!(
                sql,
                "CREATE TABLE t{t} (id INTEGER PRIMARY KEY, a TEXT, b TEXT, c TEXT{parent});"
            );
            for column in ["a", "b", "c"] {
                let _ = writeln!(sql, "CREATE INDEX t{t}_{column} ON t{t}({column});");
            }
            let _ = writeln!(sql, "INSERT INTO t{t}(a, b, c) VALUES ('x', 'y', 'z');");
        }
        write(&migrations, "0001_big.sql", &sql);
        write(
            &migrations,
            "0002_more.sql",
            "ALTER TABLE t499 ADD COLUMN d TEXT;",
        );
        let report = dry_run(&migrations, Source::Empty);
        assert_eq!(report.verdict, Verdict::Ok, "{:?}", report.migrations);
        assert_eq!(report.summary.ok, 2);
        assert_eq!(report.checks.scope, "all");
        assert!(report.checks.integrity_errors.is_empty());
    }
}

//! bulwark-backup against real `SQLite` databases, the real `age`, `zstd` and `sqlite3`
//! CLIs, and a recording stand-in for wrangler. Every test that holds an identity checks
//! that its secret text (a fresh key: a unique canary) appears in no report or error.

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bulwark_backup::{
    BackupError, BackupName, D1Source, Encryption, ExportReport, ExportRequest, ExportSource,
    IdentityProvider, Lazy, Manifest, Policy, RestoreRequest, VerifyReport,
};
use bulwark_core::{Failure as _, NoProgress};
use bulwark_vault::{Identities, Identity, IdentitySource};
use rusqlite::Connection;

/// A fresh identity; its secret text is this test's canary.
struct Key {
    identity: Identity,
    canary: String,
}

impl Key {
    fn new() -> Self {
        let identity = Identity::generate();
        let canary = identity.to_secret_text().to_string();
        Self { identity, canary }
    }

    fn provider(&self) -> Lazy<impl FnMut() -> Result<Identities, BackupError>> {
        let text = zeroize::Zeroizing::new(self.canary.clone());
        Lazy::new(move || Ok(Identities::parse(&text, IdentitySource::Memory)?))
    }

    fn file(&self, dir: &Path) -> PathBuf {
        let path = dir.join("key.txt");
        fs::write(&path, &self.canary).expect("write key");
        path
    }

    /// Fails if the canary is in `text`.
    fn assert_absent(&self, text: &str) {
        assert!(
            !text.contains(&self.canary),
            "the identity leaked into: {text}"
        );
    }
}

/// A WAL database with an index, a view and a trigger, and `rows` rows.
fn make_db(path: &Path, rows: u32) {
    let conn = Connection::open(path).expect("create");
    conn.execute_batch(
        "PRAGMA journal_mode=WAL;
         CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT NOT NULL, bio TEXT);
         CREATE INDEX users_email ON users(email);
         CREATE TABLE audit(id INTEGER PRIMARY KEY, user_id INTEGER, at TEXT);
         CREATE VIEW recent AS SELECT * FROM users ORDER BY id DESC LIMIT 10;
         CREATE TRIGGER users_audit AFTER INSERT ON users
           BEGIN INSERT INTO audit(user_id, at) VALUES (new.id, 'now'); END;",
    )
    .expect("schema");
    conn.execute(
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?1)
         INSERT INTO users(email, bio) SELECT 'user' || x || '@example.com', hex(randomblob(64)) FROM c",
        [rows],
    )
    .expect("rows");
}

fn request(source: ExportSource, out: &Path, encryption: Encryption) -> ExportRequest {
    ExportRequest {
        source,
        out_dir: out.to_owned(),
        name: "app".to_owned(),
        encryption,
        upload: None,
    }
}

fn export_sqlite(db: &Path, out: &Path, key: &Key) -> ExportReport {
    let encryption = Encryption::To(vec![key.identity.recipient().clone()]);
    bulwark_backup::export(
        &request(ExportSource::Sqlite(db.to_owned()), out, encryption),
        &NoProgress,
    )
    .expect("export")
}

fn verify(path: &Path, key: &Key) -> VerifyReport {
    let mut provider = key.provider();
    let report = bulwark_backup::verify(path, &mut provider, &NoProgress).expect("verify runs");
    key.assert_absent(&serde_json::to_string(&report).expect("json"));
    key.assert_absent(&format!("{report:?}"));
    report
}

fn rows(db: &Path, sql: &str) -> i64 {
    Connection::open(db)
        .expect("open")
        .query_row(sql, [], |row| row.get(0))
        .expect("query")
}

#[test]
fn export_verify_restore_round_trip_of_a_wal_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = Key::new();
    let db = dir.path().join("app.db");
    make_db(&db, 5_000);
    let out = dir.path().join("backups");
    let report = export_sqlite(&db, &out, &key);
    key.assert_absent(&serde_json::to_string(&report).expect("json"));

    let m = &report.manifest;
    assert!(m.encrypted);
    assert_eq!(m.recipients, [key.identity.recipient().as_str()]);
    let names: Vec<(&str, u64)> = m.tables.iter().map(|t| (t.name.as_str(), t.rows)).collect();
    assert_eq!(names, [("audit", 5_000), ("users", 5_000)]);
    let parsed = BackupName::parse(&m.file).expect("our own name");
    assert_eq!(parsed.name, "app");
    assert!(m.file.ends_with(".sqlite.zst.age"));
    let on_disk: Manifest =
        serde_json::from_slice(&fs::read(&report.manifest_file).expect("manifest"))
            .expect("parses");
    assert_eq!(&on_disk, m);
    // The backup is private, and nothing temporary is left.
    assert_eq!(
        fs::metadata(&report.file)
            .expect("meta")
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
    let leftovers: Vec<_> = fs::read_dir(&out)
        .expect("dir")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".db-backup-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    let verified = verify(&out, &key);
    assert!(verified.backups.iter().all(|b| b.ok), "{verified:?}");
    let listed = bulwark_backup::list(&out).expect("list");
    assert!(listed.backups[0].verified);

    let restored = dir.path().join("restored.db");
    let mut provider = key.provider();
    let request = RestoreRequest {
        file: report.file.clone(),
        to: restored.clone(),
        force: false,
    };
    bulwark_backup::restore(&request, &mut provider, &NoProgress).expect("restores");
    assert_eq!(rows(&restored, "SELECT count(*) FROM users"), 5_000);
    assert_eq!(rows(&restored, "SELECT count(*) FROM recent"), 10);
    // The trigger came along and works.
    Connection::open(&restored)
        .expect("open")
        .execute("INSERT INTO users(email) VALUES ('new@example.com')", [])
        .expect("insert");
    assert_eq!(rows(&restored, "SELECT count(*) FROM audit"), 5_001);
    // Never over an existing file without force; with force, atomically replaced.
    let err = bulwark_backup::restore(&request, &mut provider, &NoProgress).expect_err("exists");
    assert!(matches!(err, BackupError::Exists { .. }), "{err}");
    let forced = RestoreRequest {
        force: true,
        ..request
    };
    bulwark_backup::restore(&forced, &mut provider, &NoProgress).expect("forced");
    assert_eq!(rows(&restored, "SELECT count(*) FROM audit"), 5_000);
}

#[test]
fn the_stock_age_and_zstd_clis_restore_our_backup() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = Key::new();
    let db = dir.path().join("app.db");
    make_db(&db, 2_000);
    let report = export_sqlite(&db, &dir.path().join("out"), &key);
    let key_file = key.file(dir.path());
    let restored = dir.path().join("stock.db");
    let script = format!(
        "age -d -i '{}' '{}' | zstd -d -q -o '{}'",
        key_file.display(),
        report.file.display(),
        restored.display()
    );
    let out = Command::new("sh")
        .arg("-c")
        .arg(&script)
        .output()
        .expect("sh");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    key.assert_absent(&String::from_utf8_lossy(&out.stderr));
    let digest = sha256_cli(&restored);
    assert_eq!(digest, report.manifest.plaintext.sha256);
    let check = Command::new("sqlite3")
        .arg(&restored)
        .arg("PRAGMA integrity_check; SELECT count(*) FROM users;")
        .output()
        .expect("sqlite3 (run tests/setup.sh)");
    assert_eq!(String::from_utf8_lossy(&check.stdout), "ok\n2000\n");
}

fn sha256_cli(path: &Path) -> String {
    let out = Command::new("sha256sum")
        .arg(path)
        .output()
        .expect("sha256sum");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .expect("a digest")
        .to_owned()
}

#[test]
fn a_concurrent_writer_neither_blocks_nor_tears_the_snapshot() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = Key::new();
    let db = dir.path().join("busy.db");
    make_db(&db, 100_000);
    let stop = Arc::new(AtomicBool::new(false));
    let writes = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let writer_thread = {
        let (db, stop, writes) = (db.clone(), stop.clone(), writes.clone());
        std::thread::spawn(move || {
            let conn = Connection::open(&db).expect("open");
            conn.busy_timeout(std::time::Duration::from_secs(10))
                .expect("timeout");
            while !stop.load(Ordering::Relaxed) {
                conn.execute("INSERT INTO users(email) VALUES ('writer@example.com')", [])
                    .expect("the writer is never blocked for long in WAL mode");
                writes.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    while writes.load(Ordering::Relaxed) < 50 {
        std::thread::yield_now();
    }
    let report = export_sqlite(&db, &dir.path().join("out"), &key);
    let during = writes.load(Ordering::Relaxed);
    stop.store(true, Ordering::Relaxed);
    writer_thread.join().expect("writer");
    assert!(during >= 50);
    // The snapshot is one transaction: the trigger keeps users and audit equal.
    let m = &report.manifest;
    let count = |name: &str| {
        m.tables
            .iter()
            .find(|t| t.name == name)
            .expect("table")
            .rows
    };
    assert_eq!(count("users"), count("audit"), "torn snapshot");
    assert!(count("users") >= 100_000);
    let verified = verify(&report.file, &key);
    assert!(verified.backups[0].ok, "{verified:?}");
}

#[test]
fn flipped_bytes_truncation_and_a_missing_manifest_fail_verification() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = Key::new();
    let db = dir.path().join("app.db");
    make_db(&db, 3_000);
    let report = export_sqlite(&db, &dir.path().join("out"), &key);
    let original = fs::read(&report.file).expect("read");
    let cases: [(&str, Vec<u8>); 4] = [
        ("flipped byte in the header", flip(&original, 40)),
        (
            "flipped byte in the payload",
            flip(&original, original.len() / 2),
        ),
        ("flipped last byte", flip(&original, original.len() - 1)),
        ("truncated", original[..original.len() - 1000].to_vec()),
    ];
    for (case, bytes) in cases {
        fs::write(&report.file, &bytes).expect("write");
        let verified = verify(&report.file, &key);
        assert!(!verified.backups[0].ok, "{case}: {verified:?}");
        assert!(
            verified.backups[0].problems[0].contains("does not match its manifest"),
            "{case}: {verified:?}"
        );
        // restore refuses too, and leaves nothing at the target.
        let to = dir.path().join("r.db");
        let mut provider = key.provider();
        let request = RestoreRequest {
            file: report.file.clone(),
            to: to.clone(),
            force: false,
        };
        let err = bulwark_backup::restore(&request, &mut provider, &NoProgress).expect_err(case);
        key.assert_absent(&format!("{err} {err:?}"));
        assert!(!to.exists(), "{case}");
    }
    // A corrupt payload whose manifest was "fixed" to match still fails: age's MAC.
    let flipped = flip(&original, original.len() / 2);
    fs::write(&report.file, &flipped).expect("write");
    let mut manifest = report.manifest.clone();
    manifest.ciphertext.sha256 = sha256_cli(&report.file);
    fs::write(&report.manifest_file, manifest_bytes(&manifest)).expect("write");
    let verified = verify(&report.file, &key);
    assert!(!verified.backups[0].ok);
    assert!(
        verified.backups[0].problems[0].contains("corrupted"),
        "{verified:?}"
    );

    fs::write(&report.file, &original).expect("restore the bytes");
    fs::remove_file(&report.manifest_file).expect("rm");
    let verified = verify(&report.file, &key);
    assert!(!verified.backups[0].ok);
    assert!(
        verified.backups[0].problems[0].contains("manifest"),
        "{verified:?}"
    );
}

fn flip(bytes: &[u8], at: usize) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out[at] ^= 0x01;
    out
}

#[test]
fn the_wrong_identity_is_an_error_not_a_verdict() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (key, other) = (Key::new(), Key::new());
    let db = dir.path().join("app.db");
    make_db(&db, 10);
    let report = export_sqlite(&db, &dir.path().join("out"), &key);
    let mut provider = other.provider();
    let err =
        bulwark_backup::verify(&report.file, &mut provider, &NoProgress).expect_err("wrong key");
    assert!(err.to_string().contains("none of the identities"), "{err}");
    for k in [&key, &other] {
        k.assert_absent(&format!("{err} {err:?}"));
    }
}

#[test]
fn export_fails_closed_and_a_held_lock_stops_a_second_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("app.db");
    make_db(&db, 10);
    let out = dir.path().join("out");
    let err = bulwark_backup::export(
        &request(
            ExportSource::Sqlite(db.clone()),
            &out,
            Encryption::To(Vec::new()),
        ),
        &NoProgress,
    )
    .expect_err("no recipients");
    assert!(err.to_string().contains("no age recipient"), "{err}");
    assert!(!out.exists() || fs::read_dir(&out).expect("dir").next().is_none());

    fs::create_dir_all(&out).expect("mkdir");
    let _held = bulwark_backup::layout::DirLock::acquire(&out).expect("lock");
    let key = Key::new();
    let encryption = Encryption::To(vec![key.identity.recipient().clone()]);
    let err = bulwark_backup::export(
        &request(ExportSource::Sqlite(db), &out, encryption),
        &NoProgress,
    )
    .expect_err("locked");
    assert!(matches!(err, BackupError::Locked { .. }), "{err}");
    key.assert_absent(&format!("{err} {err:?}"));
}

#[test]
fn unencrypted_only_when_asked_and_still_verified() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("app.db");
    make_db(&db, 100);
    let out = dir.path().join("out");
    let report = bulwark_backup::export(
        &request(ExportSource::Sqlite(db), &out, Encryption::None),
        &NoProgress,
    )
    .expect("export");
    assert!(report.file.to_string_lossy().ends_with(".sqlite.zst"));
    assert!(!report.manifest.encrypted);
    let mut no_key = Lazy::new(|| -> Result<Identities, BackupError> {
        panic!("an unencrypted backup needs no identity")
    });
    let verified = bulwark_backup::verify(&report.file, &mut no_key, &NoProgress).expect("verify");
    assert!(verified.backups[0].ok, "{verified:?}");
    let _: &mut dyn IdentityProvider = &mut no_key;
}

const CHILD: &str = "BULWARK_BACKUP_TEST_KILL_CHILD";

/// The parent starts an export of a large database in a child process (this same test,
/// re-run), kills it with SIGKILL while it writes, and checks that no file carries a
/// final backup name; the next export cleans the temp files up.
#[test]
fn kill_9_in_the_middle_of_an_export_leaves_no_partial_file_under_the_final_name() {
    if let Some(dir) = std::env::var_os(CHILD) {
        let dir = PathBuf::from(dir);
        let key = Key::new();
        export_sqlite(&dir.join("big.db"), &dir.join("out"), &key);
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("big.db");
    make_db(&db, 600_000); // ~100 MB: seconds of work
    let out = dir.path().join("out");
    let mut child = Command::new(std::env::current_exe().expect("exe"))
        .args([
            "--exact",
            "kill_9_in_the_middle_of_an_export_leaves_no_partial_file_under_the_final_name",
        ])
        .env(CHILD, dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("child");
    // Wait until the export is writing its temp files, then kill -9.
    let started = std::time::Instant::now();
    loop {
        let temps = fs::read_dir(&out).map_or(0, |d| {
            d.flatten()
                .filter(|e| {
                    e.file_name()
                        .to_string_lossy()
                        .starts_with(".db-backup-tmp-")
                })
                .filter(|e| e.metadata().is_ok_and(|m| m.len() > 1 << 20))
                .count()
        });
        if temps > 0 {
            break;
        }
        assert!(
            child.try_wait().expect("wait").is_none(),
            "the export ended before the kill"
        );
        assert!(
            started.elapsed().as_secs() < 60,
            "the export never started writing"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    let finals: Vec<String> = fs::read_dir(&out)
        .expect("dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| BackupName::parse(n).is_some() || n.ends_with(".manifest.json"))
        .collect();
    assert!(
        finals.is_empty(),
        "partial files under final names: {finals:?}"
    );
    // The lock died with the process; the next run works and sweeps the temp files.
    let small = dir.path().join("small.db");
    make_db(&small, 10);
    let key = Key::new();
    export_sqlite(&small, &out, &key);
    // Its temp files and its private directory with the plaintext snapshot.
    let temps = fs::read_dir(&out)
        .expect("dir")
        .flatten()
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.starts_with(".db-backup-tmp-") || name.starts_with(".db-backup-work-")
        })
        .count();
    assert_eq!(temps, 0);
}

/// Installs `wrangler` as the project in `dir` would have it: in its
/// `node_modules/.bin`, where the lookup finds it before PATH.
fn install_wrangler(dir: &Path) -> PathBuf {
    let bin = dir.join("node_modules/.bin");
    fs::create_dir_all(&bin).expect("node_modules/.bin");
    bin.join("wrangler")
}

/// What a D1 database with an FTS5 table answers, made with `SQLite` itself: its
/// `sqlite_master` as `wrangler d1 execute --json` prints it, and the dump `wrangler d1
/// export --table …` writes of every table but the virtual one and `_cf_KV` (shadow
/// tables included), as the `SQLite` shell dumps them.
fn d1_answers() -> (String, String) {
    let source = Connection::open_in_memory().expect("memory");
    source
        .execute_batch(
            "CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT);
             INSERT INTO users VALUES (1, 'a@example.com'), (2, 'b@example.com');
             CREATE VIRTUAL TABLE docs USING fts5(body);
             INSERT INTO docs VALUES ('hello world');
             CREATE TABLE d1_migrations(id INTEGER PRIMARY KEY, name TEXT);
             INSERT INTO d1_migrations VALUES (1, '0001_init.sql');
             CREATE TABLE _cf_KV(key TEXT);",
        )
        .expect("source");
    let mut statement = source
        .prepare("SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master")
        .expect("schema");
    let rows: Vec<(String, String, String, String)> = statement
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("rows");
    let results: Vec<serde_json::Value> = rows
        .iter()
        .map(|(kind, name, table, sql)| {
            serde_json::json!({ "type": kind, "name": name, "tbl_name": table, "sql": sql })
        })
        .collect();
    let schema = serde_json::json!([{ "results": results, "success": true, "meta": {} }]);
    let mut dump = String::from("PRAGMA defer_foreign_keys=TRUE;\n");
    for (_, name, _, sql) in rows.iter().filter(|(kind, name, _, sql)| {
        kind == "table" && !sql.starts_with("CREATE VIRTUAL") && !name.starts_with("_cf_")
    }) {
        dump.push_str(&sql.replacen("CREATE TABLE", "CREATE TABLE IF NOT EXISTS", 1));
        dump.push_str(";\n");
        let values = bulwark_test_support::quoted_rows(&source, name, false);
        for row in values {
            dump.push_str("INSERT INTO \"");
            dump.push_str(name);
            dump.push_str("\" VALUES(");
            dump.push_str(&row);
            dump.push_str(");\n");
        }
    }
    (schema.to_string(), dump)
}

/// A stand-in `wrangler`: records argv, answers the schema pre-flight with a D1 schema
/// that holds an FTS5 table, writes its dump for `d1 export`, accepts `r2 object put`.
fn recording_wrangler(dir: &Path) -> (PathBuf, PathBuf) {
    let log = dir.join("wrangler-argv.log");
    let (schema, dump) = d1_answers();
    let schema_file = dir.join("answer-schema.json");
    let dump_file = dir.join("answer-export.sql");
    fs::write(&schema_file, schema).expect("schema answer");
    fs::write(&dump_file, dump).expect("export answer");
    let script = install_wrangler(dir);
    let body = format!(
        r#"#!/bin/sh
printf '%s\n' "$*" >> '{log}'
case "$1 $2" in
  "d1 execute")
    cat '{schema}'
    ;;
  "d1 export")
    out=""
    prev=""
    for a in "$@"; do [ "$prev" = "--output" ] && out="$a"; prev="$a"; done
    cat '{dump}' > "$out"
    ;;
  "r2 object")
    echo "Upload complete."
    ;;
  "d1 time-travel")
    printf '%s' '{{"bookmark":"00000085-0000024c-00004c6d-8e61117bf38d7adb71b934ebbf891683"}}'
    ;;
  *) echo "unexpected: $*" >&2; exit 1 ;;
esac
"#,
        log = log.display(),
        schema = schema_file.display(),
        dump = dump_file.display(),
    );
    fs::write(&script, body).expect("script");
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).expect("chmod");
    (script, log)
}

#[test]
fn d1_export_around_fts5_and_upload_with_recording_wrangler_standin() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = Key::new();
    let (_, log) = recording_wrangler(dir.path());
    let out = dir.path().join("out");
    let mut req = request(
        ExportSource::D1(D1Source {
            database: "demo-db".to_owned(),
            remote: true,
            workdir: dir.path().to_owned(),
            wrangler_config: None,
            env: Some("production".to_owned()),
            from_export: None,
        }),
        &out,
        Encryption::To(vec![key.identity.recipient().clone()]),
    );
    req.upload = Some("r2://backups/prod/db".to_owned());
    let report = bulwark_backup::export(&req, &NoProgress).expect("export");
    let m = &report.manifest;
    assert!(m.file.ends_with(".sql.zst.age"), "{}", m.file);
    assert_eq!(m.kind, bulwark_backup::Kind::Sql);
    let tables: Vec<(&str, u64)> = m.tables.iter().map(|t| (t.name.as_str(), t.rows)).collect();
    assert_eq!(tables, [("d1_migrations", 1), ("users", 2)]);
    assert!(
        m.warnings.is_empty(),
        "the virtual table's content comes through its shadow tables: {:?}",
        m.warnings
    );

    let argv = fs::read_to_string(&log).expect("log");
    let lines: Vec<&str> = argv.lines().collect();
    assert!(
        lines[0].starts_with("d1 execute demo-db --json --command SELECT"),
        "{argv}"
    );
    assert!(lines[0].ends_with("--remote --env production"), "{argv}");
    assert!(
        lines[1].starts_with("d1 export demo-db --output "),
        "{argv}"
    );
    assert!(
        lines[1].ends_with(
            "--skip-confirmation --remote --env production --table users --table docs_data --table docs_idx --table docs_content --table docs_docsize --table docs_config --table d1_migrations"
        ),
        "every table but the FTS5 table and _cf_KV, its shadow tables included: {argv}"
    );
    assert_eq!(
        lines[2], "d1 time-travel info demo-db --json --env production",
        "{argv}"
    );
    let lines = [lines[0], lines[1], lines[3], lines[4]];
    let file_name = report
        .file
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    assert_eq!(
        lines[2],
        format!(
            "r2 object put backups/prod/db/{file_name} --file {} --remote",
            report.file.display()
        )
    );
    assert!(lines[3].starts_with(&format!(
        "r2 object put backups/prod/db/{file_name}.manifest.json"
    )));
    assert_eq!(report.uploaded.len(), 2);
    // The dump was written to a private temp file that is gone now.
    let dump_arg = lines[1].split_whitespace().nth(4).expect("output path");
    assert!(
        !Path::new(dump_arg).exists(),
        "the plaintext dump was left behind"
    );

    // verify loads the dump (the FTS5 definition included) and checks it.
    let verified = verify(&report.file, &key);
    assert!(verified.backups[0].ok, "{verified:?}");
    restores_as_dump_and_as_database(&report, &key, dir.path());
}

/// restore: to `.sql` gives the dump, to anything else a database built from it.
fn restores_as_dump_and_as_database(report: &ExportReport, key: &Key, dir: &Path) {
    let mut provider = key.provider();
    let sql = dir.join("restored.sql");
    bulwark_backup::restore(
        &RestoreRequest {
            file: report.file.clone(),
            to: sql.clone(),
            force: false,
        },
        &mut provider,
        &NoProgress,
    )
    .expect("restore sql");
    assert!(
        fs::read_to_string(&sql)
            .expect("sql")
            .contains("CREATE VIRTUAL TABLE docs USING fts5(body);")
    );
    let db = dir.join("restored.db");
    bulwark_backup::restore(
        &RestoreRequest {
            file: report.file.clone(),
            to: db.clone(),
            force: false,
        },
        &mut provider,
        &NoProgress,
    )
    .expect("restore db");
    assert_eq!(rows(&db, "SELECT count(*) FROM users"), 2);
    assert_eq!(
        rows(&db, "SELECT count(*) FROM docs WHERE docs MATCH 'hello'"),
        1,
        "the full-text content came back"
    );
}

#[test]
fn a_failing_wrangler_is_an_operational_error_with_its_stderr() {
    let dir = tempfile::tempdir().expect("tempdir");
    let script = install_wrangler(dir.path());
    fs::write(
        &script,
        "#!/bin/sh\necho 'You are not logged in.' >&2\nexit 1\n",
    )
    .expect("write");
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).expect("chmod");
    let key = Key::new();
    let req = request(
        ExportSource::D1(D1Source {
            database: "demo-db".to_owned(),
            remote: false,
            workdir: dir.path().to_owned(),
            wrangler_config: None,
            env: None,
            from_export: None,
        }),
        &dir.path().join("out"),
        Encryption::To(vec![key.identity.recipient().clone()]),
    );
    let err = bulwark_backup::export(&req, &NoProgress).expect_err("wrangler fails");
    key.assert_absent(&format!("{err} {err:?}"));
    assert_eq!(err.exit(), bulwark_core::Exit::Operational);
    let source = std::error::Error::source(&err).map(ToString::to_string);
    assert_eq!(source.as_deref(), Some("You are not logged in."));
}

#[test]
fn prune_keeps_by_policy_and_never_the_newest_verified_backup() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = Key::new();
    let db = dir.path().join("app.db");
    make_db(&db, 10);
    let out = dir.path().join("out");
    // One real, verified backup, moved back in time to 2026-01-05.
    let report = export_sqlite(&db, &out, &key);
    assert!(verify(&report.file, &key).backups[0].ok);
    let old = out.join("app-20260105T020000Z.sqlite.zst.age");
    for suffix in ["", ".manifest.json", ".verified.json"] {
        let from = format!("{}{suffix}", report.file.display());
        fs::rename(from, format!("{}{suffix}", old.display())).expect("rename");
    }
    let mut manifest = report.manifest.clone();
    manifest.created_at = "2026-01-05T02:00:00Z".to_owned();
    let manifest_file = out.join("app-20260105T020000Z.sqlite.zst.age.manifest.json");
    fs::write(&manifest_file, manifest_bytes(&manifest)).expect("write");
    // The stamp binds the manifest's bytes too: stamp the moved one as a verify would.
    let stamp = serde_json::json!({
        "verified_at": "2026-01-05T03:00:00Z",
        "tool_version": "test",
        "ciphertext_sha256": sha256_cli(&old),
        "manifest_sha256": sha256_cli(&manifest_file),
    });
    fs::write(
        out.join("app-20260105T020000Z.sqlite.zst.age.verified.json"),
        serde_json::to_vec(&stamp).expect("json"),
    )
    .expect("write");
    // Unverified backups, one a day for the last days of November, plus another name.
    for day in 20..=24 {
        fs::write(
            out.join(format!("app-202611{day}T020000Z.sqlite.zst.age")),
            b"x",
        )
        .expect("w");
    }
    fs::write(out.join("other-20260101T000000Z.sql.zst.age"), b"x").expect("w");
    let policy = Policy {
        last: Some(2),
        ..Policy::default()
    };

    let dry = bulwark_backup::prune(&out, policy, true).expect("dry run");
    let removed: Vec<String> = dry
        .remove
        .iter()
        .map(|p| p.file_name().expect("name").to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        removed,
        [
            "app-20261122T020000Z.sqlite.zst.age",
            "app-20261121T020000Z.sqlite.zst.age",
            "app-20261120T020000Z.sqlite.zst.age",
        ]
    );
    assert!(
        out.join("app-20261120T020000Z.sqlite.zst.age").exists(),
        "dry run deletes nothing"
    );
    let kept_old = dry
        .keep
        .iter()
        .find(|k| k.file == old)
        .expect("old verified kept");
    assert_eq!(kept_old.reasons, ["newest verified"]);
    assert!(
        dry.keep
            .iter()
            .any(|k| k.file.ends_with("other-20260101T000000Z.sql.zst.age"))
    );

    let done = bulwark_backup::prune(&out, policy, false).expect("prune");
    assert_eq!(done.remove.len(), 3);
    assert!(!out.join("app-20261120T020000Z.sqlite.zst.age").exists());
    assert!(
        old.exists()
            && out
                .join("app-20260105T020000Z.sqlite.zst.age.manifest.json")
                .exists()
    );
    let err = bulwark_backup::prune(&out, Policy::default(), false).expect_err("no rule");
    assert!(err.to_string().contains("no retention rule"), "{err}");
}

#[test]
fn the_status_file_keeps_the_last_success_and_the_last_failure() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("mon/status.json");
    bulwark_backup::record_status(
        &path,
        bulwark_backup::run_now("export", Some("a".into()), None, 0),
    )
    .expect("write");
    bulwark_backup::record_status(
        &path,
        bulwark_backup::run_now("export", None, Some("disk full".into()), 3),
    )
    .expect("write");
    let status: bulwark_backup::Status =
        serde_json::from_slice(&fs::read(&path).expect("read")).expect("parses");
    assert_eq!(status.last_outcome, "failure");
    assert_eq!(
        status.last_success.expect("kept").file.as_deref(),
        Some("a")
    );
    assert_eq!(
        status.last_failure.expect("set").reason.as_deref(),
        Some("disk full")
    );
    let mut file = fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .expect("open");
    file.write_all(b"garbage").expect("corrupt it");
    bulwark_backup::record_status(&path, bulwark_backup::run_now("verify", None, None, 0))
        .expect("a corrupt old file is replaced");
}

/// The wrangler tests/setup.sh installs (`$BULWARK_TOOLS_DIR`, default target/tools),
/// else the one on PATH; none is a failure, never a skip.
fn real_wrangler() -> PathBuf {
    let tools = std::env::var_os("BULWARK_TOOLS_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/tools"),
        PathBuf::from,
    );
    let installed = tools.join("node_modules/.bin/wrangler");
    if installed.exists() {
        return installed;
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join("wrangler"))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| {
            panic!(
                "wrangler is not installed ({} nor on PATH): run tests/setup.sh",
                installed.display()
            )
        })
}

/// The real wrangler (tests/setup.sh installs 4.86.0 into target/tools), in local mode:
/// a D1 database with an FTS5 table, which `wrangler d1 export` alone refuses.
#[test]
fn d1_local_export_around_fts5_with_the_real_wrangler() {
    let wrangler = real_wrangler();
    let dir = tempfile::tempdir().expect("tempdir");
    fs::write(
        dir.path().join("wrangler.jsonc"),
        r#"{ "name": "bk", "main": "index.js", "compatibility_date": "2026-11-01",
  "d1_databases": [{ "binding": "DB", "database_name": "bk-db",
                     "database_id": "00000000-1111-2222-3333-444444444444" }] }"#,
    )
    .expect("config");
    fs::write(dir.path().join("index.js"), "export default {}\n").expect("worker");
    let seed = Command::new(&wrangler)
        .args(["d1", "execute", "DB", "--local", "--command"])
        .arg(
            "CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT);
             INSERT INTO users(email) VALUES ('a@example.com'), ('b@example.com');
             CREATE VIRTUAL TABLE docs USING fts5(body);
             INSERT INTO docs(body) VALUES ('hello world');",
        )
        .current_dir(dir.path())
        .env("WRANGLER_SEND_METRICS", "false")
        .env("CI", "true")
        .output()
        .expect("wrangler runs");
    assert!(
        seed.status.success(),
        "{}",
        String::from_utf8_lossy(&seed.stderr)
    );
    let key = Key::new();
    let req = request(
        ExportSource::D1(D1Source {
            database: "bk-db".to_owned(),
            remote: false,
            workdir: dir.path().to_owned(),
            wrangler_config: None,
            env: None,
            from_export: None,
        }),
        &dir.path().join("out"),
        Encryption::To(vec![key.identity.recipient().clone()]),
    );
    std::os::unix::fs::symlink(&wrangler, install_wrangler(dir.path())).expect("symlink");
    let report = bulwark_backup::export(&req, &NoProgress).expect("export around fts5");
    let tables: Vec<(&str, u64)> = report
        .manifest
        .tables
        .iter()
        .map(|t| (t.name.as_str(), t.rows))
        .collect();
    assert_eq!(tables, [("users", 2)]);
    assert!(
        report.manifest.warnings.is_empty(),
        "{:?}",
        report.manifest.warnings
    );
    let verified = verify(&report.file, &key);
    assert!(verified.backups[0].ok, "{verified:?}");
}

// ---- Fail closed (issue 13). These use only the API of db-backup 0.x, so the same file
// shows each of them failing there.

/// The exit code a verify earns: its report's, or its error's.
fn verify_exit(path: &Path, key: &Key) -> bulwark_core::Exit {
    use bulwark_core::Report as _;
    let mut provider = key.provider();
    match bulwark_backup::verify(path, &mut provider, &NoProgress) {
        Ok(report) => {
            key.assert_absent(&format!("{report:?}"));
            report.exit()
        }
        Err(err) => {
            key.assert_absent(&format!("{err} {err:?}"));
            err.exit()
        }
    }
}

/// Pretty JSON and a newline, as db-backup writes a manifest.
fn manifest_bytes(manifest: &Manifest) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(manifest).expect("json");
    bytes.push(b'\n');
    bytes
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    use std::fmt::Write as _;
    sha2::Sha256::digest(bytes)
        .iter()
        .fold(String::new(), |mut hex, b| {
            let _ = write!(hex, "{b:02x}");
            hex
        })
}

#[test]
fn issue13_item4_every_single_byte_flip_of_a_manifest_fails_verify() {
    use bulwark_core::Exit;
    let dir = tempfile::tempdir().expect("tempdir");
    let key = Key::new();
    let db = dir.path().join("app.db");
    make_db(&db, 50);
    let report = export_sqlite(&db, &dir.path().join("out"), &key);
    assert_eq!(verify_exit(&report.file, &key), Exit::Ok);
    let original = fs::read(&report.manifest_file).expect("read");
    let mut passed = Vec::new();
    for at in 0..original.len() {
        for mask in [0x01u8, 0x20] {
            let mut bytes = original.clone();
            bytes[at] ^= mask;
            fs::write(&report.manifest_file, &bytes).expect("write");
            if verify_exit(&report.file, &key) == Exit::Ok {
                passed.push(format!(
                    "byte {at} ^ {mask:#04x}: {:?}",
                    String::from_utf8_lossy(
                        &bytes[at.saturating_sub(20)..(at + 10).min(bytes.len())]
                    )
                ));
            }
        }
    }
    fs::write(&report.manifest_file, &original).expect("write");
    assert!(
        passed.is_empty(),
        "{} of {} flips passed verify: {passed:#?}",
        passed.len(),
        original.len() * 2
    );
    // An unknown format and an unknown field are refused: exit 2.
    let text = String::from_utf8(original.clone()).expect("utf-8");
    let cases = [
        text.replacen("\"format_version\": 2", "\"format_version\": 99", 1),
        text.replacen("{\n", "{\n  \"extra\": true,\n", 1),
    ];
    for (case, edited) in cases.iter().enumerate() {
        assert_ne!(edited, &text, "case {case} edits the manifest");
        fs::write(&report.manifest_file, edited).expect("write");
        assert_eq!(verify_exit(&report.file, &key), Exit::Usage, "case {case}");
    }
}

#[test]
fn issue13_item5_list_hashes_the_file_and_prune_keeps_the_newest_good_backup() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = Key::new();
    let db = dir.path().join("app.db");
    make_db(&db, 20);
    let out = dir.path().join("out");
    let good = export_sqlite(&db, &out, &key);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let newer = export_sqlite(&db, &out, &key);
    assert!(verify(&out, &key).backups.iter().all(|b| b.ok));
    // Corrupt the newest after its verify, keeping its size.
    let bytes = fs::read(&newer.file).expect("read");
    fs::write(&newer.file, flip(&bytes, bytes.len() / 2)).expect("write");
    let listed = bulwark_backup::list(&out).expect("list");
    let state: Vec<(String, bool)> = listed
        .backups
        .iter()
        .map(|b| (b.file.display().to_string(), b.verified))
        .collect();
    assert_eq!(
        state,
        [
            (newer.file.display().to_string(), false),
            (good.file.display().to_string(), true)
        ]
    );
    let policy = Policy {
        last: Some(1),
        ..Policy::default()
    };
    let pruned = bulwark_backup::prune(&out, policy, false).expect("prune");
    assert!(pruned.remove.is_empty(), "{pruned:?}");
    assert!(good.file.exists() && good.manifest_file.exists());
}

/// Replaces the payload of an unencrypted backup by `plain`, compressed, and makes the
/// manifest match it (as a tamperer with write access to the directory could).
fn replace_payload(report: &ExportReport, plain: &[u8]) {
    let sealed = zstd::encode_all(plain, 3).expect("zstd");
    fs::write(&report.file, &sealed).expect("write");
    let mut manifest = report.manifest.clone();
    manifest.plaintext.size = plain.len() as u64;
    manifest.plaintext.sha256 = sha256_hex(plain);
    manifest.ciphertext.size = sealed.len() as u64;
    manifest.ciphertext.sha256 = sha256_hex(&sealed);
    fs::write(&report.manifest_file, manifest_bytes(&manifest)).expect("write");
}

#[test]
fn issue13_item6_verify_dir_checks_every_backup_and_reports_each() {
    use bulwark_core::{Exit, Report as _};
    let dir = tempfile::tempdir().expect("tempdir");
    let key = Key::new();
    let db = dir.path().join("app.db");
    make_db(&db, 20);
    let out = dir.path().join("out");
    let mut reports = Vec::new();
    for _ in 0..3 {
        reports.push(
            bulwark_backup::export(
                &request(ExportSource::Sqlite(db.clone()), &out, Encryption::None),
                &NoProgress,
            )
            .expect("export"),
        );
        std::thread::sleep(std::time::Duration::from_millis(1100));
    }
    // The oldest's plaintext is not a database at all.
    replace_payload(&reports[0], b"this is not a SQLite database, only text");
    let mut provider = key.provider();
    let report = bulwark_backup::verify(&out, &mut provider, &NoProgress).expect("verify runs");
    assert_eq!(report.backups.len(), 3, "{report:?}");
    assert!(!report.backups[0].ok, "{report:?}");
    assert!(report.backups[1].ok && report.backups[2].ok, "{report:?}");
    assert_eq!(report.exit(), Exit::Problem);
}

#[test]
fn issue13_item9_two_exports_in_the_same_second_both_stay() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = Key::new();
    let db = dir.path().join("app.db");
    make_db(&db, 5);
    let out = dir.path().join("out");
    let mut reports = Vec::new();
    let start = std::time::Instant::now();
    for _ in 0..3 {
        let encryption = Encryption::To(vec![key.identity.recipient().clone()]);
        let done = bulwark_backup::export(
            &request(ExportSource::Sqlite(db.clone()), &out, encryption),
            &NoProgress,
        );
        reports.push(done.expect("every export succeeds"));
    }
    assert!(start.elapsed().as_millis() < 1000, "not within a second");
    for report in &reports {
        assert!(report.file.exists() && report.manifest_file.exists());
    }
    let report = verify(&out, &key);
    assert_eq!(report.backups.len(), 3);
    assert!(report.backups.iter().all(|b| b.ok), "{report:?}");
}

#[test]
fn issue13_item10_what_a_killed_export_leaves_breaks_nothing_and_is_cleaned() {
    use bulwark_core::Exit;
    let dir = tempfile::tempdir().expect("tempdir");
    let key = Key::new();
    let db = dir.path().join("app.db");
    make_db(&db, 5);
    let out = dir.path().join("out");
    let first = export_sqlite(&db, &out, &key);
    // A run killed after naming its backup, before naming its manifest: the manifest is
    // still under its temp name. And one killed earlier: a sealed temp and a temp manifest.
    let dead = ".db-backup-tmp-999999999-";
    fs::rename(&first.manifest_file, out.join(format!("{dead}a.tmp"))).expect("rename");
    fs::write(out.join(format!("{dead}b.tmp")), b"sealed bytes").expect("write");
    fs::write(out.join(format!("{dead}c.tmp")), b"{\"format_version\": 2}").expect("write");
    let second = export_sqlite(&db, &out, &key);
    let names: Vec<String> = fs::read_dir(&out)
        .expect("dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".db-backup-tmp-"))
        .collect();
    assert!(names.is_empty(), "leftovers: {names:?}");
    assert!(
        first.manifest_file.exists(),
        "the manifest was put in place"
    );
    assert_eq!(verify_exit(&out, &key), Exit::Ok);
    let listed = bulwark_backup::list(&out).expect("list");
    assert_eq!(listed.backups.len(), 2);
    assert!(listed.backups.iter().all(|b| b.manifest));
    assert!(second.file.exists());
}

/// A progress sink that adds up what a run reports as done.
#[derive(Default)]
struct Counted(std::sync::atomic::AtomicU64);

impl bulwark_core::Progress for Counted {
    fn set_total(&self, _: u64) {}
    fn advance(&self, delta: u64) {
        self.0.fetch_add(delta, Ordering::SeqCst);
    }
    fn set_message(&self, _: &str) {}
    fn finish(&self) {}
}

#[test]
fn issue13_item16_a_decompression_bomb_stops_at_the_manifest_size() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = Key::new();
    let db = dir.path().join("app.db");
    make_db(&db, 5);
    let report = export_sqlite(&db, &dir.path().join("out"), &key);
    let claimed = report.manifest.plaintext.size;
    // 256 MiB of zeros, compressed and encrypted to the same key: a few KiB.
    let zeros = vec![0u8; 256 << 20];
    let compressed = zstd::encode_all(&zeros[..], 3).expect("zstd");
    drop(zeros);
    let mut sealed = Vec::new();
    let mut writer = bulwark_vault::encrypt_to(
        &[key.identity.recipient().clone()],
        bulwark_vault::Armor::Binary,
        &mut sealed,
    )
    .expect("encrypt");
    writer.write_all(&compressed).expect("write");
    writer.finish().expect("finish");
    fs::write(&report.file, &sealed).expect("write");
    let mut manifest = report.manifest.clone();
    manifest.ciphertext.size = sealed.len() as u64;
    manifest.ciphertext.sha256 = sha256_hex(&sealed);
    fs::write(&report.manifest_file, manifest_bytes(&manifest)).expect("write");
    let counted = Counted::default();
    let mut provider = key.provider();
    let verified =
        bulwark_backup::verify(&report.file, &mut provider, &counted).expect("verify runs");
    assert!(!verified.backups[0].ok);
    let written = counted.0.load(Ordering::SeqCst);
    assert!(
        written <= claimed,
        "wrote {written} bytes for a manifest of {claimed}"
    );
}

/// An unencrypted SQL backup of `dump`, with a manifest that matches its bytes.
fn sql_backup(dir: &Path, dump: &str) -> PathBuf {
    let db = dir.join("seed.db");
    make_db(&db, 1);
    let out = dir.join("out");
    let report = bulwark_backup::export(
        &request(ExportSource::Sqlite(db), &out, Encryption::None),
        &NoProgress,
    )
    .expect("export");
    let name = BackupName::parse(&report.file.file_name().expect("name").to_string_lossy())
        .expect("parses");
    let sql_name = BackupName {
        kind: bulwark_backup::Kind::Sql,
        ..name
    };
    let file = out.join(sql_name.file_name());
    fs::rename(&report.file, &file).expect("rename");
    fs::remove_file(&report.manifest_file).expect("rm");
    let mut renamed = report.clone();
    renamed.manifest.kind = bulwark_backup::Kind::Sql;
    renamed.manifest.file = sql_name.file_name();
    renamed.file.clone_from(&file);
    renamed.manifest_file = out.join(format!("{}.manifest.json", sql_name.file_name()));
    replace_payload(&renamed, dump.as_bytes());
    file
}

#[test]
fn issue13_item15_a_sql_backup_cannot_attach_files_or_run_for_ever() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = Key::new();
    let victim = dir.path().join("victim.db");
    let dump = format!(
        "CREATE TABLE t(x);\nATTACH '{}' AS v;\nCREATE TABLE v.pwned(x);\n",
        victim.display()
    );
    let file = sql_backup(dir.path(), &dump);
    assert_ne!(verify_exit(&file, &key), bulwark_core::Exit::Ok);
    assert!(
        !victim.exists(),
        "the dump created a file outside the sandbox"
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let dump = "CREATE TABLE t(x);\n\
        WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c;\n";
    let file = sql_backup(dir.path(), dump);
    let (tx, rx) = std::sync::mpsc::channel();
    let canary = key.canary.clone();
    std::thread::spawn(move || {
        let key = Key {
            identity: Identity::generate(),
            canary,
        };
        let _ = tx.send(verify_exit(&file, &key));
    });
    let exit = rx
        .recv_timeout(std::time::Duration::from_secs(120))
        .expect("verify of a never-ending dump returns");
    assert_ne!(exit, bulwark_core::Exit::Ok);
}

#[test]
fn issue13_item18_export_leaves_the_source_its_wal_and_shm_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = Key::new();
    let live = dir.path().join("live");
    fs::create_dir(&live).expect("mkdir");
    let db = live.join("app.db");
    make_db(&db, 10);
    // A writer that has the database open, with rows only in the WAL: copy the three
    // files as they are (the state a crashed or a running writer leaves).
    let conn = Connection::open(&db).expect("open");
    conn.execute_batch(
        "PRAGMA wal_autocheckpoint=0; INSERT INTO users(email) VALUES ('wal-only@example.com');",
    )
    .expect("write");
    let src = dir.path().join("src");
    fs::create_dir(&src).expect("mkdir");
    for suffix in ["", "-wal", "-shm"] {
        fs::copy(
            format!("{}{suffix}", db.display()),
            src.join(format!("app.db{suffix}")),
        )
        .expect("copy");
    }
    drop(conn);
    let source = src.join("app.db");
    let before: Vec<(String, String, std::time::SystemTime)> = ["", "-wal", "-shm"]
        .iter()
        .map(|suffix| {
            let path = format!("{}{suffix}", source.display());
            let meta = fs::metadata(&path).expect("exists");
            let sha = sha256_hex(&fs::read(&path).expect("read"));
            (path, sha, meta.modified().expect("mtime"))
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let report = export_sqlite(&source, &dir.path().join("out"), &key);
    for (path, sha, mtime) in &before {
        let meta = fs::metadata(path).unwrap_or_else(|_| panic!("{path} was deleted"));
        assert_eq!(
            &sha256_hex(&fs::read(path).expect("read")),
            sha,
            "{path} changed"
        );
        assert_eq!(
            &meta.modified().expect("mtime"),
            mtime,
            "{path} was written"
        );
    }
    // The backup holds the row that was only in the WAL.
    let to = dir.path().join("restored.db");
    let mut provider = key.provider();
    bulwark_backup::restore(
        &RestoreRequest {
            file: report.file.clone(),
            to: to.clone(),
            force: false,
        },
        &mut provider,
        &NoProgress,
    )
    .expect("restore");
    assert_eq!(
        rows(
            &to,
            "SELECT count(*) FROM users WHERE email = 'wal-only@example.com'"
        ),
        1
    );
}

#[test]
fn issue13_item18_a_hot_journal_is_an_error_not_a_rollback_in_place() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = Key::new();
    let db = dir.path().join("app.db");
    make_db(&db, 10);
    Connection::open(&db)
        .expect("open")
        .execute_batch("PRAGMA journal_mode=DELETE;")
        .expect("rollback mode");
    // The real sqlite3 CLI killed with SIGKILL in the middle of a transaction that spilled
    // to the database file: a hot journal.
    let mut cli = Command::new("sqlite3")
        .arg(&db)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("sqlite3");
    cli.stdin
        .take()
        .expect("stdin")
        .write_all(
            b"PRAGMA cache_size=2;\nBEGIN;\n\
              WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<5000)\n\
              INSERT INTO audit(user_id, at) SELECT x, hex(randomblob(300)) FROM c;\n\
              .system kill -9 $PPID\n",
        )
        .expect("script");
    cli.wait().expect("killed");
    let journal = dir.path().join("app.db-journal");
    assert!(journal.exists(), "no hot journal was left");
    let state = || -> Vec<(String, std::time::SystemTime)> {
        [&db, &journal]
            .iter()
            .map(|p| {
                (
                    sha256_hex(&fs::read(p).expect("read")),
                    fs::metadata(p).expect("meta").modified().expect("mtime"),
                )
            })
            .collect()
    };
    let before = state();
    let encryption = Encryption::To(vec![key.identity.recipient().clone()]);
    let err = bulwark_backup::export(
        &request(
            ExportSource::Sqlite(db.clone()),
            &dir.path().join("out"),
            encryption,
        ),
        &NoProgress,
    )
    .expect_err("a database that needs a rollback is not backed up");
    assert_eq!(err.exit(), bulwark_core::Exit::Operational, "{err}");
    assert_eq!(state(), before, "the source or its journal changed");
}

const SIGNAL_CHILD: &str = "BULWARK_BACKUP_TEST_SIGNAL_CHILD";

/// A Ctrl-C reaches wrangler as well as db-backup; wrangler then fails. The export must
/// report the interruption (exit 130), not wrangler's failure (exit 3), and leave nothing.
/// The signal is sent to a child process (this same test), whose stand-in wrangler (a
/// recording stand-in: no real D1 is reached) sends SIGINT to its parent and fails.
#[test]
fn issue13_item14_ctrl_c_while_wrangler_runs_is_an_interruption() {
    if let Some(dir) = std::env::var_os(SIGNAL_CHILD) {
        let dir = PathBuf::from(dir);
        let key = Key::new();
        let script = install_wrangler(&dir);
        fs::write(&script, "#!/bin/sh\nkill -INT $PPID\nsleep 1\nexit 1\n").expect("script");
        fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).expect("chmod");
        let req = request(
            ExportSource::D1(D1Source {
                database: "demo-db".to_owned(),
                remote: false,
                workdir: dir.clone(),
                wrangler_config: None,
                env: None,
                from_export: None,
            }),
            &dir.join("out"),
            Encryption::To(vec![key.identity.recipient().clone()]),
        );
        let err = bulwark_backup::export(&req, &NoProgress).expect_err("interrupted");
        assert!(matches!(err, BackupError::Interrupted), "{err:?}");
        assert_eq!(err.exit(), bulwark_core::Exit::Interrupted);
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let status = Command::new(std::env::current_exe().expect("exe"))
        .args([
            "--exact",
            "issue13_item14_ctrl_c_while_wrangler_runs_is_an_interruption",
        ])
        .env(SIGNAL_CHILD, dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("child");
    assert!(
        status.success(),
        "the child's export was not an interruption"
    );
    let left: Vec<String> = fs::read_dir(dir.path().join("out"))
        .expect("dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != ".db-backup.lock")
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

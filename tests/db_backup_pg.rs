//! db-backup against real PostgreSQL: every server here is bulwark-pg's throw-away one,
//! started by the test as the source or the target database (Debian `postgresql`,
//! installed by tests/setup.sh; never skipped). PostgreSQL's programs are reached through
//! recording wrappers (`BULWARK_PG_DUMP`, `BULWARK_PSQL`, `BULWARK_PG_RESTORE`) that log
//! their argv, so the tests see every command line db-backup gave them.

use std::os::unix::fs::PermissionsExt as _;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use bulwark_pg::LocalServer;

mod pg_support;
use pg_support::{files_under, pg_bin, text, url};

const BIN: &str = env!("CARGO_BIN_EXE_db-backup");

struct Harness {
    dir: tempfile::TempDir,
    key: PathBuf,
    recipients: PathBuf,
    argv_log: PathBuf,
}

impl Harness {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let key = dir.path().join("key.txt");
        let ok = Command::new("age-keygen")
            .arg("-o")
            .arg(&key)
            .stderr(Stdio::null())
            .status()
            .expect("age-keygen runs");
        assert!(ok.success());
        let public = Command::new("age-keygen")
            .arg("-y")
            .arg(&key)
            .output()
            .expect("age-keygen -y");
        let recipients = dir.path().join("recipients.txt");
        std::fs::write(&recipients, &public.stdout).expect("write");
        let argv_log = dir.path().join("argv.log");
        for (program, _) in WRAPPED {
            let wrapper = dir.path().join(format!("wrap-{program}"));
            std::fs::write(
                &wrapper,
                format!(
                    "#!/bin/sh\nprintf '%s\\n' \"$0 $*\" >> '{}'\ncat /proc/$$/cmdline | tr '\\0' ' ' >> '{}'\necho >> '{}'\n${{BULWARK_TEST_DELAY_{program}:+sleep $BULWARK_TEST_DELAY_{program}}}\nexec '{}' \"$@\"\n",
                    argv_log.display(),
                    argv_log.display(),
                    argv_log.display(),
                    pg_bin().join(program).display()
                ),
            )
            .expect("write wrapper");
            std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755))
                .expect("chmod");
        }
        std::fs::create_dir(dir.path().join("tmp")).expect("mkdir");
        std::fs::create_dir(dir.path().join("backups")).expect("mkdir");
        Self {
            dir,
            key,
            recipients,
            argv_log,
        }
    }

    fn backups(&self) -> PathBuf {
        self.dir.path().join("backups")
    }

    /// db-backup with the wrappers, a private TMPDIR (where throw-away servers live),
    /// and `env` added.
    fn command(&self, args: &[&str], env: &[(&str, String)]) -> Command {
        let mut command = Command::new(BIN);
        command
            .args(args)
            .current_dir(self.dir.path())
            .env("TMPDIR", self.dir.path().join("tmp"))
            .env("NO_COLOR", "1")
            .env_remove("DATABASE_URL");
        for (program, var) in WRAPPED {
            command.env(var, self.dir.path().join(format!("wrap-{program}")));
        }
        for (name, value) in env {
            command.env(name, value);
        }
        command
    }

    fn run(&self, args: &[&str], env: &[(&str, String)]) -> Output {
        self.command(args, env).output().expect("db-backup runs")
    }

    /// `db-backup export --out BACKUPS` plus `args`; asserts it succeeded.
    fn export(&self, args: &[&str], env: &[(&str, String)]) -> Output {
        let backups = self.backups();
        let mut all = vec!["export", "--out", backups.to_str().expect("utf-8")];
        all.extend_from_slice(args);
        let out = self.run(&all, env);
        assert!(out.status.success(), "{}", text(&out));
        out
    }

    fn backup_file(&self) -> PathBuf {
        std::fs::read_dir(self.backups())
            .expect("backups")
            .flatten()
            .map(|e| e.path())
            .find(|p| {
                let name = p.to_string_lossy();
                name.ends_with(".pgdump.zst.age") || name.ends_with(".pgdump.zst")
            })
            .expect("a PostgreSQL backup")
    }

    fn manifest(&self) -> serde_json::Value {
        let path = format!("{}.manifest.json", self.backup_file().display());
        serde_json::from_slice(&std::fs::read(path).expect("manifest")).expect("json")
    }
}

const WRAPPED: [(&str, &str); 3] = [
    ("pg_dump", "BULWARK_PG_DUMP"),
    ("psql", "BULWARK_PSQL"),
    ("pg_restore", "BULWARK_PG_RESTORE"),
];

fn source_with_data() -> LocalServer {
    let server = LocalServer::start().expect("source server");
    server
        .client()
        .psql(
            "CREATE SCHEMA app;\n\
             CREATE TABLE app.users (id serial PRIMARY KEY, email text NOT NULL UNIQUE);\n\
             INSERT INTO app.users (email) SELECT 'u' || g || '@example.com' FROM generate_series(1, 2500) g;\n\
             CREATE TABLE app.orders (id bigserial PRIMARY KEY, user_id int REFERENCES app.users(id), total numeric);\n\
             INSERT INTO app.orders (user_id, total) SELECT 1 + g % 2500, g * 1.5 FROM generate_series(1, 4000) g;\n\
             CREATE VIEW app.big_orders AS SELECT * FROM app.orders WHERE total > 100;\n\
             CREATE TABLE public.\"Empty Table\" (x int);\n",
        )
        .expect("source data");
    server
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// `age -d -i KEY FILE | zstd -d | pg_restore -d postgres` into a fresh server; its
/// tables and rows.
fn restore_with_stock_tools(h: &Harness) -> Vec<(String, u64)> {
    let target = LocalServer::start().expect("target server");
    let restored = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "age -d -i '{}' '{}' | zstd -d | '{}' --no-owner --exit-on-error -d postgres",
            h.key.display(),
            h.backup_file().display(),
            pg_bin().join("pg_restore").display()
        ))
        .env("PGHOST", target.dir())
        .env("PGUSER", "bulwark")
        .output()
        .expect("sh runs");
    assert!(restored.status.success(), "{}", text(&restored));
    target
        .client()
        .stats(None)
        .expect("stats")
        .tables
        .into_iter()
        .map(|t| (t.name, t.rows))
        .collect()
}

/// What the export of `source_with_data` must record.
fn assert_manifest(manifest: &serde_json::Value) {
    assert_eq!(manifest["kind"], "pgdump");
    assert_eq!(manifest["source"]["type"], "postgres");
    assert_eq!(
        manifest["tables"],
        serde_json::json!([
            {"name": "app.orders", "rows": 4000},
            {"name": "app.users", "rows": 2500},
            {"name": "public.\"Empty Table\"", "rows": 0},
        ])
    );
    assert_eq!(
        manifest["postgres"]["schemas"],
        serde_json::json!(["app", "public"])
    );
    assert!(
        manifest["postgres"]["server_version"]
            .as_str()
            .is_some_and(|v| v.starts_with("15") || v.starts_with(char::is_numeric))
    );
}

#[test]
fn export_verify_and_a_stock_restore_of_a_real_postgres_database_never_show_the_password() {
    let canary = "canary-pg-pw-3d9f71";
    let h = Harness::new();
    let source = source_with_data();
    let backups = h.backups();
    let out = h.export(
        &[
            "--postgres",
            "--recipients-file",
            h.recipients.to_str().expect("utf-8"),
            "--format",
            "json",
        ],
        &[("DATABASE_URL", url(&source, canary, "postgres"))],
    );
    assert_manifest(&h.manifest());
    assert_eq!(h.manifest()["source"]["env"], "DATABASE_URL");
    let log = std::fs::read_to_string(&h.argv_log).expect("the wrappers ran");
    assert!(
        log.contains("--snapshot="),
        "pg_dump gets the snapshot: {log}"
    );

    // Stock tools restore it: age -d | zstd -d | pg_restore.
    assert_eq!(
        restore_with_stock_tools(&h),
        [
            ("app.orders".to_owned(), 4000),
            ("app.users".to_owned(), 2500),
            ("public.\"Empty Table\"".to_owned(), 0)
        ]
    );

    // verify restores it into a throw-away server and checks every count.
    let verify = h.run(
        &[
            "verify",
            backups.to_str().expect("utf-8"),
            "--identity",
            h.key.to_str().expect("utf-8"),
        ],
        &[],
    );
    assert!(verify.status.success(), "{}", text(&verify));
    assert!(
        text(&verify).contains("(3 tables, 6500 rows)"),
        "{}",
        text(&verify)
    );
    let list = h.run(&["list", backups.to_str().expect("utf-8")], &[]);
    assert!(text(&list).contains(".pgdump.zst.age"), "{}", text(&list));
    assert!(text(&list).contains("yes"), "{}", text(&list));
    // prune and the status file treat it like any backup.
    let status = h.dir.path().join("status.json");
    let prune = h.run(
        &[
            "prune",
            backups.to_str().expect("utf-8"),
            "--keep-last",
            "1",
            "--dry-run",
            "--status-file",
            status.to_str().expect("utf-8"),
        ],
        &[],
    );
    assert!(prune.status.success(), "{}", text(&prune));
    assert!(
        text(&prune).contains("keep") && text(&prune).contains(".pgdump.zst.age"),
        "{}",
        text(&prune)
    );
    assert!(std::fs::read_to_string(&status).is_ok_and(|s| s.contains("prune")));

    // The canary: in no output, no argv of any PostgreSQL program, no file left.
    for output in [&out, &verify, &list] {
        assert!(!text(output).contains(canary), "{}", text(output));
    }
    assert!(!log.contains(canary), "argv holds the password: {log}");
    assert!(!log.contains("postgres://"), "argv holds the URL: {log}");
    for (path, bytes) in files_under(h.dir.path()) {
        assert!(
            !contains(&bytes, canary),
            "{} holds the password",
            path.display()
        );
    }
    assert_eq!(
        std::fs::read_dir(h.dir.path().join("tmp"))
            .expect("tmp")
            .count(),
        0,
        "the throw-away server's directory was removed"
    );
}

#[test]
fn verify_fails_when_a_row_count_differs_from_the_manifest() {
    let h = Harness::new();
    let source = source_with_data();
    h.export(
        &[
            "--postgres-env",
            "PROD_DB",
            "--recipients-file",
            h.recipients.to_str().expect("utf-8"),
        ],
        &[("PROD_DB", url(&source, "pw", "postgres"))],
    );
    let manifest_path = format!("{}.manifest.json", h.backup_file().display());
    let mut manifest = h.manifest();
    manifest["tables"][1]["rows"] = serde_json::json!(2499);
    std::fs::write(
        &manifest_path,
        serde_json::to_vec_pretty(&manifest).expect("json"),
    )
    .expect("write");
    let verify = h.run(
        &[
            "verify",
            h.backup_file().to_str().expect("utf-8"),
            "--identity",
            h.key.to_str().expect("utf-8"),
        ],
        &[],
    );
    assert_eq!(verify.status.code(), Some(1), "{}", text(&verify));
    // The manifest is authenticated (format 2): an edited row count is caught as an
    // edited manifest before any row is counted.
    assert!(
        text(&verify).contains("the manifest is not byte for byte what db-backup writes"),
        "{}",
        text(&verify)
    );
}

#[test]
fn restore_refuses_a_non_empty_database_and_never_half_restores() {
    let h = Harness::new();
    let source = source_with_data();
    h.export(
        &[
            "--postgres",
            "--recipients-file",
            h.recipients.to_str().expect("utf-8"),
        ],
        &[("DATABASE_URL", url(&source, "pw", "postgres"))],
    );
    let file = h.backup_file();
    let file = file.to_str().expect("utf-8");
    let key = h.key.to_str().expect("utf-8");

    let target = LocalServer::start().expect("target server");
    let client = target.client();
    client.psql("CREATE DATABASE restored;\n").expect("create");
    let target_url = url(&target, "canary-target-pw-77c2", "restored");
    let restore = |force: bool| {
        let mut args = vec![
            "restore",
            file,
            "--to-postgres-env",
            "TARGET_DB",
            "--identity",
            key,
        ];
        if force {
            args.push("--force");
        }
        h.run(&args, &[("TARGET_DB", target_url.clone())])
    };
    let first = restore(false);
    assert!(first.status.success(), "{}", text(&first));
    let restored = target.client_for("restored");
    let counts = |client: &bulwark_pg::Client| {
        client
            .stats(None)
            .expect("stats")
            .tables
            .into_iter()
            .map(|t| (t.name, t.rows))
            .collect::<Vec<_>>()
    };
    assert_eq!(counts(&restored)[1], ("app.users".to_owned(), 2500));

    let again = restore(false);
    assert_eq!(again.status.code(), Some(2), "{}", text(&again));
    assert!(text(&again).contains("is not empty"), "{}", text(&again));

    // With --force the backup's objects are dropped and recreated in one transaction;
    // a view only the target has makes the drop fail, and nothing changes.
    restored
        .psql(
            "INSERT INTO app.users (email) VALUES ('only-in-target@example.com');\n\
             CREATE VIEW public.blocker AS SELECT * FROM app.users;\n",
        )
        .expect("target changes");
    let forced = restore(true);
    assert_eq!(forced.status.code(), Some(1), "{}", text(&forced));
    assert!(
        text(&forced).contains("nothing was restored"),
        "{}",
        text(&forced)
    );
    assert_eq!(counts(&restored)[1], ("app.users".to_owned(), 2501));
    restored.psql("DROP VIEW public.blocker;\n").expect("drop");
    let forced = restore(true);
    assert!(forced.status.success(), "{}", text(&forced));
    assert_eq!(counts(&restored)[1], ("app.users".to_owned(), 2500));
    for output in [&first, &again, &forced] {
        assert!(!text(output).contains("canary-target-pw-77c2"));
    }
}

#[test]
fn sigterm_during_verify_stops_and_removes_the_throw_away_server_of_a_configured_export() {
    let h = Harness::new();
    let source = source_with_data();
    let backups = h.backups();
    // The source from `[backup] postgres_env` in bulwark.toml.
    std::fs::write(
        h.dir.path().join("bulwark.toml"),
        "[backup]\ndir = \"backups\"\npostgres_env = \"APP_DB\"\n",
    )
    .expect("write config");
    let out = h.run(
        &["export", "--no-encrypt"],
        &[("APP_DB", url(&source, "pw", "postgres"))],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(h.manifest()["source"]["env"], "APP_DB");
    // pg_restore waits 30 s before it starts: the server is up and verify is inside.
    let mut child = h
        .command(
            &["verify", backups.to_str().expect("utf-8")],
            &[("BULWARK_TEST_DELAY_pg_restore", "30".to_owned())],
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("verify starts");
    let tmp = h.dir.path().join("tmp");
    let started = std::time::Instant::now();
    let server_dir = loop {
        let dirs: Vec<PathBuf> = std::fs::read_dir(&tmp)
            .expect("tmp")
            .flatten()
            .map(|e| e.path())
            .collect();
        if let Some(dir) = dirs.first()
            && dir.join("data/postmaster.pid").exists()
            && std::fs::read_to_string(&h.argv_log).is_ok_and(|l| l.contains("pg_restore"))
        {
            break dir.clone();
        }
        assert!(started.elapsed().as_secs() < 30, "the server never came up");
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let pid = std::fs::read_to_string(server_dir.join("data/postmaster.pid"))
        .expect("pid file")
        .lines()
        .next()
        .expect("pid")
        .to_owned();
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let status = child.wait().expect("wait");
    assert!(!status.success());
    assert!(!server_dir.exists(), "{} was left", server_dir.display());
    let alive = std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        !stat
            .rsplit(')')
            .next()
            .is_some_and(|r| r.trim_start().starts_with('Z'))
    });
    assert!(!alive, "the server {pid} still runs");
}

#[test]
fn missing_postgres_programs_exit_3_and_name_the_package() {
    let h = Harness::new();
    let backups = h.backups();
    let out = h
        .command(
            &[
                "export",
                "--postgres",
                "--out",
                backups.to_str().expect("utf-8"),
                "--no-encrypt",
            ],
            &[(
                "DATABASE_URL",
                "postgres://u:pw@/db?host=/nonexistent".to_owned(),
            )],
        )
        .env("BULWARK_PG_DUMP", "/nonexistent/pg_dump")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        text(&out).contains("apt-get install postgresql"),
        "{}",
        text(&out)
    );

    let out = h.run(
        &[
            "export",
            "--postgres",
            "--out",
            backups.to_str().expect("utf-8"),
            "--no-encrypt",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("DATABASE_URL is not set"),
        "{}",
        text(&out)
    );
}

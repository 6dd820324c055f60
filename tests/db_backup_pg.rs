//! db-backup against real PostgreSQL: every server here is bulwark-pg's throw-away one,
//! started by the test as the source or the target database (Debian `postgresql`,
//! installed by tests/setup.sh; never skipped). PostgreSQL's programs are reached through
//! recording wrappers (`BULWARK_PG_DUMP`, `BULWARK_PSQL`, `BULWARK_PG_RESTORE`) that log
//! their argv, so the tests see every command line db-backup gave them.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
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

    /// `db-backup verify PATH --identity KEY`.
    fn verify(&self, path: &Path) -> Output {
        let key = self.key.to_str().expect("utf-8");
        self.run(
            &["verify", path.to_str().expect("utf-8"), "--identity", key],
            &[],
        )
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
    let target = stock_restore(h);
    target
        .client()
        .stats(None)
        .expect("stats")
        .tables
        .into_iter()
        .map(|t| (t.name, t.rows))
        .collect()
}

/// `age -d -i KEY FILE | zstd -d | pg_restore -d postgres` into a fresh server, returned.
fn stock_restore(h: &Harness) -> LocalServer {
    let target = LocalServer::start().expect("target server");
    stock_restore_into(h, &target, "--no-owner --exit-on-error");
    target
}

/// `age -d -i KEY FILE | zstd -d | pg_restore OPTIONS -d postgres` into `target`.
fn stock_restore_into(h: &Harness, target: &LocalServer, options: &str) {
    let restored = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "age -d -i '{}' '{}' | zstd -d | '{}' {options} -d postgres",
            h.key.display(),
            h.backup_file().display(),
            pg_bin().join("pg_restore").display()
        ))
        .env("PGHOST", target.dir())
        .env("PGUSER", "bulwark")
        .output()
        .expect("sh runs");
    assert!(restored.status.success(), "{}", text(&restored));
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
    let verify = h.verify(&backups);
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

/// Issue 15: the row-count comparison itself, on a real restored database (an edited
/// manifest is refused before it, above): a row gone, a table added, one renamed.
#[test]
fn the_comparison_reports_every_table_whose_rows_differ_from_the_manifest() {
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
    let manifest_path = format!("{}.manifest.json", h.backup_file().display());
    let manifest = bulwark_backup::Manifest::from_file_bytes(
        &std::fs::read(&manifest_path).expect("manifest"),
    )
    .expect("a manifest db-backup wrote");
    let restored = stock_restore(&h);
    let client = restored.client();
    let mut problems = Vec::new();
    let tables =
        bulwark_backup::compare_restored(&client, &manifest, &mut problems).expect("counted");
    assert_eq!(problems, Vec::<String>::new(), "the restore is faithful");
    assert_eq!(tables.iter().map(|t| t.rows).sum::<u64>(), 6500);

    client
        .psql(
            "DELETE FROM app.orders WHERE id = 4000;\n\
             ALTER TABLE public.\"Empty Table\" RENAME TO renamed;\n\
             CREATE TABLE public.extra (x int);\n",
        )
        .expect("change the restored database");
    let mut problems = Vec::new();
    bulwark_backup::compare_restored(&client, &manifest, &mut problems).expect("counted");
    for expected in [
        "table `app.orders` has 3999 rows, the manifest says 4000",
        "table `public.\"Empty Table\"` is missing",
        "table `public.extra` is not in the manifest",
        "table `public.renamed` is not in the manifest",
        "the schema hash differs from the manifest",
    ] {
        assert!(
            problems.iter().any(|p| p == expected),
            "{expected}: {problems:?}"
        );
    }
    assert!(
        !problems.iter().any(|p| p.contains("app.users")),
        "{problems:?}"
    );
}

/// Issue 15: an archive that does not match its manifest is caught before `pg_restore`
/// can commit it. The backup is made consistent in every other way (its file hash in the
/// manifest, the manifest copy in the payload untouched), so only the archive's own
/// digest can tell.
#[test]
fn restore_checks_the_archive_against_the_manifest_before_pg_restore_commits() {
    let h = Harness::new();
    let source = source_with_data();
    h.export(
        &["--postgres", "--no-encrypt"],
        &[("DATABASE_URL", url(&source, "pw", "postgres"))],
    );
    let file = h.backup_file();
    let bytes = std::fs::read(&file).expect("backup");
    // The trailer (a zstd skippable frame with the manifest copy) ends with the copy's
    // length and an 8-byte mark.
    let end = bytes.len();
    let copy_len = u32::from_le_bytes(bytes[end - 12..end - 8].try_into().expect("4 bytes"));
    let trailer = bytes[end - 20 - copy_len as usize..].to_vec();
    let archive = Command::new("zstd")
        .args(["-d", "-c"])
        .arg(&file)
        .output()
        .expect("zstd -d");
    assert!(archive.status.success());
    let mut archive = archive.stdout;
    let at = archive
        .windows(17)
        .position(|w| w == b"u2500@example.com")
        .expect("the row is in the archive");
    archive[at] = b'v';
    let mut zstd = Command::new("zstd")
        .args(["-q", "-c"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("zstd");
    let mut stdin = zstd.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || {
        use std::io::Write as _;
        stdin.write_all(&archive).expect("write");
    });
    let compressed = zstd.wait_with_output().expect("zstd -c");
    writer.join().expect("writer");
    let mut tampered = compressed.stdout;
    tampered.extend_from_slice(&trailer);
    std::fs::write(&file, &tampered).expect("write");
    let sha = Command::new("sha256sum")
        .arg(&file)
        .output()
        .expect("sha256sum");
    let sha = String::from_utf8_lossy(&sha.stdout)
        .split_whitespace()
        .next()
        .expect("a digest")
        .to_owned();
    let manifest_path = format!("{}.manifest.json", file.display());
    let mut manifest = bulwark_backup::Manifest::from_file_bytes(
        &std::fs::read(&manifest_path).expect("manifest"),
    )
    .expect("manifest");
    manifest.ciphertext.size = tampered.len() as u64;
    manifest.ciphertext.sha256 = sha;
    std::fs::write(&manifest_path, manifest.to_file_bytes()).expect("write manifest");

    let target = LocalServer::start().expect("target server");
    target
        .client()
        .psql("CREATE DATABASE restored;\n")
        .expect("create");
    let restore = h.run(
        &[
            "restore",
            file.to_str().expect("utf-8"),
            "--to-postgres-env",
            "TARGET_DB",
        ],
        &[("TARGET_DB", url(&target, "pw", "restored"))],
    );
    assert_eq!(restore.status.code(), Some(1), "{}", text(&restore));
    assert!(
        text(&restore).contains("does not match the manifest")
            && text(&restore).contains("nothing was restored"),
        "{}",
        text(&restore)
    );
    let left = target.client_for("restored").stats(None).expect("stats");
    assert_eq!(left.tables, Vec::new(), "pg_restore committed nothing");
}

/// A database laid out like a Supabase project's: the platform roles, `auth` and
/// `storage` with their migration history, extensions in `extensions`, the platform's
/// `realtime` and `supabase_migrations`, an extension-owned-like `vault` holding a
/// canary, and the app's `public` tables with row-level security naming the roles.
fn supabase_like() -> LocalServer {
    let server = LocalServer::start().expect("source server");
    server
        .client()
        .psql(
            "CREATE ROLE anon NOLOGIN;\n\
             CREATE ROLE authenticated NOLOGIN;\n\
             CREATE ROLE service_role NOLOGIN BYPASSRLS;\n\
             CREATE ROLE supabase_auth_admin NOLOGIN;\n\
             CREATE ROLE authenticator LOGIN NOINHERIT;\n\
             GRANT anon, authenticated, service_role TO authenticator;\n\
             CREATE SCHEMA extensions;\n\
             CREATE EXTENSION \"uuid-ossp\" WITH SCHEMA extensions;\n\
             CREATE EXTENSION pgcrypto WITH SCHEMA extensions;\n\
             CREATE SCHEMA auth AUTHORIZATION supabase_auth_admin;\n\
             CREATE TABLE auth.users (id uuid PRIMARY KEY DEFAULT extensions.uuid_generate_v4(), email text NOT NULL);\n\
             CREATE TABLE auth.schema_migrations (version text PRIMARY KEY);\n\
             INSERT INTO auth.schema_migrations VALUES ('20171026211738'), ('20171026211808'), ('20171026211834');\n\
             INSERT INTO auth.users (email) SELECT 'user' || g || '@example.com' FROM generate_series(1, 40) g;\n\
             CREATE SCHEMA storage;\n\
             CREATE TABLE storage.buckets (id text PRIMARY KEY, owner uuid REFERENCES auth.users(id));\n\
             CREATE TABLE storage.migrations (id int PRIMARY KEY, name text);\n\
             INSERT INTO storage.migrations VALUES (0, 'create-migrations-table'), (1, 'initialmigration');\n\
             INSERT INTO storage.buckets SELECT 'avatars', id FROM auth.users LIMIT 1;\n\
             CREATE SCHEMA realtime;\n\
             CREATE TABLE realtime.subscription (id bigint PRIMARY KEY);\n\
             INSERT INTO realtime.subscription VALUES (1), (2);\n\
             CREATE SCHEMA supabase_migrations;\n\
             CREATE TABLE supabase_migrations.schema_migrations (version text PRIMARY KEY);\n\
             INSERT INTO supabase_migrations.schema_migrations VALUES ('20260101000000');\n\
             CREATE SCHEMA vault;\n\
             CREATE TABLE vault.secrets (id int, secret text);\n\
             INSERT INTO vault.secrets VALUES (1, 'canary-vault-secret-9b2e');\n\
             CREATE TABLE public.profiles (id uuid PRIMARY KEY REFERENCES auth.users(id), name text, \
             salt bytea NOT NULL DEFAULT extensions.gen_random_bytes(8));\n\
             INSERT INTO public.profiles (id, name) SELECT id, email FROM auth.users;\n\
             ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;\n\
             CREATE POLICY own_profile ON public.profiles FOR SELECT TO authenticated USING (true);\n\
             GRANT SELECT ON public.profiles TO anon, authenticated, service_role;\n",
        )
        .expect("supabase-like data");
    server
}

/// `CREATE ROLE` for each of `roles` the target lacks, then `age -d | zstd -d |
/// pg_restore --single-transaction` into a fresh server, returned.
fn stock_restore_with_roles(h: &Harness, roles: &[&str]) -> LocalServer {
    let target = LocalServer::start().expect("target server");
    let mut create_roles = String::new();
    for role in roles.iter().filter(|r| **r != "bulwark") {
        create_roles.push_str("CREATE ROLE \"");
        create_roles.push_str(role);
        create_roles.push_str("\" NOLOGIN;\n");
    }
    target.client().psql(&create_roles).expect("roles");
    stock_restore_into(h, &target, "--exit-on-error --single-transaction");
    target
}

/// Issue 15: `export --supabase` dumps what `supabase db dump` dumps (roles, schema,
/// data), leaves out what it leaves out, and `verify` restores it on a plain server.
#[test]
fn a_supabase_export_leaves_out_the_platforms_schemas_and_verifies_on_a_plain_server() {
    let h = Harness::new();
    let source = supabase_like();
    let backups = h.backups();
    h.export(
        &[
            "--postgres",
            "--supabase",
            "--recipients-file",
            h.recipients.to_str().expect("utf-8"),
        ],
        &[("DATABASE_URL", url(&source, "pw", "postgres"))],
    );
    let manifest = h.manifest();
    let postgres = &manifest["postgres"];
    assert_eq!(postgres["preset"], "supabase");
    assert_eq!(
        manifest["tables"],
        serde_json::json!([
            {"name": "auth.schema_migrations", "rows": 0},
            {"name": "auth.users", "rows": 40},
            {"name": "public.profiles", "rows": 40},
            {"name": "storage.buckets", "rows": 1},
            {"name": "storage.migrations", "rows": 0},
        ]),
        "realtime, supabase_migrations and vault are left out, and the platform's migration rows"
    );
    assert_eq!(
        postgres["schemas"],
        serde_json::json!(["auth", "extensions", "public", "storage"])
    );
    let roles: Vec<&str> = postgres["roles"]
        .as_array()
        .expect("roles")
        .iter()
        .map(|r| r["name"].as_str().expect("name"))
        .collect();
    for role in ["anon", "authenticated", "authenticator", "service_role"] {
        assert!(roles.contains(&role), "{roles:?}");
    }
    let authenticator = postgres["roles"]
        .as_array()
        .expect("roles")
        .iter()
        .find(|r| r["name"] == "authenticator")
        .expect("authenticator");
    assert_eq!(
        authenticator["member_of"],
        serde_json::json!(["anon", "authenticated", "service_role"])
    );
    let extensions: Vec<&str> = postgres["extensions"]
        .as_array()
        .expect("extensions")
        .iter()
        .map(|e| e["name"].as_str().expect("name"))
        .collect();
    assert_eq!(extensions, ["pgcrypto", "uuid-ossp"]);
    let log = std::fs::read_to_string(&h.argv_log).expect("the wrappers ran");
    for flag in [
        "--exclude-schema=realtime",
        "--exclude-schema=vault",
        "--exclude-schema=supabase_migrations",
        "--exclude-table-data=auth.schema_migrations",
    ] {
        assert!(log.contains(flag), "pg_dump gets {flag}: {log}");
    }

    // The archive holds no row of an excluded schema.
    let archive = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "age -d -i '{}' '{}' | zstd -d",
            h.key.display(),
            h.backup_file().display()
        ))
        .output()
        .expect("decrypt");
    assert!(archive.status.success());
    assert!(!contains(&archive.stdout, "canary-vault-secret-9b2e"));
    assert!(contains(&archive.stdout, "user40@example.com"));

    // verify: the policy names `authenticated`, which the plain server gets as a
    // placeholder role; the extensions come from Debian's contrib.
    let verify = h.verify(&backups);
    assert!(verify.status.success(), "{}", text(&verify));
    assert!(
        text(&verify).contains("(5 tables, 81 rows)"),
        "{}",
        text(&verify)
    );

    // Stock tools: the roles from the manifest first (as docs/db-backup.md shows), then
    // age | zstd | pg_restore.
    let target = stock_restore_with_roles(&h, &roles);
    let policies = target
        .client()
        .psql("SELECT policyname || ' ' || array_to_string(roles, ',') FROM pg_policies;\n")
        .expect("policies");
    assert_eq!(policies.trim(), "own_profile authenticated");
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

/// Issue 15: list, prune and the status file treat PostgreSQL backups as they treat
/// those of a `SQLite` file. Three exports: prune keeps the newest (`last`) and the older one that
/// was verified (`newest verified`) and deletes the third with its manifest; list fails
/// closed on a damaged manifest (exit 1) and on one it cannot read (exit 3); the status
/// file records each export and verify a cron runs.
#[test]
fn list_prune_and_the_status_file_treat_postgres_backups_as_sqlite_ones() {
    let h = Harness::new();
    let source = source_with_data();
    let backups = h.backups();
    let dir = backups.to_str().expect("utf-8");
    let status = h.dir.path().join("status.json");
    let status_arg = status.to_str().expect("utf-8");
    let env = [("DATABASE_URL", url(&source, "pw", "postgres"))];
    let recipients = h.recipients.to_str().expect("utf-8");
    let read_status = || -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(&status).expect("status file")).expect("json")
    };
    let mut files = Vec::new();
    for _ in 0..3 {
        let out = h.export(
            &[
                "--postgres",
                "--recipients-file",
                recipients,
                "--status-file",
                status_arg,
            ],
            &env,
        );
        let recorded = read_status();
        assert_eq!(recorded["last_outcome"], "success", "{}", text(&out));
        assert_eq!(recorded["last_success"]["command"], "export");
        let file = PathBuf::from(
            recorded["last_success"]["file"]
                .as_str()
                .expect("the export's file"),
        );
        assert!(file.to_string_lossy().ends_with(".pgdump.zst.age"));
        files.push(file);
    }
    let [oldest, middle, newest] = [&files[0], &files[1], &files[2]];

    // verify the oldest: a stamp, and a status entry naming it.
    let key = h.key.to_str().expect("utf-8");
    let verify = h.run(
        &[
            "verify",
            oldest.to_str().expect("utf-8"),
            "--identity",
            key,
            "--status-file",
            status_arg,
        ],
        &[],
    );
    assert!(verify.status.success(), "{}", text(&verify));
    let recorded = read_status();
    assert_eq!(recorded["last_success"]["command"], "verify");
    assert_eq!(
        recorded["last_success"]["file"].as_str(),
        oldest.to_str(),
        "{recorded}"
    );

    let list = h.run(&["list", dir, "--format", "json"], &[]);
    assert!(list.status.success(), "{}", text(&list));
    let listed: serde_json::Value = serde_json::from_slice(&list.stdout).expect("json");
    let rows = listed["backups"].as_array().expect("backups");
    assert_eq!(rows.len(), 3, "{listed}");
    assert!(
        rows.iter()
            .all(|b| b["kind"] == "pgdump" && b["manifest"] == true)
    );
    let verified: Vec<&str> = rows
        .iter()
        .filter(|b| b["verified"] == true)
        .filter_map(|b| b["file"].as_str())
        .collect();
    assert_eq!(verified, [oldest.to_str().expect("utf-8")], "{listed}");

    // prune --keep-last 1: the newest stays (last), the verified one too.
    let prune = h.run(
        &[
            "prune",
            dir,
            "--keep-last",
            "1",
            "--yes",
            "--status-file",
            status_arg,
        ],
        &[],
    );
    assert!(prune.status.success(), "{}", text(&prune));
    assert!(text(&prune).contains("newest verified"), "{}", text(&prune));
    assert!(newest.is_file() && oldest.is_file(), "{}", text(&prune));
    assert!(!middle.exists(), "{}", text(&prune));
    assert!(
        !PathBuf::from(format!("{}.manifest.json", middle.display())).exists(),
        "the manifest goes with its backup"
    );
    assert_eq!(read_status()["last_success"]["command"], "prune");

    list_and_prune_fail_closed(&h, newest, oldest);
}

/// `newest`'s manifest damaged: list says so and exits 1; unreadable: list exits 3 and
/// prune, which cannot judge it, deletes nothing (`oldest` stays too).
fn list_and_prune_fail_closed(h: &Harness, newest: &Path, oldest: &Path) {
    let backups = h.backups();
    let dir = backups.to_str().expect("utf-8");
    let manifest = PathBuf::from(format!("{}.manifest.json", newest.display()));
    let whole = std::fs::read_to_string(&manifest).expect("manifest");
    std::fs::write(&manifest, &whole[..whole.len() / 2]).expect("cut");
    let damaged = h.run(&["list", dir], &[]);
    assert_eq!(damaged.status.code(), Some(1), "{}", text(&damaged));
    assert!(
        text(&damaged).contains("bad manifest"),
        "{}",
        text(&damaged)
    );
    std::fs::remove_file(&manifest).expect("rm");
    std::fs::create_dir(&manifest).expect("mkdir");
    let unreadable = h.run(&["list", dir], &[]);
    assert_eq!(unreadable.status.code(), Some(3), "{}", text(&unreadable));
    let prune = h.run(&["prune", dir, "--keep-last", "1", "--yes"], &[]);
    assert_ne!(prune.status.code(), Some(0), "{}", text(&prune));
    assert!(newest.is_file() && oldest.is_file(), "{}", text(&prune));
}

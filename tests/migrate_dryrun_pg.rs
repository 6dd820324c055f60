//! `migrate-dryrun --postgres` against real PostgreSQL: the "production" database is a
//! bulwark-pg throw-away server started by the test (Debian `postgresql`, installed by
//! tests/setup.sh; never skipped). PostgreSQL's programs are reached through recording
//! wrappers (`BULWARK_PG_DUMP`, `BULWARK_PSQL`, `BULWARK_PG_RESTORE`) that log their argv
//! and their `PGOPTIONS`, so the tests see every command line the dry run gave them and
//! that production was read in read-only sessions.

use std::os::unix::fs::PermissionsExt as _;
use std::path::PathBuf;
use std::process::{Command, Output};

use bulwark_pg::LocalServer;

mod pg_support;
use pg_support::{files_under, pg_bin, text, url};

const BIN: &str = env!("CARGO_BIN_EXE_migrate-dryrun");

const WRAPPED: [(&str, &str); 3] = [
    ("pg_dump", "BULWARK_PG_DUMP"),
    ("psql", "BULWARK_PSQL"),
    ("pg_restore", "BULWARK_PG_RESTORE"),
];

struct Harness {
    dir: tempfile::TempDir,
    log: PathBuf,
}

impl Harness {
    fn new(migrations: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let log = dir.path().join("argv.log");
        for (program, _) in WRAPPED {
            let wrapper = dir.path().join(format!("wrap-{program}"));
            std::fs::write(
                &wrapper,
                format!(
                    // One write per line: pg_dump and pg_restore start together.
                    "#!/bin/sh\nline=\"$(tr '\\0' ' ' < /proc/$$/cmdline) PGOPTIONS=$PGOPTIONS PGHOST=$PGHOST\"\nprintf '%s\\n' \"$line\" >> '{log}'\nexec '{real}' \"$@\"\n",
                    log = log.display(),
                    real = pg_bin().join(program).display()
                ),
            )
            .expect("write wrapper");
            std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755))
                .expect("chmod");
        }
        let dir_migrations = dir.path().join("project/supabase/migrations");
        std::fs::create_dir_all(&dir_migrations).expect("mkdir");
        for (name, sql) in migrations {
            std::fs::write(dir_migrations.join(name), sql).expect("write migration");
        }
        std::fs::create_dir(dir.path().join("tmp")).expect("mkdir");
        Self { dir, log }
    }

    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut command = Command::new(BIN);
        command
            .args(args)
            .current_dir(self.dir.path().join("project"))
            .env("TMPDIR", self.dir.path().join("tmp"))
            .env("NO_COLOR", "1")
            .env_remove("DATABASE_URL");
        for (program, var) in WRAPPED {
            command.env(var, self.dir.path().join(format!("wrap-{program}")));
        }
        for (name, value) in env {
            command.env(name, value);
        }
        command.output().expect("migrate-dryrun runs")
    }

    /// `--postgres --dump DUMP --format json`, which must exit 0: its report.
    fn dump_ok(&self, dump: &std::path::Path) -> serde_json::Value {
        let out = self.run(
            &[
                "--postgres",
                "--dump",
                dump.to_str().expect("utf-8"),
                "--format",
                "json",
            ],
            &[],
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        serde_json::from_slice(&out.stdout).expect("json")
    }

    fn argv_log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// Production: a schema with data and a migration history holding one version.
fn production() -> LocalServer {
    let server = LocalServer::start().expect("production server");
    server
        .client()
        .psql(
            "CREATE ROLE authenticated NOLOGIN;\n\
             CREATE TABLE public.users (id int PRIMARY KEY, email text NOT NULL);\n\
             INSERT INTO public.users SELECT g, 'u' || g || '@example.com' FROM generate_series(1, 300) g;\n\
             CREATE TABLE public.sessions (id int PRIMARY KEY, user_id int REFERENCES public.users ON DELETE CASCADE);\n\
             INSERT INTO public.sessions SELECT g, g FROM generate_series(1, 300) g;\n\
             CREATE SCHEMA supabase_migrations;\n\
             CREATE TABLE supabase_migrations.schema_migrations (version text NOT NULL PRIMARY KEY, statements text[], name text);\n\
             INSERT INTO supabase_migrations.schema_migrations VALUES ('20240101000000', '{}', 'users');\n",
        )
        .expect("production data");
    server
}

fn fingerprint(server: &LocalServer) -> String {
    let stats = server.client().stats(None).expect("stats");
    format!("{:?} {}", stats.tables, stats.schema_sha256)
}

const MIGRATIONS: [(&str, &str); 3] = [
    (
        "20240101000000_users.sql",
        "create table public.users (id int primary key, email text not null);\n",
    ),
    (
        "20240102000000_trim.sql",
        "grant select on public.users to authenticated;\n\
         create index users_email on public.users (email);\n\
         delete from public.users where id > 250;\n\
         alter table public.users add column name text;\n",
    ),
    ("20240103000000_drop.sql", "drop table public.sessions;\n"),
];

/// The URL's password never reaches argv, the output or a leftover file; production is
/// read only in read-only sessions and left as it was; the report says what the
/// migrations would do: rows lost through the cascade, the dropped table, the diff.
#[test]
fn a_dry_run_copies_production_read_only_and_never_shows_the_url() {
    let prod = production();
    let before = fingerprint(&prod);
    let h = Harness::new(&MIGRATIONS);
    let canary = "canary-pw-7c3d9e21";
    let out = h.run(
        &["--postgres-env", "PROD_URL", "--format", "json"],
        &[("PROD_URL", &url(&prod, canary, "postgres"))],
    );
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(!all.contains(canary), "{all}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["verdict"], "ok");
    let statuses: Vec<(&str, &str)> = report["migrations"]
        .as_array()
        .expect("migrations")
        .iter()
        .map(|m| {
            (
                m["name"].as_str().expect("name"),
                m["status"].as_str().expect("status"),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [
            ("20240101000000_users.sql", "already-applied"),
            ("20240102000000_trim.sql", "ok"),
            ("20240103000000_drop.sql", "ok"),
        ]
    );
    let lost = &report["data_at_risk"]["rows_lost"];
    assert!(
        lost.as_array().expect("rows_lost").iter().any(|l| {
            l["table"] == "public.users"
                && l["rows_lost"] == 50
                && l["migration"] == "20240102000000_trim.sql"
                && l["line"] == 3
                && l["statement"] == "delete from public.users where id > 250"
        }),
        "{lost}"
    );
    assert!(
        lost.as_array()
            .expect("rows_lost")
            .iter()
            .any(|l| l["table"] == "public.sessions" && l["rows_lost"] == 50),
        "the cascade: {lost}"
    );
    assert_eq!(
        report["data_at_risk"]["tables"],
        serde_json::json!([{"table": "public.sessions", "rows": 300}]),
        "rows of the dropped table before the migrations"
    );
    let findings = &report["migrations"][1]["findings"];
    assert!(
        findings.as_array().expect("findings").iter().any(|f| {
            f["rule"] == "pg-index-not-concurrently"
                && f["line"] == 2
                && f["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("public.users (300 rows in the copy)"))
        }),
        "{findings}"
    );
    // Production: untouched, read in read-only sessions only.
    assert_eq!(fingerprint(&prod), before);
    let log = h.argv_log();
    assert!(!log.contains(canary), "{log}");
    assert!(!log.contains("postgres://"), "{log}");
    let prod_socket = prod.dir().display().to_string();
    let prod_lines: Vec<&str> = log.lines().filter(|l| l.contains(&prod_socket)).collect();
    assert!(
        prod_lines.iter().any(|l| l.contains("pg_dump")),
        "pg_dump read production: {log}"
    );
    for line in &prod_lines {
        assert!(
            line.contains("PGOPTIONS=-c default_transaction_read_only=on"),
            "a session on production that is not read-only: {line}"
        );
    }
    for (path, bytes) in files_under(h.dir.path()) {
        assert!(
            !String::from_utf8_lossy(&bytes).contains(canary),
            "{} holds the password",
            path.display()
        );
    }
    assert!(
        std::fs::read_dir(h.dir.path().join("tmp"))
            .expect("tmp")
            .next()
            .is_none(),
        "the throw-away server's directory is removed"
    );
}

/// A failing migration: exit 1, PostgreSQL's error with the file and line, the later
/// files not run; `--schema-only` copies no rows but keeps the history.
#[test]
fn a_failing_migration_is_reported_with_file_and_line_and_schema_only_copies_no_rows() {
    let prod = production();
    let mut migrations = MIGRATIONS.to_vec();
    migrations[1] = (
        "20240102000000_trim.sql",
        "alter table public.users add column name text;\n\n\
         update public.users\n   set name = no_such_column;\n",
    );
    let h = Harness::new(&migrations);
    let out = h.run(
        &["--postgres", "--schema-only", "--format", "json"],
        &[(
            "DATABASE_URL",
            &url(&prod, "canary-pw-0a9b8c7d", "postgres"),
        )],
    );
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(!all.contains("canary-pw-0a9b8c7d"), "{all}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["verdict"], "failed");
    assert_eq!(report["postgres"]["schema_only"], true);
    let failed = &report["migrations"][1];
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["error"]["class"], "42703");
    assert_eq!(failed["error"]["line"], 4, "{failed}");
    assert_eq!(report["migrations"][2]["status"], "not-run");
    assert_eq!(report["migrations"][0]["status"], "already-applied");
    assert_eq!(report["data_at_risk"]["rows_lost"], serde_json::json!([]));
}

/// `--dump FILE`: a custom-format archive and a plain SQL dump both work; a dump that
/// does not restore is exit 3, never a verdict.
#[test]
fn dumps_in_both_formats_are_copied_and_a_broken_one_fails_closed() {
    let prod = production();
    let h = Harness::new(&MIGRATIONS);
    let custom = h.dir.path().join("prod.dump");
    let plain = h.dir.path().join("prod.sql");
    for (path, format) in [(&custom, "--format=custom"), (&plain, "--format=plain")] {
        let done = Command::new(pg_bin().join("pg_dump"))
            .arg(format)
            .arg("--file")
            .arg(path)
            .env("PGHOST", prod.dir())
            .env("PGPORT", "5432")
            .env("PGUSER", "bulwark")
            .env("PGDATABASE", "postgres")
            .output()
            .expect("pg_dump");
        assert!(done.status.success(), "{}", text(&done));
    }
    for dump in [&custom, &plain] {
        let report = h.dump_ok(dump);
        assert_eq!(report["summary"]["ok"], 2, "{report}");
    }
    let broken = h.dir.path().join("broken.sql");
    std::fs::write(&broken, "CREATE TABLE x (;\n").expect("write");
    let out = h.run(
        &["--postgres", "--dump", broken.to_str().expect("utf-8")],
        &[],
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains("error:"), "{}", text(&out));
}

/// A URL that cannot be used is exit 2, naming the variable and never the value.
#[test]
fn a_bad_url_is_a_usage_error_that_keeps_the_password() {
    let h = Harness::new(&MIGRATIONS);
    let out = h.run(
        &["--postgres"],
        &[("DATABASE_URL", "mysql://u:canary-pw-51d2e3f4@h/db")],
    );
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(all.contains("DATABASE_URL"), "{all}");
    assert!(!all.contains("canary-pw-51d2e3f4"), "{all}");
    let out = h.run(&["--postgres"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

/// Production whose migrations role (`app`) is not a superuser, as on hosted Supabase:
/// `auth.users` belongs to `supabase_auth_admin`, `app` may only read and insert there,
/// and it is a member of `authenticated`.
fn production_with_app_role() -> LocalServer {
    let server = LocalServer::start().expect("production server");
    server
        .client()
        .psql(
            "CREATE ROLE app LOGIN NOSUPERUSER CREATEROLE;\n\
             CREATE ROLE supabase_auth_admin NOLOGIN;\n\
             CREATE ROLE authenticated NOLOGIN;\n\
             GRANT authenticated TO app;\n\
             GRANT CREATE ON DATABASE postgres TO app;\n\
             GRANT CREATE ON SCHEMA public TO app;\n\
             CREATE SCHEMA auth AUTHORIZATION supabase_auth_admin;\n\
             GRANT USAGE ON SCHEMA auth TO app;\n\
             CREATE TABLE auth.users (id int PRIMARY KEY);\n\
             ALTER TABLE auth.users OWNER TO supabase_auth_admin;\n\
             GRANT SELECT, INSERT, REFERENCES ON auth.users TO app;\n\
             INSERT INTO auth.users VALUES (1), (2);\n\
             CREATE SCHEMA supabase_migrations AUTHORIZATION app;\n\
             SET ROLE app;\n\
             CREATE TABLE public.notes (id int PRIMARY KEY, user_id int REFERENCES auth.users);\n\
             CREATE TABLE supabase_migrations.schema_migrations (version text NOT NULL PRIMARY KEY, statements text[], name text);\n\
             INSERT INTO supabase_migrations.schema_migrations VALUES ('20240101000000', '{}', 'notes');\n\
             RESET ROLE;\n",
        )
        .expect("production data");
    server
}

/// The migrations run as the role production's URL logs in as, with its privileges: what
/// it may do passes, `ALTER TABLE` on a table another role owns fails with 42501 as it
/// would in production (a superuser copy said ok), and the report names the role.
#[test]
fn migrations_run_as_productions_role_and_fail_where_it_lacks_privileges() {
    let prod = production_with_app_role();
    let h = Harness::new(&[
        (
            "20240101000000_notes.sql",
            "create table public.notes (id int primary key, user_id int references auth.users);\n",
        ),
        (
            "20240102000000_own.sql",
            "alter table public.notes add column body text;\n\
             insert into auth.users values (3);\n\
             set local role authenticated;\n\
             reset role;\n\
             create role reader nologin;\n",
        ),
        (
            "20240103000000_auth.sql",
            "create index notes_user on public.notes (user_id);\n\
             alter table auth.users add column nickname text;\n",
        ),
        (
            "20240104000000_later.sql",
            "create table public.later (id int);\n",
        ),
    ]);
    let mut url = url(&prod, "canary-pw-3b8e1f0a", "postgres");
    url = url.replacen("bulwark:", "app:", 1);
    let out = h.run(
        &["--postgres", "--format", "json"],
        &[("DATABASE_URL", &url)],
    );
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(!all.contains("canary-pw-3b8e1f0a"), "{all}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let statuses: Vec<&str> = report["migrations"]
        .as_array()
        .expect("migrations")
        .iter()
        .map(|m| m["status"].as_str().expect("status"))
        .collect();
    assert_eq!(
        statuses,
        ["already-applied", "ok", "failed", "not-run"],
        "{report}"
    );
    let failed = &report["migrations"][2];
    assert_eq!(failed["error"]["class"], "42501", "{failed}");
    assert_eq!(failed["error"]["line"], 2, "{failed}");
    assert!(
        failed["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("must be owner of table users")),
        "{failed}"
    );
    assert_eq!(
        report["postgres"]["applied_as"],
        serde_json::json!({"role": "app", "superuser": false, "from": "production"})
    );
    let human = h.run(&["--postgres"], &[("DATABASE_URL", &url)]);
    assert!(
        text(&human).contains("applied as app (production's role"),
        "{}",
        text(&human)
    );
}

/// A plain dump as `supabase db dump` writes it: the platform's schemas left out, so
/// its foreign key to `auth.users` and its extension in `extensions` name what it lacks.
const SUPABASE_DUMP: &str = r#"SET statement_timeout = 0;
CREATE EXTENSION IF NOT EXISTS "uuid-ossp" WITH SCHEMA "extensions";
CREATE TABLE IF NOT EXISTS "public"."profiles" ("id" uuid NOT NULL PRIMARY KEY, "name" text);
ALTER TABLE "public"."profiles" OWNER TO "postgres";
ALTER TABLE ONLY "public"."profiles" ADD CONSTRAINT "profiles_id_fkey" FOREIGN KEY ("id") REFERENCES "auth"."users"("id") ON DELETE CASCADE;
ALTER TABLE "public"."profiles" ENABLE ROW LEVEL SECURITY;
GRANT ALL ON TABLE "public"."profiles" TO "anon";
GRANT ALL ON TABLE "public"."profiles" TO "authenticated";
GRANT ALL ON TABLE "public"."profiles" TO "service_role";
"#;

/// `--dump` of such a dump: the copy gets stand-ins of `auth`, `storage` and
/// `extensions` (it failed to restore before), the migrations that use them pass, and
/// each one is marked as checked against a stand-in; the report lists what was created.
#[test]
fn a_supabase_dump_gets_stand_ins_of_the_platform_schemas_and_says_so() {
    let h = Harness::new(&[
        (
            "20240101000000_avatars.sql",
            "create policy \"own profile\" on public.profiles for select to authenticated using (auth.uid() = id);\n\
             insert into storage.buckets (id, name, public) values ('avatars', 'avatars', true);\n\
             create policy \"avatar upload\" on storage.objects for insert to authenticated\n\
               with check (bucket_id = 'avatars' and (storage.foldername(name))[1] = auth.uid()::text);\n\
             create table public.notes (id uuid primary key default extensions.uuid_generate_v4(), body text);\n\
             create function public.me() returns uuid language sql stable as $$ select auth.uid() $$;\n",
        ),
        (
            "20240102000000_plain.sql",
            "-- not auth.users: a comment\ncreate table public.plain (id int, note text default 'storage.objects');\n",
        ),
    ]);
    let dump = h.dir.path().join("schema.sql");
    std::fs::write(&dump, SUPABASE_DUMP).expect("write dump");
    let report = h.dump_ok(&dump);
    let stand_ins = report["postgres"]["stand_ins"].to_string();
    for created in [
        "role authenticated",
        "schema auth",
        "table auth.users",
        "function auth.uid()",
        "schema storage",
        "table storage.buckets",
        "function storage.foldername()",
        "schema extensions",
    ] {
        assert!(stand_ins.contains(created), "{created}: {stand_ins}");
    }
    let notes = |index: usize| -> Vec<(u64, String)> {
        report["migrations"][index]["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["rule"] == "pg-stand-in")
            .map(|f| {
                (
                    f["line"].as_u64().expect("line"),
                    f["message"].as_str().expect("message").to_owned(),
                )
            })
            .collect()
    };
    let first = notes(0);
    for (line, what) in [
        (1, "auth.uid"),
        (1, "the roles authenticated"),
        (2, "storage.buckets"),
        (3, "storage.objects, storage.foldername"),
        (5, "extensions"),
        (6, "auth.uid"),
    ] {
        assert!(
            first
                .iter()
                .any(|(l, m)| *l == line && m.contains(what) && m.contains("stand-in")),
            "line {line} {what}: {first:?}"
        );
    }
    assert!(notes(1).is_empty(), "comments and strings: {:?}", notes(1));
    assert_eq!(
        report["postgres"]["applied_as"]["from"],
        "throw-away-superuser"
    );
}

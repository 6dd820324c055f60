//! db-backup and a D1 database with virtual tables (FTS5), with the real wrangler in
//! local mode: `wrangler d1 export` refuses such a database, so db-backup exports around
//! the virtual tables. A restore must give back every object and every row: the
//! full-text indexes and their content, the ordinary tables with their indexes, views
//! and triggers, and the AUTOINCREMENT counters. The same for a backup of the export
//! `migrate-dryrun --export-remote --save-export` made (`--from-export`), through the
//! real wrangler with its local state as the remote. The age key's secret line is the
//! canary no output may hold.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::migrate_remote::text;

const BACKUP: &str = env!("CARGO_BIN_EXE_db-backup");
const DRYRUN: &str = env!("CARGO_BIN_EXE_migrate-dryrun");
const LOCAL_AS_REMOTE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/standins/wrangler-local-as-remote"
);
const DATABASE_ID: &str = "00000000-0000-4000-8000-0000000fb5e1";

/// An ordinary table with an index, a view, a trigger that feeds an external-content
/// FTS5 index, a standalone FTS5 table, and AUTOINCREMENT.
const SCHEMA: &str = "CREATE TABLE posts (id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT NOT NULL, body TEXT NOT NULL);
CREATE INDEX posts_title ON posts (title);
CREATE VIEW titles AS SELECT id, title FROM posts;
CREATE VIRTUAL TABLE posts_fts USING fts5 (title, body, content='posts', content_rowid='id');
CREATE TRIGGER posts_ai AFTER INSERT ON posts BEGIN INSERT INTO posts_fts (rowid, title, body) VALUES (new.id, new.title, new.body); END;
CREATE VIRTUAL TABLE notes USING fts5 (text);
INSERT INTO posts (title, body) VALUES ('hello', 'general kenobi'), ('there', 'a surprise to be sure'), ('third', 'kenobi again');
DELETE FROM posts WHERE id = 2;
INSERT INTO notes VALUES ('a note on kenobi'), ('nothing to see');
";

struct Project {
    dir: tempfile::TempDir,
    recipient: String,
    identity: PathBuf,
    canary: String,
}

impl Project {
    /// A wrangler project whose local D1 database holds [`SCHEMA`], written by the real
    /// wrangler.
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(
            dir.path().join("wrangler.jsonc"),
            format!(
                "{{ \"name\": \"fts\", \"compatibility_date\": \"2026-11-01\",\n  \"d1_databases\": [{{ \"binding\": \"DB\", \"database_name\": \"app\", \"database_id\": \"{DATABASE_ID}\" }}] }}\n"
            ),
        )
        .expect("config");
        std::fs::write(dir.path().join("schema.sql"), SCHEMA).expect("schema");
        let out = Command::new("wrangler")
            .args(["d1", "execute", "DB", "--local", "--file", "schema.sql"])
            .current_dir(dir.path())
            .env("CI", "true")
            .env("WRANGLER_SEND_METRICS", "false")
            .output()
            .expect("wrangler is installed by tests/setup.sh");
        assert!(out.status.success(), "{}", text(&out));
        let identity = dir.path().join("key.txt");
        let made = Command::new("age-keygen")
            .arg("-o")
            .arg(&identity)
            .stderr(Stdio::null())
            .status()
            .expect("age-keygen runs");
        assert!(made.success());
        let key = std::fs::read_to_string(&identity).expect("key");
        let recipient = key
            .lines()
            .find_map(|l| l.strip_prefix("# public key: "))
            .expect("public key line")
            .to_owned();
        let canary = key
            .lines()
            .find(|l| l.starts_with("AGE-SECRET-KEY-"))
            .expect("secret line")
            .to_owned();
        Self {
            dir,
            recipient,
            identity,
            canary,
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// The database file wrangler keeps the local database in.
    fn local_state(&self) -> PathBuf {
        self.path(".wrangler/state/v3/d1/miniflare-D1DatabaseObject")
            .join(format!(
                "{}.sqlite",
                bulwark_migrate::snapshot::local_object_id(DATABASE_ID)
            ))
    }

    /// A Bulwark binary in the project, without credentials; no output holds the key.
    fn run(&self, bin: &str, args: &[&str], envs: &[(&str, &str)]) -> Output {
        let mut command = Command::new(bin);
        command
            .args(args)
            .current_dir(self.dir.path())
            .env("NO_COLOR", "1")
            .env("CI", "true")
            .env("WRANGLER_SEND_METRICS", "false")
            .env_remove("BULWARK_AGE_IDENTITY")
            .env_remove("BULWARK_WRANGLER")
            .env_remove("CLOUDFLARE_API_TOKEN")
            .stdin(Stdio::null());
        for (name, value) in envs {
            command.env(name, value);
        }
        let out = command.output().expect("the binary runs");
        assert!(
            !text(&out).contains(&self.canary),
            "the key's secret leaked: {}",
            text(&out)
        );
        out
    }

    /// `db-backup export --d1 DB` (more `args`) into `out`; the backup file.
    fn export(&self, out: &str, args: &[&str]) -> PathBuf {
        let mut line = vec![
            "export",
            "--d1",
            "DB",
            "--recipient",
            &self.recipient,
            "--out",
            out,
            "--name",
            "app",
        ];
        line.extend(args);
        let done = self.run(BACKUP, &line, &[]);
        assert!(done.status.success(), "{}", text(&done));
        std::fs::read_dir(self.path(out))
            .expect("backup dir")
            .flatten()
            .map(|e| e.path())
            .find(|p| p.to_string_lossy().ends_with(".age"))
            .expect("a backup")
    }

    /// `db-backup verify` then `restore` of `backup` to `to`; the restored database.
    fn verify_and_restore(&self, backup: &Path, to: &str) -> rusqlite::Connection {
        let identity = self.identity.to_str().expect("utf-8");
        let backup = backup.to_str().expect("utf-8");
        let verified = self.run(BACKUP, &["verify", backup, "--identity", identity], &[]);
        assert!(verified.status.success(), "{}", text(&verified));
        let restored = self.run(
            BACKUP,
            &["restore", backup, "--to", to, "--identity", identity],
            &[],
        );
        assert!(restored.status.success(), "{}", text(&restored));
        rusqlite::Connection::open(self.path(to)).expect("restored database")
    }
}

/// Every object of the schema but those of `SQLite` and D1 themselves, with its definition.
fn objects(conn: &rusqlite::Connection) -> Vec<(String, String, String)> {
    let mut statement = conn
        .prepare(
            "SELECT type, name, coalesce(sql, '') FROM sqlite_schema \
             WHERE name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' ORDER BY type, name",
        )
        .expect("schema");
    statement
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("rows")
}

/// Every row of every table (shadow tables and `sqlite_sequence` included), quoted.
fn contents(conn: &rusqlite::Connection) -> Vec<(String, Vec<String>)> {
    let tables: Vec<String> = objects(conn)
        .into_iter()
        .filter(|(kind, _, sql)| kind == "table" && !sql.starts_with("CREATE VIRTUAL TABLE"))
        .map(|(_, name, _)| name)
        .chain(std::iter::once("sqlite_sequence".to_owned()))
        .collect();
    tables
        .into_iter()
        .map(|table| {
            let rows = bulwark_test_support::quoted_rows(conn, &table, true);
            (table, rows)
        })
        .collect()
}

/// The restored database has the source's objects and rows, and works: the full-text
/// indexes find what the source's find, pass FTS5's own integrity check, and the
/// trigger still feeds the index.
fn assert_same_database(source: &Path, restored: &rusqlite::Connection) {
    let source =
        rusqlite::Connection::open_with_flags(source, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("local state");
    let want = objects(&source);
    assert!(
        want.iter()
            .any(|(kind, name, _)| kind == "trigger" && name == "posts_ai"),
        "the source holds the schema: {want:?}"
    );
    assert_eq!(
        objects(restored),
        want,
        "every index, view, trigger and table"
    );
    assert_eq!(contents(restored), contents(&source), "every row");
    let hits = |conn: &rusqlite::Connection, sql: &str| -> Vec<i64> {
        conn.prepare(sql)
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
            .expect(sql)
    };
    for sql in [
        "SELECT rowid FROM posts_fts WHERE posts_fts MATCH 'kenobi' ORDER BY rowid",
        "SELECT rowid FROM notes WHERE notes MATCH 'kenobi' ORDER BY rowid",
        "SELECT id FROM titles ORDER BY id",
    ] {
        assert_eq!(hits(restored, sql), hits(&source, sql), "{sql}");
    }
    assert_eq!(
        hits(
            restored,
            "SELECT rowid FROM posts_fts WHERE posts_fts MATCH 'kenobi' ORDER BY rowid"
        ),
        [1, 3]
    );
    restored
        .execute_batch(
            "INSERT INTO posts_fts (posts_fts) VALUES ('integrity-check');
             INSERT INTO notes (notes) VALUES ('integrity-check');
             INSERT INTO posts (title, body) VALUES ('fourth', 'kenobi once more');",
        )
        .expect("the full-text indexes are intact");
    assert_eq!(
        hits(
            restored,
            "SELECT rowid FROM posts_fts WHERE posts_fts MATCH 'kenobi' ORDER BY rowid"
        ),
        [1, 3, 4],
        "the trigger feeds the index, AUTOINCREMENT goes on from 3"
    );
}

/// db-backup's own export of a D1 database with FTS5 tables used to keep only the
/// virtual tables' definitions: no full-text content, no index, view or trigger.
#[test]
fn d1_backup_of_an_fts5_database_restores_every_object_and_row_real_wrangler() {
    let project = Project::new();
    let backup = project.export("backups", &[]);
    let restored = project.verify_and_restore(&backup, "restored.sqlite");
    assert_same_database(&project.local_state(), &restored);
}

/// `--from-export`: the export migrate-dryrun saved (the real wrangler, local state as
/// the remote) backs up and restores whole too.
#[test]
fn d1_backup_from_a_saved_fts5_export_restores_every_object_and_row_real_wrangler_local_as_remote()
{
    let project = Project::new();
    std::fs::create_dir(project.path("migrations")).expect("mkdir");
    std::fs::write(
        project.path("migrations/0001_hits.sql"),
        "CREATE TABLE hits AS SELECT rowid AS id FROM notes WHERE notes MATCH 'kenobi';\n",
    )
    .expect("migration");
    let saved = project.path("export.sql");
    let dry = project.run(
        DRYRUN,
        &[
            "--export-remote",
            "--database",
            "DB",
            "--save-export",
            saved.to_str().expect("utf-8"),
        ],
        &[("BULWARK_WRANGLER", LOCAL_AS_REMOTE)],
    );
    assert!(dry.status.success(), "{}", text(&dry));
    let backup = project.export(
        "backups",
        &["--from-export", saved.to_str().expect("utf-8")],
    );
    let restored = project.verify_and_restore(&backup, "restored.sqlite");
    assert_same_database(&project.local_state(), &restored);
}

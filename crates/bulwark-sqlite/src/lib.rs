//! SQLite as migrate-dryrun and db-backup both need it: a copy of a database made with
//! the online backup API (the source is only read), the rows of its schema, which tables
//! are virtual or hold a virtual table's content, and row counts.
//!
//! Errors are SQLite's own; each caller says which file and what it was doing.
#![expect(
    clippy::doc_markdown,
    reason = "SQLite, FTS5 and R*Tree are names in prose here, not code"
)]

use std::path::Path;
use std::time::Duration;

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};

/// Pages per backup step: 16,384 pages is 64 MiB at the default page size. Large steps,
/// as SQLite's own `.backup` does, keep the copy close to a plain file copy while still
/// letting a progress bar move.
pub const PAGES_PER_STEP: i32 = 16_384;

/// Shadow-table suffixes of FTS3/4/5 and R*Tree virtual tables.
const SHADOW_SUFFIXES: [&str; 11] = [
    "data", "idx", "content", "docsize", "config", "segments", "segdir", "stat", "node", "rowid",
    "parent",
];

/// Opens `path` read-only: nothing can write the file through this connection.
pub fn open_read_only(path: &Path) -> rusqlite::Result<Connection> {
    Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
}

/// How far a [`copy`] is, after each step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CopyProgress {
    /// Pages in the source.
    pub pages: u64,
    /// Pages copied so far.
    pub copied: u64,
}

/// Copies the database of `from` into `to` with SQLite's online backup API, in steps of
/// [`PAGES_PER_STEP`], calling `on_step` after each. When the source is busy or locked
/// (another process writes it) the copy waits and goes on.
pub fn copy(
    from: &Connection,
    to: &mut Connection,
    mut on_step: impl FnMut(CopyProgress),
) -> rusqlite::Result<()> {
    let backup = Backup::new(from, to)?;
    loop {
        let step = backup.step(PAGES_PER_STEP)?;
        let state = backup.progress();
        on_step(CopyProgress {
            pages: u64::try_from(state.pagecount).unwrap_or(0),
            copied: u64::try_from(state.pagecount.saturating_sub(state.remaining)).unwrap_or(0),
        });
        match step {
            StepResult::Done => return Ok(()),
            StepResult::More => {}
            _ => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// Why [`snapshot`] failed.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// SQLite refused the source (not a database, damaged, locked…) or the copy.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    /// Reading the source file failed.
    #[error("failed to read the database file")]
    Read(#[source] std::io::Error),
    /// Creating the copy failed.
    #[error("failed to create the copy")]
    Write(#[source] std::io::Error),
    /// Copying the file failed (reading the source or writing the copy).
    #[error("failed to copy the database file")]
    Copy(#[source] std::io::Error),
}

/// How [`snapshot`] copied the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Copied {
    /// The file itself, in the kernel (`copy_file_range`), under a read transaction.
    File,
    /// SQLite's online backup API ([`copy`]): a WAL database, whose committed pages may
    /// still be in its `-wal` file.
    Backup,
}

/// Copies the database at `from` to `to` (an existing file, replaced) without ever
/// writing `from`, which is opened read-only.
///
/// A database in rollback-journal mode is copied as a file: inside one read transaction
/// on `from`, so it is one consistent state (SQLite refuses to begin one over a hot
/// journal, and a writer cannot commit while it lasts), with `copy_file_range`, which
/// moves the bytes in the kernel. That is several times faster than the backup API,
/// which copies page by page through two page caches. A WAL database (or one with a
/// `-wal` file beside it) goes through [`copy`], since its file alone is not the
/// committed state.
pub fn snapshot(
    from: &Path,
    to: &Path,
    mut on_step: impl FnMut(CopyProgress),
) -> Result<Copied, SnapshotError> {
    use std::io::Read as _;
    let source = open_read_only(from)?;
    source.execute_batch("BEGIN")?;
    // Reading the schema takes the read lock, and fails on a file that is not a database.
    source.query_row("SELECT count(*) FROM sqlite_schema", [], |row| {
        row.get::<_, i64>(0)
    })?;
    let (page_size, pages): (i64, i64) = source.query_row(
        "SELECT page_size, page_count FROM pragma_page_size, pragma_page_count",
        [],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    let mut file = std::fs::File::open(from).map_err(SnapshotError::Read)?;
    let mut header = [0_u8; 100];
    file.read_exact(&mut header).map_err(SnapshotError::Read)?;
    let mut wal = from.as_os_str().to_owned();
    wal.push("-wal");
    // Bytes 18 and 19 of the header: 1 for rollback-journal mode, 2 for WAL.
    if header[18] != 1 || header[19] != 1 || Path::new(&wal).exists() {
        drop(file);
        source.execute_batch("COMMIT")?;
        let mut target = Connection::open(to)?;
        copy(&source, &mut target, on_step)?;
        return Ok(Copied::Backup);
    }
    let pages = u64::try_from(pages).unwrap_or(0);
    let page_size = u64::try_from(page_size).unwrap_or(4096).max(512);
    let mut out = std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(to)
        .map_err(SnapshotError::Write)?;
    let mut reader = std::io::Read::by_ref(&mut file);
    std::io::Seek::rewind(&mut reader).map_err(SnapshotError::Read)?;
    let step = u64::try_from(PAGES_PER_STEP).unwrap_or(1) * page_size;
    let mut copied = 0_u64;
    loop {
        // std's `io::copy` between two files is `copy_file_range`.
        let n = std::io::copy(&mut std::io::Read::take(&mut reader, step), &mut out)
            .map_err(SnapshotError::Copy)?;
        copied += n;
        on_step(CopyProgress {
            pages,
            copied: (copied / page_size).min(pages),
        });
        if n < step {
            break;
        }
    }
    // The read transaction ends before this process closes its own descriptor of the
    // file: closing any descriptor drops every POSIX lock the process holds on it.
    source.execute_batch("COMMIT")?;
    drop(file);
    if copied < pages * page_size {
        return Err(SnapshotError::Read(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            format!("the file holds {copied} bytes, its header says {pages} pages of {page_size}"),
        )));
    }
    Ok(Copied::File)
}

/// One row of `sqlite_schema`. It reads as a row of [`SCHEMA_QUERY`]'s JSON result
/// (`wrangler d1 execute --json`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct SchemaRow {
    /// `table`, `index`, `view` or `trigger`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Name.
    pub name: String,
    /// The table it belongs to.
    #[serde(rename = "tbl_name")]
    pub table: String,
    /// Its `CREATE` statement; empty for automatic indexes.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub sql: String,
}

/// The query that reads a database's whole schema, in `sqlite_schema`'s own order, with
/// the columns [`SchemaRow`] reads: what [`AroundVirtual::plan`] needs of a D1 database.
pub const SCHEMA_QUERY: &str =
    "SELECT type, name, tbl_name, coalesce(sql, '') AS sql FROM sqlite_master";

fn null_as_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(<Option<String> as serde::Deserialize>::deserialize(d)?.unwrap_or_default())
}

impl SchemaRow {
    /// Whether this is a virtual table (FTS5, R*Tree, …).
    #[must_use]
    pub fn is_virtual(&self) -> bool {
        self.kind == "table" && is_virtual(&self.sql)
    }
}

/// The schema of `conn` without SQLite's own objects, ordered by type, then name.
pub fn schema_rows(conn: &Connection) -> rusqlite::Result<Vec<SchemaRow>> {
    let mut statement = conn.prepare(
        "SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_schema \
         WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name",
    )?;
    let rows = statement.query_map([], |row| {
        Ok(SchemaRow {
            kind: row.get(0)?,
            name: row.get(1)?,
            table: row.get(2)?,
            sql: row.get(3)?,
        })
    })?;
    rows.collect()
}

/// Whether `sql` defines a virtual table.
#[must_use]
pub fn is_virtual(sql: &str) -> bool {
    sql.trim_start()
        .get(..20)
        .is_some_and(|head| head.eq_ignore_ascii_case("CREATE VIRTUAL TABLE"))
}

/// Whether `name` is a shadow table of one of `virtual_tables`: its content belongs to
/// the virtual table and is rebuilt with it.
#[must_use]
pub fn is_shadow<S: AsRef<str>>(name: &str, virtual_tables: &[S]) -> bool {
    virtual_tables.iter().any(|table| {
        let table = table.as_ref();
        name.get(..table.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(table))
            && name[table.len()..]
                .strip_prefix('_')
                .is_some_and(|suffix| SHADOW_SUFFIXES.contains(&suffix))
    })
}

/// The tables of `rows` that hold rows of their own: not virtual, not a virtual table's
/// shadow, not D1's (`_cf_`).
pub fn data_tables(rows: &[SchemaRow]) -> impl Iterator<Item = &SchemaRow> {
    let virtual_tables: Vec<&str> = rows
        .iter()
        .filter(|row| row.is_virtual())
        .map(|row| row.name.as_str())
        .collect();
    rows.iter().filter(move |row| {
        row.kind == "table"
            && !row.name.starts_with("_cf_")
            && !row.is_virtual()
            && !is_shadow(&row.name, &virtual_tables)
    })
}

/// How to export a D1 database that has virtual tables, which `wrangler d1 export`
/// refuses whole ("cannot export databases with Virtual Tables"). wrangler still exports
/// named tables (`--table`), shadow tables included, but then leaves out indexes, views
/// and triggers. So: every table except the virtual ones is exported by name; the virtual
/// tables are created first ([`AroundVirtual::prelude`]: their definitions, then their
/// shadow tables emptied, so the exported shadow rows restore their content exactly), and
/// the indexes, views and triggers come last ([`AroundVirtual::epilogue`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AroundVirtual {
    /// The tables to pass to `wrangler d1 export --table`, in schema order.
    pub tables: Vec<String>,
    /// The virtual tables.
    pub virtual_tables: Vec<String>,
    /// SQL to run before the export: the virtual tables' definitions, then their shadow
    /// tables emptied (writing shadow tables needs SQLite's defensive mode off).
    pub prelude: String,
    /// SQL to run after it: indexes, views and triggers, in schema order.
    pub epilogue: String,
}

impl AroundVirtual {
    /// The plan for a schema read in `sqlite_schema`'s own order; `None` when it has no
    /// virtual table (a plain export then works).
    #[must_use]
    pub fn plan(rows: &[SchemaRow]) -> Option<Self> {
        let virtual_tables: Vec<&str> = rows
            .iter()
            .filter(|row| row.is_virtual())
            .map(|row| row.name.as_str())
            .collect();
        if virtual_tables.is_empty() {
            return None;
        }
        let mut plan = Self {
            virtual_tables: virtual_tables.iter().map(|&n| n.to_owned()).collect(),
            ..Self::default()
        };
        for row in rows.iter().filter(|row| row.is_virtual()) {
            plan.prelude
                .push_str(row.sql.trim_end_matches([';', ' ', '\n']));
            plan.prelude.push_str(";\n");
        }
        for row in rows {
            let own = row.name.starts_with("_cf_") || row.table.starts_with("_cf_");
            match row.kind.as_str() {
                "table" if row.is_virtual() || own => {}
                "table" if row.name == "sqlite_sequence" => plan.tables.push(row.name.clone()),
                "table" if row.name.starts_with("sqlite_") => {}
                "table" => {
                    if is_shadow(&row.name, &virtual_tables) {
                        plan.prelude.push_str("DELETE FROM ");
                        plan.prelude.push_str(&quote(&row.name));
                        plan.prelude.push_str(";\n");
                    }
                    plan.tables.push(row.name.clone());
                }
                "index" | "view" | "trigger" if !own && !row.sql.trim().is_empty() => {
                    plan.epilogue
                        .push_str(row.sql.trim_end_matches([';', ' ', '\n']));
                    plan.epilogue.push_str(";\n");
                }
                _ => {}
            }
        }
        Some(plan)
    }

    /// Puts the prelude before and the epilogue after the export wrangler wrote to
    /// `dump`, in place: the file then rebuilds the whole database, virtual tables, their
    /// content, indexes, views and triggers included.
    pub fn wrap(&self, dump: &Path) -> std::io::Result<()> {
        let exported = std::fs::read_to_string(dump)?;
        let mut whole =
            String::with_capacity(self.prelude.len() + exported.len() + self.epilogue.len() + 1);
        whole.push_str(&self.prelude);
        whole.push_str(&exported);
        if !whole.ends_with('\n') {
            whole.push('\n');
        }
        whole.push_str(&self.epilogue);
        std::fs::write(dump, whole)
    }
}

/// Whether `conn` has a table named `table`.
pub fn table_exists(conn: &Connection, table: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT count(*) > 0 FROM sqlite_schema WHERE type = 'table' AND name = ?1",
        [table],
        |row| row.get(0),
    )
}

/// `SELECT count(*)` of `table`.
pub fn count_rows(conn: &Connection, table: &str) -> rusqlite::Result<u64> {
    let count: i64 = conn.query_row(
        &format!("SELECT count(*) FROM {}", quote(table)),
        [],
        |row| row.get(0),
    )?;
    Ok(u64::try_from(count).unwrap_or(0))
}

/// Quotes an identifier for SQLite.
#[must_use]
pub fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn database(sql: &str) -> Connection {
        let conn = Connection::open_in_memory().expect("memory db");
        conn.execute_batch(sql).expect("setup");
        conn
    }

    /// The plan around virtual tables rebuilds a database exactly: the exported tables
    /// (shadow rows included) between the prelude and the epilogue give back the same
    /// schema, the same rows and a working full-text index.
    #[test]
    #[expect(
        clippy::too_many_lines,
        reason = "a schema, its export as wrangler writes it, and the rebuilt copy's checks"
    )]
    fn around_virtual_rebuilds_fts5_indexes_views_and_triggers() {
        let source = database(
            "CREATE TABLE posts(id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT);
             CREATE INDEX posts_title ON posts(title);
             CREATE VIEW titles AS SELECT title FROM posts;
             CREATE VIRTUAL TABLE posts_fts USING fts5(title, content='posts', content_rowid='id');
             CREATE TRIGGER posts_ai AFTER INSERT ON posts BEGIN
               INSERT INTO posts_fts(rowid, title) VALUES (new.id, new.title); END;
             CREATE VIRTUAL TABLE notes USING fts5(body);
             INSERT INTO posts(title) VALUES ('hello world'), ('general kenobi');
             INSERT INTO notes VALUES ('a note on kenobi');
             CREATE TABLE _cf_KV(k);",
        );
        let mut statement = source
            .prepare("SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_schema")
            .expect("schema");
        let rows: Vec<SchemaRow> = statement
            .query_map([], |r| {
                Ok(SchemaRow {
                    kind: r.get(0)?,
                    name: r.get(1)?,
                    table: r.get(2)?,
                    sql: r.get(3)?,
                })
            })
            .expect("rows")
            .collect::<Result<_, _>>()
            .expect("rows");
        assert_eq!(AroundVirtual::plan(&rows[..2]), None, "no virtual table");
        let plan = AroundVirtual::plan(&rows).expect("virtual tables");
        assert_eq!(plan.virtual_tables, ["posts_fts", "notes"]);
        assert!(plan.tables.contains(&"notes_content".to_owned()));
        assert!(plan.tables.contains(&"sqlite_sequence".to_owned()));
        assert!(
            !plan
                .tables
                .iter()
                .any(|t| t == "posts_fts" || t == "_cf_KV")
        );
        // What wrangler's export of those tables holds, as SQLite's shell dumps it.
        let mut export = String::new();
        for table in plan.tables.iter().filter(|t| *t != "sqlite_sequence") {
            let sql: String = source
                .query_row(
                    "SELECT sql FROM sqlite_schema WHERE name = ?1",
                    [table],
                    |r| r.get(0),
                )
                .expect("sql");
            let create = sql.strip_prefix("CREATE TABLE '").map_or_else(
                || format!("{sql};\n"),
                |rest| format!("CREATE TABLE IF NOT EXISTS '{rest};\n"),
            );
            export += &create;
            let columns: Vec<String> = source
                .prepare("SELECT name FROM pragma_table_info(?1)")
                .and_then(|mut s| s.query_map([table], |r| r.get(0))?.collect())
                .expect("columns");
            let quoted = columns
                .iter()
                .map(|c| format!("quote({})", quote(c)))
                .collect::<Vec<_>>()
                .join(" || ',' || ");
            let mut values = source
                .prepare(&format!("SELECT {quoted} FROM {}", quote(table)))
                .expect("values");
            for line in values
                .query_map([], |r| r.get::<_, String>(0))
                .expect("rows")
            {
                export += &[
                    "INSERT INTO ",
                    &quote(table),
                    " VALUES(",
                    &line.expect("row"),
                    ");\n",
                ]
                .concat();
            }
        }
        export.push_str(
            "DELETE FROM sqlite_sequence;\nINSERT INTO sqlite_sequence VALUES('posts',2);\n",
        );
        let copy = Connection::open_in_memory().expect("memory");
        copy.execute_batch(&format!("{}{export}{}", plan.prelude, plan.epilogue))
            .expect("rebuilds");
        let hits = |conn: &Connection, sql: &str| -> i64 {
            conn.query_row(sql, [], |r| r.get(0)).expect("query")
        };
        for sql in [
            "SELECT count(*) FROM posts_fts WHERE posts_fts MATCH 'kenobi'",
            "SELECT count(*) FROM notes WHERE notes MATCH 'kenobi'",
            "SELECT count(*) FROM titles",
            "SELECT count(*) FROM sqlite_schema WHERE name NOT LIKE '_cf_%'",
            "SELECT seq FROM sqlite_sequence",
        ] {
            assert_eq!(hits(&copy, sql), hits(&source, sql), "{sql}");
        }
        copy.execute_batch("INSERT INTO notes(notes) VALUES ('integrity-check'); INSERT INTO posts_fts(posts_fts) VALUES ('integrity-check'); INSERT INTO posts(title) VALUES ('kenobi again')")
            .expect("indexes intact, trigger in place");
        assert_eq!(
            hits(
                &copy,
                "SELECT count(*) FROM posts_fts WHERE posts_fts MATCH 'kenobi'"
            ),
            2
        );
    }

    #[test]
    fn copies_a_read_only_source_and_reports_each_step() {
        let dir = tempfile::tempdir().expect("temp dir");
        let source = dir.path().join("source.sqlite");
        Connection::open(&source)
            .expect("create")
            .execute_batch("CREATE TABLE a(x); INSERT INTO a VALUES (1), (2), (3);")
            .expect("fill");
        let bytes = std::fs::read(&source).expect("read");
        let from = open_read_only(&source).expect("open");
        assert!(from.execute("DELETE FROM a", []).is_err(), "read-only");
        let mut to = Connection::open(dir.path().join("copy.sqlite")).expect("create");
        let mut steps = Vec::new();
        copy(&from, &mut to, |p| steps.push(p)).expect("copy");
        let last = steps.last().expect("a step");
        assert_eq!(last.copied, last.pages);
        assert!(last.pages > 0);
        assert_eq!(count_rows(&to, "a").expect("count"), 3);
        assert_eq!(std::fs::read(&source).expect("read"), bytes);
    }

    /// A rollback-journal database is copied as a file, byte for byte; a WAL database
    /// through the backup API, with what its `-wal` holds; neither source is written.
    #[test]
    fn snapshot_copies_the_file_or_a_wal_database_through_the_backup_api() {
        let dir = tempfile::tempdir().expect("temp dir");
        let plain = dir.path().join("plain.sqlite");
        Connection::open(&plain)
            .expect("create")
            .execute_batch(
                "CREATE TABLE a(x); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL \
                 SELECT i + 1 FROM n WHERE i < 5000) INSERT INTO a SELECT i FROM n;",
            )
            .expect("fill");
        let bytes = std::fs::read(&plain).expect("read");
        let to = dir.path().join("copy.sqlite");
        std::fs::write(&to, b"old content").expect("target");
        let mut steps = Vec::new();
        let how = snapshot(&plain, &to, |p| steps.push(p)).expect("copy");
        assert_eq!(how, Copied::File);
        assert_eq!(std::fs::read(&to).expect("read"), bytes, "the same bytes");
        let last = steps.last().expect("a step");
        assert_eq!(last.copied, last.pages);
        assert_eq!(
            std::fs::read(&plain).expect("read"),
            bytes,
            "source untouched"
        );

        let wal = dir.path().join("wal.sqlite");
        let writer = Connection::open(&wal).expect("create");
        writer
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0; \
                 CREATE TABLE b(y); INSERT INTO b VALUES (1), (2), (3);",
            )
            .expect("fill");
        let to = dir.path().join("wal-copy.sqlite");
        std::fs::File::create(&to).expect("target");
        assert_eq!(
            snapshot(&wal, &to, |_| {}).expect("copy"),
            Copied::Backup,
            "the committed rows are in the -wal file"
        );
        drop(writer);
        assert_eq!(
            count_rows(&Connection::open(&to).expect("open"), "b").expect("count"),
            3
        );

        std::fs::write(dir.path().join("not.sqlite"), vec![b'x'; 4096]).expect("write");
        let err = snapshot(&dir.path().join("not.sqlite"), &to, |_| {}).expect_err("not a db");
        assert!(
            matches!(&err, SnapshotError::Sqlite(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::NotADatabase)),
            "{err:?}"
        );
    }

    #[test]
    fn schema_rows_leave_out_sqlites_own_and_are_ordered_by_type_then_name() {
        let conn = database(
            "CREATE TABLE b(x INTEGER PRIMARY KEY AUTOINCREMENT, y UNIQUE);
             CREATE TABLE a(x); CREATE INDEX a_x ON a(x); CREATE VIEW v AS SELECT 1;",
        );
        let rows = schema_rows(&conn).expect("schema");
        let names: Vec<(&str, &str)> = rows
            .iter()
            .map(|r| (r.kind.as_str(), r.name.as_str()))
            .collect();
        // sqlite_sequence and sqlite_autoindex_b_1 are SQLite's.
        assert_eq!(
            names,
            [
                ("index", "a_x"),
                ("table", "a"),
                ("table", "b"),
                ("view", "v")
            ]
        );
        assert_eq!(rows[1].sql, "CREATE TABLE a(x)");
    }

    #[test]
    fn data_tables_skip_virtual_shadow_and_d1_tables() {
        let conn = database(
            "CREATE TABLE users(id); INSERT INTO users VALUES (1), (2);
             CREATE TABLE _cf_KV(k); CREATE VIRTUAL TABLE Docs USING fts5(body);",
        );
        let rows = schema_rows(&conn).expect("schema");
        assert!(rows.iter().any(|r| r.name == "Docs_data"));
        let tables: Vec<&str> = data_tables(&rows).map(|r| r.name.as_str()).collect();
        assert_eq!(tables, ["users"]);
        assert!(is_shadow("docs_content", &["Docs"]));
        assert!(is_shadow("boxes_node", &["boxes"]));
        assert!(!is_shadow("docs_content", &["doc"]));
        assert!(!is_shadow("docs_notes", &["docs"]));
        assert!(!is_shadow("docs", &["docs"]));
        assert!(is_virtual("  create virtual table x using fts5(y)"));
        assert!(!is_virtual("CREATE TABLE x(y)"));
    }

    #[test]
    fn counts_rows_of_awkward_names() {
        let conn = database(r#"CREATE TABLE "we""ird"(x); INSERT INTO "we""ird" VALUES (1);"#);
        assert_eq!(count_rows(&conn, "we\"ird").expect("count"), 1);
        assert!(table_exists(&conn, "we\"ird").expect("exists"));
        assert!(!table_exists(&conn, "weird").expect("exists"));
        assert_eq!(quote("a\"b"), "\"a\"\"b\"");
    }
}

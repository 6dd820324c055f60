//! Which migrations are applied and which are pending, as `wrangler d1 migrations list`
//! shows them.

use bulwark_core::Progress;
use rusqlite::Connection;

use crate::report::{ListEntry, ListReport};
use crate::{MigrateError, Request, Source, discover, schema, snapshot};

/// Reads the applied migration names, oldest first, as wrangler does; `None` when the
/// table does not exist yet.
pub(crate) fn applied_names(conn: &Connection, table: &str) -> Result<Vec<String>, MigrateError> {
    let exists = bulwark_sqlite::table_exists(conn, table).map_err(|source| {
        MigrateError::MigrationsTable {
            table: table.to_owned(),
            source,
        }
    })?;
    if !exists {
        return Ok(Vec::new());
    }
    let read = || -> rusqlite::Result<Vec<String>> {
        let mut statement = conn.prepare(&format!(
            "SELECT name FROM {} ORDER BY id",
            schema::quote(table)
        ))?;
        let names = statement.query_map([], |row| row.get::<_, Option<String>>(0))?;
        let mut out = Vec::new();
        for name in names {
            if let Some(name) = name? {
                out.push(name);
            }
        }
        Ok(out)
    };
    read().map_err(|source| MigrateError::MigrationsTable {
        table: table.to_owned(),
        source,
    })
}

/// The migrations `request`'s database has applied, oldest first.
pub(crate) fn applied(
    request: &Request,
    progress: &dyn Progress,
) -> Result<Vec<String>, MigrateError> {
    Ok(match &request.source {
        Source::Empty => Vec::new(),
        Source::File(path) => applied_names(&snapshot::open_read_only(path)?, &request.table)?,
        Source::Local { .. } => {
            let path = request
                .source
                .local_file()
                .expect("a local source has a file");
            if !path.is_file() {
                return Err(MigrateError::NoLocalState { path });
            }
            applied_names(&snapshot::open_read_only(&path)?, &request.table)?
        }
        Source::Dump(_) | Source::ExportRemote { .. } => {
            let signals = crate::workspace::StopOnSignal::register();
            let names = snapshot::prepare_stoppable(&request.source, progress, &signals.flag())
                .and_then(|work| {
                    let conn = snapshot::open_read_only(&work.copy)?;
                    applied_names(&conn, &request.table)
                });
            if signals.stopped() {
                return Err(MigrateError::Interrupted);
            }
            names?
        }
    })
}

/// Lists applied and pending migrations, like `wrangler d1 migrations list`.
pub fn list(request: &Request, progress: &dyn Progress) -> Result<ListReport, MigrateError> {
    let files = discover::list_migrations(&request.migrations_dir)?;
    let applied = applied(request, progress)?;
    let mut entries: Vec<ListEntry> = applied
        .iter()
        .map(|name| ListEntry {
            name: name.clone(),
            status: if files.iter().any(|f| &f.name == name) {
                "applied"
            } else {
                "applied-file-missing"
            },
        })
        .collect();
    entries.extend(
        files
            .iter()
            .filter(|f| !applied.contains(&f.name))
            .map(|f| ListEntry {
                name: f.name.clone(),
                status: "pending",
            }),
    );
    Ok(ListReport {
        source: request.source.describe(),
        migrations_dir: request.migrations_dir.display().to_string(),
        table: request.table.clone(),
        migrations: entries,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{request, write};

    #[test]
    fn list_reads_applied_names_from_a_read_only_snapshot() {
        let dir = tempfile::tempdir().expect("temp dir");
        let migrations = dir.path().join("migrations");
        std::fs::create_dir(&migrations).expect("mkdir");
        write(&migrations, "0001_a.sql", "CREATE TABLE a(x);");
        write(&migrations, "0002_b.sql", "CREATE TABLE b(x);");
        let source = dir.path().join("prod.sqlite");
        Connection::open(&source)
            .expect("create")
            .execute_batch("CREATE TABLE d1_migrations(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP); INSERT INTO d1_migrations(name) VALUES ('0000_gone.sql'), ('0001_a.sql');")
            .expect("fill");
        let bytes = std::fs::read(&source).expect("read");
        let report = list(
            &request(&migrations, Source::File(source.clone())),
            &bulwark_core::NoProgress,
        )
        .expect("list");
        let rows: Vec<(&str, &str)> = report
            .migrations
            .iter()
            .map(|m| (m.name.as_str(), m.status))
            .collect();
        assert_eq!(
            rows,
            [
                ("0000_gone.sql", "applied-file-missing"),
                ("0001_a.sql", "applied"),
                ("0002_b.sql", "pending")
            ]
        );
        assert_eq!(std::fs::read(&source).expect("read"), bytes);
    }
}

//! `foreign_key_check` and `integrity_check` on the migrated copy.

use crate::d1::D1Connection;
use crate::report::{Checks, ForeignKeyViolation};
use crate::schema::{self, SchemaDiff};

/// Databases up to this size get full `foreign_key_check` and `integrity_check`; larger
/// ones are checked on the tables the migrations touched.
pub(crate) const FULL_CHECK_BYTES: u64 = 256 * 1024 * 1024;

/// `PRAGMA foreign_key_check` and `integrity_check` on the migrated copy. A database up
/// to [`FULL_CHECK_BYTES`] is checked whole. A larger one is checked where the migrations
/// could have changed something: `quick_check` on the tables they wrote to, and
/// `foreign_key_check` on the tables they created or redefined (D1 enforces foreign keys
/// on every write, so other tables can only hold violations the snapshot already had).
pub(crate) fn run_checks(
    db: &D1Connection,
    size_bytes: u64,
    full_check_bytes: u64,
    diff: &SchemaDiff,
) -> rusqlite::Result<Checks> {
    let full = size_bytes <= full_check_bytes;
    let touched = db.touched_tables();
    let redefined: Vec<&str> = diff
        .added
        .iter()
        .filter(|o| o.kind == "table")
        .map(|o| o.name.as_str())
        .chain(
            diff.changed
                .iter()
                .filter(|o| o.kind == "table")
                .map(|o| o.name.as_str()),
        )
        .collect();
    db.trusted(|conn| {
        let exists = |table: &str| bulwark_sqlite::table_exists(conn, table);
        let (fk_targets, integrity_targets): (Vec<Option<String>>, Vec<Option<String>>) = if full {
            (vec![None], vec![None])
        } else {
            let mut fk = Vec::new();
            for table in &redefined {
                if exists(table)? {
                    fk.push(Some((*table).to_owned()));
                }
            }
            let mut integrity = Vec::new();
            for table in &touched {
                if exists(table)? {
                    integrity.push(Some(table.clone()));
                }
            }
            (fk, integrity)
        };
        let mut foreign_key_violations = Vec::new();
        for target in &fk_targets {
            let sql = match target {
                None => "PRAGMA foreign_key_check".to_owned(),
                Some(t) => format!("PRAGMA foreign_key_check({})", schema::quote(t)),
            };
            let mut statement = conn.prepare(&sql)?;
            let rows = statement.query_map([], |row| {
                Ok(ForeignKeyViolation {
                    table: row.get(0)?,
                    rowid: row.get(1)?,
                    parent: row.get(2)?,
                    fkid: row.get(3)?,
                })
            })?;
            for row in rows.take(100) {
                foreign_key_violations.push(row?);
            }
        }
        let pragma = if full {
            "integrity_check"
        } else {
            "quick_check"
        };
        let mut integrity_errors = Vec::new();
        for target in &integrity_targets {
            let sql = match target {
                None => format!("PRAGMA {pragma}(100)"),
                Some(t) => format!("PRAGMA {pragma}({})", schema::quote(t)),
            };
            let mut statement = conn.prepare(&sql)?;
            let rows = statement.query_map([], |row| row.get::<_, String>(0))?;
            for row in rows {
                let line = row?;
                if line != "ok" {
                    integrity_errors.push(line);
                }
            }
        }
        Ok(Checks {
            scope: if full { "all" } else { "touched-tables" }.to_owned(),
            integrity_pragma: pragma.to_owned(),
            foreign_key_tables: fk_targets.into_iter().flatten().collect(),
            integrity_tables: integrity_targets.into_iter().flatten().collect(),
            foreign_key_violations,
            integrity_errors,
        })
    })
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::*;
    use crate::schema::Schema;
    use crate::split;

    #[test]
    fn large_databases_are_checked_where_the_migrations_wrote() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("db.sqlite");
        Connection::open(&path)
            .expect("create")
            .execute_batch(
                "PRAGMA foreign_keys = OFF;
                 CREATE TABLE d1_migrations(id INTEGER PRIMARY KEY, name TEXT UNIQUE);
                 CREATE TABLE p(id INTEGER PRIMARY KEY);
                 CREATE TABLE old_child(p REFERENCES p(id)); INSERT INTO old_child VALUES (7);
                 CREATE TABLE quiet(x);",
            )
            .expect("setup");
        let db = D1Connection::open(&path).expect("open");
        let before = db
            .trusted(|c| Schema::read(c, "d1_migrations"))
            .expect("schema");
        db.run_batch(&split::with_migration_record(
            "CREATE TABLE child(p REFERENCES p(id));\nINSERT INTO p VALUES (1);\nINSERT INTO child VALUES (1);",
            "d1_migrations",
            "1.sql",
        ))
        .expect("applies");
        let after = db
            .trusted(|c| Schema::read(c, "d1_migrations"))
            .expect("schema");
        let diff = SchemaDiff::between(&before, &after);
        let checks = run_checks(&db, 1, 0, &diff).expect("checks");
        assert_eq!(checks.scope, "touched-tables");
        assert_eq!(checks.integrity_pragma, "quick_check");
        assert_eq!(checks.foreign_key_tables, ["child"]);
        assert_eq!(checks.integrity_tables, ["child", "d1_migrations", "p"]);
        assert!(
            checks.foreign_key_violations.is_empty(),
            "old_child is not rechecked"
        );
        let checks = run_checks(&db, 1, u64::MAX, &diff).expect("checks");
        assert_eq!(checks.scope, "all");
        assert_eq!(
            checks.foreign_key_violations.len(),
            1,
            "the snapshot's own violation"
        );
        assert_eq!(checks.foreign_key_violations[0].table, "old_child");
    }
}

//! The schema of a database, the difference between two of them, and the data a
//! difference would lose.

use std::collections::BTreeMap;

use rusqlite::Connection;
use serde::Serialize;

use crate::rows::{ColumnRename, RowsLost};

/// One column, as `PRAGMA table_xinfo` describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Column {
    /// Name.
    pub name: String,
    /// Declared type.
    #[serde(rename = "type")]
    pub decl_type: String,
    /// `NOT NULL`.
    pub not_null: bool,
    /// Default expression, as written.
    pub default: Option<String>,
    /// Position in the primary key (0 when not part of it).
    pub primary_key: i64,
}

/// One schema object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    /// `table`, `index`, `view` or `trigger`.
    pub kind: String,
    /// The table it belongs to.
    pub table: String,
    /// Its `CREATE` statement, whitespace-normalised; empty for automatic indexes.
    pub sql: String,
    /// Columns, for tables and views.
    pub columns: Vec<Column>,
}

/// The user-visible schema of a database: everything but SQLite's, D1's (`_cf_`) and
/// wrangler's migrations table, and FTS5's shadow tables.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Schema {
    /// Objects by name.
    pub objects: BTreeMap<String, Object>,
}

impl Schema {
    /// Reads the schema of `conn`, leaving out `migrations_table`.
    pub fn read(conn: &Connection, migrations_table: &str) -> rusqlite::Result<Self> {
        let raw = bulwark_sqlite::schema_rows(conn)?;
        let virtual_tables: Vec<&str> = raw
            .iter()
            .filter(|row| row.is_virtual())
            .map(|row| row.name.as_str())
            .collect();
        let mut objects = BTreeMap::new();
        for row in &raw {
            if row.name.to_ascii_lowercase().starts_with("_cf_")
                || row.table.eq_ignore_ascii_case(migrations_table)
                || bulwark_sqlite::is_shadow(&row.name, &virtual_tables)
            {
                continue;
            }
            let columns = if row.kind == "table" || row.kind == "view" {
                table_columns(conn, &row.name)?
            } else {
                Vec::new()
            };
            objects.insert(
                row.name.clone(),
                Object {
                    kind: row.kind.clone(),
                    table: row.table.clone(),
                    sql: normalise(&row.sql),
                    columns,
                },
            );
        }
        Ok(Self { objects })
    }

    /// Names of the tables.
    pub fn tables(&self) -> impl Iterator<Item = &str> {
        self.objects
            .iter()
            .filter(|(_, o)| o.kind == "table")
            .map(|(name, _)| name.as_str())
    }
}

fn table_columns(conn: &Connection, table: &str) -> rusqlite::Result<Vec<Column>> {
    let mut statement = conn.prepare("SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_xinfo(?1) WHERE hidden = 0")?;
    let rows = statement.query_map([table], |row| {
        Ok(Column {
            name: row.get(0)?,
            decl_type: row.get(1)?,
            not_null: row.get::<_, i64>(2)? != 0,
            default: row.get(3)?,
            primary_key: row.get(4)?,
        })
    });
    // A view whose definition no longer compiles has no columns to show; the report's
    // broken-view check names it.
    let Ok(rows) = rows else {
        return Ok(Vec::new());
    };
    let mut columns = Vec::new();
    for column in rows {
        match column {
            Ok(column) => columns.push(column),
            Err(_) => return Ok(Vec::new()),
        }
    }
    Ok(columns)
}

/// Collapses runs of whitespace so that formatting alone is not a change.
#[must_use]
pub fn normalise(sql: &str) -> String {
    sql.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// An object added or dropped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectRef {
    /// `table`, `index`, `view` or `trigger`.
    pub kind: String,
    /// Name.
    pub name: String,
    /// The table it belongs to.
    pub table: String,
}

/// A column whose definition changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ColumnChange {
    /// Column name.
    pub name: String,
    /// Before.
    pub before: Column,
    /// After.
    pub after: Column,
}

/// An object whose definition changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectChange {
    /// `table`, `index`, `view` or `trigger`.
    pub kind: String,
    /// Name.
    pub name: String,
    /// Columns added (tables and views).
    pub columns_added: Vec<String>,
    /// Columns dropped.
    pub columns_dropped: Vec<String>,
    /// Columns whose type, nullability, default or key changed.
    pub columns_changed: Vec<ColumnChange>,
    /// The definition before.
    pub sql_before: String,
    /// The definition after.
    pub sql_after: String,
}

/// What changed between two schemas.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SchemaDiff {
    /// Objects that are new.
    pub added: Vec<ObjectRef>,
    /// Objects that are gone.
    pub dropped: Vec<ObjectRef>,
    /// Objects whose definition changed.
    pub changed: Vec<ObjectChange>,
}

impl SchemaDiff {
    /// Compares `before` with `after`.
    #[must_use]
    pub fn between(before: &Schema, after: &Schema) -> Self {
        let mut diff = Self::default();
        for (name, old) in &before.objects {
            match after.objects.get(name) {
                None => diff.dropped.push(ObjectRef {
                    kind: old.kind.clone(),
                    name: name.clone(),
                    table: old.table.clone(),
                }),
                Some(new)
                    if new.sql != old.sql || new.columns != old.columns || new.kind != old.kind =>
                {
                    diff.changed.push(change(name, old, new));
                }
                Some(_) => {}
            }
        }
        for (name, new) in &after.objects {
            if !before.objects.contains_key(name) {
                diff.added.push(ObjectRef {
                    kind: new.kind.clone(),
                    name: name.clone(),
                    table: new.table.clone(),
                });
            }
        }
        diff
    }

    /// Whether nothing changed.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.dropped.is_empty() && self.changed.is_empty()
    }
}

fn change(name: &str, old: &Object, new: &Object) -> ObjectChange {
    let find = |columns: &[Column], name: &str| {
        columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
            .cloned()
    };
    let columns_added = new
        .columns
        .iter()
        .filter(|c| find(&old.columns, &c.name).is_none())
        .map(|c| c.name.clone())
        .collect();
    let columns_dropped = old
        .columns
        .iter()
        .filter(|c| find(&new.columns, &c.name).is_none())
        .map(|c| c.name.clone())
        .collect();
    let columns_changed = old
        .columns
        .iter()
        .filter_map(|before| {
            let after = find(&new.columns, &before.name)?;
            (after != *before).then(|| ColumnChange {
                name: before.name.clone(),
                before: before.clone(),
                after,
            })
        })
        .collect();
    ObjectChange {
        kind: new.kind.clone(),
        name: name.to_owned(),
        columns_added,
        columns_dropped,
        columns_changed,
        sql_before: old.sql.clone(),
        sql_after: new.sql.clone(),
    }
}

/// Rows in a dropped table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableAtRisk {
    /// The table.
    pub table: String,
    /// Its rows before the migrations.
    pub rows: u64,
}

/// Values in a dropped column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ColumnAtRisk {
    /// The table.
    pub table: String,
    /// The column.
    pub column: String,
    /// Its non-null values before the migrations.
    pub non_null_values: u64,
}

/// Data the migrations would delete with the schema.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DataAtRisk {
    /// Dropped tables and their row counts.
    pub tables: Vec<TableAtRisk>,
    /// Dropped columns and their non-null value counts (a column renamed in place keeps
    /// its values and is not here).
    pub columns: Vec<ColumnAtRisk>,
    /// Tables that have fewer rows after a migration than before it, under the same
    /// name: cascades, drop-and-recreate, deletes.
    pub rows_lost: Vec<RowsLost>,
}

impl DataAtRisk {
    /// Counts, in `before` (the database as it was), what `diff` drops; a column that
    /// `renames` renamed in place is not dropped.
    pub fn count(
        before: &Connection,
        diff: &SchemaDiff,
        renames: &[ColumnRename],
    ) -> rusqlite::Result<Self> {
        let mut risk = Self::default();
        for dropped in diff.dropped.iter().filter(|o| o.kind == "table") {
            risk.tables.push(TableAtRisk {
                table: dropped.name.clone(),
                rows: bulwark_sqlite::count_rows(before, &dropped.name)?,
            });
        }
        for changed in diff.changed.iter().filter(|o| o.kind == "table") {
            let kept_by_rename = |column: &str| {
                renames.iter().any(|r| {
                    r.table.eq_ignore_ascii_case(&changed.name)
                        && r.from.eq_ignore_ascii_case(column)
                })
            };
            for column in changed
                .columns_dropped
                .iter()
                .filter(|c| !kept_by_rename(c))
            {
                let values: i64 = before.query_row(
                    &format!(
                        "SELECT count({}) FROM {}",
                        quote(column),
                        quote(&changed.name)
                    ),
                    [],
                    |row| row.get(0),
                )?;
                risk.columns.push(ColumnAtRisk {
                    table: changed.name.clone(),
                    column: column.clone(),
                    non_null_values: u64::try_from(values).unwrap_or(0),
                });
            }
        }
        Ok(risk)
    }

    /// Whether anything would be lost.
    #[must_use]
    pub fn any(&self) -> bool {
        self.tables.iter().any(|t| t.rows > 0)
            || self.columns.iter().any(|c| c.non_null_values > 0)
            || !self.rows_lost.is_empty()
    }
}

pub use bulwark_sqlite::quote;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_sees_added_dropped_and_changed_columns_and_counts_the_loss() {
        let conn = Connection::open_in_memory().expect("memory db");
        conn.execute_batch(
            "CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT, legacy TEXT);
             CREATE TABLE old(x); INSERT INTO old VALUES (1), (2);
             INSERT INTO users VALUES (1, 'a', 'x'), (2, 'b', NULL);
             CREATE TABLE d1_migrations(id, name);
             CREATE VIRTUAL TABLE docs USING fts5(body);",
        )
        .expect("setup");
        let before = Schema::read(&conn, "d1_migrations").expect("read");
        assert!(!before.objects.contains_key("d1_migrations"));
        assert!(before.objects.contains_key("docs") && !before.objects.contains_key("docs_data"));
        let after_conn = Connection::open_in_memory().expect("memory db");
        after_conn
            .execute_batch(
                "CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT NOT NULL, name TEXT);
                 CREATE INDEX users_email ON users(email);
                 CREATE VIRTUAL TABLE docs USING fts5(body);",
            )
            .expect("setup");
        let after = Schema::read(&after_conn, "d1_migrations").expect("read");
        let diff = SchemaDiff::between(&before, &after);
        assert_eq!(diff.added.len(), 1);
        assert_eq!(diff.added[0].name, "users_email");
        assert_eq!(diff.dropped.len(), 1);
        assert_eq!(diff.dropped[0].name, "old");
        assert_eq!(diff.changed.len(), 1);
        let users = &diff.changed[0];
        assert_eq!(users.columns_added, ["name"]);
        assert_eq!(users.columns_dropped, ["legacy"]);
        assert_eq!(users.columns_changed.len(), 1);
        assert_eq!(users.columns_changed[0].name, "email");
        let risk = DataAtRisk::count(&conn, &diff, &[]).expect("count");
        assert_eq!(
            risk.tables,
            [TableAtRisk {
                table: "old".into(),
                rows: 2
            }]
        );
        assert_eq!(
            risk.columns,
            [ColumnAtRisk {
                table: "users".into(),
                column: "legacy".into(),
                non_null_values: 1
            }]
        );
        assert!(risk.any());
    }
}

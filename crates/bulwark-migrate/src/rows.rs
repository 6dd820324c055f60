//! Rows a migration deletes: counted per statement, for the tables that statement can
//! delete from, and compared per migration.
//!
//! SQLite's authorizer names, while a statement is prepared, every table the statement
//! deletes from or drops, including the children an `ON DELETE CASCADE` reaches (also
//! from `DROP TABLE` of a parent, whose rows are deleted first, and from `REPLACE`) and
//! the tables trigger bodies delete from. Only those tables are counted, before and after
//! the statement; a table the migration only creates, alters, indexes, inserts into or
//! updates is never counted, so the cost stays with the statements that delete.
//!
//! A table rebuild (create `t_new`, copy, drop `t`, rename `t_new` to `t`) loses nothing:
//! the migration's verdict compares each table's rows before the first statement that
//! deleted from it with its rows when the migration ends, under the same name.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use rusqlite::Connection;
use serde::Serialize;

/// What one statement may delete from or change the shape of, as the authorizer saw it
/// while the statement was prepared.
#[derive(Debug, Clone, Default)]
pub(crate) struct Targets {
    /// The table the statement itself works on (the first one named), if any.
    pub direct: Option<String>,
    /// Tables rows may be deleted from: `DELETE` targets, cascades, trigger bodies, and
    /// the table `DROP TABLE` empties.
    pub deleted: BTreeSet<String>,
    /// Tables `ALTER TABLE` changes.
    pub altered: BTreeSet<String>,
}

impl Targets {
    pub(crate) fn note_direct(&mut self, table: &str) {
        if self.direct.is_none() {
            self.direct = Some(table.to_owned());
        }
    }
}

/// Rows one statement deleted from one table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatementLoss {
    /// The table that lost rows.
    pub table: String,
    /// Its rows before the statement.
    pub rows_before: u64,
    /// Its rows after (0 when the statement dropped it).
    pub rows_after: u64,
    /// Line (1-based) of the statement in the migration file.
    pub line: usize,
    /// The statement (shortened).
    pub statement: String,
    /// For rows deleted by `ON DELETE CASCADE`: the path from this table to the table
    /// the statement deleted from or dropped, e.g. `["comments", "posts", "users"]`.
    pub cascade: Option<Vec<String>>,
}

/// A column renamed in place (`ALTER TABLE … RENAME COLUMN`): its values are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnRename {
    /// The table.
    pub table: String,
    /// The old name.
    pub from: String,
    /// The new name.
    pub to: String,
}

/// What one migration (batch) deleted, as the statements ran.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    /// Each table's rows before the first statement that could delete from it; `None`
    /// when the table did not exist then (the migration creates it).
    pub first_counts: BTreeMap<String, Option<u64>>,
    /// Every statement that deleted rows, per table.
    pub losses: Vec<StatementLoss>,
    /// Columns renamed in place.
    pub renames: Vec<ColumnRename>,
}

/// `count(*)` of `table`, or `None` when there is no such table.
pub(crate) fn count_if_exists(conn: &Connection, table: &str) -> rusqlite::Result<Option<u64>> {
    if bulwark_sqlite::table_exists(conn, table)? {
        bulwark_sqlite::count_rows(conn, table).map(Some)
    } else {
        Ok(None)
    }
}

/// Column names of `table` by position (`cid`); empty when there is no such table.
pub(crate) fn columns(conn: &Connection, table: &str) -> rusqlite::Result<Vec<String>> {
    let mut statement = conn.prepare("SELECT name FROM pragma_table_xinfo(?1) ORDER BY cid")?;
    let names = statement
        .query_map([table], |row| row.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>();
    // A table whose definition no longer compiles has no columns to compare.
    Ok(names.unwrap_or_default())
}

/// Renames that `ALTER TABLE` made in place: same position, same number of columns, a
/// new name.
pub(crate) fn renames(table: &str, before: &[String], after: &[String]) -> Vec<ColumnRename> {
    if before.len() != after.len() {
        return Vec::new();
    }
    before
        .iter()
        .zip(after)
        .filter(|(old, new)| !old.eq_ignore_ascii_case(new))
        .map(|(old, new)| ColumnRename {
            table: table.to_owned(),
            from: old.clone(),
            to: new.clone(),
        })
        .collect()
}

/// The path of `ON DELETE CASCADE` foreign keys from `child` up to `root`, both
/// included, when there is one.
pub(crate) fn cascade_path(conn: &Connection, child: &str, root: &str) -> Option<Vec<String>> {
    let mut seen = BTreeSet::from([child.to_owned()]);
    let mut queue = VecDeque::from([vec![child.to_owned()]]);
    while let Some(path) = queue.pop_front() {
        let last = path.last()?.clone();
        if last.eq_ignore_ascii_case(root) && path.len() > 1 {
            return Some(path);
        }
        let Ok(mut statement) = conn.prepare(
            "SELECT \"table\" FROM pragma_foreign_key_list(?1) WHERE upper(on_delete) = 'CASCADE'",
        ) else {
            continue;
        };
        let Ok(parents) = statement
            .query_map([&last], |row| row.get::<_, String>(0))
            .and_then(Iterator::collect::<rusqlite::Result<Vec<String>>>)
        else {
            continue;
        };
        for parent in parents {
            if seen.insert(parent.to_ascii_lowercase()) {
                let mut next = path.clone();
                next.push(parent);
                queue.push_back(next);
            }
        }
    }
    None
}

/// Rows a migration lost from a table, compared under the same name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowsLost {
    /// The table.
    pub table: String,
    /// Its rows before the first statement of the migration that deleted from it.
    pub rows_before: u64,
    /// Its rows when the migration ends (0 when the table is gone).
    pub rows_after: u64,
    /// `rows_before - rows_after`.
    pub rows_lost: u64,
    /// The migration file.
    pub migration: String,
    /// The statement that deleted the most of them.
    pub statement: String,
    /// Its line in the migration file.
    pub line: usize,
    /// For a cascade: the path from this table to the table the statement deleted from
    /// or dropped.
    pub cascade: Option<Vec<String>>,
}

impl RowsLost {
    /// One line for people.
    #[must_use]
    pub fn describe(&self) -> String {
        let cascade = self.cascade.as_ref().map_or_else(String::new, |path| {
            format!(" (ON DELETE CASCADE: {})", path.join(" → "))
        });
        format!(
            "{} loses {} of {} rows: {}:{} {}{cascade}",
            self.table,
            self.rows_lost,
            self.rows_before,
            self.migration,
            self.line,
            self.statement.replace('\n', " ")
        )
    }
}

/// Compares `ledger`'s first counts with the tables' rows now (`conn`, after the
/// migration `migration` committed): every table that `existed` before the migration
/// and has fewer rows under the same name. (A table the migration creates held no data
/// before it.)
pub(crate) fn rows_lost(
    conn: &Connection,
    migration: &str,
    ledger: &Ledger,
    existed: impl Fn(&str) -> bool,
) -> rusqlite::Result<Vec<RowsLost>> {
    let mut lost = Vec::new();
    for (table, before) in &ledger.first_counts {
        let Some(before) = *before else { continue };
        if !existed(table) {
            continue;
        }
        let after = count_if_exists(conn, table)?.unwrap_or(0);
        if after >= before {
            continue;
        }
        let worst = ledger
            .losses
            .iter()
            .filter(|l| l.table.eq_ignore_ascii_case(table))
            .max_by_key(|l| l.rows_before.saturating_sub(l.rows_after));
        lost.push(RowsLost {
            table: table.clone(),
            rows_before: before,
            rows_after: after,
            rows_lost: before - after,
            migration: migration.to_owned(),
            statement: worst.map(|l| l.statement.clone()).unwrap_or_default(),
            line: worst.map_or(0, |l| l.line),
            cascade: worst.and_then(|l| l.cascade.clone()),
        });
    }
    Ok(lost)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renames_are_told_from_drops_and_adds() {
        let cols = |names: &[&str]| names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            renames("t", &cols(&["id", "email"]), &cols(&["id", "mail"])),
            [ColumnRename {
                table: "t".into(),
                from: "email".into(),
                to: "mail".into()
            }]
        );
        assert!(renames("t", &cols(&["id", "email"]), &cols(&["id"])).is_empty());
        assert!(renames("t", &cols(&["id"]), &cols(&["id", "x"])).is_empty());
    }

    #[test]
    fn cascade_paths_follow_on_delete_cascade_only() {
        let conn = Connection::open_in_memory().expect("memory");
        conn.execute_batch(
            "CREATE TABLE users(id INTEGER PRIMARY KEY);
             CREATE TABLE posts(id INTEGER PRIMARY KEY, u REFERENCES users(id) ON DELETE CASCADE);
             CREATE TABLE comments(id INTEGER PRIMARY KEY, p REFERENCES posts(id) ON DELETE CASCADE);
             CREATE TABLE likes(id INTEGER PRIMARY KEY, p REFERENCES posts(id));",
        )
        .expect("schema");
        assert_eq!(
            cascade_path(&conn, "comments", "users"),
            Some(vec!["comments".into(), "posts".into(), "users".into()])
        );
        assert_eq!(cascade_path(&conn, "likes", "users"), None);
        assert_eq!(cascade_path(&conn, "users", "users"), None);
    }
}

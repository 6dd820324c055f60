//! Helpers shared by test binaries in more than one package (a dev-dependency only).
//!
//! [`quoted_rows`] reads a `SQLite` table's rows as the `SQLite` shell dumps them, for
//! tests that compare databases or write a dump as `wrangler d1 export` does.
//!
//! Some fixtures are not ours to commit (gitleaks' own default config, for one), so they
//! sit in `../shared/fixtures`, beside the repository's root. CI always has that
//! directory; a developer's checkout may not.

use std::path::{Path, PathBuf};

/// Every row of `table` in `conn`, each its columns' `quote()`d values joined by commas
/// (the `VALUES(…)` of the `SQLite` shell's `.dump`), in the table's order, or ordered by
/// the first column when `sorted`.
///
/// # Panics
/// When the table cannot be read: a test's precondition.
#[must_use]
pub fn quoted_rows(conn: &rusqlite::Connection, table: &str, sorted: bool) -> Vec<String> {
    let columns: Vec<String> = conn
        .prepare("SELECT name FROM pragma_table_info(?1)")
        .and_then(|mut s| s.query_map([table], |r| r.get(0))?.collect())
        .expect("columns");
    let quoted = columns
        .iter()
        .map(|c| format!("quote(\"{c}\")"))
        .collect::<Vec<_>>()
        .join(" || ',' || ");
    let order = if sorted { " ORDER BY 1" } else { "" };
    conn.prepare(&format!("SELECT {quoted} FROM \"{table}\"{order}"))
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .expect("rows")
}

/// The directory of fixtures beside the repository: `<repository>/../shared/fixtures`.
#[must_use]
pub fn shared_fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures")
}

/// The fixture `name` from `../shared/fixtures`, or `None` when it is missing, which the
/// caller then skips (saying so on stderr). Under `CI=true` a missing fixture fails the
/// test instead: there a skip would pass a check that never ran.
///
/// # Panics
/// When the fixture is missing and `CI` is `true`.
#[must_use]
pub fn shared_fixture(name: &str) -> Option<PathBuf> {
    let ci = std::env::var_os("CI").is_some_and(|ci| ci == "true");
    find(&shared_fixtures_dir().join(name), ci)
}

#[expect(
    clippy::print_stderr,
    reason = "a skipped check says so where cargo test shows it"
)]
fn find(path: &Path, ci: bool) -> Option<PathBuf> {
    if path.is_file() {
        return Some(path.to_owned());
    }
    assert!(
        !ci,
        "{} is missing: CI must have ../shared beside the repository",
        path.display()
    );
    eprintln!("skipped: {} is missing (not under CI)", path.display());
    None
}

#[cfg(test)]
mod tests {
    use super::find;

    #[test]
    fn a_present_fixture_is_found() {
        let dir = std::env::temp_dir();
        let file = dir.join(format!("bulwark-test-support-{}.toml", std::process::id()));
        std::fs::write(&file, "x = 1\n").expect("write the fixture");
        assert_eq!(find(&file, true), Some(file.clone()));
        assert_eq!(find(&file, false), Some(file.clone()));
        std::fs::remove_file(&file).expect("remove the fixture");
    }

    #[test]
    fn a_missing_fixture_is_skipped_outside_ci() {
        let missing = std::env::temp_dir().join("bulwark-test-support-no-such-fixture.toml");
        assert_eq!(find(&missing, false), None);
    }

    #[test]
    #[should_panic(expected = "is missing: CI must have ../shared beside the repository")]
    fn a_missing_fixture_fails_under_ci() {
        let missing = std::env::temp_dir().join("bulwark-test-support-no-such-fixture.toml");
        let _ = find(&missing, true);
    }

    #[test]
    fn the_fixtures_dir_is_beside_the_repository() {
        let dir = super::shared_fixtures_dir();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        assert!(root.join("Cargo.lock").is_file(), "{}", root.display());
        assert_eq!(
            dir.parent()
                .and_then(|p| p.parent())
                .map(std::fs::canonicalize)
                .transpose()
                .ok()
                .flatten(),
            root.canonicalize()
                .ok()
                .and_then(|r| r.parent().map(ToOwned::to_owned)),
        );
    }
}

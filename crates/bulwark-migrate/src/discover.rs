//! Which files wrangler treats as migrations, and the order it applies them in.
//!
//! Wrangler 4 (`src/d1/migrations/helpers.ts` and `apply.ts`):
//! - every directory entry whose name ends in `.sql` (case-sensitive) is a migration;
//!   nothing else is, and subdirectories are not walked;
//! - the names are sorted as JavaScript strings (by UTF-16 code units);
//! - names already in the migrations table (exact match) are applied;
//! - `apply` then sorts the pending names by `parseInt(name.split("_")[0])`, a stable sort
//!   in which a name without a leading number (`NaN`) compares equal to everything;
//! - `list` shows the pending names in plain string order.

use std::cmp::Ordering;
use std::path::{Path, PathBuf};

use crate::MigrateError;

/// One migration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationFile {
    /// The file name, which is what the migrations table records.
    pub name: String,
    /// Its path.
    pub path: PathBuf,
}

/// The names of the entries of `dir`, in no order; a name that is not UTF-8 is an
/// error (Node and the Supabase CLI read such a name lossily and then fail to open it;
/// say so plainly).
pub(crate) fn entry_names(dir: &Path) -> Result<Vec<String>, MigrateError> {
    let entries = std::fs::read_dir(dir).map_err(|source| MigrateError::ReadDir {
        path: dir.to_owned(),
        source,
    })?;
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| MigrateError::ReadDir {
            path: dir.to_owned(),
            source,
        })?;
        let name = entry
            .file_name()
            .into_string()
            .map_err(|_| MigrateError::NonUtf8Name { path: entry.path() })?;
        names.push(name);
    }
    Ok(names)
}

/// The `.sql` entries of `dir`, in wrangler's listing order (JavaScript string order).
pub fn list_migrations(dir: &Path) -> Result<Vec<MigrationFile>, MigrateError> {
    #[expect(
        clippy::case_sensitive_file_extension_comparisons,
        reason = "wrangler matches `.sql` case-sensitively: `0003.SQL` is not a migration"
    )]
    let mut names: Vec<String> = entry_names(dir)?
        .into_iter()
        .filter(|name| name.ends_with(".sql"))
        .collect();
    names.sort_by(|a, b| js_string_cmp(a, b));
    Ok(names
        .into_iter()
        .map(|name| MigrationFile {
            path: dir.join(&name),
            name,
        })
        .collect())
}

/// JavaScript's default string order: UTF-16 code units.
#[must_use]
pub fn js_string_cmp(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// `parseInt(name.split("_")[0])`, `None` for `NaN`.
#[must_use]
pub fn js_parse_int_prefix(name: &str) -> Option<f64> {
    let head = name.split('_').next().unwrap_or("");
    js_parse_int(head)
}

/// `parseInt(text)` with no radix: leading whitespace, a sign, `0x` for hexadecimal,
/// then as many digits as there are.
fn js_parse_int(text: &str) -> Option<f64> {
    let text = text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    let (negative, text) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (radix, digits) = if text.len() >= 2 && (text.starts_with("0x") || text.starts_with("0X")) {
        (16, &text[2..])
    } else {
        (10, text)
    };
    let mut value: Option<f64> = None;
    for c in digits.chars() {
        let Some(digit) = c.to_digit(radix) else {
            break;
        };
        value = Some(value.unwrap_or(0.0) * f64::from(radix) + f64::from(digit));
    }
    value.map(|v| if negative { -v } else { v })
}

/// Sorts pending migrations as `wrangler d1 migrations apply` does.
///
/// V8's `Array.prototype.sort` is a TimSort; for fewer than 64 elements that is a binary
/// insertion sort after finding the first run, which is what runs here, so that names without
/// a number (for which the comparator is not consistent) land where wrangler puts them. For
/// longer lists a stable merge sort gives the same order whenever every name has a number.
pub fn apply_order(pending: &mut Vec<MigrationFile>) {
    let keys: Vec<Option<f64>> = pending
        .iter()
        .map(|m| js_parse_int_prefix(&m.name))
        .collect();
    let compare = |a: Option<f64>, b: Option<f64>| -> i8 {
        match (a, b) {
            (Some(a), Some(b)) if a < b => -1,
            (Some(a), Some(b)) if a > b => 1,
            _ => 0,
        }
    };
    let mut order: Vec<usize> = (0..pending.len()).collect();
    if order.len() < 64 {
        v8_short_sort(&mut order, |a, b| compare(keys[a], keys[b]));
    } else {
        order.sort_by(|&a, &b| compare(keys[a], keys[b]).cmp(&0));
    }
    let mut taken: Vec<Option<MigrationFile>> = pending.drain(..).map(Some).collect();
    for index in order {
        if let Some(file) = taken[index].take() {
            pending.push(file);
        }
    }
}

/// V8's TimSort for a single run: count the leading run (reversing a strictly descending
/// one), then binary-insert the rest.
fn v8_short_sort(items: &mut [usize], order: impl Fn(usize, usize) -> i8) {
    let n = items.len();
    if n < 2 {
        return;
    }
    // CountAndMakeRun
    let mut run = 2;
    let descending = order(items[1], items[0]) < 0;
    let mut previous = items[1];
    while run < n {
        let current = items[run];
        let o = order(current, previous);
        if descending {
            if o >= 0 {
                break;
            }
        } else if o < 0 {
            break;
        }
        previous = current;
        run += 1;
    }
    if descending {
        items[..run].reverse();
    }
    // BinaryInsertionSort from `run`
    for start in run..n {
        let pivot = items[start];
        let (mut left, mut right) = (0, start);
        while left < right {
            let mid = left + ((right - left) >> 1);
            if order(pivot, items[mid]) < 0 {
                right = mid;
            } else {
                left = mid + 1;
            }
        }
        items.copy_within(left..start, left + 1);
        items[left] = pivot;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(names: &[&str]) -> Vec<MigrationFile> {
        names
            .iter()
            .map(|n| MigrationFile {
                name: (*n).to_owned(),
                path: PathBuf::from(n),
            })
            .collect()
    }

    fn names(files: &[MigrationFile]) -> Vec<&str> {
        files.iter().map(|f| f.name.as_str()).collect()
    }

    #[test]
    fn parse_int_follows_javascript() {
        assert_eq!(js_parse_int_prefix("0001_a.sql"), Some(1.0));
        assert_eq!(js_parse_int_prefix("12abc_x.sql"), Some(12.0));
        assert_eq!(js_parse_int_prefix("0x1F_x.sql"), Some(31.0));
        assert_eq!(js_parse_int_prefix(" -3_x.sql"), Some(-3.0));
        assert_eq!(js_parse_int_prefix("init.sql"), None);
        assert_eq!(js_parse_int_prefix("_a.sql"), None);
    }

    #[test]
    fn apply_order_is_numeric_and_stable() {
        let mut list = files(&[
            "0002_b.sql",
            "0010_c.sql",
            "002_a.sql",
            "2_z.sql",
            "9_y.sql",
        ]);
        list.sort_by(|a, b| js_string_cmp(&a.name, &b.name));
        assert_eq!(
            names(&list),
            [
                "0002_b.sql",
                "0010_c.sql",
                "002_a.sql",
                "2_z.sql",
                "9_y.sql"
            ]
        );
        apply_order(&mut list);
        assert_eq!(
            names(&list),
            [
                "0002_b.sql",
                "002_a.sql",
                "2_z.sql",
                "9_y.sql",
                "0010_c.sql"
            ]
        );
    }

    #[test]
    fn names_without_numbers_stay_put_as_in_v8() {
        let mut list = files(&["10_b.sql", "2_a.sql", "seed.sql"]);
        apply_order(&mut list);
        assert_eq!(names(&list), ["2_a.sql", "10_b.sql", "seed.sql"]);
        let mut list = files(&["3_c.sql", "init.sql", "1_a.sql"]);
        apply_order(&mut list);
        // `init` compares equal to both neighbours, so V8 sees one ascending run and
        // leaves the list as it is: 3 is applied before 1.
        assert_eq!(names(&list), ["3_c.sql", "init.sql", "1_a.sql"]);
    }

    #[test]
    fn utf16_order_differs_from_byte_order() {
        // U+FF61 sorts after U+1F600 in UTF-8 bytes, before it in UTF-16 code units.
        assert_eq!(js_string_cmp("\u{ff61}", "\u{1f600}"), Ordering::Greater);
        assert_eq!("\u{ff61}".cmp("\u{1f600}"), Ordering::Less);
    }

    #[test]
    fn lists_only_sql_files_in_javascript_order() {
        let dir = tempfile::tempdir().expect("temp dir");
        for name in [
            "0002_b.sql",
            "0001_a.sql",
            "README.md",
            "0003_c.SQL",
            "0004_d.sql.bak",
        ] {
            std::fs::write(dir.path().join(name), "").expect("write");
        }
        std::fs::create_dir(dir.path().join("old")).expect("mkdir");
        let list = list_migrations(dir.path()).expect("listed");
        assert_eq!(names(&list), ["0001_a.sql", "0002_b.sql"]);
    }
}

//! What the PostgreSQL test binaries share: where the real programs are, a test
//! server's URL, a run's output, and every file a run left behind.

use std::path::{Path, PathBuf};
use std::process::Output;

use bulwark_pg::LocalServer;

/// The directory holding the real PostgreSQL programs (the newest major version).
pub(crate) fn pg_bin() -> PathBuf {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is installed (tests/setup.sh)")
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|d| d.join("pg_dump").is_file())
        .collect();
    dirs.sort();
    dirs.pop().expect("a PostgreSQL bin directory")
}

/// Every file under `dir`, read whole.
pub(crate) fn files_under(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(bytes) = std::fs::read(&path) {
                found.push((path, bytes));
            }
        }
    }
    found
}

/// `postgres://bulwark:PASSWORD@/DATABASE?host=SOCKET_DIR`: the URL of a test server,
/// with a password that libpq receives (trust auth ignores it) and nothing may show.
pub(crate) fn url(server: &LocalServer, password: &str, database: &str) -> String {
    format!(
        "postgres://bulwark:{password}@/{database}?host={}&port=5432",
        server.dir().display()
    )
}

/// stdout then stderr, as text.
pub(crate) fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

//! PostgreSQL for db-backup and migrate-dryrun.
//!
//! - [`Connection`]: a `postgres://` URL read from an environment variable and handed to
//!   libpq as its own variables (`PGHOST`, `PGUSER`, `PGPASSWORD`, …), so no program ever
//!   gets it on its argv; its password and the whole URL go to every redactor.
//! - [`Client`]: `psql`, `pg_dump` and `pg_restore` against one database, through
//!   `bulwark-process` (lookup in `BULWARK_<PROGRAM>`, `/usr/lib/postgresql/*/bin`, then
//!   `PATH`; an allowlisted environment; scrubbed stderr). [`Client::stats`] reads the
//!   server version, schemas, exact row counts and a schema hash inside one snapshot,
//!   the one [`Client::hold_snapshot`] exported for `pg_dump --snapshot`.
//! - [`LocalServer`]: a throw-away server (`initdb` in a private 0700 temp directory,
//!   Unix socket only, no TCP), run as an unprivileged user when we are root, stopped and
//!   removed when dropped and on SIGINT, SIGTERM and SIGHUP.
//! - [`Session`]: the protocol spoken directly to that server over its socket, for what
//!   `psql` cannot send (an extended-protocol pipeline, as client libraries batch).
//!
//! Nothing here prints or exits.

mod client;
mod conn;
mod server;
mod wire;

use bulwark_core::{Exit, Failure};
use bulwark_process::ProcessError;

pub use client::{Client, Extension, Role, SnapshotHolder, Stats, TableCount};
pub use conn::{Connection, DATABASE_URL, dbname_conninfo, hide_url_in};
pub use server::LocalServer;
pub use wire::{BatchOutcome, Query, ServerMessage, Session};

/// `"name"`: `name` quoted as a PostgreSQL identifier (each `"` in it doubled).
#[must_use]
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `'text'`: `text` quoted as a PostgreSQL string literal (each `'` in it doubled; the
/// servers Bulwark talks to keep `standard_conforming_strings` on, its default).
#[must_use]
pub fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// What went wrong. Messages hold no connection string and no password: a program's
/// stderr is scrubbed before it is kept.
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    /// Bad input (a missing variable, a URL we cannot use).
    #[error("{message}")]
    Usage {
        /// What is wrong.
        message: String,
        /// What to do.
        hint: String,
    },
    /// A PostgreSQL program could not be found or run.
    #[error(transparent)]
    Process(#[from] ProcessError),
    /// A PostgreSQL program failed.
    #[error("`{command}` failed ({status}){}", if stderr.is_empty() { String::new() } else { format!(": {stderr}") })]
    Failed {
        /// The command line (never holds the URL).
        command: String,
        /// Its exit status.
        status: String,
        /// Its own error, scrubbed, on one line.
        stderr: String,
    },
    /// Printed something we cannot read.
    #[error("`{command}` printed unexpected output: {detail}")]
    Output {
        /// The command line.
        command: String,
        /// What did not parse.
        detail: String,
    },
    /// A file or directory could not be made or read.
    #[error("could not {action} {}", path.display())]
    Io {
        /// What we tried.
        action: &'static str,
        /// Where.
        path: std::path::PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// The throw-away server did not come up.
    #[error("the throw-away PostgreSQL server did not start: {reason}")]
    Server {
        /// Why, with the server's own log line when there is one.
        reason: String,
    },
}

impl Failure for PgError {
    fn exit(&self) -> Exit {
        match self {
            Self::Usage { .. } => Exit::Usage,
            _ => Exit::Operational,
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            Self::Usage { hint, .. } => Some(hint.clone()),
            Self::Process(err) => err.hint(),
            Self::Server { .. } => Some(
                "the server runs as `nobody` when db-backup runs as root: the temp directory ($TMPDIR) must be reachable by it".to_owned(),
            ),
            _ => None,
        }
    }
}

//! Why a db-backup command could not do its work. A backup that fails verification is not
//! an error: it is a [`crate::VerifyReport`] with problems (exit 1).

use std::path::PathBuf;

use bulwark_core::{Exit, Failure};
use bulwark_vault::VaultError;

/// Errors of `bulwark-backup`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackupError {
    /// The command line or config asks for something impossible.
    #[error("{message}")]
    Usage {
        /// What is wrong.
        message: String,
        /// What to do instead.
        hint: Option<String>,
    },
    /// A file or directory given as input does not exist or cannot be read.
    #[error("failed to read {}", path.display())]
    Input {
        /// The path.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// Writing, renaming or syncing failed.
    #[error("failed to {action} {}", path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// The path.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// SQLite failed on a database.
    #[error("SQLite failed to {action} {}", path.display())]
    Sqlite {
        /// What was being done.
        action: &'static str,
        /// The database.
        path: PathBuf,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },
    /// Recipients or identities could not be used, or encryption failed.
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// Another run holds the directory's lock.
    #[error("another db-backup run holds the lock {}", path.display())]
    Locked {
        /// The lock file.
        path: PathBuf,
    },
    /// A child process (wrangler) failed.
    #[error("`{command}` failed ({status})")]
    Child {
        /// The command line, without secrets (there are none in it).
        command: String,
        /// Exit status or why it could not start.
        status: String,
        /// The tail of its stderr.
        #[source]
        stderr: Option<ChildOutput>,
    },
    /// A restore target exists and `--force` was not given.
    #[error("{} already exists", path.display())]
    Exists {
        /// The path.
        path: PathBuf,
    },
    /// A signal (SIGINT, SIGTERM, SIGHUP) stopped the command; what it made is removed.
    #[error("interrupted by a signal: stopped and removed what this run had written")]
    Interrupted,
    /// A manifest this version does not read (unknown format or fields, edited bytes).
    #[error("{reason}")]
    ManifestRefused {
        /// Why.
        reason: String,
    },
    /// PostgreSQL's programs or the throw-away server failed.
    #[error(transparent)]
    Postgres(#[from] bulwark_pg::PgError),
    /// The backup cannot be restored (bad checksum, corrupt stream, wrong key).
    #[error("{} cannot be restored: {reason}", path.display())]
    Unrestorable {
        /// The backup.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// What a failed child wrote on stderr (its last lines).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ChildOutput(pub String);

impl BackupError {
    pub(crate) fn usage(message: impl Into<String>, hint: Option<&str>) -> Self {
        Self::Usage {
            message: message.into(),
            hint: hint.map(str::to_owned),
        }
    }

    pub(crate) fn io(
        action: &'static str,
        path: &std::path::Path,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.to_owned();
        move |source| Self::Io {
            action,
            path,
            source,
        }
    }

    pub(crate) fn sqlite(
        action: &'static str,
        path: &std::path::Path,
    ) -> impl FnOnce(rusqlite::Error) -> Self {
        let path = path.to_owned();
        move |source| Self::Sqlite {
            action,
            path,
            source,
        }
    }
}

impl Failure for BackupError {
    fn exit(&self) -> Exit {
        match self {
            Self::Usage { .. }
            | Self::Input { .. }
            | Self::Exists { .. }
            | Self::ManifestRefused { .. } => Exit::Usage,
            Self::Interrupted => Exit::Interrupted,
            Self::Vault(err) => err.exit(),
            Self::Postgres(err) => err.exit(),
            Self::Unrestorable { .. } => Exit::Problem,
            Self::Io { .. } | Self::Sqlite { .. } | Self::Locked { .. } | Self::Child { .. } => {
                Exit::Operational
            }
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            Self::Usage { hint, .. } => hint.clone(),
            Self::Vault(err) => err.hint(),
            Self::Postgres(err) => err.hint(),
            Self::Locked { .. } => Some(
                "wait for the other run to finish; the lock is released when its process exits"
                    .to_owned(),
            ),
            Self::Exists { .. } => {
                Some("pass --force to replace it, or restore to another path".to_owned())
            }
            Self::Child { .. } => Some(
                "run the command by hand to see its full output; check wrangler's login and config"
                    .to_owned(),
            ),
            _ => None,
        }
    }
}

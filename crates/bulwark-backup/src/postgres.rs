//! PostgreSQL backups: `pg_dump` (custom format) streamed through the pipeline, its row
//! counts taken in the dump's own snapshot; verify by restoring into a throw-away local
//! server; restore into a database named by an environment variable, in one transaction.
//!
//! The connection URL is read from an environment variable and reaches libpq only as its
//! own variables (see `bulwark_pg::Connection`); no argv, file or message holds it.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use bulwark_core::Progress;
use bulwark_core::fs::AtomicFile;
use bulwark_pg::{Client, Connection, LocalServer, PgError, Stats};
use bulwark_process::Tool;
use bulwark_vault::{Identities, Recipient};
use serde::Serialize;

use crate::layout::{Digest, Kind, Manifest, PostgresInfo, Source, TableRows};
use crate::verify::{compare_copy, compare_tables};
use crate::{BackupError, ChildOutput, IdentityProvider, Verified, interrupt, pipeline};

/// A PostgreSQL database to back up.
#[derive(Debug, Clone)]
pub struct PostgresSource {
    /// The environment variable holding its `postgres://` URL (`DATABASE_URL` for
    /// `--postgres`).
    pub env: String,
}

fn failed(command: String, status: std::process::ExitStatus, stderr: &str) -> BackupError {
    BackupError::Child {
        command,
        status: status.to_string(),
        stderr: Some(ChildOutput(bulwark_process::summary(stderr))),
    }
}

/// `pg_dump --version` without its program name: `15.18 (Debian 15.18-0+deb12u1)`.
fn pg_dump_version(client: &Client) -> Result<String, BackupError> {
    let args = [OsString::from("--version")];
    let finished = client
        .runner()
        .run(Tool::PgDump, &args, None)
        .map_err(PgError::from)?;
    if !finished.status.success() {
        return Err(failed(
            "pg_dump --version".to_owned(),
            finished.status,
            &finished.stderr,
        ));
    }
    let text = String::from_utf8_lossy(&finished.stdout);
    let text = text.trim();
    Ok(text
        .strip_prefix("pg_dump (PostgreSQL) ")
        .unwrap_or(text)
        .to_owned())
}

fn table_rows(stats: &Stats) -> Vec<TableRows> {
    stats
        .tables
        .iter()
        .map(|t| TableRows {
            name: t.name.clone(),
            rows: t.rows,
        })
        .collect()
}

/// Dumps the database into `sealed` (compressed, encrypted) while another session counts
/// every table's rows in the same exported snapshot, which stays open until both finish.
/// Fills in `manifest` (source, digests, tables, schema hash, `postgres`); its copy ends
/// the payload, as in every other backup.
pub(crate) fn dump_and_seal(
    pg: &PostgresSource,
    sealed: &AtomicFile,
    recipients: Option<&[Recipient]>,
    progress: &dyn Progress,
    manifest: &mut Manifest,
) -> Result<(), BackupError> {
    let conn = Connection::from_env(&pg.env)?;
    let client = Client::new(&conn);
    let pg_dump_version = pg_dump_version(&client)?;
    manifest.source = Source::Postgres {
        database: conn.display(),
        env: pg.env.clone(),
    };
    progress.set_message("pg_dump");
    let holder = client.hold_snapshot()?;
    let snapshot = holder.id.clone();
    let dumped = (|| -> Result<Digest, BackupError> {
        let mut dump = client.dump(&snapshot, &[])?;
        let command = dump.command().to_owned();
        let stdout = dump.stdout.take().expect("stdout was piped");
        let sealed = std::thread::scope(|scope| {
            let counted = scope.spawn(|| client.stats(Some(&snapshot)));
            // Called once pg_dump's output has ended: the counts of the same snapshot
            // complete the manifest whose copy ends the payload.
            let copy = |plain: &Digest| {
                let stats = counted.join().map_err(|_| BackupError::Io {
                    action: "count the rows of",
                    path: PathBuf::from(conn.display()),
                    source: std::io::Error::other("the counting thread panicked"),
                })??;
                manifest.plaintext = plain.clone();
                manifest.tables = table_rows(&stats);
                manifest.schema_sha256.clone_from(&stats.schema_sha256);
                manifest.postgres = Some(PostgresInfo {
                    server_version: stats.server_version,
                    pg_dump_version,
                    schemas: stats.schemas,
                    snapshot: snapshot.clone(),
                });
                Ok(manifest.payload_copy())
            };
            pipeline::seal(
                stdout,
                sealed.as_file(),
                sealed.temp_path(),
                recipients,
                progress,
                copy,
            )
        });
        let exited = dump.wait(client.runner(), None).map_err(PgError::from)?;
        // pg_dump's own failure first: a sealed stream of a failed dump is incomplete.
        if !exited.status.success() {
            return Err(failed(command, exited.status, &exited.stderr));
        }
        let (_, ciphertext) = sealed?;
        Ok(ciphertext)
    })();
    let released = holder.release(&client);
    let ciphertext = dumped?;
    released?;
    manifest.ciphertext = ciphertext;
    Ok(())
}

/// Streams the backup's plaintext (decrypted, decompressed) into `pg_restore` of
/// `client`'s database; returns the plaintext digest (or why the stream broke) and
/// `pg_restore`'s failure, if any.
fn stream_into_restore(
    file: &Path,
    keys: Option<&Identities>,
    client: &Client,
    args: &[&str],
    limit: Option<u64>,
    progress: &dyn Progress,
) -> Result<(Result<pipeline::Opened, BackupError>, Option<String>), BackupError> {
    let mut restore = client.restore(args)?;
    let mut stdin = restore.stdin.take().expect("stdin was piped");
    let opened = pipeline::open(
        file,
        keys,
        &mut stdin,
        Path::new("pg_restore"),
        limit,
        progress,
    );
    drop(stdin);
    let exited = restore.wait(client.runner(), None).map_err(PgError::from)?;
    let error = (!exited.status.success()).then(|| {
        format!(
            "pg_restore failed ({}): {}",
            exited.status,
            bulwark_process::summary(&exited.stderr)
        )
    });
    Ok((opened, error))
}

/// The manifest (when there is one) and whether the file is encrypted, after checking
/// it is a PostgreSQL backup whose bytes are the ones its manifest describes.
fn checked_pg_backup(file: &Path) -> Result<(Option<Manifest>, bool), BackupError> {
    if !file.is_file() {
        return Err(BackupError::Input {
            path: file.to_owned(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such backup file"),
        });
    }
    let (manifest, kind, encrypted) = crate::verify::what_backup(file)?;
    if kind != Kind::PgDump {
        return Err(BackupError::usage(
            format!(
                "{} is a {} backup, not a PostgreSQL one",
                file.display(),
                kind.extension()
            ),
            Some("restore it with --to PATH"),
        ));
    }
    if let Some(manifest) = &manifest {
        let stored = pipeline::digest_file(file)?;
        if stored != manifest.ciphertext {
            return Err(BackupError::Unrestorable {
                path: file.to_owned(),
                reason: "the file does not match its manifest: modified or truncated".to_owned(),
            });
        }
    }
    Ok((manifest, encrypted))
}

/// Restores a PostgreSQL backup into a throw-away local server and checks that
/// `pg_restore` reported no error, the archive and the manifest copy in the payload match
/// the manifest, and every table's rows equal the manifest's. Failed checks go to
/// `out.problems`; returns whether the checks ran.
pub(crate) fn verify_restored(
    file: &Path,
    manifest: &Manifest,
    identities: &mut dyn IdentityProvider,
    progress: &dyn Progress,
    out: &mut Verified,
) -> Result<bool, BackupError> {
    let keys = if manifest.encrypted {
        Some(identities.identities()?)
    } else {
        None
    };
    progress.set_message("start a throw-away PostgreSQL");
    let server = LocalServer::start()?;
    let client = server.client();
    progress.set_message("pg_restore");
    // Owners and grants name roles the throw-away server does not have.
    let (opened, error) = stream_into_restore(
        file,
        keys,
        &client,
        &["--no-owner", "--no-acl"],
        Some(manifest.plaintext.size),
        progress,
    )
    .map_err(interrupt::or_interrupted)?;
    interrupt::check()?;
    match opened {
        Ok(opened) => {
            let plain = &opened.digest;
            if *plain != manifest.plaintext {
                out.problems.push(format!(
                    "the restored archive does not match the manifest (size {} vs {}, sha256 {} vs {})",
                    plain.size, manifest.plaintext.size, plain.sha256, manifest.plaintext.sha256
                ));
            }
            compare_copy(manifest, opened.copy.as_deref(), out);
        }
        Err(BackupError::Unrestorable { reason, .. }) => out.problems.push(reason),
        // pg_restore stopped reading: its own error below says why.
        Err(BackupError::Io { .. }) if error.is_some() => {}
        Err(err) => return Err(err),
    }
    if let Some(error) = error {
        out.problems.push(error);
        return Ok(false);
    }
    if !out.problems.is_empty() {
        return Ok(false);
    }
    progress.set_message("count rows");
    let stats = client
        .stats(None)
        .map_err(|err| interrupt::or_interrupted(err.into()))?;
    let tables = table_rows(&stats);
    if stats.schema_sha256 != manifest.schema_sha256 {
        out.problems
            .push("the schema hash differs from the manifest".to_owned());
    }
    compare_tables(&manifest.tables, &tables, &mut out.problems);
    server.stop();
    out.tables = tables.len();
    out.rows = tables.iter().map(|t| t.rows).sum();
    Ok(true)
}

/// `db-backup restore FILE --to-postgres-env NAME`.
#[derive(Debug, Clone)]
pub struct PostgresRestoreRequest {
    /// The backup file.
    pub file: PathBuf,
    /// The environment variable holding the target database's URL.
    pub env: String,
    /// Restore into a database that is not empty (dropping the backup's objects first).
    pub force: bool,
}

/// What a PostgreSQL restore did.
#[derive(Debug, Clone, Serialize)]
pub struct PostgresRestoreReport {
    /// The backup.
    pub file: PathBuf,
    /// `user@host:port/database` (never the password).
    pub to: String,
    /// Tables in the database afterwards, with their rows.
    pub tables: Vec<TableRows>,
    /// Whether the backup's checksum was checked against its manifest first.
    pub checked_against_manifest: bool,
}

/// Restores a PostgreSQL backup into the database named by `request.env`: refuses a
/// database that holds anything without `force`, checks the file against its manifest
/// before a byte reaches the server, and restores in one transaction, so a failure leaves
/// the database as it was.
pub fn restore_postgres(
    request: &PostgresRestoreRequest,
    identities: &mut dyn IdentityProvider,
    progress: &dyn Progress,
) -> Result<PostgresRestoreReport, BackupError> {
    let file = &request.file;
    let _signals = interrupt::Guard::install();
    let (manifest, encrypted) = checked_pg_backup(file)?;
    let conn = Connection::from_env(&request.env)?;
    let client = Client::new(&conn);
    if !request.force && !client.is_empty()? {
        return Err(BackupError::usage(
            format!(
                "the database {} (from {}) is not empty",
                conn.display(),
                request.env
            ),
            Some(
                "restore into an empty database, or pass --force to drop and replace the backup's objects in it (one transaction)",
            ),
        ));
    }
    let keys = if encrypted {
        Some(identities.identities()?)
    } else {
        None
    };
    progress.set_total(manifest.as_ref().map_or(0, |m| m.plaintext.size));
    progress.set_message("pg_restore");
    let mut args = vec!["--single-transaction"];
    if request.force {
        args.extend(["--clean", "--if-exists"]);
    }
    let limit = manifest.as_ref().map(|m| m.plaintext.size);
    let (opened, error) = stream_into_restore(file, keys, &client, &args, limit, progress)
        .map_err(interrupt::or_interrupted)?;
    interrupt::check()?;
    if let Some(error) = error {
        return Err(BackupError::Unrestorable {
            path: file.clone(),
            reason: format!("{error}; nothing was restored (one transaction)"),
        });
    }
    let opened = opened?;
    if let Some(manifest) = &manifest {
        // pg_restore has committed by now: a mismatch is reported, not undone.
        crate::verify::check_restored(file, manifest, &opened)?;
    }
    let stats = client.stats(None)?;
    progress.finish();
    Ok(PostgresRestoreReport {
        file: file.clone(),
        to: conn.display(),
        tables: table_rows(&stats),
        checked_against_manifest: manifest.is_some(),
    })
}

//! PostgreSQL backups: `pg_dump` (custom format) streamed through the pipeline, its row
//! counts taken in the dump's own snapshot; verify by restoring into a throw-away local
//! server; restore into a database named by an environment variable, in one transaction.
//!
//! The connection URL is read from an environment variable and reaches libpq only as its
//! own variables (see `bulwark_pg::Connection`); no argv, file or message holds it.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};

use bulwark_core::Progress;
use bulwark_core::fs::AtomicFile;
use bulwark_pg::{Client, Connection, Extension, LocalServer, PgError, Stats};
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
    /// `--supabase`: Supabase's schemas handled as `supabase db dump` handles them.
    pub supabase: bool,
}

/// The schemas `export --supabase` leaves out, as `supabase db dump` leaves them out of
/// its data dump (supabase/cli 2.x, `excludedSchemas`): the platform's own
/// (`supabase_migrations`, `realtime`, `pgbouncer`, `_analytics`, `_realtime`,
/// `_supavisor`) and those extensions own (`graphql`, `pgsodium`, `vault`, …), whose
/// content the extension or the platform recreates. One difference: `extensions` is
/// kept, as an empty schema, so the extensions created in it (`pgcrypto`, `uuid-ossp`)
/// restore on a plain PostgreSQL server too.
pub const SUPABASE_EXCLUDED_SCHEMAS: [&str; 19] = [
    "pg_*",
    "graphql",
    "graphql_public",
    "pgsodium",
    "pgsodium_masks",
    "pgtle",
    "repack",
    "tiger",
    "tiger_data",
    "timescaledb_*",
    "_timescaledb_*",
    "topology",
    "vault",
    "pgbouncer",
    "realtime",
    "supabase_migrations",
    "_analytics",
    "_realtime",
    "_supavisor",
];

/// The platform's migration history tables, whose rows `supabase db dump` leaves out
/// (a new project has its own).
pub const SUPABASE_EXCLUDED_TABLE_DATA: [&str; 3] = [
    "auth.schema_migrations",
    "storage.migrations",
    "supabase_functions.migrations",
];

/// `pg_dump`'s options and the counting scope of a preset.
struct Scope {
    excluded_schemas: Vec<String>,
    excluded_table_data: Vec<String>,
}

impl Scope {
    fn of(pg: &PostgresSource) -> Self {
        if pg.supabase {
            Self {
                excluded_schemas: SUPABASE_EXCLUDED_SCHEMAS.map(str::to_owned).to_vec(),
                excluded_table_data: SUPABASE_EXCLUDED_TABLE_DATA.map(str::to_owned).to_vec(),
            }
        } else {
            Self {
                excluded_schemas: Vec::new(),
                excluded_table_data: Vec::new(),
            }
        }
    }

    fn pg_dump_args(&self) -> Vec<OsString> {
        let schemas = self
            .excluded_schemas
            .iter()
            .map(|s| OsString::from(format!("--exclude-schema={s}")));
        let data = self
            .excluded_table_data
            .iter()
            .map(|t| OsString::from(format!("--exclude-table-data={t}")));
        schemas.chain(data).collect()
    }
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
    let scope = Scope::of(pg);
    let holder = client.hold_snapshot()?;
    let snapshot = holder.id.clone();
    let dumped = (|| -> Result<Digest, BackupError> {
        let mut dump = client.dump(&snapshot, &scope.pg_dump_args())?;
        let command = dump.command().to_owned();
        let stdout = dump.stdout.take().expect("stdout was piped");
        let sealed = std::thread::scope(|threads| {
            let counted =
                threads.spawn(|| client.stats_excluding(Some(&snapshot), &scope.excluded_schemas));
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
                // The dump holds none of their rows.
                for table in &mut manifest.tables {
                    if scope.excluded_table_data.contains(&table.name) {
                        table.rows = 0;
                    }
                }
                manifest.schema_sha256.clone_from(&stats.schema_sha256);
                manifest.postgres = Some(PostgresInfo {
                    server_version: stats.server_version,
                    pg_dump_version,
                    schemas: stats.schemas,
                    snapshot: snapshot.clone(),
                    preset: pg.supabase.then(|| "supabase".to_owned()),
                    excluded_schemas: scope.excluded_schemas.clone(),
                    excluded_table_data: scope.excluded_table_data.clone(),
                    roles: stats.roles,
                    extensions: stats.extensions,
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

/// How much of the archive's end is held back from `pg_restore` until the stream has
/// been checked: `pg_restore` cannot finish (nor commit its one transaction) before it
/// has read the archive's last byte.
const HELD_TAIL: usize = 64 << 10;

/// Passes bytes on, always keeping the last [`HELD_TAIL`] back until [`HoldTail::release`].
struct HoldTail<W: Write> {
    inner: W,
    held: Vec<u8>,
}

impl<W: Write> Write for HoldTail<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.held.extend_from_slice(buf);
        if self.held.len() >= 2 * HELD_TAIL {
            let pass = self.held.len() - HELD_TAIL;
            self.inner.write_all(&self.held[..pass])?;
            self.held.drain(..pass);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl<W: Write> HoldTail<W> {
    /// Writes what was held back: the reader may now reach the end.
    fn release(mut self) -> std::io::Result<()> {
        self.inner.write_all(&self.held)?;
        self.inner.flush()
    }
}

/// Streams the backup's plaintext (decrypted, decompressed) into `pg_restore` of
/// `client`'s database, holding the archive's last bytes back until `check` has passed on
/// the whole stream (its digest, the manifest copy); a failed check closes the stream
/// short, so `pg_restore` fails before it can commit. Returns the plaintext digest (or why
/// the stream broke or the check failed) and `pg_restore`'s failure, if any.
fn stream_into_restore(
    file: &Path,
    keys: Option<&Identities>,
    client: &Client,
    args: &[&str],
    limit: Option<u64>,
    progress: &dyn Progress,
    check: &dyn Fn(&pipeline::Opened) -> Result<(), BackupError>,
) -> Result<(Result<pipeline::Opened, BackupError>, Option<String>), BackupError> {
    let mut restore = client.restore(args)?;
    let stdin = restore.stdin.take().expect("stdin was piped");
    let mut held = HoldTail {
        inner: stdin,
        held: Vec::with_capacity(2 * HELD_TAIL),
    };
    let opened = pipeline::open(
        file,
        keys,
        &mut held,
        Path::new("pg_restore"),
        limit,
        progress,
    )
    .and_then(|opened| check(&opened).map(|()| opened));
    let opened = match opened {
        // pg_restore stopping early shows in its own error below.
        Ok(opened) => held
            .release()
            .map(|()| opened)
            .map_err(BackupError::io("write to", Path::new("pg_restore"))),
        Err(err) => {
            drop(held);
            Err(err)
        }
    };
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

/// Each line of `psql`'s output read as a JSON string.
fn json_lines(out: &str) -> Vec<String> {
    out.lines()
        .filter_map(|line| serde_json::from_str::<String>(line).ok())
        .collect()
}

/// Readies a throw-away server for a backup of `info`'s database: creates the roles
/// it lacks (NOLOGIN placeholders, so that policies and grants naming them restore) and
/// the schemas of extensions the dump does not create (a schema `--exclude-schema` left
/// out). Returns the extensions this server does not have.
fn prepare<'a>(client: &Client, info: &'a PostgresInfo) -> Result<Vec<&'a Extension>, BackupError> {
    let existing = json_lines(&client.psql("SELECT to_json(rolname::text) FROM pg_roles;\n")?);
    let available =
        json_lines(&client.psql("SELECT to_json(name::text) FROM pg_available_extensions;\n")?);
    let (have, missing): (Vec<&Extension>, Vec<&Extension>) = info
        .extensions
        .iter()
        .partition(|e| available.contains(&e.name));
    let roles = info
        .roles
        .iter()
        .filter(|r| !existing.contains(&r.name))
        .map(|r| {
            format!(
                "CREATE ROLE {} NOLOGIN;\n",
                bulwark_pg::quote_ident(&r.name)
            )
        });
    let schemas = have
        .into_iter()
        .filter(|e| {
            !info.schemas.contains(&e.schema)
                && !matches!(e.schema.as_str(), "pg_catalog" | "public")
        })
        .map(|e| {
            format!(
                "CREATE SCHEMA IF NOT EXISTS {};\n",
                bulwark_pg::quote_ident(&e.schema)
            )
        });
    let script: String = roles.chain(schemas).collect();
    if !script.is_empty() {
        client.psql(&script)?;
    }
    Ok(missing)
}

/// The archive's table of contents, as `pg_restore --list` prints it: the backup is
/// streamed until `pg_restore` has read it and stops reading.
fn table_of_contents(
    file: &Path,
    keys: Option<&Identities>,
    client: &Client,
    limit: Option<u64>,
) -> Result<String, BackupError> {
    let mut list = client.list_archive()?;
    let command = list.command().to_owned();
    let mut stdin = list.stdin.take().expect("stdin was piped");
    let mut stdout = list.stdout.take().expect("stdout was piped");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut text).map(|_| text)
    });
    // It ends in a broken pipe once pg_restore has the table of contents; pg_restore's
    // own status says whether it got it.
    let streamed = pipeline::open(
        file,
        keys,
        &mut stdin,
        Path::new("pg_restore --list"),
        limit,
        &bulwark_core::NoProgress,
    );
    drop(stdin);
    let text = reader.join().map_err(|_| BackupError::Io {
        action: "read the table of contents of",
        path: file.to_owned(),
        source: std::io::Error::other("the reading thread panicked"),
    })?;
    let exited = list.wait(client.runner(), None).map_err(PgError::from)?;
    if !exited.status.success() {
        return Err(match streamed {
            Err(err @ (BackupError::Unrestorable { .. } | BackupError::Vault(_))) => err,
            _ => failed(command, exited.status, &exited.stderr),
        });
    }
    text.map_err(BackupError::io("read the table of contents of", file))
}

/// `toc` (a `pg_restore --list`) with the entries of the `missing` extensions commented
/// out: the extension, its comment, and the rows of the tables in its own schemas.
pub(crate) fn without_extensions(toc: &str, missing: &[&Extension]) -> String {
    let mut kept = String::with_capacity(toc.len() + 64);
    for line in toc.lines() {
        // `ID; TABLEOID OID DESC SCHEMA NAME OWNER`
        let words: Vec<&str> = line
            .split_once("; ")
            .filter(|_| !line.starts_with(';'))
            .map(|(_, rest)| rest.split(' ').skip(2).collect())
            .unwrap_or_default();
        let skip = missing.iter().any(|e| match words.as_slice() {
            ["EXTENSION", "-", name, ..] | ["COMMENT", "-", "EXTENSION", name, ..] => {
                name.trim_matches('"') == e.name
            }
            ["TABLE", "DATA", schema, ..] | ["SEQUENCE", "SET", schema, ..] => {
                e.table_schemas.iter().any(|s| s == schema)
            }
            _ => false,
        });
        if skip {
            kept.push(';');
        }
        kept.push_str(line);
        kept.push('\n');
    }
    kept
}

/// What a database restored from a backup holds against the backup's manifest: the
/// schema hash, and every table with the manifest's rows, none missing, none extra.
/// Differences go to `problems`; returns the tables found.
pub fn compare_restored(
    client: &Client,
    manifest: &Manifest,
    problems: &mut Vec<String>,
) -> Result<Vec<TableRows>, BackupError> {
    let stats = client.stats(None)?;
    let tables = table_rows(&stats);
    if stats.schema_sha256 != manifest.schema_sha256 {
        problems.push("the schema hash differs from the manifest".to_owned());
    }
    compare_tables(&manifest.tables, &tables, problems);
    Ok(tables)
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
    // The roles and extension schemas the archive names, then its table of contents
    // without what this server cannot restore.
    let scratch = crate::layout::private_dir(crate::verify::parent_dir(file))?;
    let list = scratch.path().join("toc.list");
    if let Some(info) = &manifest.postgres {
        let missing = prepare(&client, info).map_err(interrupt::or_interrupted)?;
        let toc = table_of_contents(file, keys, &client, Some(manifest.plaintext.size))
            .map_err(interrupt::or_interrupted)?;
        std::fs::write(&list, without_extensions(&toc, &missing))
            .map_err(BackupError::io("write", &list))?;
        if !missing.is_empty() {
            let names: Vec<&str> = missing.iter().map(|e| e.name.as_str()).collect();
            out.warnings.push(format!(
                "not restored here: the extension(s) {}, which this PostgreSQL server does not have, and the rows of their own tables; everything else was restored and checked",
                names.join(", ")
            ));
        }
    }
    let list_arg = format!("--use-list={}", list.display());
    let mut args = vec!["--no-owner", "--no-acl"];
    if manifest.postgres.is_some() {
        args.push(&list_arg);
    }
    progress.set_message("pg_restore");
    // Owners and grants name roles the throw-away server has only as placeholders.
    let (opened, error) = stream_into_restore(
        file,
        keys,
        &client,
        &args,
        Some(manifest.plaintext.size),
        progress,
        // A throw-away database: the checks below report, nothing to hold back for.
        &|_| Ok(()),
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
    let tables = compare_restored(&client, manifest, &mut out.problems)
        .map_err(interrupt::or_interrupted)?;
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
    // The archive's digest and the manifest copy are checked before pg_restore has the
    // archive's end: a mismatch stops it short of its commit.
    let check = |opened: &pipeline::Opened| match &manifest {
        Some(manifest) => crate::verify::check_restored(file, manifest, opened),
        None => Ok(()),
    };
    let (opened, error) = stream_into_restore(file, keys, &client, &args, limit, progress, &check)
        .map_err(interrupt::or_interrupted)?;
    interrupt::check()?;
    let nothing = |reason: String| BackupError::Unrestorable {
        path: file.clone(),
        reason: format!("{reason}; nothing was restored (one transaction)"),
    };
    match (opened, error) {
        (Ok(_), None) => {}
        (Err(BackupError::Unrestorable { reason, .. }), Some(_)) => return Err(nothing(reason)),
        (Err(BackupError::Unrestorable { reason, .. }), None) => {
            return Err(BackupError::Unrestorable {
                path: file.clone(),
                reason: format!(
                    "{reason}; pg_restore had already committed: the database holds what was restored"
                ),
            });
        }
        // pg_restore stopped reading: its own error says why.
        (Ok(_) | Err(BackupError::Io { .. }), Some(error)) => return Err(nothing(error)),
        (Err(err), _) => return Err(err),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// What `pg_restore --list` printed for a Supabase-like archive (PostgreSQL 15).
    const TOC: &str = ";\n; Archive created at 2026-12-01 20:00:00 UTC\n;     dbname: postgres\n;\n\
        ; Selected TOC Entries:\n;\n\
        6; 2615 16385 SCHEMA - auth supabase_auth_admin\n\
        7; 2615 16386 SCHEMA - extensions postgres\n\
        2; 3079 16387 EXTENSION - pg_cron \n\
        3500; 0 0 COMMENT - EXTENSION pg_cron \n\
        3; 3079 16400 EXTENSION - uuid-ossp \n\
        3501; 0 0 COMMENT - EXTENSION \"uuid-ossp\" \n\
        220; 1259 16420 TABLE auth users supabase_auth_admin\n\
        3400; 0 16420 TABLE DATA auth users supabase_auth_admin\n\
        3401; 0 16450 TABLE DATA cron job supabase_admin\n\
        3402; 0 0 SEQUENCE SET cron jobid_seq supabase_admin\n\
        3403; 0 16460 TABLE DATA public profiles postgres\n";

    fn extension(name: &str, schema: &str, tables: &[&str]) -> Extension {
        Extension {
            name: name.to_owned(),
            schema: schema.to_owned(),
            version: "1.0".to_owned(),
            table_schemas: tables.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    #[test]
    fn a_missing_extension_and_its_own_rows_are_left_out_of_the_list_and_nothing_else() {
        let cron = extension("pg_cron", "pg_catalog", &["cron"]);
        let kept = without_extensions(TOC, &[&cron]);
        let commented: Vec<&str> = kept
            .lines()
            .filter(|l| l.starts_with(";2") || l.starts_with(";3"))
            .collect();
        assert_eq!(
            commented,
            [
                ";2; 3079 16387 EXTENSION - pg_cron ",
                ";3500; 0 0 COMMENT - EXTENSION pg_cron ",
                ";3401; 0 16450 TABLE DATA cron job supabase_admin",
                ";3402; 0 0 SEQUENCE SET cron jobid_seq supabase_admin",
            ]
        );
        assert_eq!(kept.lines().count(), TOC.lines().count());
        assert_eq!(
            without_extensions(TOC, &[]),
            TOC,
            "nothing missing: unchanged"
        );
        let ossp = extension("uuid-ossp", "extensions", &[]);
        let kept = without_extensions(TOC, &[&ossp]);
        assert!(
            kept.contains("\n;3; 3079 16400 EXTENSION - uuid-ossp"),
            "{kept}"
        );
        assert!(
            kept.contains("\n;3501; 0 0 COMMENT - EXTENSION \"uuid-ossp\""),
            "{kept}"
        );
        assert!(
            kept.contains("\n3400; 0 16420 TABLE DATA auth users"),
            "{kept}"
        );
    }
}

//! `export`: snapshot, compress, encrypt, write atomically with a manifest, upload.

use std::fs::File;
use std::path::{Path, PathBuf};

use bulwark_core::Progress;
use bulwark_process::{Runner, Tool};
use bulwark_vault::Recipient;
use serde::Serialize;

use crate::layout::{
    self, BackupName, DirLock, Kind, MANIFEST_FORMAT, Manifest, Source, TEMP_PREFIX, TableRows,
    WORK_PREFIX, manifest_path,
};
use crate::postgres::{self, PostgresSource};
use crate::{BackupError, ChildOutput, pipeline, sqlite};

/// What to back up.
#[derive(Debug, Clone)]
pub enum ExportSource {
    /// A SQLite database file.
    Sqlite(PathBuf),
    /// A D1 database, exported by wrangler.
    D1(D1Source),
    /// A PostgreSQL database, dumped by `pg_dump`.
    Postgres(PostgresSource),
}

/// A D1 database and how to reach it with wrangler.
#[derive(Debug, Clone)]
pub struct D1Source {
    /// Binding or database name, as wrangler takes it.
    pub database: String,
    /// `--remote` (else `--local`).
    pub remote: bool,
    /// Directory to run wrangler in (where its config is).
    pub workdir: PathBuf,
    /// `-c CONFIG`, when not wrangler's default.
    pub wrangler_config: Option<PathBuf>,
    /// `--env ENV`: the wrangler environment whose `d1_databases` hold the binding.
    pub env: Option<String>,
}

/// How an export is encrypted.
#[derive(Debug, Clone)]
pub enum Encryption {
    /// To these recipients (never empty).
    To(Vec<Recipient>),
    /// Explicitly unencrypted (`--no-encrypt`).
    None,
}

/// `db-backup export`.
#[derive(Debug, Clone)]
pub struct ExportRequest {
    /// What to back up.
    pub source: ExportSource,
    /// The backup directory (created if missing).
    pub out_dir: PathBuf,
    /// File name prefix.
    pub name: String,
    /// Recipients or none.
    pub encryption: Encryption,
    /// `r2://BUCKET/PREFIX` to copy the backup and its manifest to. D1 and R2 go
    /// through wrangler, found as every binary finds it (`BULWARK_WRANGLER`, the
    /// project's `node_modules/.bin`, `PATH`).
    pub upload: Option<String>,
}

/// What an export did.
#[derive(Debug, Clone, Serialize)]
pub struct ExportReport {
    /// The backup file.
    pub file: PathBuf,
    /// Its manifest.
    pub manifest_file: PathBuf,
    /// The manifest's content.
    pub manifest: Manifest,
    /// R2 object keys written.
    pub uploaded: Vec<String>,
}

/// Runs an export. Holds the directory lock throughout; writes nothing under a final name
/// until it is complete and synced.
pub fn export(
    request: &ExportRequest,
    progress: &dyn Progress,
) -> Result<ExportReport, BackupError> {
    if !layout::valid_name(&request.name) {
        return Err(BackupError::usage(
            format!("`{}` is not a valid backup name", request.name),
            Some("use letters, digits, `-`, `_` and `.`, not starting with `.`"),
        ));
    }
    let recipients = match &request.encryption {
        Encryption::To(list) if list.is_empty() => {
            return Err(bulwark_vault::VaultError::NoRecipients.into());
        }
        Encryption::To(list) => Some(list.as_slice()),
        Encryption::None => None,
    };
    let upload = request.upload.as_deref().map(parse_r2).transpose()?;
    std::fs::create_dir_all(&request.out_dir)
        .map_err(BackupError::io("create the directory", &request.out_dir))?;
    let _lock = DirLock::acquire(&request.out_dir)?;
    remove_stale_temps(&request.out_dir);

    let created = layout::now();
    let sealed = match &request.source {
        ExportSource::Postgres(pg) => seal_postgres(request, pg, created, recipients, progress)?,
        _ => seal_file_snapshot(request, created, recipients, progress)?,
    };
    let Sealed {
        backup_name,
        final_path,
        file: sealed_file,
        kind,
        source,
        warnings,
        d1_bookmark,
        plaintext,
        ciphertext,
        tables,
        schema,
        postgres,
    } = sealed;

    let manifest = Manifest {
        format_version: MANIFEST_FORMAT,
        tool: "db-backup".to_owned(),
        tool_version: env!("CARGO_PKG_VERSION").to_owned(),
        file: backup_name.file_name(),
        name: request.name.clone(),
        source,
        kind,
        created_at: created.to_string(),
        compression: "zstd".to_owned(),
        encrypted: recipients.is_some(),
        plaintext,
        ciphertext,
        tables,
        schema_sha256: schema,
        d1_bookmark,
        recipients: recipients
            .unwrap_or_default()
            .iter()
            .map(|r| r.as_str().to_owned())
            .collect(),
        warnings,
        postgres,
    };
    // Manifest first: a backup file never exists without its manifest.
    let manifest_file = manifest_path(&final_path);
    layout::write_json(&manifest_file, &manifest)?;
    if let Err(err) = layout::persist(sealed_file, false) {
        let _ = std::fs::remove_file(&manifest_file);
        return Err(err);
    }
    progress.finish();

    let mut uploaded = Vec::new();
    if let Some((bucket, prefix)) = upload {
        let workdir = match &request.source {
            ExportSource::D1(d1) => d1.workdir.clone(),
            ExportSource::Sqlite(_) | ExportSource::Postgres(_) => PathBuf::from("."),
        };
        for path in [&final_path, &manifest_file] {
            uploaded.push(r2_put(&workdir, &bucket, &prefix, path)?);
        }
    }
    Ok(ExportReport {
        file: final_path,
        manifest_file,
        manifest,
        uploaded,
    })
}

/// A sealed backup not yet under its final name, and what its manifest says of it.
struct Sealed {
    backup_name: BackupName,
    final_path: PathBuf,
    file: bulwark_core::fs::AtomicFile,
    kind: Kind,
    source: Source,
    warnings: Vec<String>,
    d1_bookmark: Option<String>,
    plaintext: layout::Digest,
    ciphertext: layout::Digest,
    tables: Vec<TableRows>,
    schema: String,
    postgres: Option<layout::PostgresInfo>,
}

/// SQLite and D1: a snapshot to a temp file beside the backup, then sealed.
fn seal_file_snapshot(
    request: &ExportRequest,
    created: jiff::Timestamp,
    recipients: Option<&[Recipient]>,
    progress: &dyn Progress,
) -> Result<Sealed, BackupError> {
    let plain_file = layout::temp_file(&request.out_dir, TEMP_PREFIX)?;
    let (kind, source, stats, warnings, d1_bookmark) =
        take_snapshot(request, plain_file.path(), progress)?;

    let backup_name = BackupName {
        name: request.name.clone(),
        time: created,
        kind,
        encrypted: recipients.is_some(),
    };
    let final_path = request.out_dir.join(backup_name.file_name());
    let sealed_file = layout::atomic_file(&final_path, TEMP_PREFIX)?;
    let size = plain_file
        .as_file()
        .metadata()
        .map_err(BackupError::io("read", plain_file.path()))?
        .len();
    progress.set_message("compress and encrypt");
    progress.set_total(size);
    let input =
        File::open(plain_file.path()).map_err(BackupError::io("read", plain_file.path()))?;
    let (plaintext, ciphertext, tables, schema) =
        seal_and_count(stats, input, &sealed_file, recipients, progress)?;
    drop(plain_file);
    Ok(Sealed {
        backup_name,
        final_path,
        file: sealed_file,
        kind,
        source,
        warnings,
        d1_bookmark,
        plaintext,
        ciphertext,
        tables,
        schema,
        postgres: None,
    })
}

/// PostgreSQL: `pg_dump` streamed straight into the sealed file.
fn seal_postgres(
    request: &ExportRequest,
    pg: &PostgresSource,
    created: jiff::Timestamp,
    recipients: Option<&[Recipient]>,
    progress: &dyn Progress,
) -> Result<Sealed, BackupError> {
    let backup_name = BackupName {
        name: request.name.clone(),
        time: created,
        kind: Kind::PgDump,
        encrypted: recipients.is_some(),
    };
    let final_path = request.out_dir.join(backup_name.file_name());
    let file = layout::atomic_file(&final_path, TEMP_PREFIX)?;
    let dumped = postgres::dump_and_seal(pg, &file, recipients, progress)?;
    Ok(Sealed {
        backup_name,
        final_path,
        file,
        kind: Kind::PgDump,
        source: dumped.source,
        warnings: Vec::new(),
        d1_bookmark: None,
        plaintext: dumped.plaintext,
        ciphertext: dumped.ciphertext,
        tables: dumped.tables,
        schema: dumped.schema_sha256,
        postgres: Some(dumped.info),
    })
}

/// Tables and schema hash: known (D1, from the loaded dump), or still to be counted in
/// the source's read transaction while the copy is sealed (SQLite).
enum Stats {
    Ready(Vec<TableRows>, String),
    Pending(sqlite::SourceSnapshot),
}

/// What a snapshot step learned: kind, source, statistics, warnings, bookmark.
type Snapshot = (Kind, Source, Stats, Vec<String>, Option<String>);

/// Writes the plaintext (a database file or a SQL dump) to `dest`.
fn take_snapshot(
    request: &ExportRequest,
    dest: &Path,
    progress: &dyn Progress,
) -> Result<Snapshot, BackupError> {
    Ok(match &request.source {
        ExportSource::Postgres(_) => {
            unreachable!("a PostgreSQL export streams, see seal_postgres")
        }
        ExportSource::Sqlite(path) => {
            progress.set_message("snapshot");
            let pending = sqlite::snapshot(path, dest, progress)?;
            let source = Source::Sqlite {
                path: path.display().to_string(),
            };
            (
                Kind::Sqlite,
                source,
                Stats::Pending(pending),
                Vec::new(),
                None,
            )
        }
        ExportSource::D1(d1) => {
            progress.set_message("wrangler d1 export");
            let (tables, schema, mut warnings) = d1_export(d1, dest, &request.out_dir)?;
            let bookmark = if d1.remote {
                match d1_bookmark(d1) {
                    Ok(bookmark) => Some(bookmark),
                    Err(err) => {
                        warnings.push(format!("no D1 Time Travel bookmark recorded: {err}"));
                        None
                    }
                }
            } else {
                None
            };
            let source = Source::D1 {
                database: d1.database.clone(),
                remote: d1.remote,
            };
            (
                Kind::Sql,
                source,
                Stats::Ready(tables, schema),
                warnings,
                bookmark,
            )
        }
    })
}

/// Seals the copy while another thread counts the rows, and returns the plaintext and
/// ciphertext digests with the tables and schema hash.
fn seal_and_count(
    stats: Stats,
    input: File,
    sealed_file: &bulwark_core::fs::AtomicFile,
    recipients: Option<&[Recipient]>,
    progress: &dyn Progress,
) -> Result<(layout::Digest, layout::Digest, Vec<TableRows>, String), BackupError> {
    let (counted, sealed) = std::thread::scope(|scope| {
        let counted = scope.spawn(move || match stats {
            Stats::Ready(tables, schema) => Ok((tables, schema)),
            Stats::Pending(snapshot) => snapshot.stats(),
        });
        let sealed = pipeline::seal(
            input,
            sealed_file.as_file(),
            sealed_file.temp_path(),
            recipients,
            progress,
        );
        (counted.join(), sealed)
    });
    let (plaintext, ciphertext) = sealed?;
    let (tables, schema) = counted.map_err(|_| BackupError::Io {
        action: "count the rows of",
        path: sealed_file.temp_path().to_owned(),
        source: std::io::Error::other("the counting thread panicked"),
    })??;
    Ok((plaintext, ciphertext, tables, schema))
}

/// Removes what killed runs left: every export temp (we hold the lock, so none is in
/// use) and verify/restore temps older than a day (those run without the lock).
fn remove_stale_temps(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let day_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(24 * 3600);
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Ok(meta) = entry.metadata() else { continue };
        let stale = name.starts_with(TEMP_PREFIX)
            || (name.starts_with(WORK_PREFIX) && meta.modified().is_ok_and(|t| t < day_ago));
        if stale {
            let _ = if meta.is_dir() {
                std::fs::remove_dir_all(entry.path())
            } else {
                std::fs::remove_file(entry.path())
            };
        }
    }
}

fn parse_r2(url: &str) -> Result<(String, String), BackupError> {
    let rest = url.strip_prefix("r2://").ok_or_else(|| {
        BackupError::usage(
            format!("`{url}` is not an r2:// URL"),
            Some("use --upload r2://BUCKET/PREFIX"),
        )
    })?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(BackupError::usage(
            format!("`{url}` names no bucket"),
            Some("use --upload r2://BUCKET/PREFIX"),
        ));
    }
    Ok((bucket.to_owned(), prefix.trim_matches('/').to_owned()))
}

/// Runs a wrangler command in `workdir` through the one process layer (its allowlist,
/// never our keys or the app's secrets); stdout on success. A failure carries wrangler's
/// own error, scrubbed.
fn wrangler(workdir: &Path, args: &[String]) -> Result<String, BackupError> {
    let runner = Runner::untimed(workdir);
    let args: Vec<std::ffi::OsString> = args.iter().map(Into::into).collect();
    let command = bulwark_process::describe(Tool::Wrangler, &args);
    let finished = runner
        .run(Tool::Wrangler, &args, None)
        .map_err(|err| BackupError::Child {
            command: command.clone(),
            status: err.to_string(),
            stderr: None,
        })?;
    if !finished.status.success() {
        let detail = if finished.stderr.trim().is_empty() {
            bulwark_process::summary(&runner.scrub(&finished.stdout))
        } else {
            finished.summary()
        };
        return Err(BackupError::Child {
            command,
            status: finished.status.to_string(),
            stderr: Some(ChildOutput(detail)),
        });
    }
    Ok(String::from_utf8_lossy(&finished.stdout).into_owned())
}

fn location_args(d1: &D1Source) -> Vec<String> {
    let mut args = vec![if d1.remote { "--remote" } else { "--local" }.to_owned()];
    args.extend(config_args(d1));
    args
}

fn config_args(d1: &D1Source) -> Vec<String> {
    let mut args = Vec::new();
    if let Some(env) = &d1.env {
        args.push("--env".to_owned());
        args.push(env.clone());
    }
    if let Some(config) = &d1.wrangler_config {
        args.push("-c".to_owned());
        args.push(config.display().to_string());
    }
    args
}

/// A table of D1's schema, from the pre-flight query.
#[derive(Debug, serde::Deserialize)]
struct SchemaRow {
    name: String,
    sql: Option<String>,
}

/// `wrangler d1 time-travel info DB --json`: the bookmark of the database's current
/// state (taken right after the export, so the export is at or before it).
fn d1_bookmark(d1: &D1Source) -> Result<String, BackupError> {
    let mut args = vec![
        "d1".to_owned(),
        "time-travel".to_owned(),
        "info".to_owned(),
        d1.database.clone(),
        "--json".to_owned(),
    ];
    args.extend(config_args(d1));
    let out = wrangler(&d1.workdir, &args)?;
    let start = out.find('{').unwrap_or(0);
    serde_json::from_str::<serde_json::Value>(out[start..].trim())
        .ok()
        .and_then(|v| v.get("bookmark")?.as_str().map(str::to_owned))
        .ok_or_else(|| BackupError::Child {
            command: format!("wrangler {}", args.join(" ")),
            status: "printed no bookmark".to_owned(),
            stderr: None,
        })
}

/// `wrangler d1 export` into `dest`, with the virtual-table pre-flight. Returns the
/// dump's tables, schema hash and warnings.
fn d1_export(
    d1: &D1Source,
    dest: &Path,
    out_dir: &Path,
) -> Result<(Vec<TableRows>, String, Vec<String>), BackupError> {
    // Pre-flight: D1's export fails on virtual tables (FTS5 and friends).
    let mut args = vec![
        "d1".to_owned(),
        "execute".to_owned(),
        d1.database.clone(),
        "--json".to_owned(),
        "--command".to_owned(),
        "SELECT name, sql FROM sqlite_master WHERE type = 'table'".to_owned(),
    ];
    args.extend(location_args(d1));
    let json = wrangler(&d1.workdir, &args)?;
    // Anything wrangler prints before the JSON array (a banner, a warning) is skipped.
    let start = json.find('[').unwrap_or(0);
    let parsed: Vec<serde_json::Value> =
        serde_json::from_str(json[start..].trim()).map_err(|err| BackupError::Child {
            command: format!("wrangler {}", args.join(" ")),
            status: format!("printed output that is not the expected JSON: {err}"),
            stderr: None,
        })?;
    let rows: Vec<SchemaRow> = parsed
        .first()
        .and_then(|v| v.get("results"))
        .cloned()
        .map(serde_json::from_value)
        .transpose()
        .map_err(|err| BackupError::Child {
            command: format!("wrangler {}", args.join(" ")),
            status: format!("printed unexpected JSON: {err}"),
            stderr: None,
        })?
        .unwrap_or_default();
    let virtual_tables: Vec<&SchemaRow> = rows
        .iter()
        .filter(|r| sqlite::is_virtual(r.sql.as_deref()))
        .collect();
    let mut warnings = Vec::new();

    let mut args = vec![
        "d1".to_owned(),
        "export".to_owned(),
        d1.database.clone(),
        "--output".to_owned(),
        dest.display().to_string(),
        "--skip-confirmation".to_owned(),
    ];
    args.extend(location_args(d1));
    if !virtual_tables.is_empty() {
        let virtual_names: Vec<&str> = virtual_tables.iter().map(|v| v.name.as_str()).collect();
        let plain: Vec<&SchemaRow> = rows
            .iter()
            .filter(|r| {
                !sqlite::is_virtual(r.sql.as_deref())
                    && !sqlite::is_shadow(&r.name, &virtual_names)
                    && !r.name.starts_with("_cf_")
                    && !r.name.starts_with("sqlite_")
            })
            .collect();
        for table in &plain {
            args.push("--table".to_owned());
            args.push(table.name.clone());
        }
        for table in &virtual_tables {
            warnings.push(format!(
                "virtual table `{}` cannot be exported by D1: its definition is in the backup, its content is not (rebuild it after a restore)",
                table.name
            ));
        }
    }
    wrangler(&d1.workdir, &args)?;
    // Append the virtual tables' definitions so the schema is complete.
    if !virtual_tables.is_empty() {
        use std::io::Write as _;
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(dest)
            .map_err(BackupError::io("write", dest))?;
        for table in &virtual_tables {
            if let Some(sql) = &table.sql {
                writeln!(file, "{sql};").map_err(BackupError::io("write", dest))?;
            }
        }
    }
    let sql = std::fs::read_to_string(dest).map_err(BackupError::io("read", dest))?;
    let scratch = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .tempdir_in(out_dir)
        .map_err(BackupError::io("create a temp directory in", out_dir))?;
    let db = scratch.path().join("dump.sqlite");
    let conn = sqlite::load_dump(&sql, &db)?;
    let (tables, schema) = sqlite::table_stats(&conn, &db)?;
    Ok((tables, schema, warnings))
}

/// `wrangler r2 object put BUCKET/PREFIX/FILE --file PATH --remote`; the object key on
/// success.
fn r2_put(workdir: &Path, bucket: &str, prefix: &str, path: &Path) -> Result<String, BackupError> {
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let key = if prefix.is_empty() {
        file_name
    } else {
        format!("{prefix}/{file_name}")
    };
    let object = format!("{bucket}/{key}");
    let args = vec![
        "r2".to_owned(),
        "object".to_owned(),
        "put".to_owned(),
        object.clone(),
        "--file".to_owned(),
        path.display().to_string(),
        "--remote".to_owned(),
    ];
    wrangler(workdir, &args)?;
    Ok(object)
}

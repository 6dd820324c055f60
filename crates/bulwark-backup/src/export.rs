//! `export`: snapshot, compress, encrypt, write atomically with a manifest, upload.

use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use bulwark_core::Progress;
use bulwark_process::{Runner, Tool};
use bulwark_vault::Recipient;
use serde::Serialize;

use crate::layout::{
    self, BackupName, DirLock, Kind, MANIFEST_FORMAT, Manifest, Source, TEMP_PREFIX, TableRows,
    manifest_path,
};
use crate::postgres::{self, PostgresSource};
use crate::{BackupError, ChildOutput, interrupt, pipeline, sqlite};

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
    /// `--from-export FILE`: the export `migrate-dryrun --save-export` already made of
    /// this database, backed up instead of running a second `wrangler d1 export`.
    pub from_export: Option<PathBuf>,
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
    let _signals = interrupt::Guard::install();
    complete_killed_runs(&request.out_dir);
    layout::remove_leftovers(&request.out_dir, true);

    let snapshot_time = layout::now();
    let (final_path, manifest, sealed_file) = match &request.source {
        ExportSource::Postgres(pg) => {
            seal_postgres(request, pg, snapshot_time, recipients, progress)?
        }
        ExportSource::Sqlite(_) | ExportSource::D1(_) => {
            seal_file_snapshot(request, snapshot_time, recipients, progress)?
        }
    };
    interrupt::check()?;

    let manifest_file = publish(sealed_file, &manifest, &final_path)?;
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

/// A manifest whose digests, tables and schema hash are filled in while sealing.
fn new_manifest(
    request: &ExportRequest,
    backup_name: &BackupName,
    created: jiff::Timestamp,
    source: Source,
    recipients: Option<&[Recipient]>,
    warnings: Vec<String>,
    d1_bookmark: Option<String>,
) -> Manifest {
    let unknown = layout::Digest {
        size: 0,
        sha256: String::new(),
    };
    Manifest {
        format_version: MANIFEST_FORMAT,
        tool: "db-backup".to_owned(),
        tool_version: env!("CARGO_PKG_VERSION").to_owned(),
        file: backup_name.file_name(),
        name: request.name.clone(),
        source,
        kind: backup_name.kind,
        created_at: created.to_string(),
        compression: "zstd".to_owned(),
        encrypted: recipients.is_some(),
        plaintext: unknown.clone(),
        ciphertext: unknown,
        tables: Vec::new(),
        schema_sha256: String::new(),
        d1_bookmark,
        recipients: recipients
            .unwrap_or_default()
            .iter()
            .map(|r| r.as_str().to_owned())
            .collect(),
        warnings,
        postgres: None,
    }
}

/// SQLite and D1: a snapshot in a private directory, then sealed with the manifest copy.
fn seal_file_snapshot(
    request: &ExportRequest,
    snapshot_time: jiff::Timestamp,
    recipients: Option<&[Recipient]>,
    progress: &dyn Progress,
) -> Result<(PathBuf, Manifest, bulwark_core::fs::AtomicFile), BackupError> {
    // The plaintext copy lives only in this private directory, removed on every path.
    let private = layout::private_dir(&request.out_dir)?;
    let plain_path = private.path().join("snapshot");
    // A Ctrl-C reaches wrangler too: its failure is then the interruption.
    let (kind, source, stats, warnings, d1_bookmark) =
        take_snapshot(request, &plain_path, private.path(), progress)
            .map_err(interrupt::or_interrupted)?;
    interrupt::check()?;

    let (created, backup_name) = free_name(
        &request.out_dir,
        &request.name,
        snapshot_time,
        kind,
        recipients.is_some(),
    )?;
    let final_path = request.out_dir.join(backup_name.file_name());
    let sealed_file = layout::atomic_file(&final_path, TEMP_PREFIX)?;
    let size = std::fs::metadata(&plain_path)
        .map_err(BackupError::io("read", &plain_path))?
        .len();
    progress.set_message("compress and encrypt");
    progress.set_total(size);
    let input = File::open(&plain_path).map_err(BackupError::io("read", &plain_path))?;
    let mut manifest = new_manifest(
        request,
        &backup_name,
        created,
        source,
        recipients,
        warnings,
        d1_bookmark,
    );
    seal_and_count(
        stats,
        input,
        &sealed_file,
        recipients,
        progress,
        &mut manifest,
    )?;
    drop(private);
    Ok((final_path, manifest, sealed_file))
}

/// PostgreSQL: `pg_dump` streamed straight into the sealed file (no plaintext on disk),
/// with the manifest copy made once the counts of the dump's snapshot are in.
fn seal_postgres(
    request: &ExportRequest,
    pg: &PostgresSource,
    snapshot_time: jiff::Timestamp,
    recipients: Option<&[Recipient]>,
    progress: &dyn Progress,
) -> Result<(PathBuf, Manifest, bulwark_core::fs::AtomicFile), BackupError> {
    let (created, backup_name) = free_name(
        &request.out_dir,
        &request.name,
        snapshot_time,
        Kind::PgDump,
        recipients.is_some(),
    )?;
    let final_path = request.out_dir.join(backup_name.file_name());
    let file = layout::atomic_file(&final_path, TEMP_PREFIX)?;
    let source = Source::Postgres {
        database: String::new(),
        env: pg.env.clone(),
    };
    let mut manifest = new_manifest(
        request,
        &backup_name,
        created,
        source,
        recipients,
        Vec::new(),
        None,
    );
    postgres::dump_and_seal(pg, &file, recipients, progress, &mut manifest)
        .map_err(interrupt::or_interrupted)?;
    Ok((final_path, manifest, file))
}

/// Names the backup and its manifest. The manifest is complete under a temp name before
/// the backup gets its name, and gets its own name right after: a run killed in between
/// leaves temp files (removed by the next export) or a backup whose manifest the next
/// export puts in place ([`complete_killed_runs`]). Never replaces a file.
fn publish(
    sealed_file: bulwark_core::fs::AtomicFile,
    manifest: &Manifest,
    final_path: &Path,
) -> Result<PathBuf, BackupError> {
    let manifest_file = manifest_path(final_path);
    let mut manifest_temp = layout::atomic_file(&manifest_file, TEMP_PREFIX)?;
    manifest_temp
        .write_all(&manifest.to_file_bytes())
        .map_err(BackupError::io("write", manifest_temp.temp_path()))?;
    manifest_temp
        .as_file()
        .sync_all()
        .map_err(BackupError::io("sync", manifest_temp.temp_path()))?;
    layout::persist(sealed_file, false).map_err(|err| match err {
        BackupError::Exists { path } => BackupError::Io {
            action: "name the backup",
            path,
            source: std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "another file took this name while the backup was written; nothing was replaced",
            ),
        },
        other => other,
    })?;
    if let Err(err) = layout::persist(manifest_temp, false) {
        // This run made the backup file a moment ago; without its manifest it goes too.
        let _ = std::fs::remove_file(final_path);
        return Err(err);
    }
    Ok(manifest_file)
}

/// Tables and schema hash: known (D1, from the loaded dump), or still to be counted in
/// the source's read transaction while the copy is sealed (SQLite).
enum Stats {
    Ready(Vec<TableRows>, String),
    Pending(sqlite::SourceSnapshot),
}

/// What a snapshot step learned: kind, source, statistics, warnings, bookmark.
type Snapshot = (Kind, Source, Stats, Vec<String>, Option<String>);

/// Writes the plaintext (a database file or a SQL dump) to `dest`, with scratch files in
/// the private directory `private`.
fn take_snapshot(
    request: &ExportRequest,
    dest: &Path,
    private: &Path,
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
            let (tables, schema, mut warnings) = d1_export(d1, dest, private)?;
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

/// Seals the copy while another thread counts the rows, and fills in the manifest's
/// plaintext digest, tables, schema hash and ciphertext digest; the payload ends with the
/// manifest's copy.
fn seal_and_count(
    stats: Stats,
    input: File,
    sealed_file: &bulwark_core::fs::AtomicFile,
    recipients: Option<&[Recipient]>,
    progress: &dyn Progress,
    manifest: &mut Manifest,
) -> Result<(), BackupError> {
    let path = sealed_file.temp_path().to_owned();
    let ciphertext = std::thread::scope(|scope| {
        let counted = scope.spawn(move || match stats {
            Stats::Ready(tables, schema) => Ok((tables, schema)),
            Stats::Pending(snapshot) => snapshot.stats(),
        });
        let copy = |plain: &layout::Digest| {
            let (tables, schema) = counted.join().map_err(|_| BackupError::Io {
                action: "count the rows of",
                path: path.clone(),
                source: std::io::Error::other("the counting thread panicked"),
            })??;
            manifest.plaintext = plain.clone();
            manifest.tables = tables;
            manifest.schema_sha256 = schema;
            Ok(manifest.payload_copy())
        };
        pipeline::seal(
            input,
            sealed_file.as_file(),
            sealed_file.temp_path(),
            recipients,
            progress,
            copy,
        )
        .map(|(_, ciphertext)| ciphertext)
    })?;
    manifest.ciphertext = ciphertext;
    Ok(())
}

/// The name of the backup taken at `time`: that time to the microsecond, moved on by a
/// microsecond while a file of that name (or its manifest) exists, so two exports never
/// collide and never touch each other's files.
fn free_name(
    dir: &Path,
    name: &str,
    time: jiff::Timestamp,
    kind: Kind,
    encrypted: bool,
) -> Result<(jiff::Timestamp, BackupName), BackupError> {
    let mut time = time;
    for _ in 0..10_000 {
        let candidate = BackupName {
            name: name.to_owned(),
            time,
            kind,
            encrypted,
        };
        let path = dir.join(candidate.file_name());
        if !path.exists() && !manifest_path(&path).exists() {
            return Ok((time, candidate));
        }
        time = time
            .checked_add(jiff::SignedDuration::from_micros(1))
            .map_err(|err| BackupError::usage(format!("no time for a backup name: {err}"), None))?;
    }
    Err(BackupError::Io {
        action: "find a free backup name in",
        path: dir.to_owned(),
        source: std::io::Error::new(std::io::ErrorKind::AlreadyExists, "every name is taken"),
    })
}

/// Puts in place the manifest of a backup whose export was killed between naming the
/// backup and naming its manifest: a temp file that is a valid manifest, of a backup that
/// exists without one and whose bytes it matches. Runs under the directory lock.
fn complete_killed_runs(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with(TEMP_PREFIX) || !entry.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        if entry
            .metadata()
            .map_or(true, |m| m.len() > layout::MANIFEST_MAX as u64)
        {
            continue;
        }
        let Ok(bytes) = std::fs::read(entry.path()) else {
            continue;
        };
        let Ok(manifest) = Manifest::from_file_bytes(&bytes) else {
            continue;
        };
        if BackupName::parse(&manifest.file).is_none() {
            continue;
        }
        let backup = dir.join(&manifest.file);
        let target = manifest_path(&backup);
        if !backup.is_file() || target.exists() {
            continue;
        }
        if pipeline::digest_file(&backup).is_ok_and(|d| d == manifest.ciphertext)
            && std::fs::hard_link(entry.path(), &target).is_ok()
        {
            let _ = std::fs::remove_file(entry.path());
            let _ = layout::sync_dir(dir);
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

/// `wrangler d1 export` into `dest` (or the export `--from-export` names). Returns the
/// dump's tables, schema hash and warnings.
fn d1_export(
    d1: &D1Source,
    dest: &Path,
    out_dir: &Path,
) -> Result<(Vec<TableRows>, String, Vec<String>), BackupError> {
    match &d1.from_export {
        Some(file) => {
            // One export serves the dry run and the backup: D1 is unavailable to
            // queries while an export runs. migrate-dryrun saved it around virtual
            // tables already.
            let bytes = std::fs::read(file).map_err(BackupError::io("read", file))?;
            std::fs::write(dest, bytes).map_err(BackupError::io("write", dest))?;
        }
        None => wrangler_export(d1, dest)?,
    }
    let sql = std::fs::read_to_string(dest).map_err(BackupError::io("read", dest))?;
    let scratch = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .tempdir_in(out_dir)
        .map_err(BackupError::io("create a temp directory in", out_dir))?;
    let db = scratch.path().join("dump.sqlite");
    let conn = sqlite::load_dump(&sql, &db)?;
    let (tables, schema) = sqlite::table_stats(&conn, &db)?;
    Ok((tables, schema, Vec::new()))
}

/// `wrangler d1 export` into `dest`. A database with virtual tables, whose
/// export wrangler refuses, is exported around them (`bulwark_sqlite::AroundVirtual`, as
/// `migrate-dryrun --export-remote` does): every other table by name, shadow tables
/// included, so the dump rebuilds the virtual tables with their content, and the
/// indexes, views and triggers that a by-name export leaves out.
fn wrangler_export(d1: &D1Source, dest: &Path) -> Result<(), BackupError> {
    let mut args = vec![
        "d1".to_owned(),
        "execute".to_owned(),
        d1.database.clone(),
        "--json".to_owned(),
        "--command".to_owned(),
        bulwark_sqlite::SCHEMA_QUERY.to_owned(),
    ];
    args.extend(location_args(d1));
    let json = wrangler(&d1.workdir, &args)?;
    let unexpected = |status: String| BackupError::Child {
        command: format!("wrangler {}", args.join(" ")),
        status,
        stderr: None,
    };
    // Anything wrangler prints before the JSON array (a banner, a warning) is skipped.
    let start = json.find('[').unwrap_or(0);
    let parsed: Vec<serde_json::Value> =
        serde_json::from_str(json[start..].trim()).map_err(|err| {
            unexpected(format!(
                "printed output that is not the expected JSON: {err}"
            ))
        })?;
    let rows: Vec<bulwark_sqlite::SchemaRow> = parsed
        .first()
        .and_then(|v| v.get("results"))
        .cloned()
        .map(serde_json::from_value)
        .transpose()
        .map_err(|err| unexpected(format!("printed unexpected JSON: {err}")))?
        .ok_or_else(|| unexpected("printed JSON without `results`".to_owned()))?;
    let plan = bulwark_sqlite::AroundVirtual::plan(&rows);

    let mut args = vec![
        "d1".to_owned(),
        "export".to_owned(),
        d1.database.clone(),
        "--output".to_owned(),
        dest.display().to_string(),
        "--skip-confirmation".to_owned(),
    ];
    args.extend(location_args(d1));
    if let Some(plan) = &plan {
        for table in &plan.tables {
            args.push("--table".to_owned());
            args.push(table.clone());
        }
    }
    wrangler(&d1.workdir, &args)?;
    if let Some(plan) = &plan {
        plan.wrap(dest).map_err(BackupError::io("write", dest))?;
    }
    Ok(())
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

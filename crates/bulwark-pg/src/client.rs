//! `psql`, `pg_dump` and `pg_restore` against one database, the connection in their
//! environment only.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::{BufRead as _, BufReader, Write as _};
use std::path::Path;

use bulwark_process::{Runner, SpawnOptions, Spawned, Tool};
use bulwark_secret::Secret;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::{Connection, PgError};

/// Schemas that are PostgreSQL's own, never counted or hashed.
const SYSTEM_SCHEMAS: &str = "n.nspname NOT IN ('pg_catalog', 'information_schema') \
     AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'";

/// Ordinary tables (partitions included, partitioned parents not, so no row is counted
/// twice) outside the system schemas and not owned by an extension.
const USER_TABLES: &str = "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
     WHERE c.relkind = 'r' AND NOT EXISTS (SELECT 1 FROM pg_depend d \
     WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')";

/// One table and its exact row count. The name is `schema.table`, each part quoted as
/// PostgreSQL quotes identifiers when it must (`public.users`, `"My Schema".t`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableCount {
    /// `schema.table`.
    pub name: String,
    /// `count(*)`.
    pub rows: u64,
}

/// A role of the server (PostgreSQL's own `pg_*` roles left out), without its password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Role {
    /// `rolname`.
    pub name: String,
    /// `rolcanlogin`.
    pub login: bool,
    /// The roles it is a member of, sorted.
    pub member_of: Vec<String>,
}

/// An extension installed in the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Extension {
    /// `extname`.
    pub name: String,
    /// The schema it was created in.
    pub schema: String,
    /// `extversion`.
    pub version: String,
    /// The schemas its own tables are in (`cron` for `pg_cron`), sorted.
    pub table_schemas: Vec<String>,
}

/// What a database holds, read in one snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stats {
    /// `server_version`.
    pub server_version: String,
    /// The schemas outside PostgreSQL's own, sorted.
    pub schemas: Vec<String>,
    /// Every user table and its rows, sorted by name.
    pub tables: Vec<TableCount>,
    /// SHA-256 of every user table's columns (name, type, not-null), sorted.
    pub schema_sha256: String,
    /// The server's roles, sorted by name.
    pub roles: Vec<Role>,
    /// The database's extensions but `plpgsql`, sorted by name.
    pub extensions: Vec<Extension>,
}

/// `n.nspname` matches none of `patterns` (`pg_dump`'s `--exclude-schema` patterns: `*`
/// any text, `?` one character, everything else literal), as SQL.
fn excluding(patterns: &[String]) -> String {
    let mut sql = String::new();
    for pattern in patterns {
        let mut like = String::new();
        for c in pattern.chars() {
            match c {
                '*' => like.push('%'),
                '?' => like.push('_'),
                '%' | '_' | '\\' => {
                    like.push('\\');
                    like.push(c);
                }
                '\'' => like.push_str("''"),
                c => like.push(c),
            }
        }
        let _ = write!(sql, " AND n.nspname NOT LIKE '{like}'");
    }
    sql
}

/// A transaction that exported its snapshot and stays open until released, so that
/// `pg_dump --snapshot` and [`Client::stats`] see the very same data.
#[derive(Debug)]
pub struct SnapshotHolder {
    process: Spawned,
    /// The id `pg_export_snapshot()` returned.
    pub id: String,
}

impl SnapshotHolder {
    /// Ends the transaction (a read-only one: nothing to commit) and the session.
    pub fn release(self, client: &Client) -> Result<(), PgError> {
        let command = self.process.command().to_owned();
        let exited = self.process.wait(&client.runner, None)?;
        if exited.status.success() {
            Ok(())
        } else {
            Err(PgError::Failed {
                command,
                status: exited.status.to_string(),
                stderr: bulwark_process::summary(&exited.stderr),
            })
        }
    }
}

/// The PostgreSQL programs, pointed at one database.
#[derive(Debug)]
pub struct Client {
    runner: Runner,
    database: Option<String>,
}

impl Client {
    /// A client for `conn`: our environment minus every `PG*` variable, plus the
    /// connection's own; its secrets scrubbed from every output.
    #[must_use]
    pub fn new(conn: &Connection) -> Self {
        let mut client = Self::with_settings(conn.environment(), conn.database());
        for secret in conn.secrets() {
            client.runner.hide(secret);
        }
        client
    }

    /// A client whose connection is exactly `settings` (libpq variables).
    pub(crate) fn with_settings(
        settings: Vec<(OsString, OsString)>,
        database: Option<&str>,
    ) -> Self {
        // libpq reads PG* variables: only the connection's own may reach it.
        let ours = std::env::vars_os()
            .filter(|(name, _)| !name.to_str().is_some_and(|n| n.starts_with("PG")));
        let runner = Runner::with_env(Path::new("."), None, ours.chain(settings));
        Self {
            runner,
            database: database.map(str::to_owned),
        }
    }

    /// The process runner (its redactor scrubs the connection's secrets).
    #[must_use]
    pub fn runner(&self) -> &Runner {
        &self.runner
    }

    /// Learns another value to scrub.
    pub fn hide(&mut self, value: &Secret) {
        self.runner.hide(value);
    }

    /// The database name, when the connection names one.
    #[must_use]
    pub fn database(&self) -> Option<&str> {
        self.database.as_deref()
    }

    /// Runs `script` with `psql` (no psqlrc, stop at the first error, unaligned tuples
    /// only) and returns what it printed.
    pub fn psql(&self, script: &str) -> Result<String, PgError> {
        let args = psql_args();
        let finished = self
            .runner
            .run(Tool::Psql, &args, Some(script.as_bytes()))?;
        if !finished.status.success() {
            return Err(PgError::Failed {
                command: bulwark_process::describe(Tool::Psql, &args),
                status: finished.status.to_string(),
                stderr: finished.summary(),
            });
        }
        Ok(String::from_utf8_lossy(&finished.stdout).into_owned())
    }

    /// Starts `psql` (no psqlrc, stop at the first error) reading its script from the
    /// returned process's stdin: for a script too large to hold in memory (a plain SQL
    /// dump).
    pub fn psql_from_stdin(&self) -> Result<Spawned, PgError> {
        Ok(self.runner.spawn(
            Tool::Psql,
            &psql_args(),
            &SpawnOptions {
                stdin: true,
                ..SpawnOptions::default()
            },
        )?)
    }

    /// Opens a read-only repeatable-read transaction, exports its snapshot and keeps it
    /// open until [`SnapshotHolder::release`].
    pub fn hold_snapshot(&self) -> Result<SnapshotHolder, PgError> {
        let args = psql_args();
        let mut process = self.runner.spawn(
            Tool::Psql,
            &args,
            &SpawnOptions {
                stdin: true,
                stdout: true,
                ..SpawnOptions::default()
            },
        )?;
        let command = process.command().to_owned();
        let mut stdin = process.stdin.take().expect("stdin was piped");
        let sent = stdin.write_all(
            b"BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;\nSELECT pg_export_snapshot();\n",
        );
        let mut line = String::new();
        let read = sent.and_then(|()| {
            BufReader::new(process.stdout.take().expect("stdout was piped")).read_line(&mut line)
        });
        let id = line.trim().to_owned();
        if read.is_err() || id.is_empty() {
            drop(stdin);
            let exited = process.wait(&self.runner, None)?;
            return Err(PgError::Failed {
                command,
                status: exited.status.to_string(),
                stderr: bulwark_process::summary(&exited.stderr),
            });
        }
        if !id.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
            return Err(PgError::Output {
                command,
                detail: "pg_export_snapshot() returned something that is not a snapshot id"
                    .to_owned(),
            });
        }
        process.stdin = Some(stdin);
        Ok(SnapshotHolder { process, id })
    }

    /// The server version, schemas, exact row counts and schema hash, in `snapshot` when
    /// given (else in a snapshot of its own).
    pub fn stats(&self, snapshot: Option<&str>) -> Result<Stats, PgError> {
        self.stats_excluding(snapshot, &[])
    }

    /// [`Client::stats`] of the schemas that match none of `excluded` (`pg_dump`'s
    /// `--exclude-schema` patterns), so that the counts describe a dump made with them.
    /// Roles and extensions are the whole server's and database's.
    pub fn stats_excluding(
        &self,
        snapshot: Option<&str>,
        excluded: &[String],
    ) -> Result<Stats, PgError> {
        let import = snapshot
            .map(|id| format!("SET TRANSACTION SNAPSHOT '{id}';\n"))
            .unwrap_or_default();
        let scope = format!("{SYSTEM_SCHEMAS}{}", excluding(excluded));
        let script = format!(
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;\n{import}\
             SELECT json_build_object('version', current_setting('server_version'));\n\
             SELECT json_build_object('schema', n.nspname) FROM pg_namespace n WHERE {scope};\n\
             SELECT json_build_object('column', format('%I.%I', n.nspname, c.relname), 'name', a.attname, \
             'type', format_type(a.atttypid, a.atttypmod), 'not_null', a.attnotnull, 'position', a.attnum) \
             FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped AND {scope} \
             AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass \
             AND d.objid = c.oid AND d.deptype = 'e');\n\
             SELECT json_build_object('role', r.rolname, 'login', r.rolcanlogin, 'member_of', \
             ARRAY(SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid \
             WHERE m.member = r.oid ORDER BY 1)) FROM pg_roles r WHERE r.rolname NOT LIKE 'pg\\_%';\n\
             SELECT json_build_object('extension', e.extname, 'schema', n.nspname, 'ext_version', e.extversion, \
             'table_schemas', ARRAY(SELECT DISTINCT tn.nspname FROM pg_depend d JOIN pg_class t ON t.oid = d.objid \
             JOIN pg_namespace tn ON tn.oid = t.relnamespace WHERE d.classid = 'pg_class'::regclass \
             AND d.refclassid = 'pg_extension'::regclass AND d.refobjid = e.oid AND d.deptype = 'e' ORDER BY 1)) \
             FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname <> 'plpgsql';\n\
             SELECT format('SELECT json_build_object(''table'', %L, ''rows'', count(*)) FROM %I.%I', \
             format('%I.%I', n.nspname, c.relname), n.nspname, c.relname) {USER_TABLES} AND {scope} \\gexec\n\
             COMMIT;\n"
        );
        let out = self.psql(&script)?;
        parse_stats(&out).map_err(|detail| PgError::Output {
            command: "psql".to_owned(),
            detail,
        })
    }

    /// Whether the database holds nothing of its own: no table, view, sequence,
    /// function or type outside PostgreSQL's schemas and extensions' objects.
    pub fn is_empty(&self) -> Result<bool, PgError> {
        let script = format!(
            "SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE {SYSTEM_SCHEMAS} AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass \
             AND d.objid = c.oid AND d.deptype = 'e')) \
             + (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
             WHERE {SYSTEM_SCHEMAS} AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass \
             AND d.objid = p.oid AND d.deptype = 'e'));\n"
        );
        let out = self.psql(&script)?;
        out.trim()
            .parse::<u64>()
            .map(|n| n == 0)
            .map_err(|_| PgError::Output {
                command: "psql".to_owned(),
                detail: "the object count is not a number".to_owned(),
            })
    }

    /// Starts `pg_dump` in the custom format on `snapshot`, its archive on the returned
    /// process's stdout. Uncompressed: the pipeline's zstd does that, faster.
    pub fn dump(&self, snapshot: &str, extra: &[OsString]) -> Result<Spawned, PgError> {
        let mut args: Vec<OsString> = [
            "--format=custom",
            "--compress=0",
            "--no-password",
            &format!("--snapshot={snapshot}"),
        ]
        .iter()
        .map(OsString::from)
        .collect();
        args.extend_from_slice(extra);
        Ok(self.runner.spawn(
            Tool::PgDump,
            &args,
            &SpawnOptions {
                stdout: true,
                ..SpawnOptions::default()
            },
        )?)
    }

    /// Starts `pg_restore --list`: the archive's table of contents, read from the
    /// returned process's stdin, printed on its stdout (`pg_restore` stops reading once it
    /// has the table of contents).
    pub fn list_archive(&self) -> Result<Spawned, PgError> {
        Ok(self.runner.spawn(
            Tool::PgRestore,
            &[OsString::from("--list")],
            &SpawnOptions {
                stdin: true,
                stdout: true,
                ..SpawnOptions::default()
            },
        )?)
    }

    /// Starts `pg_restore` into this client's database, the archive read from the
    /// returned process's stdin.
    pub fn restore(&self, extra: &[&str]) -> Result<Spawned, PgError> {
        let database = self.database.as_deref().unwrap_or("postgres");
        let mut args: Vec<OsString> = vec![
            "--no-password".into(),
            "--exit-on-error".into(),
            "--dbname".into(),
            crate::dbname_conninfo(database).into(),
        ];
        args.extend(extra.iter().map(OsString::from));
        Ok(self.runner.spawn(
            Tool::PgRestore,
            &args,
            &SpawnOptions {
                stdin: true,
                ..SpawnOptions::default()
            },
        )?)
    }
}

fn psql_args() -> Vec<OsString> {
    ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-f", "-"]
        .iter()
        .map(OsString::from)
        .collect()
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Line {
    Version {
        version: String,
    },
    // Before `Schema`: its line has a `schema` too.
    Extension {
        extension: String,
        schema: String,
        ext_version: String,
        table_schemas: Vec<String>,
    },
    Schema {
        schema: String,
    },
    Table {
        table: String,
        rows: u64,
    },
    Role {
        role: String,
        login: bool,
        member_of: Vec<String>,
    },
    Column(serde_json::Map<String, serde_json::Value>),
}

fn parse_stats(out: &str) -> Result<Stats, String> {
    let mut version = None;
    let mut schemas = Vec::new();
    let mut tables = Vec::new();
    let mut columns = Vec::new();
    let mut roles = Vec::new();
    let mut extensions = Vec::new();
    for line in out.lines().filter(|l| !l.trim().is_empty()) {
        match serde_json::from_str::<Line>(line).map_err(|err| err.to_string())? {
            Line::Version { version: v } => version = Some(v),
            Line::Schema { schema } => schemas.push(schema),
            Line::Table { table, rows } => tables.push(TableCount { name: table, rows }),
            Line::Role {
                role,
                login,
                member_of,
            } => roles.push(Role {
                name: role,
                login,
                member_of,
            }),
            Line::Extension {
                extension,
                schema,
                ext_version,
                table_schemas,
            } => extensions.push(Extension {
                name: extension,
                schema,
                version: ext_version,
                table_schemas,
            }),
            Line::Column(map) if map.contains_key("column") => {
                columns.push(serde_json::Value::Object(map).to_string());
            }
            Line::Column(_) => return Err("a line of unknown shape".to_owned()),
        }
    }
    schemas.sort();
    tables.sort_by(|a, b| a.name.cmp(&b.name));
    roles.sort_by(|a, b| a.name.cmp(&b.name));
    extensions.sort_by(|a, b| a.name.cmp(&b.name));
    columns.sort();
    let mut hasher = Sha256::new();
    for column in &columns {
        hasher.update(column.as_bytes());
        hasher.update(b"\n");
    }
    let digest = hasher.finalize();
    Ok(Stats {
        server_version: version.ok_or("no server version")?,
        schemas,
        tables,
        schema_sha256: digest.iter().fold(String::new(), |mut hex, b| {
            let _ = write!(hex, "{b:02x}");
            hex
        }),
        roles,
        extensions,
    })
}

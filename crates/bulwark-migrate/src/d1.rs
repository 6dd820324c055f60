//! A SQLite connection that behaves like a D1 database.
//!
//! D1 runs on the SQLite that Durable Objects use (workerd's `SqliteDatabase`), which adds
//! to plain SQLite: defensive mode, lower limits (100,000-byte statements, 100 columns,
//! 100 bound parameters, 5 compound selects, 2,200,000-byte values…), foreign keys always
//! enforced, and an authorizer that refuses transactions and savepoints, `ATTACH`, temporary
//! objects, virtual tables other than FTS5, names starting with `_cf_`, functions outside an
//! allow-list, and every PRAGMA outside a short allow-list. A batch (one migration file)
//! runs in one transaction that is rolled back whole when any statement fails, and deferred
//! foreign keys are checked when it commits.
//!
//! Internal queries (reading the schema, the migrations table, the checks) run "trusted",
//! as workerd's own queries do.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use rusqlite::hooks::{AuthAction, AuthContext, Authorization};
use rusqlite::limits::Limit;
use rusqlite::{Connection, OpenFlags};
use serde::Serialize;

use crate::rows::{self, Ledger, StatementLoss, Targets};
use crate::split::{self, Chunk};

/// D1's limits, as workerd sets them with `sqlite3_limit`.
pub const LIMITS: [(Limit, i32); 11] = [
    (Limit::SQLITE_LIMIT_LENGTH, 2_200_000),
    (Limit::SQLITE_LIMIT_SQL_LENGTH, 100_000),
    (Limit::SQLITE_LIMIT_COLUMN, 100),
    (Limit::SQLITE_LIMIT_EXPR_DEPTH, 100),
    (Limit::SQLITE_LIMIT_COMPOUND_SELECT, 5),
    (Limit::SQLITE_LIMIT_VDBE_OP, 25_000),
    (Limit::SQLITE_LIMIT_FUNCTION_ARG, 127),
    (Limit::SQLITE_LIMIT_ATTACHED, 0),
    (Limit::SQLITE_LIMIT_LIKE_PATTERN_LENGTH, 50),
    (Limit::SQLITE_LIMIT_VARIABLE_NUMBER, 100),
    (Limit::SQLITE_LIMIT_TRIGGER_DEPTH, 10),
];

/// How many SQLite instructions run between two looks at the stop flag.
const PROGRESS_OPS: i32 = 10_000;

/// The largest D1 database (paid plan), in bytes.
pub const MAX_DATABASE_BYTES: u64 = 10 * 1000 * 1000 * 1000;

/// The SQL functions D1 lets queries call.
const ALLOWED_FUNCTIONS: &[&str] = &[
    "abs",
    "changes",
    "char",
    "coalesce",
    "concat",
    "concat_ws",
    "format",
    "glob",
    "hex",
    "ifnull",
    "iif",
    "instr",
    "last_insert_rowid",
    "length",
    "like",
    "likelihood",
    "likely",
    "load_extension",
    "lower",
    "ltrim",
    "max_scalar",
    "min_scalar",
    "nullif",
    "octet_length",
    "printf",
    "quote",
    "random",
    "randomblob",
    "replace",
    "round",
    "rtrim",
    "sign",
    "soundex",
    "substr",
    "substring",
    "total_changes",
    "trim",
    "typeof",
    "unhex",
    "unicode",
    "unlikely",
    "upper",
    "zeroblob",
    "date",
    "time",
    "datetime",
    "julianday",
    "unixepoch",
    "strftime",
    "timediff",
    "current_date",
    "current_time",
    "current_timestamp",
    "avg",
    "count",
    "group_concat",
    "max",
    "min",
    "string_agg",
    "sum",
    "total",
    "row_number",
    "rank",
    "dense_rank",
    "percent_rank",
    "cume_dist",
    "ntile",
    "lag",
    "lead",
    "first_value",
    "last_value",
    "nth_value",
    "acos",
    "acosh",
    "asin",
    "asinh",
    "atan",
    "atan2",
    "atanh",
    "ceil",
    "cos",
    "cosh",
    "degrees",
    "exp",
    "floor",
    "ln",
    "log",
    "log2",
    "mod",
    "pi",
    "pow",
    "radians",
    "sin",
    "sinh",
    "sqrt",
    "tan",
    "tanh",
    "trunc",
    "json",
    "json_array",
    "json_array_length",
    "json_extract",
    "->",
    "->>",
    "json_insert",
    "json_object",
    "json_patch",
    "json_remove",
    "json_replace",
    "json_set",
    "json_type",
    "json_valid",
    "json_quote",
    "json_group_array",
    "json_group_object",
    "json_each",
    "json_tree",
    "match",
    "highlight",
    "bm25",
    "snippet",
    "sqlite_rename_column",
    "sqlite_rename_table",
    "sqlite_rename_test",
    "sqlite_drop_column",
    "sqlite_rename_quotefix",
];

#[derive(Clone, Copy)]
enum PragmaArg {
    None,
    Boolean,
    Object,
    OptionalObject,
    OptionalNumber,
    OptionalNumberOrObject,
}

/// The PRAGMAs D1 allows, and what argument each may take.
const ALLOWED_PRAGMAS: &[(&str, PragmaArg)] = &[
    ("data_version", PragmaArg::None),
    ("case_sensitive_like", PragmaArg::Boolean),
    ("foreign_keys", PragmaArg::Boolean),
    ("defer_foreign_keys", PragmaArg::Boolean),
    ("ignore_check_constraints", PragmaArg::Boolean),
    ("legacy_alter_table", PragmaArg::Boolean),
    ("recursive_triggers", PragmaArg::Boolean),
    ("reverse_unordered_selects", PragmaArg::Boolean),
    ("foreign_key_check", PragmaArg::OptionalObject),
    ("foreign_key_list", PragmaArg::Object),
    ("index_info", PragmaArg::Object),
    ("index_list", PragmaArg::Object),
    ("index_xinfo", PragmaArg::Object),
    ("quick_check", PragmaArg::OptionalNumberOrObject),
    ("optimize", PragmaArg::OptionalNumber),
];

/// The message D1 gives for `BEGIN`/`SAVEPOINT` in a query.
pub const TRANSACTION_MESSAGE: &str = "To execute a transaction, please use the state.storage.transaction() or state.storage.transactionSync() APIs instead of the SQL BEGIN TRANSACTION or SAVEPOINT statements";

/// Why D1 would refuse a migration file, in a form that can be compared with what wrangler
/// prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct D1Error {
    /// A stable class: the SQLite primary result code (`SQLITE_CONSTRAINT`, `SQLITE_AUTH`,
    /// `SQLITE_ERROR`, `SQLITE_TOOBIG`…) or `transaction`, `parameters`, `wrangler`.
    pub class: String,
    /// The message, worded like D1's.
    pub message: String,
    /// Index (0-based) of the failing query in the batch; `None` when the failure came
    /// at commit (deferred foreign keys) or before anything ran.
    #[serde(skip)]
    pub chunk: Option<usize>,
    /// Line (1-based) in the file where the failing query starts, when known.
    pub line: Option<usize>,
    /// The failing query's text, when known (shortened).
    pub statement: Option<String>,
}

/// What a successful batch did.
#[derive(Debug, Clone, Default)]
pub struct BatchStats {
    /// Statements executed (queries of the batch, not counting the migrations-table insert).
    pub statements: usize,
    /// Rows inserted, updated or deleted (SQLite's `total_changes`, triggers included),
    /// not counting the migrations-table insert.
    pub rows_changed: u64,
    /// Wall time of the batch.
    pub duration: Duration,
    /// What the statements deleted, and columns renamed in place.
    pub ledger: Ledger,
}

#[derive(Default)]
struct Watch {
    /// Set while internal (trusted) code runs.
    trusted: AtomicBool,
    /// Set when the authorizer refused a transaction or savepoint.
    refused_transaction: AtomicBool,
    /// Tables a query wrote to or changed the shape of.
    touched: Mutex<BTreeSet<String>>,
    /// What the statement being prepared deletes from or alters (untrusted code only).
    targets: Mutex<Targets>,
}

/// A database connection with D1's rules.
pub struct D1Connection {
    conn: Connection,
    watch: Arc<Watch>,
    /// Set by a signal: SQLite's progress handler then interrupts whatever runs.
    stop: Arc<AtomicBool>,
}

impl std::fmt::Debug for D1Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("D1Connection").finish_non_exhaustive()
    }
}

impl D1Connection {
    /// Opens the (copied) database at `path` read-write with D1's rules.
    pub fn open(path: &Path) -> rusqlite::Result<Self> {
        Self::open_stoppable(path, Arc::new(AtomicBool::new(false)))
    }

    /// Like [`D1Connection::open`]; whatever runs on the connection is interrupted
    /// (`SQLITE_INTERRUPT`) once `stop` is set.
    pub fn open_stoppable(path: &Path, stop: Arc<AtomicBool>) -> rusqlite::Result<Self> {
        let mut conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
        for (limit, value) in LIMITS {
            conn.set_limit(limit, value)?;
        }
        // The copy is thrown away: no journal fsyncs, no WAL files next to it.
        conn.execute_batch(
            "PRAGMA foreign_keys = ON; PRAGMA synchronous = OFF; PRAGMA journal_mode = MEMORY;",
        )?;
        let watch = Arc::new(Watch::default());
        let hook_watch = Arc::clone(&watch);
        conn.authorizer(Some(move |ctx: AuthContext<'_>| {
            authorize(&hook_watch, &ctx)
        }))?;
        let hook_stop = Arc::clone(&stop);
        conn.progress_handler(PROGRESS_OPS, Some(move || hook_stop.load(Ordering::SeqCst)))?;
        Ok(Self { conn, watch, stop })
    }

    /// Runs `f` as trusted internal code: every statement allowed and none of D1's
    /// limits, as workerd's own queries run. (With D1's 25,000-instruction statement
    /// limit, `integrity_check` on a large schema fails with "out of memory".)
    pub fn trusted<T>(&self, f: impl FnOnce(&Connection) -> T) -> T {
        self.watch.trusted.store(true, Ordering::SeqCst);
        for (limit, _) in LIMITS {
            // SQLite clamps the request to its compile-time maximum.
            let _ = self.conn.set_limit(limit, i32::MAX);
        }
        let result = f(&self.conn);
        for (limit, value) in LIMITS {
            let _ = self.conn.set_limit(limit, value);
        }
        self.watch.trusted.store(false, Ordering::SeqCst);
        result
    }

    /// Tables written to or reshaped by the batches run so far.
    #[must_use]
    pub fn touched_tables(&self) -> BTreeSet<String> {
        self.watch
            .touched
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Runs `sent` (a migration file with wrangler's appended insert) as one D1 batch: all
    /// of it, or on failure none of it.
    pub fn run_batch(&self, sent: &str) -> Result<BatchStats, D1Error> {
        let started = Instant::now();
        let chunks = split::split(sent).map_err(|err| D1Error {
            class: "wrangler".to_owned(),
            message: err.to_string(),
            chunk: None,
            line: None,
            statement: None,
        })?;
        // miniflare drops queries that are only comments, and refuses an empty batch.
        let chunks: Vec<Chunk> = chunks
            .into_iter()
            .filter(|c| !only_comments(&c.sql))
            .collect();
        if chunks.is_empty() {
            return Err(D1Error {
                class: "empty".to_owned(),
                message: "No SQL statements detected.".to_owned(),
                chunk: None,
                line: None,
                statement: None,
            });
        }
        self.trusted(|conn| conn.execute_batch("BEGIN"))
            .map_err(|err| internal_error(&err))?;
        let before = self.conn.total_changes();
        let mut outcome = Ok(());
        let mut ledger = Ledger::default();
        for (index, chunk) in chunks.iter().enumerate() {
            if let Err(mut err) = self.run_chunk(chunk, &mut ledger) {
                err.chunk = Some(index);
                err.line = Some(chunk.line + err.line.unwrap_or(0));
                err.statement = Some(shorten(&chunk.sql));
                outcome = Err(err);
                break;
            }
        }
        let rows_changed = self.conn.total_changes() - before;
        if let Err(err) = outcome {
            self.rollback();
            return Err(err);
        }
        if let Err(err) = self.trusted(|conn| conn.execute_batch("COMMIT")) {
            self.rollback();
            let mut err = classify(&err);
            err.message = format!(
                "Durable Object was reset and rolled back to its last known good state because the application left the database in a state where constraints were violated: {}",
                err.message
            );
            return Err(err);
        }
        Ok(BatchStats {
            // The last query is wrangler's insert into the migrations table.
            statements: chunks.len().saturating_sub(1),
            // Less the row of wrangler's insert into the migrations table.
            rows_changed: rows_changed.saturating_sub(1),
            duration: started.elapsed(),
            ledger,
        })
    }

    /// Loads `sql`, a dump (untrusted text), under D1's authorizer and limits: no
    /// `ATTACH` (so no other file is read, written or created), no temporary objects, only
    /// D1's functions and PRAGMAs. Each statement may run for `per_statement` at most (a
    /// progress handler interrupts it: a recursive CTE cannot hang the run). The
    /// statement-length limit is the one exception: the dump is one text. Foreign keys
    /// are off, as in `wrangler d1 execute --file`'s import: the dump loads as it is.
    pub fn load_dump(&mut self, sql: &str, per_statement: Duration) -> rusqlite::Result<()> {
        use rusqlite::fallible_iterator::FallibleIterator as _;
        self.trusted(|conn| {
            conn.execute_batch("PRAGMA foreign_keys = OFF; PRAGMA journal_mode = OFF; BEGIN")
        })?;
        self.conn
            .set_limit(Limit::SQLITE_LIMIT_SQL_LENGTH, i32::MAX)?;
        let deadline = Arc::new(Mutex::new(Instant::now() + per_statement));
        let hook_deadline = Arc::clone(&deadline);
        self.conn.progress_handler(
            1000,
            Some(move || {
                Instant::now() > *hook_deadline.lock().unwrap_or_else(PoisonError::into_inner)
            }),
        )?;
        let result = (|| {
            let mut batch = rusqlite::Batch::new(&self.conn, sql);
            while let Some(mut statement) = batch.next()? {
                *deadline.lock().unwrap_or_else(PoisonError::into_inner) =
                    Instant::now() + per_statement;
                let mut rows = statement.raw_query();
                while rows.next()?.is_some() {}
            }
            Ok(())
        })();
        let hook_stop = Arc::clone(&self.stop);
        self.conn
            .progress_handler(PROGRESS_OPS, Some(move || hook_stop.load(Ordering::SeqCst)))?;
        for (limit, value) in LIMITS {
            self.conn.set_limit(limit, value)?;
        }
        match result {
            Ok(()) => self.trusted(|conn| conn.execute_batch("COMMIT; PRAGMA foreign_keys = ON")),
            Err(err) => {
                self.rollback();
                Err(err)
            }
        }
    }

    /// Whether plain SQLite (no authorizer, SQLite's own limits, foreign keys on) runs
    /// the batch `sent` up to and including its query `failed`, which D1 refused: if so,
    /// the refusal is D1's own rule (a limit, an authorizer refusal). The batch runs again
    /// in a transaction that is always rolled back.
    #[must_use]
    pub fn plain_sqlite_accepts(&self, sent: &str, failed: usize) -> bool {
        let Ok(chunks) = split::split(sent) else {
            return false;
        };
        let chunks: Vec<Chunk> = chunks
            .into_iter()
            .filter(|c| !only_comments(&c.sql))
            .collect();
        if failed >= chunks.len() {
            return false;
        }
        self.trusted(|conn| {
            if conn.execute_batch("BEGIN").is_err() {
                return false;
            }
            let accepted = chunks[..=failed]
                .iter()
                .all(|chunk| self.run_chunk(chunk, &mut Ledger::default()).is_ok());
            let _ = conn.execute_batch("ROLLBACK");
            accepted
        })
    }

    fn rollback(&self) {
        // A failed COMMIT or statement can leave the transaction open; close it. When
        // SQLite already rolled back, this fails harmlessly.
        let _ = self.trusted(|conn| conn.execute_batch("ROLLBACK"));
    }

    /// One query: like workerd's `exec`, every statement in it runs, in order. The rows
    /// of the tables a statement can delete from are counted before and after it (see
    /// [`crate::rows`]).
    fn run_chunk(&self, chunk: &Chunk, ledger: &mut Ledger) -> Result<(), D1Error> {
        self.watch
            .refused_transaction
            .store(false, Ordering::SeqCst);
        let sql = chunk.sql.as_str();
        let mut rest = sql;
        let mut ran_any = false;
        loop {
            let offset_of_rest = sql.len() - rest.len();
            let trimmed = rest.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
            if trimmed.is_empty() {
                break;
            }
            let mut batch = rusqlite::Batch::new(&self.conn, trimmed);
            self.take_targets();
            let statement = {
                use rusqlite::fallible_iterator::FallibleIterator as _;
                batch.next()
            };
            let mut statement = match statement {
                Ok(Some(statement)) => statement,
                Ok(None) if ran_any => break,
                Ok(None) => {
                    return Err(D1Error {
                        class: "empty".to_owned(),
                        message: "SQL code did not contain a statement.".to_owned(),
                        chunk: None,
                        line: None,
                        statement: None,
                    });
                }
                Err(err) => {
                    let mut d1 = self.classify_prepare(&err);
                    d1.line = Some(error_line(sql, offset_of_rest, &err));
                    return Err(d1);
                }
            };
            let consumed = statement_len(&statement, trimmed);
            rest = &trimmed[consumed..];
            let more = !rest
                .trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c'])
                .is_empty();
            if statement.parameter_count() > 0 {
                let message = if more {
                    "When executing multiple SQL statements in a single call, only the last statement can have parameters."
                } else {
                    "Wrong number of parameter bindings for SQL query."
                };
                return Err(D1Error {
                    class: "parameters".to_owned(),
                    message: message.to_owned(),
                    chunk: None,
                    line: Some(line_of(sql, offset_of_rest)),
                    statement: None,
                });
            }
            let targets = self.take_targets();
            let watched = self
                .before_statement(&targets, ledger)
                .map_err(|err| internal_error(&err))?;
            let mut rows = statement.raw_query();
            loop {
                match rows.next() {
                    Ok(Some(_)) => {}
                    Ok(None) => break,
                    Err(err) => {
                        let mut d1 = classify(&err);
                        d1.line = Some(line_of(sql, offset_of_rest));
                        return Err(d1);
                    }
                }
            }
            drop(rows);
            let line = chunk.line + line_of(sql, offset_of_rest);
            let text = &trimmed[..consumed];
            self.after_statement(&targets, watched, ledger, line, text)
                .map_err(|err| internal_error(&err))?;
            ran_any = true;
            if !more {
                break;
            }
        }
        Ok(())
    }

    fn take_targets(&self) -> Targets {
        std::mem::take(
            &mut *self
                .watch
                .targets
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        )
    }

    /// Counts the rows of the tables the prepared statement can delete from, and reads
    /// the columns of the tables it alters.
    fn before_statement(
        &self,
        targets: &Targets,
        ledger: &mut Ledger,
    ) -> rusqlite::Result<Watched> {
        if targets.deleted.is_empty() && targets.altered.is_empty() {
            return Ok(Watched::default());
        }
        self.trusted(|conn| {
            let mut watched = Watched::default();
            for table in &targets.deleted {
                let rows = rows::count_if_exists(conn, table)?;
                ledger.first_counts.entry(table.clone()).or_insert(rows);
                watched.rows.push((table.clone(), rows));
            }
            for table in &targets.altered {
                watched
                    .columns
                    .push((table.clone(), rows::columns(conn, table)?));
            }
            Ok(watched)
        })
    }

    /// Records the rows the statement deleted (with the cascade path when it was a
    /// cascade) and the columns it renamed.
    fn after_statement(
        &self,
        targets: &Targets,
        watched: Watched,
        ledger: &mut Ledger,
        line: usize,
        sql: &str,
    ) -> rusqlite::Result<()> {
        if watched.rows.is_empty() && watched.columns.is_empty() {
            return Ok(());
        }
        self.trusted(|conn| {
            for (table, before) in watched.rows {
                let Some(before) = before else { continue };
                let after = rows::count_if_exists(conn, &table)?.unwrap_or(0);
                if after >= before {
                    continue;
                }
                let cascade = targets
                    .direct
                    .as_deref()
                    .filter(|direct| !direct.eq_ignore_ascii_case(&table))
                    .and_then(|direct| rows::cascade_path(conn, &table, direct));
                ledger.losses.push(StatementLoss {
                    table,
                    rows_before: before,
                    rows_after: after,
                    line,
                    statement: shorten(sql.trim()),
                    cascade,
                });
            }
            for (table, before) in watched.columns {
                let after = rows::columns(conn, &table)?;
                ledger
                    .renames
                    .extend(rows::renames(&table, &before, &after));
            }
            Ok(())
        })
    }

    fn classify_prepare(&self, err: &rusqlite::Error) -> D1Error {
        if self.watch.refused_transaction.load(Ordering::SeqCst) {
            return D1Error {
                class: "transaction".to_owned(),
                message: TRANSACTION_MESSAGE.to_owned(),
                chunk: None,
                line: None,
                statement: None,
            };
        }
        classify(err)
    }

    /// The underlying connection, for trusted reads.
    #[must_use]
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

/// What [`D1Connection::before_statement`] saw.
#[derive(Default)]
struct Watched {
    rows: Vec<(String, Option<u64>)>,
    columns: Vec<(String, Vec<String>)>,
}

/// miniflare drops a query that is empty once indented `--` comments are removed; the
/// splitter has already removed comments, so what is left to drop is blank text.
fn only_comments(sql: &str) -> bool {
    sql.trim().is_empty()
}

/// Bytes of `text` the prepared `statement` covers: SQLite keeps the text of the first
/// statement only, up to and including its semicolon.
fn statement_len(statement: &rusqlite::Statement<'_>, text: &str) -> usize {
    match statement.expanded_sql() {
        Some(own) if !own.is_empty() && text.starts_with(own.as_str()) => own.len(),
        _ => text.len(),
    }
}

fn line_of(sql: &str, offset: usize) -> usize {
    sql[..offset.min(sql.len())].matches('\n').count()
}

fn error_line(sql: &str, base: usize, err: &rusqlite::Error) -> usize {
    let trimmed_start = sql[base..].len()
        - sql[base..]
            .trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c'])
            .len();
    match err {
        rusqlite::Error::SqlInputError { offset, .. } => {
            let at = base + trimmed_start + usize::try_from(*offset).unwrap_or(0);
            line_of(sql, at)
        }
        _ => line_of(sql, base + trimmed_start),
    }
}

fn shorten(sql: &str) -> String {
    const MAX: usize = 200;
    if sql.len() <= MAX {
        return sql.to_owned();
    }
    let mut end = MAX;
    while !sql.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &sql[..end])
}

fn internal_error(err: &rusqlite::Error) -> D1Error {
    D1Error {
        class: "internal".to_owned(),
        message: err.to_string(),
        chunk: None,
        line: None,
        statement: None,
    }
}

/// The SQLite primary result code's name.
#[must_use]
pub fn primary_code_name(code: i32) -> &'static str {
    match code & 0xff {
        1 => "SQLITE_ERROR",
        2 => "SQLITE_INTERNAL",
        3 => "SQLITE_PERM",
        4 => "SQLITE_ABORT",
        5 => "SQLITE_BUSY",
        6 => "SQLITE_LOCKED",
        7 => "SQLITE_NOMEM",
        8 => "SQLITE_READONLY",
        9 => "SQLITE_INTERRUPT",
        10 => "SQLITE_IOERR",
        11 => "SQLITE_CORRUPT",
        12 => "SQLITE_NOTFOUND",
        13 => "SQLITE_FULL",
        14 => "SQLITE_CANTOPEN",
        15 => "SQLITE_PROTOCOL",
        16 => "SQLITE_EMPTY",
        17 => "SQLITE_SCHEMA",
        18 => "SQLITE_TOOBIG",
        19 => "SQLITE_CONSTRAINT",
        20 => "SQLITE_MISMATCH",
        21 => "SQLITE_MISUSE",
        22 => "SQLITE_NOLFS",
        23 => "SQLITE_AUTH",
        24 => "SQLITE_FORMAT",
        25 => "SQLITE_RANGE",
        26 => "SQLITE_NOTADB",
        _ => "SQLITE_UNKNOWN",
    }
}

fn extended_constraint_name(code: i32) -> Option<&'static str> {
    Some(match code {
        275 => "SQLITE_CONSTRAINT_CHECK",
        531 => "SQLITE_CONSTRAINT_COMMITHOOK",
        787 => "SQLITE_CONSTRAINT_FOREIGNKEY",
        1043 => "SQLITE_CONSTRAINT_FUNCTION",
        1299 => "SQLITE_CONSTRAINT_NOTNULL",
        1555 => "SQLITE_CONSTRAINT_PRIMARYKEY",
        1811 => "SQLITE_CONSTRAINT_TRIGGER",
        2067 => "SQLITE_CONSTRAINT_UNIQUE",
        2323 => "SQLITE_CONSTRAINT_VTAB",
        2579 => "SQLITE_CONSTRAINT_ROWID",
        _ => return None,
    })
}

/// Turns a SQLite error into D1's wording and a class.
#[must_use]
pub fn classify(err: &rusqlite::Error) -> D1Error {
    let (code, message, offset) = match err {
        rusqlite::Error::SqliteFailure(e, msg) => (
            e.extended_code,
            msg.clone().unwrap_or_else(|| e.to_string()),
            None,
        ),
        rusqlite::Error::SqlInputError {
            error, msg, offset, ..
        } => (error.extended_code, msg.clone(), Some(*offset)),
        other => {
            return D1Error {
                class: "internal".to_owned(),
                message: other.to_string(),
                chunk: None,
                line: None,
                statement: None,
            };
        }
    };
    let primary = primary_code_name(code);
    let mut text = message;
    if let Some(offset) = offset {
        let _ = write!(text, " at offset {offset}");
    }
    text.push_str(": ");
    text.push_str(primary);
    if let Some(extended) = extended_constraint_name(code) {
        let _ = write!(text, " (extended: {extended})");
    }
    D1Error {
        class: primary.to_owned(),
        message: text,
        chunk: None,
        line: None,
        statement: None,
    }
}

fn allowed_name(name: &str) -> bool {
    !name
        .get(..4)
        .is_some_and(|prefix| prefix.eq_ignore_ascii_case("_cf_"))
}

fn allow(yes: bool) -> Authorization {
    if yes {
        Authorization::Allow
    } else {
        Authorization::Deny
    }
}

fn touch(watch: &Watch, table: &str) {
    if table.starts_with("sqlite_") {
        return;
    }
    watch
        .touched
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(table.to_owned());
}

/// Notes what an untrusted statement deletes from, drops or alters (see
/// [`crate::rows`]).
fn target(watch: &Watch, action: &AuthAction<'_>) {
    let mut targets = watch.targets.lock().unwrap_or_else(PoisonError::into_inner);
    match action {
        AuthAction::Delete { table_name } | AuthAction::DropTable { table_name }
            if !table_name.starts_with("sqlite_") =>
        {
            targets.note_direct(table_name);
            targets.deleted.insert((*table_name).to_owned());
        }
        AuthAction::AlterTable { table_name, .. } if !table_name.starts_with("sqlite_") => {
            targets.note_direct(table_name);
            targets.altered.insert((*table_name).to_owned());
        }
        AuthAction::Insert { table_name } | AuthAction::Update { table_name, .. }
            if !table_name.starts_with("sqlite_") =>
        {
            targets.note_direct(table_name);
        }
        _ => {}
    }
}

/// D1's authorizer (workerd's `SqliteDatabase::isAuthorized` with the user regulator).
fn authorize(watch: &Watch, ctx: &AuthContext<'_>) -> Authorization {
    match ctx.action {
        AuthAction::Insert { table_name }
        | AuthAction::Delete { table_name }
        | AuthAction::Update { table_name, .. }
        | AuthAction::CreateTable { table_name }
        | AuthAction::DropTable { table_name }
        | AuthAction::AlterTable { table_name, .. }
        | AuthAction::CreateIndex { table_name, .. }
        | AuthAction::CreateVtable { table_name, .. } => touch(watch, table_name),
        _ => {}
    }
    if watch.trusted.load(Ordering::SeqCst) {
        return Authorization::Allow;
    }
    target(watch, &ctx.action);
    let database = match ctx.action {
        AuthAction::AlterTable { database_name, .. } => Some(database_name),
        _ => ctx.database_name,
    };
    match database {
        Some("temp") => {
            return match ctx.action {
                AuthAction::Read { table_name, .. } | AuthAction::Update { table_name, .. } => {
                    allow(allowed_name(table_name))
                }
                _ => Authorization::Deny,
            };
        }
        Some(name) if name != "main" => return Authorization::Deny,
        _ => {}
    }
    match ctx.action {
        AuthAction::Select | AuthAction::Analyze { .. } | AuthAction::Recursive => {
            Authorization::Allow
        }
        AuthAction::CreateTable { table_name }
        | AuthAction::Delete { table_name }
        | AuthAction::DropTable { table_name }
        | AuthAction::Insert { table_name }
        | AuthAction::AlterTable { table_name, .. }
        | AuthAction::Read { table_name, .. }
        | AuthAction::Update { table_name, .. } => allow(allowed_name(table_name)),
        AuthAction::CreateView { view_name } | AuthAction::DropView { view_name } => {
            allow(allowed_name(view_name))
        }
        AuthAction::Reindex { index_name } => allow(allowed_name(index_name)),
        AuthAction::CreateIndex {
            index_name,
            table_name,
        }
        | AuthAction::DropIndex {
            index_name,
            table_name,
        } => allow(allowed_name(index_name) && allowed_name(table_name)),
        AuthAction::CreateTrigger {
            trigger_name,
            table_name,
        }
        | AuthAction::DropTrigger {
            trigger_name,
            table_name,
        } => allow(allowed_name(trigger_name) && allowed_name(table_name)),
        AuthAction::Transaction { .. } | AuthAction::Savepoint { .. } => {
            watch.refused_transaction.store(true, Ordering::SeqCst);
            Authorization::Deny
        }
        AuthAction::Pragma {
            pragma_name,
            pragma_value,
        } => allow(pragma_allowed(pragma_name, pragma_value)),
        // SQLite passes the name as written for some built-ins (`CURRENT_TIMESTAMP` in a
        // DEFAULT); names of SQL functions are case-insensitive.
        AuthAction::Function { function_name } => allow(
            ALLOWED_FUNCTIONS
                .iter()
                .any(|f| f.eq_ignore_ascii_case(function_name)),
        ),
        AuthAction::CreateVtable { module_name, .. }
        | AuthAction::DropVtable { module_name, .. } => allow(
            module_name.eq_ignore_ascii_case("fts5")
                || module_name.eq_ignore_ascii_case("fts5vocab"),
        ),
        _ => Authorization::Deny,
    }
}

fn pragma_allowed(name: &str, value: Option<&str>) -> bool {
    if name == "table_list" {
        return true;
    }
    if name == "table_info" || name == "table_xinfo" {
        return value.is_some_and(allowed_name);
    }
    let Some((_, arg)) = ALLOWED_PRAGMAS.iter().find(|(n, _)| *n == name) else {
        return false;
    };
    match (arg, value) {
        (PragmaArg::None, value) => value.is_none(),
        (
            PragmaArg::Boolean
            | PragmaArg::OptionalObject
            | PragmaArg::OptionalNumber
            | PragmaArg::OptionalNumberOrObject,
            None,
        ) => true,
        (PragmaArg::Boolean, Some(value)) => boolean_word(value),
        (PragmaArg::Object, None) => false,
        (PragmaArg::Object | PragmaArg::OptionalObject, Some(value)) => allowed_name(value),
        (PragmaArg::OptionalNumber, Some(value)) => value.parse::<i32>().is_ok(),
        (PragmaArg::OptionalNumberOrObject, Some(value)) => {
            value.parse::<u32>().is_ok() || allowed_name(value)
        }
    }
}

/// workerd accepts a boolean argument that starts with one of SQLite's boolean words
/// (case-insensitive, optionally quoted).
fn boolean_word(value: &str) -> bool {
    let mut value = value;
    let bytes = value.as_bytes();
    if bytes.len() >= 2
        && (bytes[0] == b'\'' || bytes[0] == b'"')
        && bytes[bytes.len() - 1] == bytes[0]
    {
        value = &value[1..value.len() - 1];
    }
    ["true", "false", "yes", "no", "on", "off", "1", "0"]
        .iter()
        .any(|word| {
            value
                .get(..word.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(word))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fresh() -> (tempfile::TempDir, D1Connection) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("db.sqlite");
        Connection::open(&path)
            .expect("create")
            .execute_batch("CREATE TABLE d1_migrations(id INTEGER PRIMARY KEY, name TEXT UNIQUE)")
            .expect("migrations table");
        let db = D1Connection::open(&path).expect("open");
        (dir, db)
    }

    fn run(db: &D1Connection, sql: &str) -> Result<BatchStats, D1Error> {
        static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = RUNS.fetch_add(1, Ordering::SeqCst);
        db.run_batch(&split::with_migration_record(
            sql,
            "d1_migrations",
            &format!("{n}.sql"),
        ))
    }

    #[test]
    fn a_failing_statement_rolls_back_the_whole_file() {
        let (_dir, db) = fresh();
        let err = run(
            &db,
            "CREATE TABLE a(x);\nINSERT INTO a VALUES (1);\nINSERT INTO nope VALUES (1);",
        )
        .expect_err("no such table");
        assert_eq!(err.class, "SQLITE_ERROR");
        assert_eq!(err.line, Some(3));
        assert!(
            err.message.starts_with("no such table: nope"),
            "{}",
            err.message
        );
        let tables: i64 = db
            .trusted(|c| c.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0)))
            .expect("count");
        assert_eq!(
            tables, 2,
            "only d1_migrations and its index: nothing of the file is left"
        );
    }

    #[test]
    fn transactions_attach_temp_and_pragmas_are_refused() {
        let (_dir, db) = fresh();
        for (sql, class) in [
            ("BEGIN; CREATE TABLE a(x); COMMIT;", "transaction"),
            ("SAVEPOINT s; CREATE TABLE a(x); RELEASE s;", "transaction"),
            ("ATTACH DATABASE 'x.db' AS x;", "SQLITE_AUTH"),
            ("CREATE TEMP TABLE t(x);", "SQLITE_AUTH"),
            ("PRAGMA journal_mode = WAL;", "SQLITE_AUTH"),
            ("CREATE TABLE _cf_x(a);", "SQLITE_AUTH"),
            (
                "CREATE VIRTUAL TABLE r USING rtree(id, a, b);",
                "SQLITE_AUTH",
            ),
            ("SELECT sqlite_version();", "SQLITE_ERROR"),
            ("SELECT ?1;", "parameters"),
        ] {
            let err = run(&db, sql).expect_err(sql);
            assert_eq!(err.class, class, "{sql}: {}", err.message);
        }
        for sql in [
            "BEGIN TRANSACTION; CREATE TABLE a(x); COMMIT;",
            "PRAGMA foreign_keys = OFF; PRAGMA defer_foreign_keys = 'on'; PRAGMA table_info(a);",
            "CREATE VIRTUAL TABLE docs USING fts5(body);",
        ] {
            run(&db, sql).unwrap_or_else(|err| panic!("{sql}: {}", err.message));
        }
    }

    #[test]
    fn foreign_keys_are_enforced_even_when_switched_off_in_the_file() {
        let (_dir, db) = fresh();
        let err = run(
            &db,
            "PRAGMA foreign_keys=OFF; CREATE TABLE p(id INTEGER PRIMARY KEY); CREATE TABLE c(p REFERENCES p(id)); INSERT INTO c VALUES(5);",
        )
        .expect_err("foreign_keys=OFF is a no-op inside D1's transaction");
        assert_eq!(err.class, "SQLITE_CONSTRAINT");
        let err = run(
            &db,
            "PRAGMA defer_foreign_keys=ON; CREATE TABLE p(id INTEGER PRIMARY KEY); CREATE TABLE c(p REFERENCES p(id)); INSERT INTO c VALUES(5);",
        )
        .expect_err("deferred keys are checked at commit");
        assert_eq!(err.class, "SQLITE_CONSTRAINT");
        assert_eq!(err.chunk, None, "the failure is at commit");
        assert!(err.message.contains("FOREIGN KEY"), "{}", err.message);
    }

    #[test]
    fn limits_apply() {
        let (_dir, db) = fresh();
        let columns: Vec<String> = (0..101).map(|i| format!("c{i}")).collect();
        let err = run(&db, &format!("CREATE TABLE wide({});", columns.join(", ")))
            .expect_err("101 columns");
        assert_eq!(err.class, "SQLITE_ERROR", "{}", err.message);
        let long = format!("SELECT '{}';", "x".repeat(100_001));
        let err = run(&db, &long).expect_err("too long");
        assert_eq!(err.class, "SQLITE_TOOBIG", "{}", err.message);
    }

    #[test]
    fn counts_statements_and_rows() {
        let (_dir, db) = fresh();
        let stats = run(
            &db,
            "CREATE TABLE a(x);\nINSERT INTO a VALUES (1), (2);\nUPDATE a SET x = 3;",
        )
        .expect("fine");
        assert_eq!(stats.statements, 3);
        assert_eq!(stats.rows_changed, 4, "2 inserted, 2 updated");
        assert_eq!(
            db.touched_tables().into_iter().collect::<Vec<_>>(),
            ["a", "d1_migrations"]
        );
    }
}

//! The remote D1 database, through wrangler: its export (around virtual tables, which
//! `wrangler d1 export` refuses) and queries (`wrangler d1 execute --json`). Every call
//! goes through the one process layer: wrangler is found and run as for every other
//! binary, in the config's directory, with its allowlist, and a failure shows wrangler's
//! own error.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use bulwark_process::{Runner, Tool};
use bulwark_sqlite::{AroundVirtual, SchemaRow};

use crate::MigrateError;

/// One D1 database of one wrangler config, reached with `--remote`.
#[derive(Debug)]
pub(crate) struct Remote<'a> {
    config: PathBuf,
    env: Option<&'a str>,
    database: &'a str,
}

/// What an export did beyond writing the dump.
#[derive(Debug, Default)]
pub(crate) struct Exported {
    /// The virtual tables exported around (their content came through their shadow
    /// tables).
    pub virtual_tables: Vec<String>,
}

impl<'a> Remote<'a> {
    pub(crate) fn new(config: &Path, env: Option<&'a str>, database: &'a str) -> Self {
        // Absolute, since wrangler runs in the config's directory rather than ours.
        let config = std::path::absolute(config).unwrap_or_else(|_| config.to_owned());
        Self {
            config,
            env,
            database,
        }
    }

    fn project(&self) -> &Path {
        self.config.parent().unwrap_or(Path::new("."))
    }

    /// Runs `wrangler d1 VERB DATABASE ARGS… --remote --config C [--env E]`; its stdout.
    fn wrangler(&self, verb: &str, args: &[OsString]) -> Result<Vec<u8>, MigrateError> {
        let mut line: Vec<OsString> = vec!["d1".into(), verb.into(), self.database.into()];
        line.extend(args.iter().cloned());
        line.extend([
            "--remote".into(),
            "--config".into(),
            self.config.as_os_str().to_owned(),
        ]);
        if let Some(env) = self.env {
            line.extend(["--env".into(), env.into()]);
        }
        let runner = Runner::untimed(self.project());
        let finished = runner.run(Tool::Wrangler, &line, None)?;
        if !finished.status.success() {
            // wrangler prints its `✘ [ERROR]` block on stderr, except with `--json`,
            // where the error is `{"error": {"text": …}}` on stdout.
            let stdout = runner.scrub(&finished.stdout);
            let cause = if finished.stderr.contains("[ERROR]") {
                finished.summary()
            } else if let Some(text) = json_error(&stdout) {
                text
            } else if finished.stderr.trim().is_empty() {
                bulwark_process::summary(&stdout)
            } else {
                finished.summary()
            };
            return Err(MigrateError::Wrangler {
                command: format!("wrangler d1 {verb} {} --remote", self.database),
                status: finished.status.to_string(),
                cause,
            });
        }
        Ok(finished.stdout)
    }

    /// The result rows of one query, `wrangler d1 execute --json --command SQL`.
    pub(crate) fn query(&self, sql: &str) -> Result<Vec<serde_json::Value>, MigrateError> {
        let out = self.wrangler(
            "execute",
            &["--json".into(), "--command".into(), sql.into()],
        )?;
        let text = String::from_utf8_lossy(&out);
        let wrong = |what: String| MigrateError::WranglerOutput {
            command: format!("wrangler d1 execute {} --json --remote", self.database),
            what,
        };
        // Anything wrangler prints before the JSON array (a banner, a warning) is skipped.
        let start = text.find('[').ok_or_else(|| wrong("no JSON".to_owned()))?;
        let parsed: serde_json::Value = serde_json::from_str(text[start..].trim())
            .map_err(|err| wrong(format!("output that is not JSON: {err}")))?;
        parsed
            .get(0)
            .and_then(|first| first.get("results"))
            .and_then(serde_json::Value::as_array)
            .cloned()
            .ok_or_else(|| wrong("JSON without `results`".to_owned()))
    }

    /// `wrangler d1 export --remote` into `out` (an existing private file). A database
    /// with virtual tables, which wrangler refuses to export, is exported around them
    /// ([`AroundVirtual`]): `out` then rebuilds them, content included.
    pub(crate) fn export(&self, out: &Path) -> Result<Exported, MigrateError> {
        let rows = self.query(bulwark_sqlite::SCHEMA_QUERY)?;
        let rows: Vec<SchemaRow> =
            serde_json::from_value(serde_json::Value::Array(rows)).map_err(|err| {
                MigrateError::WranglerOutput {
                    command: format!("wrangler d1 execute {} --json --remote", self.database),
                    what: format!("rows that are not sqlite_master's: {err}"),
                }
            })?;
        let plan = AroundVirtual::plan(&rows);
        let mut args: Vec<OsString> = vec!["--output".into(), out.into()];
        if let Some(plan) = &plan {
            for table in &plan.tables {
                args.extend(["--table".into(), table.into()]);
            }
        }
        self.wrangler("export", &args)?;
        let Some(plan) = plan else {
            return Ok(Exported::default());
        };
        plan.wrap(out).map_err(|source| MigrateError::WriteFile {
            path: out.to_owned(),
            source,
        })?;
        Ok(Exported {
            virtual_tables: plan.virtual_tables,
        })
    }
}

/// The `error.text` of the JSON wrangler prints for a failed `--json` command.
fn json_error(stdout: &str) -> Option<String> {
    let start = stdout.find('{')?;
    let doc: serde_json::Value = serde_json::from_str(stdout[start..].trim()).ok()?;
    let text = doc.get("error")?.get("text")?.as_str()?;
    Some(text.split_whitespace().collect::<Vec<_>>().join(" "))
}

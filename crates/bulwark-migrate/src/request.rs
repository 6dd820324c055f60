//! From the flags, bulwark.toml and the wrangler config to one resolved [`Request`].

use std::path::{Path, PathBuf};

use bulwark_config::{Config, ConfigError, WranglerConfig};

use crate::{MigrateError, Source};

/// What the user asked for, before config files are read (plain data: no clap here).
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// `--config` (bulwark.toml); without it, one is looked for from `cwd` upwards.
    pub bulwark_config: Option<PathBuf>,
    /// `--wrangler-config`.
    pub wrangler_config: Option<PathBuf>,
    /// `--env`.
    pub env: Option<String>,
    /// `--database`.
    pub database: Option<String>,
    /// `--migrations`.
    pub migrations: Option<PathBuf>,
    /// `--table`.
    pub table: Option<String>,
    /// `--snapshot`.
    pub snapshot: Option<PathBuf>,
    /// `--dump`.
    pub dump: Option<PathBuf>,
    /// `--local`.
    pub local: bool,
    /// `--export-remote`.
    pub export_remote: bool,
}

/// A fully resolved dry run.
#[derive(Debug, Clone)]
pub struct Request {
    /// The migrations directory.
    pub migrations_dir: PathBuf,
    /// The migrations table.
    pub table: String,
    /// The database to start from.
    pub source: Source,
    /// `--strict`: lint errors fail the run.
    pub strict: bool,
    /// `--keep FILE`.
    pub keep: Option<PathBuf>,
    /// `--lock FILE`.
    pub lock: Option<PathBuf>,
    /// `--update-lock`: record checksums of applied files that the lock lacks.
    pub update_lock: bool,
    /// `--timeout`: how long one migration file (one D1 batch) may run on the copy;
    /// `None`: no bound.
    pub timeout: Option<std::time::Duration>,
    /// `--save-export FILE`: keep the remote export (the SQL loaded) at this path.
    pub save_export: Option<PathBuf>,
}

impl Request {
    /// Resolves `inputs` against bulwark.toml and the wrangler config, from `cwd`.
    #[expect(
        clippy::too_many_lines,
        reason = "flags, then bulwark.toml, then the wrangler binding, in one place"
    )]
    pub fn resolve(inputs: &Inputs, cwd: &Path) -> Result<Self, MigrateError> {
        let config = match &inputs.bulwark_config {
            Some(path) => Some(Config::load(path)?),
            None => match Config::discover(cwd) {
                Ok(config) => Some(config),
                Err(ConfigError::NotFound { .. }) => None,
                Err(err) => return Err(err.into()),
            },
        };
        let settings = config.map(|c| c.migrations).unwrap_or_default();
        let database = inputs.database.clone().or(settings.database);
        let wrangler_path = match inputs.wrangler_config.clone().or(settings.wrangler_config) {
            Some(path) => Some(path),
            None => WranglerConfig::find(cwd).ok(),
        };
        let explicit_dir = inputs.migrations.clone().or(settings.dir);
        let explicit_table = inputs.table.clone().or(settings.table);
        let mut binding = None;
        let mut preview_id = None;
        let mut base_dir = cwd.to_owned();
        // The wrangler config is needed unless --migrations says where the files are and
        // the source does not depend on the binding.
        let needs_wrangler = explicit_dir.is_none() || inputs.local || inputs.export_remote;
        if let Some(path) = wrangler_path
            .as_ref()
            .filter(|_| needs_wrangler || database.is_some())
        {
            let env = inputs.env.as_deref();
            // wrangler reads its config before anything else; what it refuses, it runs
            // nothing with. Checked on the raw document, before our own typed reading,
            // so the reason given is wrangler's own.
            if let Some(document) = raw_document(path) {
                let reasons = crate::refusal::refusals(document.value(), env);
                if !reasons.is_empty() {
                    return Err(MigrateError::WranglerRefusesConfig {
                        config: path.clone(),
                        reasons,
                    });
                }
            }
            let wrangler = WranglerConfig::load(path)?;
            let found = wrangler.d1_database(env, database.as_deref()).cloned();
            let Some(found) = found else {
                return Err(MigrateError::NoDatabase {
                    config: path.clone(),
                    env: inputs.env.clone(),
                    wanted: database
                        .clone()
                        .unwrap_or_else(|| "(the only one)".to_owned()),
                    known: wrangler
                        .env(env)
                        .map(|e| e.d1_databases.iter().map(|d| d.binding.clone()).collect())
                        .unwrap_or_default(),
                });
            };
            // wrangler's local mode names the database by preview_database_id when set.
            if let Some(table) = wrangler.env(env) {
                let index = table.d1_databases.iter().position(|d| *d == found);
                preview_id = index.and_then(|i| {
                    wrangler
                        .document
                        .pointer(&format!(
                            "{}/d1_databases/{i}/preview_database_id",
                            table.pointer
                        ))
                        .and_then(serde_json::Value::as_str)
                        .map(str::to_owned)
                });
            }
            base_dir = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .map_or_else(|| cwd.to_owned(), Path::to_path_buf);
            binding = Some(found);
        } else if needs_wrangler && explicit_dir.is_none() {
            return Err(MigrateError::NeedsWranglerConfig {
                flag: "finding the migrations",
            });
        }
        let migrations_dir = match (&explicit_dir, &binding) {
            (Some(dir), _) => dir.clone(),
            (None, Some(db)) => {
                base_dir.join(non_empty(db.migrations_dir.as_deref()).unwrap_or("migrations"))
            }
            (None, None) => PathBuf::from("migrations"),
        };
        // Paths in the report read as the user would type them.
        let migrations_dir = migrations_dir
            .strip_prefix(cwd)
            .map_or(migrations_dir.clone(), Path::to_path_buf);
        let base_dir = base_dir
            .strip_prefix(cwd)
            .map_or(base_dir.clone(), Path::to_path_buf);
        let table = explicit_table
            .or_else(|| {
                binding
                    .as_ref()
                    .and_then(|db| non_empty(db.migrations_table.as_deref()).map(str::to_owned))
            })
            .unwrap_or_else(|| bulwark_config::DEFAULT_MIGRATIONS_TABLE.to_owned());
        let source = if let Some(path) = &inputs.snapshot {
            Source::File(path.clone())
        } else if let Some(path) = &inputs.dump {
            Source::Dump(path.clone())
        } else if inputs.local {
            let db = binding
                .as_ref()
                .ok_or(MigrateError::NeedsWranglerConfig { flag: "--local" })?;
            Source::Local {
                state_dir: base_dir.join(".wrangler/state"),
                database_id: preview_id
                    .clone()
                    .or_else(|| db.database_id.clone())
                    .unwrap_or_else(|| db.binding.clone()),
            }
        } else if inputs.export_remote {
            let db = binding.as_ref().ok_or(MigrateError::NeedsWranglerConfig {
                flag: "--export-remote",
            })?;
            Source::ExportRemote {
                config: wrangler_path.clone().unwrap_or_default(),
                env: inputs.env.clone(),
                database: db.binding.clone(),
            }
        } else {
            Source::Empty
        };
        Ok(Self {
            migrations_dir,
            table,
            source,
            strict: false,
            keep: None,
            lock: None,
            update_lock: false,
            timeout: None,
            save_export: None,
        })
    }
}

/// Wrangler treats an empty `migrations_dir`/`migrations_table` as unset.
fn non_empty(value: Option<&str>) -> Option<&str> {
    value.filter(|v| !v.is_empty())
}

/// The wrangler file as a plain tree (a leading BOM dropped, as wrangler does), or
/// `None` when it cannot be read or parsed: `WranglerConfig::load` then says why.
fn raw_document(path: &Path) -> Option<bulwark_config::Document> {
    let text = std::fs::read_to_string(path).ok()?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    if path.extension().is_some_and(|ext| ext == "toml") {
        bulwark_config::Document::parse_toml(path, text).ok()
    } else {
        bulwark_config::Document::parse_jsonc(path, text).ok()
    }
}

#[cfg(test)]
mod tests {
    use bulwark_core::{Exit, Failure as _};

    use super::*;

    #[test]
    fn resolves_the_binding_from_wrangler_config_and_environment() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(
            dir.path().join("wrangler.jsonc"),
            r#"{
              "d1_databases": [{ "binding": "DB", "database_id": "top-id", "migrations_dir": "db/m" }],
              "env": { "staging": { "d1_databases": [
                { "binding": "OTHER", "database_id": "x" },
                { "binding": "DB", "database_id": "staging-id", "preview_database_id": "preview-id", "migrations_table": "schema_log" }
              ] } }
            }"#,
        )
        .expect("write config");
        let inputs = Inputs {
            local: true,
            ..Inputs::default()
        };
        let request = Request::resolve(&inputs, dir.path()).expect("top level");
        assert_eq!(request.migrations_dir, Path::new("db/m"));
        assert_eq!(request.table, "d1_migrations");
        assert_eq!(
            request.source,
            Source::Local {
                state_dir: PathBuf::from(".wrangler/state"),
                database_id: "top-id".into()
            }
        );
        let inputs = Inputs {
            local: true,
            env: Some("staging".into()),
            database: Some("DB".into()),
            ..Inputs::default()
        };
        let request = Request::resolve(&inputs, dir.path()).expect("staging");
        assert_eq!(request.migrations_dir, Path::new("migrations"));
        assert_eq!(request.table, "schema_log");
        assert!(
            matches!(&request.source, Source::Local { database_id, .. } if database_id == "preview-id"),
            "{:?}",
            request.source
        );
        let inputs = Inputs {
            env: Some("staging".into()),
            ..Inputs::default()
        };
        let err = Request::resolve(&inputs, dir.path()).expect_err("two databases there");
        assert!(matches!(err, MigrateError::NoDatabase { ref known, .. } if known.len() == 2));
        assert_eq!(err.exit(), Exit::Usage);
    }

    /// Issue 13 item 8: wrangler refuses an upper-case worker name and runs nothing; so
    /// does migrate-dryrun, with wrangler's reason (exit 2).
    #[test]
    fn a_config_wrangler_refuses_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(
            dir.path().join("wrangler.jsonc"),
            r#"{ "name": "Parity", "d1_databases": [{ "binding": "DB", "database_id": "x" }] }"#,
        )
        .expect("write config");
        let err = Request::resolve(&Inputs::default(), dir.path()).expect_err("refused");
        assert_eq!(err.exit(), Exit::Usage);
        assert!(
            err.to_string().contains(
                "Expected \"name\" to be of type string, alphanumeric and lowercase with dashes only but got \"Parity\"."
            ),
            "{err}"
        );
        assert!(
            err.hint()
                .is_some_and(|h| h.contains("before it runs any migration"))
        );
    }
}

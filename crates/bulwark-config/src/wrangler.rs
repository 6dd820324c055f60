//! Typed views of a wrangler config: the worker's name, its `vars`, its bindings and its
//! D1 databases, at top level and in each `env.NAME`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::document::pointer_segment;
use crate::{ConfigError, Document, Location};

/// The file names wrangler looks for, in its order of preference.
pub const WRANGLER_CONFIG_NAMES: [&str; 3] = ["wrangler.json", "wrangler.jsonc", "wrangler.toml"];

/// Wrangler's default `migrations_dir`.
pub const DEFAULT_MIGRATIONS_DIR: &str = "migrations";

/// Wrangler's default `migrations_table`.
pub const DEFAULT_MIGRATIONS_TABLE: &str = "d1_migrations";

/// A parsed wrangler config.
#[derive(Debug, Clone)]
pub struct WranglerConfig {
    /// The parsed file, with key locations for `file:line` messages.
    pub document: Document,
    /// The top-level settings (what `wrangler` uses without `--env`).
    pub top: WranglerEnv,
    /// Each `env.NAME`.
    pub envs: BTreeMap<String, WranglerEnv>,
    /// Each `env.NAME` that could not be read (only from [`WranglerConfig::load_lenient`]):
    /// where, and why. wrangler checks only the environment it deploys.
    pub broken_envs: BTreeMap<String, (Location, String)>,
}

/// The settings of the top level or of one `env.NAME`.
#[derive(Debug, Clone, Default)]
pub struct WranglerEnv {
    /// JSON pointer of this table: `""` for the top level, `/env/NAME` otherwise.
    pub pointer: String,
    /// `name`, where set here.
    pub name: Option<String>,
    /// `vars`, by name (plain-text values that are deployed in the open).
    pub vars: BTreeMap<String, Value>,
    /// `d1_databases`.
    pub d1_databases: Vec<D1Database>,
    /// `secrets.required`: the secret names wrangler itself expects.
    pub secrets_required: Vec<String>,
    /// Every key set in this table, for the non-inheritable-binding parity check.
    pub keys: BTreeSet<String>,
}

/// One entry of `d1_databases`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct D1Database {
    /// `binding`: the name the worker uses.
    pub binding: String,
    /// `database_name`.
    pub database_name: Option<String>,
    /// `database_id`.
    pub database_id: Option<String>,
    /// `migrations_dir`, when set.
    pub migrations_dir: Option<String>,
    /// `migrations_table`, when set.
    pub migrations_table: Option<String>,
    /// Where the entry is written.
    pub location: Location,
}

impl D1Database {
    /// `migrations_dir`, or wrangler's default.
    #[must_use]
    pub fn migrations_dir(&self) -> &str {
        self.migrations_dir
            .as_deref()
            .unwrap_or(DEFAULT_MIGRATIONS_DIR)
    }

    /// `migrations_table`, or wrangler's default.
    #[must_use]
    pub fn migrations_table(&self) -> &str {
        self.migrations_table
            .as_deref()
            .unwrap_or(DEFAULT_MIGRATIONS_TABLE)
    }

    /// Whether `name` is this database's binding or its `database_name`.
    #[must_use]
    pub fn is_named(&self, name: &str) -> bool {
        self.binding == name || self.database_name.as_deref() == Some(name)
    }
}

impl WranglerConfig {
    /// Finds the wrangler config in `dir`, in wrangler's order of preference.
    pub fn find(dir: &Path) -> Result<PathBuf, ConfigError> {
        WRANGLER_CONFIG_NAMES
            .iter()
            .map(|name| dir.join(name))
            .find(|path| path.is_file())
            .ok_or_else(|| ConfigError::NoWranglerConfig {
                dir: dir.to_owned(),
            })
    }

    /// Reads a `.json`, `.jsonc` or `.toml` wrangler config (by extension).
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        Self::parse(path, &read(path)?)
    }

    /// Reads a wrangler config as [`WranglerConfig::load`] does, except that an
    /// environment that cannot be read lands in `broken_envs` instead of failing the file.
    pub fn load_lenient(path: &Path) -> Result<Self, ConfigError> {
        Self::parse_lenient(path, &read(path)?)
    }

    /// Parses `source` as the wrangler config at `path`.
    pub fn parse(path: &Path, source: &str) -> Result<Self, ConfigError> {
        let config = Self::parse_lenient(path, source)?;
        match config.broken_envs.into_iter().next() {
            Some((_, (location, message))) => Err(ConfigError::invalid(path, location, message)),
            None => Ok(Self {
                broken_envs: BTreeMap::new(),
                ..config
            }),
        }
    }

    /// [`WranglerConfig::parse`], keeping each unreadable environment in `broken_envs`.
    pub fn parse_lenient(path: &Path, source: &str) -> Result<Self, ConfigError> {
        let document = if path.extension().is_some_and(|ext| ext == "toml") {
            Document::parse_toml(path, source)?
        } else {
            Document::parse_jsonc(path, source)?
        };
        if !document.value().is_object() {
            return Err(ConfigError::invalid(
                path,
                Location { line: 1, column: 1 },
                "a wrangler config is an object (a table)",
            ));
        }
        let top = WranglerEnv::read(&document, String::new())?;
        let mut envs = BTreeMap::new();
        let mut broken_envs = BTreeMap::new();
        if let Some(table) = document.pointer("/env") {
            let Some(table) = table.as_object() else {
                return Err(ConfigError::invalid(
                    path,
                    document.location("/env"),
                    "`env` must be a table of environments",
                ));
            };
            for name in table.keys() {
                let pointer = format!("/env/{}", pointer_segment(name));
                match WranglerEnv::read(&document, pointer) {
                    Ok(env) => {
                        envs.insert(name.clone(), env);
                    }
                    Err(ConfigError::Invalid {
                        location, message, ..
                    }) => {
                        broken_envs.insert(name.clone(), (location, message));
                    }
                    Err(err) => return Err(err),
                }
            }
        }
        Ok(Self {
            document,
            top,
            envs,
            broken_envs,
        })
    }

    /// The settings for `--env NAME`, or the top level for `None`.
    #[must_use]
    pub fn env(&self, name: Option<&str>) -> Option<&WranglerEnv> {
        match name {
            None => Some(&self.top),
            Some(name) => self.envs.get(name),
        }
    }

    /// Refuses `--env NAME` as wrangler does when the file defines environments but not
    /// this one (with none defined, wrangler only warns and deploys the top level).
    pub fn require_env(&self, name: &str) -> Result<(), ConfigError> {
        let defined: Vec<&String> = self.envs.keys().chain(self.broken_envs.keys()).collect();
        if defined.iter().any(|env| *env == name) || self.document.pointer("/env").is_none() {
            return Ok(());
        }
        Err(ConfigError::NoEnvironment {
            path: self.path().to_owned(),
            name: name.to_owned(),
            known: serde_json::to_string(&defined).unwrap_or_default(),
        })
    }

    /// The worker name wrangler deploys `--env NAME` as: the environment's own `name`,
    /// or else `<top name>-<env>`.
    #[must_use]
    pub fn worker_name(&self, env: Option<&str>) -> Option<String> {
        let top = self.top.name.as_deref()?;
        match env {
            None => Some(top.to_owned()),
            Some(env) => Some(
                self.envs
                    .get(env)
                    .and_then(|e| e.name.clone())
                    .unwrap_or_else(|| format!("{top}-{env}")),
            ),
        }
    }

    /// The D1 database bound as, or named, `name` in `env`; with `name` `None`, the only
    /// one there is.
    #[must_use]
    pub fn d1_database(&self, env: Option<&str>, name: Option<&str>) -> Option<&D1Database> {
        let databases = &self.env(env)?.d1_databases;
        match name {
            Some(name) => databases.iter().find(|db| db.is_named(name)),
            None if databases.len() == 1 => databases.first(),
            None => None,
        }
    }

    /// Where the key at `pointer` is written.
    #[must_use]
    pub fn location(&self, pointer: &str) -> Location {
        self.document.location(pointer)
    }

    /// The file.
    #[must_use]
    pub fn path(&self) -> &Path {
        self.document.path()
    }
}

fn read(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })
}

impl WranglerEnv {
    fn read(document: &Document, pointer: String) -> Result<Self, ConfigError> {
        let table = document
            .pointer(if pointer.is_empty() { "" } else { &pointer })
            .and_then(Value::as_object);
        let Some(table) = table else {
            return Err(ConfigError::invalid(
                document.path(),
                document.location(&pointer),
                "an environment must be a table",
            ));
        };
        let wrong_type = |key: &str, expected: &str| {
            ConfigError::invalid(
                document.path(),
                document.location(&format!("{pointer}/{key}")),
                format!("`{key}` must be {expected}"),
            )
        };
        let vars = match table.get("vars") {
            None => BTreeMap::new(),
            Some(Value::Object(vars)) => vars.clone().into_iter().collect(),
            Some(_) => return Err(wrong_type("vars", "a table of names to values")),
        };
        let mut d1_databases = Vec::new();
        match table.get("d1_databases") {
            None => {}
            Some(Value::Array(entries)) => {
                for (index, entry) in entries.iter().enumerate() {
                    let entry_pointer = format!("{pointer}/d1_databases/{index}");
                    let Some(entry) = entry.as_object() else {
                        return Err(ConfigError::invalid(
                            document.path(),
                            document.location(&entry_pointer),
                            "each `d1_databases` entry must be a table",
                        ));
                    };
                    let text = |key: &str| optional_string(document, entry, &entry_pointer, key);
                    let binding = text("binding")?.ok_or_else(|| {
                        ConfigError::invalid(
                            document.path(),
                            document.location(&entry_pointer),
                            "each `d1_databases` entry needs a `binding`",
                        )
                    })?;
                    d1_databases.push(D1Database {
                        binding,
                        database_name: text("database_name")?,
                        database_id: text("database_id")?,
                        migrations_dir: text("migrations_dir")?,
                        migrations_table: text("migrations_table")?,
                        location: document.location(&entry_pointer),
                    });
                }
            }
            Some(_) => return Err(wrong_type("d1_databases", "an array")),
        }
        let secrets_required = match table.get("secrets").and_then(|s| s.get("required")) {
            None => Vec::new(),
            Some(Value::Array(names)) => names
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            Some(_) => return Err(wrong_type("secrets", "a table with a `required` array")),
        };
        Ok(Self {
            name: optional_string(document, table, &pointer, "name")?,
            vars,
            d1_databases,
            secrets_required,
            keys: table.keys().cloned().collect(),
            pointer,
        })
    }

    /// The JSON pointer of key `key` in this table, e.g. for [`WranglerConfig::location`].
    #[must_use]
    pub fn pointer_to(&self, key: &str) -> String {
        format!("{}/{}", self.pointer, pointer_segment(key))
    }
}

/// The string at `key` of `table` (at `pointer`), `None` when absent. Any other type is
/// an error, as wrangler makes it: read as absent, a mistyped `name` or `migrations_dir`
/// would silently mean something else than what wrangler refuses to run.
fn optional_string(
    document: &Document,
    table: &serde_json::Map<String, Value>,
    pointer: &str,
    key: &str,
) -> Result<Option<String>, ConfigError> {
    match table.get(key) {
        None => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(ConfigError::invalid(
            document.path(),
            document.location(&format!("{pointer}/{}", pointer_segment(key))),
            format!("`{key}` must be a string"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JSONC: &str = r#"{
  // demo worker
  "name": "demo-api",
  "vars": { "LOG_LEVEL": "info", },
  "d1_databases": [
    { "binding": "DB", "database_name": "demo-db", "database_id": "00000000-0000-0000-0000-000000000000", "migrations_dir": "db/migrations" },
  ],
  "secrets": { "required": ["API_TOKEN"] },
  "env": {
    "production": {
      "name": "demo-api-prod",
      "vars": { "LOG_LEVEL": "warn" },
    },
    "staging": {},
  },
}"#;

    const TOML: &str = r#"name = "demo-api"

[vars]
LOG_LEVEL = "info"

[[d1_databases]]
binding = "DB"
database_name = "demo-db"

[env.production.vars]
LOG_LEVEL = "warn"

[[env.production.d1_databases]]
binding = "DB"
database_name = "demo-db-prod"
migrations_table = "schema_migrations"
"#;

    #[test]
    fn jsonc_view() {
        let config = WranglerConfig::parse(Path::new("wrangler.jsonc"), JSONC).expect("valid");
        assert_eq!(config.top.name.as_deref(), Some("demo-api"));
        assert_eq!(config.top.vars["LOG_LEVEL"], "info");
        assert_eq!(config.top.secrets_required, ["API_TOKEN"]);
        let db = config
            .d1_database(None, Some("demo-db"))
            .expect("by database_name");
        assert_eq!(db.migrations_dir(), "db/migrations");
        assert_eq!(db.migrations_table(), DEFAULT_MIGRATIONS_TABLE);
        assert_eq!(db.location.line, 6);
        let production = config.env(Some("production")).expect("env exists");
        assert_eq!(production.vars["LOG_LEVEL"], "warn");
        assert!(production.d1_databases.is_empty(), "not inherited");
        assert!(production.keys.contains("vars") && !production.keys.contains("d1_databases"));
        let pointer = production.pointer_to("vars");
        assert_eq!(config.location(&pointer).line, 12);
        assert_eq!(
            config.worker_name(Some("production")).as_deref(),
            Some("demo-api-prod")
        );
        assert_eq!(
            config.worker_name(Some("staging")).as_deref(),
            Some("demo-api-staging")
        );
    }

    #[test]
    fn toml_view() {
        let config = WranglerConfig::parse(Path::new("wrangler.toml"), TOML).expect("valid");
        let production = config.env(Some("production")).expect("env exists");
        let db = config
            .d1_database(Some("production"), None)
            .expect("only one");
        assert_eq!(db.database_name.as_deref(), Some("demo-db-prod"));
        assert_eq!(db.migrations_table(), "schema_migrations");
        assert_eq!(db.migrations_dir(), DEFAULT_MIGRATIONS_DIR);
        assert_eq!(
            db.location.line, 13,
            "the [[env.production.d1_databases]] header"
        );
        assert_eq!(config.location(&production.pointer_to("vars")).line, 10);
        assert_eq!(config.location("/env/production/vars/LOG_LEVEL").line, 11);
    }

    #[test]
    fn wrong_shapes_are_errors_with_lines() {
        let err = WranglerConfig::parse(Path::new("w.jsonc"), "{\n\"vars\": [1]\n}")
            .expect_err("vars must be a table");
        assert_eq!(
            err.to_string(),
            "w.jsonc:2:1: `vars` must be a table of names to values"
        );
        let err = WranglerConfig::parse(
            Path::new("w.toml"),
            "[[d1_databases]]\ndatabase_name = \"x\"\n",
        )
        .expect_err("binding is required");
        assert!(err.to_string().contains("needs a `binding`"), "{err}");
    }

    #[test]
    fn a_byte_order_mark_is_dropped_as_wrangler_does() {
        let config =
            WranglerConfig::parse(Path::new("w.jsonc"), "\u{feff}{\n  \"name\": \"api\"\n}")
                .expect("wrangler deploys it");
        assert_eq!(config.top.name.as_deref(), Some("api"));
        assert_eq!(config.location("/name").line, 2);
    }

    #[test]
    fn a_broken_environment_is_kept_apart_by_the_lenient_reader_only() {
        let text = "{\n  \"env\": {\n    \"production\": { \"name\": \"p\" },\n    \"dev\": { \"d1_databases\": [{ \"database_name\": \"x\" }] }\n  }\n}";
        let lenient = WranglerConfig::parse_lenient(Path::new("w.jsonc"), text).expect("lenient");
        assert!(lenient.envs.contains_key("production"));
        let (location, message) = &lenient.broken_envs["dev"];
        assert_eq!(location.line, 4);
        assert!(message.contains("needs a `binding`"), "{message}");
        let err = WranglerConfig::parse(Path::new("w.jsonc"), text).expect_err("strict");
        assert!(err.to_string().starts_with("w.jsonc:4:"), "{err}");
    }

    #[test]
    fn an_undefined_environment_is_refused_as_wrangler_refuses_it() {
        let config = WranglerConfig::parse(Path::new("w.jsonc"), JSONC).expect("valid");
        assert!(config.require_env("production").is_ok());
        let err = config.require_env("prod").expect_err("not defined");
        assert_eq!(
            err.to_string(),
            "w.jsonc: No environment found in configuration with name \"prod\".\nThe available configured environment names are: [\"production\",\"staging\"]"
        );
        let bare = WranglerConfig::parse(Path::new("w.jsonc"), "{}").expect("valid");
        assert!(bare.require_env("prod").is_ok(), "wrangler only warns");
    }

    #[test]
    fn a_string_setting_of_another_type_is_an_error_not_absent() {
        for (text, message) in [
            ("name = 42\n", "w.toml:1:1: `name` must be a string"),
            (
                "[env.production]\nname = [1]\n",
                "w.toml:2:1: `name` must be a string",
            ),
            (
                "[[d1_databases]]\nbinding = \"DB\"\nmigrations_dir = true\n",
                "w.toml:3:1: `migrations_dir` must be a string",
            ),
            (
                "[[d1_databases]]\nbinding = 7\n",
                "w.toml:2:1: `binding` must be a string",
            ),
            ("d1_databases = [1]\n", "must be a table"),
        ] {
            let err = WranglerConfig::parse(Path::new("w.toml"), text).expect_err(text);
            assert!(err.to_string().contains(message), "{text:?}: {err}");
        }
    }

    #[test]
    fn find_prefers_wranglers_own_order() {
        let dir = tempfile::tempdir().expect("temp dir");
        assert!(WranglerConfig::find(dir.path()).is_err());
        std::fs::write(dir.path().join("wrangler.toml"), "").expect("write");
        std::fs::write(dir.path().join("wrangler.jsonc"), "{}").expect("write");
        let found = WranglerConfig::find(dir.path()).expect("found");
        assert!(found.ends_with("wrangler.jsonc"), "{}", found.display());
    }
}

//! `bulwark.toml`: environments (store, recipients, required names, targets), migrations
//! and backups. The schema is documented in `docs/config.md`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::audit::{Audit, RawAudit};
use crate::standards::{RawNaming, RawStandards};
use crate::{CompatibilityDate, ConfigError, Disabled, Location, NAMING_KINDS, Standards};

/// The file name searched for from the current directory upwards.
pub const CONFIG_FILE_NAME: &str = "bulwark.toml";

/// A loaded and validated `bulwark.toml`. Relative paths in it are resolved against the
/// directory that holds the file.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it was read from.
    pub path: PathBuf,
    /// The environment used when none is given on the command line.
    pub default_env: Option<String>,
    /// Environments by name.
    pub envs: BTreeMap<String, Environment>,
    /// `[migrations]`.
    pub migrations: Migrations,
    /// `[backup]`.
    pub backup: Backup,
    /// `[standards]`.
    pub standards: Standards,
    /// `[audit]`.
    pub audit: Audit,
}

/// One deploy environment (`[env.NAME]`).
#[derive(Debug, Clone)]
pub struct Environment {
    /// Its name.
    pub name: String,
    /// The age-encrypted dotenv file that is the source of truth.
    pub store: Option<PathBuf>,
    /// Who the store is encrypted to.
    pub recipients: Recipients,
    /// Secret names every target must have.
    pub required: Vec<Requirement>,
    /// Where the secrets are deployed.
    pub targets: Vec<Target>,
}

impl Environment {
    /// The targets `--target NAME…` chooses, in config order: every target when `names`
    /// is empty. A name is a target's label, or else its kind; one that names no target
    /// is an error that lists the names there are.
    pub fn targets_named(&self, names: &[String]) -> Result<Vec<&Target>, ConfigError> {
        if let Some(unknown) = names
            .iter()
            .find(|name| !self.targets.iter().any(|t| t.name() == name.as_str()))
        {
            return Err(ConfigError::UnknownTarget {
                name: unknown.clone(),
                env: self.name.clone(),
                known: self
                    .targets
                    .iter()
                    .map(Target::name)
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        Ok(self
            .targets
            .iter()
            .filter(|t| names.is_empty() || names.iter().any(|n| n == t.name()))
            .collect())
    }
}

/// Age recipients: listed inline, in a file, or not given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipients {
    /// None configured.
    None,
    /// `recipients = ["age1…", …]`.
    Inline(Vec<String>),
    /// `recipients_file = "secrets/.recipients"` (one per line, `#` comments).
    File(PathBuf),
}

/// A required secret name, or a `PREFIX_*` pattern that at least one name must match.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Requirement {
    /// This exact name.
    Exact(String),
    /// At least one name starting with this prefix (the text before `*`).
    Prefix(String),
}

impl Requirement {
    /// Parses `NAME` or `PREFIX*`; `None` when it is neither.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        let (stem, is_pattern) = match text.strip_suffix('*') {
            Some(stem) => (stem, true),
            None => (text, false),
        };
        let mut chars = stem.chars();
        let first_ok = chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
        if !first_ok || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return None;
        }
        Some(if is_pattern {
            Self::Prefix(stem.to_owned())
        } else {
            Self::Exact(stem.to_owned())
        })
    }

    /// Whether `name` satisfies this requirement.
    #[must_use]
    pub fn matches(&self, name: &str) -> bool {
        match self {
            Self::Exact(exact) => name == exact,
            Self::Prefix(prefix) => name.starts_with(prefix.as_str()),
        }
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Exact(name) => f.write_str(name),
            Self::Prefix(prefix) => write!(f, "{prefix}*"),
        }
    }
}

/// One place secrets are deployed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `label`, set where two targets of one kind need telling apart.
    pub label: Option<String>,
    /// The kind and its settings.
    pub spec: TargetSpec,
    /// Where `[[env.NAME.targets]]` is written.
    pub location: Location,
}

impl Target {
    /// The label, or else the kind: unique within an environment.
    #[must_use]
    pub fn name(&self) -> &str {
        self.label.as_deref().unwrap_or(self.spec.kind())
    }
}

/// A target's kind and the settings that kind takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetSpec {
    /// Worker secrets through `wrangler secret …`.
    Wrangler {
        /// `-c`: the wrangler config, relative paths resolved.
        config: Option<PathBuf>,
        /// `--env`.
        environment: Option<String>,
        /// `--name`: the worker, when it is not the config's own.
        worker: Option<String>,
    },
    /// A Cloudflare Secrets Store, through `wrangler secrets-store …`.
    SecretsStore {
        /// The store's id.
        store_id: String,
    },
    /// A Fly.io app, through `fly secrets …`.
    Fly {
        /// `-a`.
        app: String,
    },
    /// GitHub Actions secrets, through `gh secret …`.
    Github {
        /// `-R OWNER/NAME`; the current repository when absent.
        repo: Option<String>,
        /// `--env`: a deployment environment's secrets instead of the repository's.
        environment: Option<String>,
    },
    /// The process environment of the CI job.
    Env,
}

impl TargetSpec {
    /// The `kind` as written in `bulwark.toml`.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Wrangler { .. } => "wrangler",
            Self::SecretsStore { .. } => "secrets-store",
            Self::Fly { .. } => "fly",
            Self::Github { .. } => "github",
            Self::Env => "env",
        }
    }
}

/// `[migrations]`: where migrate-dryrun finds D1 migrations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Migrations {
    /// The wrangler config that declares the D1 binding.
    pub wrangler_config: Option<PathBuf>,
    /// The D1 binding or database name.
    pub database: Option<String>,
    /// Overrides the binding's `migrations_dir`.
    pub dir: Option<PathBuf>,
    /// Overrides the binding's `migrations_table`.
    pub table: Option<String>,
}

/// `[backup]`: what db-backup exports, where to, for whom, and how long to keep it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backup {
    /// Directory for backups and manifests.
    pub dir: Option<PathBuf>,
    /// Backup file name prefix.
    pub name: Option<String>,
    /// A `SQLite` file to export.
    pub sqlite: Option<PathBuf>,
    /// A D1 binding or database name to export with wrangler.
    pub d1: Option<String>,
    /// The environment variable holding the PostgreSQL URL to export (never the URL).
    pub postgres_env: Option<String>,
    /// Export the PostgreSQL database with the Supabase preset (`--supabase`).
    pub supabase: bool,
    /// Who backups are encrypted to.
    pub recipients: Recipients,
    /// Retention: keep the newest N.
    pub keep_last: Option<u32>,
    /// Retention: keep the newest of each of the last N days.
    pub keep_daily: Option<u32>,
    /// Retention: keep the newest of each of the last N ISO weeks.
    pub keep_weekly: Option<u32>,
    /// Retention: keep the newest of each of the last N months.
    pub keep_monthly: Option<u32>,
    /// JSON status file for monitoring.
    pub status_file: Option<PathBuf>,
}

impl Default for Backup {
    fn default() -> Self {
        Self {
            dir: None,
            name: None,
            sqlite: None,
            d1: None,
            postgres_env: None,
            supabase: false,
            recipients: Recipients::None,
            keep_last: None,
            keep_daily: None,
            keep_weekly: None,
            keep_monthly: None,
            status_file: None,
        }
    }
}

// What the file may say, as serde reads it. `deny_unknown_fields` everywhere: a misspelt
// key is an error with its line, never silently ignored.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    default_env: Option<Spanned<String>>,
    #[serde(default)]
    env: BTreeMap<String, Spanned<RawEnv>>,
    migrations: Option<RawMigrations>,
    backup: Option<RawBackup>,
    standards: Option<RawStandards>,
    audit: Option<RawAudit>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEnv {
    store: Option<String>,
    recipients: Option<Spanned<Vec<Spanned<String>>>>,
    recipients_file: Option<Spanned<String>>,
    #[serde(default)]
    required: Vec<Spanned<String>>,
    #[serde(default)]
    targets: Vec<Spanned<RawTarget>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTarget {
    kind: Spanned<String>,
    label: Option<Spanned<String>>,
    config: Option<Spanned<String>>,
    environment: Option<Spanned<String>>,
    worker: Option<Spanned<String>>,
    store_id: Option<Spanned<String>>,
    app: Option<Spanned<String>>,
    repo: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMigrations {
    wrangler_config: Option<String>,
    database: Option<Spanned<String>>,
    dir: Option<String>,
    table: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBackup {
    dir: Option<String>,
    name: Option<String>,
    sqlite: Option<String>,
    d1: Option<Spanned<String>>,
    postgres_env: Option<Spanned<String>>,
    supabase: Option<bool>,
    recipients: Option<Spanned<Vec<Spanned<String>>>>,
    recipients_file: Option<Spanned<String>>,
    keep_last: Option<u32>,
    keep_daily: Option<u32>,
    keep_weekly: Option<u32>,
    keep_monthly: Option<u32>,
    status_file: Option<String>,
}

const TARGET_KINDS: [&str; 5] = ["wrangler", "secrets-store", "fly", "github", "env"];

impl Config {
    /// Finds `bulwark.toml` in `start` or the nearest parent directory and loads it.
    pub fn discover(start: &Path) -> Result<Self, ConfigError> {
        let found = start
            .ancestors()
            .map(|dir| dir.join(CONFIG_FILE_NAME))
            .find(|candidate| candidate.is_file());
        match found {
            Some(path) => Self::load(&path),
            None => Err(ConfigError::NotFound {
                start: start.to_owned(),
            }),
        }
    }

    /// Loads `--config FILE`, or else discovers from the current directory.
    pub fn load_or_discover(explicit: Option<&Path>) -> Result<Self, ConfigError> {
        if let Some(path) = explicit {
            return Self::load(path);
        }
        let cwd = std::env::current_dir().map_err(|source| ConfigError::Read {
            path: PathBuf::from("."),
            source,
        })?;
        Self::discover(&cwd)
    }

    /// Reads and validates the file at `path`.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let source = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(path, &source)
    }

    /// Validates `source` as if read from `path` (relative paths resolve against its
    /// directory).
    pub fn parse(path: &Path, source: &str) -> Result<Self, ConfigError> {
        let raw: RawConfig = toml::from_str(source).map_err(|err| {
            let location = err
                .span()
                .map(|span| Location::of_offset(source, span.start))
                .unwrap_or_default();
            ConfigError::invalid(path, location, err.message().trim_end())
        })?;
        Validator { path, source }.config(raw)
    }

    /// The environment named `name`, or the default one, or the only one.
    pub fn environment(&self, name: Option<&str>) -> Result<&Environment, ConfigError> {
        let chosen = name.or(self.default_env.as_deref()).or_else(|| {
            (self.envs.len() == 1)
                .then(|| self.envs.keys().next().map(String::as_str))
                .flatten()
        });
        let known = self.envs.keys().cloned().collect::<Vec<_>>().join(", ");
        match chosen {
            Some(name) => self.envs.get(name).ok_or_else(|| {
                ConfigError::invalid(
                    &self.path,
                    Location::default(),
                    format!("no environment `{name}` (environments: {known})"),
                )
            }),
            None => Err(ConfigError::invalid(
                &self.path,
                Location::default(),
                format!("several environments and no `default_env`: pass --env (one of {known})"),
            )),
        }
    }

    /// The directory relative paths are resolved against.
    #[must_use]
    pub fn dir(&self) -> &Path {
        // `--config bulwark.toml` has the parent "", which no directory walk can open.
        self.path
            .parent()
            .filter(|dir| !dir.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
    }
}

struct Validator<'a> {
    path: &'a Path,
    source: &'a str,
}

impl Validator<'_> {
    fn at<T>(&self, spanned: &Spanned<T>) -> Location {
        Location::of_offset(self.source, spanned.span().start)
    }

    fn error<T>(&self, spanned: &Spanned<T>, message: impl fmt::Display) -> ConfigError {
        ConfigError::invalid(self.path, self.at(spanned), message)
    }

    fn resolve(&self, relative: &str) -> PathBuf {
        self.path.parent().unwrap_or(Path::new(".")).join(relative)
    }

    fn config(&self, raw: RawConfig) -> Result<Config, ConfigError> {
        let mut envs = BTreeMap::new();
        for (name, env) in raw.env {
            if !is_plain_name(&name) {
                return Err(self.error(&env, format!("`{name}` is not a valid environment name")));
            }
            let env = self.environment(&name, env.into_inner())?;
            envs.insert(name, env);
        }
        if let Some(default) = &raw.default_env
            && !envs.contains_key(default.get_ref())
        {
            return Err(self.error(
                default,
                format!(
                    "`default_env` names `{}`, which has no [env.{0}] table",
                    default.get_ref()
                ),
            ));
        }
        let migrations = match raw.migrations {
            None => Migrations::default(),
            Some(m) => Migrations {
                wrangler_config: m.wrangler_config.map(|p| self.resolve(&p)),
                database: self.argument("database", m.database, Charset::Name)?,
                dir: m.dir.map(|p| self.resolve(&p)),
                table: self.argument("table", m.table, Charset::SqlIdentifier)?,
            },
        };
        let backup = match raw.backup {
            None => Backup::default(),
            Some(b) => Backup {
                dir: b.dir.map(|p| self.resolve(&p)),
                name: b.name,
                sqlite: b.sqlite.map(|p| self.resolve(&p)),
                d1: self.argument("d1", b.d1, Charset::Name)?,
                postgres_env: self.argument("postgres_env", b.postgres_env, Charset::EnvVar)?,
                supabase: b.supabase.unwrap_or(false),
                recipients: self.recipients(b.recipients, b.recipients_file)?,
                keep_last: b.keep_last,
                keep_daily: b.keep_daily,
                keep_weekly: b.keep_weekly,
                keep_monthly: b.keep_monthly,
                status_file: b.status_file.map(|p| self.resolve(&p)),
            },
        };
        Ok(Config {
            path: self.path.to_owned(),
            default_env: raw.default_env.map(Spanned::into_inner),
            envs,
            migrations,
            backup,
            standards: raw
                .standards
                .map_or_else(|| Ok(Standards::default()), |s| self.standards(s))?,
            audit: match raw.audit {
                None => Audit::default(),
                Some(audit) => audit.validate().map_err(|problem| {
                    let location = problem
                        .span
                        .map(|span| Location::of_offset(self.source, span.start))
                        .unwrap_or_default();
                    ConfigError::invalid(self.path, location, problem.message)
                })?,
            },
        })
    }

    fn naming(
        &self,
        raw: Option<Spanned<RawNaming>>,
        has_project: bool,
    ) -> Result<BTreeMap<String, String>, ConfigError> {
        let naming = match raw {
            None => BTreeMap::new(),
            Some(naming) => {
                let location = self.at(&naming);
                match naming.into_inner() {
                    RawNaming::All(pattern) => ["d1", "r2", "queue"]
                        .iter()
                        .map(|kind| ((*kind).to_owned(), pattern.clone()))
                        .collect(),
                    RawNaming::PerKind(table) => {
                        if let Some(kind) =
                            table.keys().find(|k| !NAMING_KINDS.contains(&k.as_str()))
                        {
                            return Err(ConfigError::invalid(
                                self.path,
                                location,
                                format!(
                                    "unknown naming kind `{kind}`, expected one of: {}",
                                    NAMING_KINDS.join(", ")
                                ),
                            ));
                        }
                        table
                    }
                }
            }
        };
        for pattern in naming.values() {
            let rest = pattern
                .replace("{env}", "")
                .replace("{project}", "")
                .replace("{purpose}", "");
            if rest.contains('{') || rest.contains('}') {
                return Err(ConfigError::invalid(
                    self.path,
                    Location::default(),
                    format!(
                        "naming pattern `{pattern}`: the placeholders are {{env}}, {{project}} and {{purpose}}"
                    ),
                ));
            }
            if pattern.contains("{project}") && !has_project {
                return Err(ConfigError::invalid(
                    self.path,
                    Location::default(),
                    format!(
                        "naming pattern `{pattern}` uses {{project}}: set `project` in [standards]"
                    ),
                ));
            }
        }
        Ok(naming)
    }

    fn standards(&self, raw: RawStandards) -> Result<Standards, ConfigError> {
        let naming = self.naming(raw.naming, raw.project.is_some())?;
        let compatibility_date = match (raw.compatibility_date, raw.compatibility_date_max_age_days)
        {
            (Some(_), Some(age)) => {
                return Err(self.error(
                    &age,
                    "`compatibility_date` and `compatibility_date_max_age_days` are both set: keep one",
                ));
            }
            (Some(date), None) => {
                if !crate::standards::is_iso_date(date.get_ref()) {
                    return Err(self.error(&date, "`compatibility_date` is written YYYY-MM-DD"));
                }
                Some(CompatibilityDate::Exact(date.into_inner()))
            }
            (None, Some(age)) => Some(CompatibilityDate::MaxAgeDays(age.into_inner())),
            (None, None) => None,
        };
        if let Some(rate) = &raw.head_sampling_rate
            && !(0.0..=1.0).contains(rate.get_ref())
        {
            return Err(self.error(rate, "`head_sampling_rate` is between 0 and 1"));
        }
        let mut disable = Vec::new();
        for entry in raw.disable {
            let location = self.at(&entry);
            let entry = entry.into_inner();
            let Some(reason) = entry.reason.filter(|r| !r.trim().is_empty()) else {
                return Err(ConfigError::invalid(
                    self.path,
                    location,
                    format!(
                        "disabling `{}` for `{}` needs a `reason`: a lint is never turned off silently",
                        entry.lint, entry.worker
                    ),
                ));
            };
            disable.push(Disabled {
                worker: entry.worker,
                lint: entry.lint,
                reason,
                location,
            });
        }
        Ok(Standards {
            project: raw.project,
            naming,
            env_names: raw.env_names,
            compatibility_date,
            compatibility_flags: raw.compatibility_flags,
            head_sampling_rate: raw.head_sampling_rate.map(Spanned::into_inner),
            secrets_store: raw.secrets_store.map(Spanned::into_inner),
            workers: raw.workers.into_iter().map(Spanned::into_inner).collect(),
            external_services: raw.external_services,
            disable,
        })
    }

    fn environment(&self, name: &str, raw: RawEnv) -> Result<Environment, ConfigError> {
        let mut required = Vec::new();
        for entry in &raw.required {
            let requirement = Requirement::parse(entry.get_ref()).ok_or_else(|| {
                self.error(
                    entry,
                    format!(
                        "`{}` is not a secret name or a `PREFIX_*` pattern (letters, digits and `_`, optionally ending in `*`)",
                        entry.get_ref()
                    ),
                )
            })?;
            if required.contains(&requirement) {
                return Err(self.error(entry, format!("`{requirement}` is listed twice")));
            }
            required.push(requirement);
        }
        let mut targets: Vec<Target> = Vec::new();
        let mut names = BTreeSet::new();
        for raw_target in raw.targets {
            let location = self.at(&raw_target);
            let target = self.target(raw_target.into_inner(), location)?;
            if !names.insert(target.name().to_owned()) {
                return Err(ConfigError::invalid(
                    self.path,
                    location,
                    format!(
                        "environment `{name}` has two targets named `{}`: give each a distinct `label`",
                        target.name()
                    ),
                ));
            }
            targets.push(target);
        }
        Ok(Environment {
            name: name.to_owned(),
            store: raw.store.map(|p| self.resolve(&p)),
            recipients: self.recipients(raw.recipients, raw.recipients_file)?,
            required,
            targets,
        })
    }

    fn recipients(
        &self,
        inline: Option<Spanned<Vec<Spanned<String>>>>,
        file: Option<Spanned<String>>,
    ) -> Result<Recipients, ConfigError> {
        match (inline, file) {
            (Some(_), Some(file)) => Err(self.error(
                &file,
                "`recipients` and `recipients_file` are both set: keep one",
            )),
            (Some(list), None) => {
                for recipient in list.get_ref() {
                    let key = recipient.get_ref();
                    if key.starts_with("ssh-") || key.starts_with("ecdsa-") {
                        // The age crate's ssh support is off in this build (it pulls in
                        // `rsa`, RUSTSEC-2023-0071): say so at load, not at the first
                        // encryption.
                        return Err(self.error(
                            recipient,
                            "ssh recipients are not supported: use an age X25519 public key (`age1…`; `age-keygen -y KEYFILE` prints one)",
                        ));
                    }
                    if !key.starts_with("age1") {
                        return Err(self.error(
                            recipient,
                            "a recipient is an age X25519 public key (`age1…`); never put an identity (`AGE-SECRET-KEY-…`) here",
                        ));
                    }
                }
                Ok(Recipients::Inline(
                    list.into_inner()
                        .into_iter()
                        .map(Spanned::into_inner)
                        .collect(),
                ))
            }
            (None, Some(file)) => Ok(Recipients::File(self.resolve(file.get_ref()))),
            (None, None) => Ok(Recipients::None),
        }
    }

    fn target(&self, raw: RawTarget, location: Location) -> Result<Target, ConfigError> {
        let kind = raw.kind.get_ref().as_str();
        if !TARGET_KINDS.contains(&kind) {
            return Err(self.error(
                &raw.kind,
                format!(
                    "unknown target kind `{kind}`, expected one of: {}",
                    TARGET_KINDS.join(", ")
                ),
            ));
        }
        let fields = [
            ("config", &raw.config),
            ("environment", &raw.environment),
            ("worker", &raw.worker),
            ("store_id", &raw.store_id),
            ("app", &raw.app),
            ("repo", &raw.repo),
        ];
        let allowed: &[&str] = match kind {
            "wrangler" => &["config", "environment", "worker"],
            "secrets-store" => &["store_id"],
            "fly" => &["app"],
            "github" => &["repo", "environment"],
            _ => &[],
        };
        for (field, value) in fields {
            if let Some(value) = value
                && !allowed.contains(&field)
            {
                let takes = if allowed.is_empty() {
                    "no settings".to_owned()
                } else {
                    allowed.join(", ")
                };
                return Err(self.error(
                    value,
                    format!("`{field}` does not apply to a `{kind}` target (it takes: {takes})"),
                ));
            }
        }
        let needed = |field: &str, value: Option<Spanned<String>>| {
            self.argument(field, value, Charset::Name)?
                .ok_or_else(|| self.error(&raw.kind, format!("a `{kind}` target needs `{field}`")))
        };
        let text = |value: Option<Spanned<String>>| value.map(Spanned::into_inner);
        let spec = match kind {
            "wrangler" => TargetSpec::Wrangler {
                config: raw.config.map(|p| self.resolve(p.get_ref())),
                environment: self.argument("environment", raw.environment, Charset::Name)?,
                worker: self.argument("worker", raw.worker, Charset::Name)?,
            },
            "secrets-store" => TargetSpec::SecretsStore {
                store_id: needed("store_id", raw.store_id)?,
            },
            "fly" => TargetSpec::Fly {
                app: needed("app", raw.app)?,
            },
            "github" => {
                if let Some(repo) = &raw.repo {
                    let valid = repo.get_ref().split_once('/').is_some_and(|(owner, name)| {
                        !owner.is_empty() && !name.is_empty() && !name.contains('/')
                    });
                    if !valid {
                        return Err(self.error(repo, "`repo` is written OWNER/NAME"));
                    }
                }
                TargetSpec::Github {
                    repo: self.argument("repo", raw.repo, Charset::Repo)?,
                    environment: self.argument("environment", raw.environment, Charset::Name)?,
                }
            }
            _ => TargetSpec::Env,
        };
        Ok(Target {
            label: text(raw.label),
            spec,
            location,
        })
    }
}

/// What a value that becomes an argument of a child CLI may be made of.
#[derive(Clone, Copy)]
enum Charset {
    /// Ids and names (store ids, apps, workers, databases, environments): ASCII letters,
    /// digits, `_`, `-` and `.`.
    Name,
    /// `OWNER/NAME`: two [`Charset::Name`]s.
    Repo,
    /// A table name that is written into SQL: letters, digits and `_`, not starting with
    /// a digit.
    SqlIdentifier,
    /// An environment variable's name (POSIX's portable one): ASCII letters, digits and
    /// `_`, not starting with a digit.
    EnvVar,
}

impl Charset {
    fn allows(self, text: &str) -> bool {
        let name_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
        match self {
            Self::Name => text.chars().all(name_char),
            Self::Repo => text
                .split('/')
                .all(|part| !part.starts_with('-') && part.chars().all(name_char)),
            Self::SqlIdentifier | Self::EnvVar => {
                !text.starts_with(|c: char| c.is_ascii_digit())
                    && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            }
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Self::Name => "ASCII letters, digits, `_`, `-` and `.`",
            Self::Repo => {
                "OWNER/NAME in ASCII letters, digits, `_`, `-` and `.`, neither starting with `-`"
            }
            Self::SqlIdentifier | Self::EnvVar => {
                "ASCII letters, digits and `_`, not starting with a digit"
            }
        }
    }
}

/// The longest value accepted as a child CLI's argument.
const MAX_ARGUMENT_LEN: usize = 256;

impl Validator<'_> {
    /// A value that Bulwark passes to wrangler, fly or gh as an argument: never empty,
    /// never starting with `-` (the CLI would take it for an option: `store_id =
    /// "--help"` would print wrangler's help and change nothing), and only `charset`.
    fn argument(
        &self,
        field: &str,
        value: Option<Spanned<String>>,
        charset: Charset,
    ) -> Result<Option<String>, ConfigError> {
        let Some(value) = value else {
            return Ok(None);
        };
        let text = value.get_ref();
        let problem = if text.is_empty() {
            Some("is empty".to_owned())
        } else if text.starts_with('-') {
            Some(
                "starts with `-`, so the CLI it is passed to would read it as an option".to_owned(),
            )
        } else if text.len() > MAX_ARGUMENT_LEN {
            Some(format!("is longer than {MAX_ARGUMENT_LEN} bytes"))
        } else if !charset.allows(text) {
            Some(format!("may only hold {}", charset.describe()))
        } else {
            None
        };
        match problem {
            // The value is not quoted back: it could be anything, even a pasted secret.
            Some(problem) => Err(self.error(&value, format!("`{field}` {problem}"))),
            None => Ok(Some(value.into_inner())),
        }
    }
}

fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: &str = include_str!("../../../examples/demo/bulwark.toml");

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(Path::new("/project/bulwark.toml"), text)
    }

    fn error(text: &str) -> String {
        parse(text).expect_err("the config is invalid").to_string()
    }

    #[test]
    fn the_demo_config_loads_with_every_target_kind() {
        let config = parse(FULL).expect("the demo config is valid");
        let production = config.environment(None).expect("default_env is set");
        assert_eq!(production.name, "production");
        assert_eq!(
            production.store.as_deref(),
            Some(Path::new("/project/secrets/production.env.age"))
        );
        let kinds: Vec<_> = production.targets.iter().map(|t| t.spec.kind()).collect();
        for kind in TARGET_KINDS {
            assert!(
                kinds.contains(&kind),
                "demo lacks a {kind} target: {kinds:?}"
            );
        }
        assert!(
            production
                .required
                .contains(&Requirement::Prefix("SUPABASE_".to_owned()))
        );
        assert!(config.migrations.database.is_some());
        assert!(config.backup.keep_daily.is_some());
    }

    #[test]
    fn audit_keys_are_validated_like_every_other_key() {
        let config = parse(
            "[audit]\nmax_age_days = 30\nmin_bytes = 16\nstrong_names = [\"*_TOKEN\"]\n\
             production_envs = [\"prd\"]\n[audit.max_age_days_for]\n\"STRIPE_*\" = 365\n",
        )
        .expect("valid");
        assert_eq!(config.audit.max_age_days_of("X"), 30);
        assert_eq!(config.audit.max_age_days_of("STRIPE_KEY"), 365);
        assert_eq!(config.audit.min_bytes, 16);
        assert!(config.audit.is_strong("API_TOKEN") && !config.audit.is_strong("A_SECRET"));
        assert!(config.audit.is_production("prd"));
        let defaults = parse("").expect("valid").audit;
        assert_eq!((defaults.max_age_days, defaults.min_bytes), (90, 32));
        assert!(
            error("[audit]\nmax_age_dayz = 3\n").contains(":2:1: unknown field `max_age_dayz`")
        );
        assert!(
            error("[audit]\nmax_age_days = 0\n")
                .contains(":2:16: `max_age_days` is a number of days")
        );
        assert!(error("[audit]\nmin_bytes = 4\n").contains("`min_bytes` is between 8 and 1024"));
        assert!(error("[audit]\nstrong_names = [\"A-B\"]\n").contains("`A-B` in `strong_names`"));
        assert!(
            error("[audit.max_age_days_for]\n\"A B\" = 3\n")
                .contains(":2:9: `A B` in [audit.max_age_days_for]")
        );
    }

    #[test]
    fn the_documented_example_is_valid() {
        let doc = include_str!("../../../docs/config.md");
        let example = doc
            .split("```toml\n")
            .nth(1)
            .and_then(|rest| rest.split("```").next())
            .expect("docs/config.md has a toml example");
        let config = parse(example).expect("the documented example is valid");
        assert_eq!(config.envs.len(), 2);
        let production = &config.envs["production"];
        assert_eq!(production.targets.len(), 6);
        assert_eq!(production.targets[4].name(), "github-repo");
        assert_eq!(config.backup.keep_monthly, Some(6));
        let audit = doc
            .split("```toml\n")
            .find(|block| block.starts_with("[audit]"))
            .and_then(|rest| rest.split("```").next())
            .expect("docs/config.md has an [audit] example");
        let audit = parse(audit).expect("the [audit] example is valid").audit;
        assert_eq!(audit.max_age_days_of("SESSION_SIGNING_KEY"), 30);
        assert_eq!(audit.max_age_days_of("STRIPE_SECRET_KEY"), 365);
    }

    #[test]
    fn unknown_keys_are_errors_with_their_line() {
        let text = "[env.production]\nstore = \"s.age\"\nstroe = \"typo\"\n";
        let message = error(text);
        assert!(
            message.starts_with("/project/bulwark.toml:3:1: unknown field `stroe`, expected one of `store`, `recipients`, `recipients_file`, `required`, `targets`"),
            "{message}"
        );

        let nested = "[env.p]\n[[env.p.targets]]\nkind = \"fly\"\napp = \"a\"\napps = \"b\"\n";
        assert!(
            error(nested).contains(":5:1: unknown field `apps`"),
            "{}",
            error(nested)
        );

        let top = "defualt_env = \"p\"\n";
        assert!(
            error(top).contains(":1:1: unknown field `defualt_env`"),
            "{}",
            error(top)
        );

        let backup = "[backup]\nkeep_dialy = 7\n";
        assert!(
            error(backup).contains(":2:1: unknown field `keep_dialy`"),
            "{}",
            error(backup)
        );
    }

    #[test]
    fn standards_are_read_and_checked() {
        let config = parse(
            "[standards]\nproject = \"stream\"\nnaming = \"{env}-{project}-{purpose}\"\nenv_names = { production = \"prod\" }\ncompatibility_date_max_age_days = 183\nhead_sampling_rate = 1\n[[standards.disable]]\nworker = \"cron\"\nlint = \"baseline\"\nreason = \"pinned\"\n",
        )
        .expect("valid");
        let standards = &config.standards;
        assert_eq!(standards.naming.len(), 3, "d1, r2 and queue");
        assert_eq!(standards.naming["queue"], "{env}-{project}-{purpose}");
        assert_eq!(
            standards.compatibility_date,
            Some(CompatibilityDate::MaxAgeDays(183))
        );
        assert_eq!(standards.disable[0].location.line, 7);
        assert!(
            error("[standards]\nprojet = \"x\"\n")
                .contains(":2:1: unknown field `projet`, expected one of `project`")
        );
        assert!(
            error("[standards]\nnaming = { kv = \"{env}\" }\n")
                .contains("unknown naming kind `kv`")
        );
        assert!(error("[standards]\nnaming = \"{project}-{env}\"\n").contains("set `project`"));
        assert!(error("[standards]\ncompatibility_date = \"2025-3-7\"\n").contains(":2:"));
        assert!(
            error("[standards]\ncompatibility_date = \"2025-03-07\"\ncompatibility_date_max_age_days = 1\n")
                .contains("both set")
        );
        assert!(
            error("[[standards.disable]]\nworker = \"a\"\nlint = \"naming\"\n")
                .contains("needs a `reason`")
        );
    }

    #[test]
    fn target_fields_must_belong_to_the_kind() {
        let text = "[env.p]\n[[env.p.targets]]\nkind = \"wrangler\"\napp = \"x\"\n";
        let message = error(text);
        assert!(message.contains(":4:7: `app` does not apply to a `wrangler` target (it takes: config, environment, worker)"), "{message}");
        let env = "[env.p]\n[[env.p.targets]]\nkind = \"env\"\nrepo = \"a/b\"\n";
        assert!(error(env).contains("(it takes: no settings)"));
    }

    #[test]
    fn required_target_fields_and_kinds_are_checked() {
        let fly = "[env.p]\n[[env.p.targets]]\nkind = \"fly\"\n";
        assert!(
            error(fly).contains(":3:8: a `fly` target needs `app`"),
            "{}",
            error(fly)
        );
        let store = "[env.p]\n[[env.p.targets]]\nkind = \"secrets-store\"\n";
        assert!(error(store).contains("needs `store_id`"));
        let unknown = "[env.p]\n[[env.p.targets]]\nkind = \"vercel\"\n";
        assert!(error(unknown).contains("unknown target kind `vercel`"));
        let repo = "[env.p]\n[[env.p.targets]]\nkind = \"github\"\nrepo = \"just-a-name\"\n";
        assert!(error(repo).contains("`repo` is written OWNER/NAME"));
    }

    #[test]
    fn values_passed_to_a_child_cli_are_never_options_or_empty() {
        let target = |kind: &str, field: &str, value: &str| {
            format!("[env.p]\n[[env.p.targets]]\nkind = \"{kind}\"\n{field} = \"{value}\"\n")
        };
        let cases = [
            ("secrets-store", "store_id"),
            ("fly", "app"),
            ("wrangler", "worker"),
            ("wrangler", "environment"),
            ("github", "environment"),
        ];
        for (kind, field) in cases {
            for (value, problem) in [
                ("", "is empty"),
                ("--help", "starts with `-`"),
                ("-a", "starts with `-`"),
                ("a b", "may only hold"),
                ("a\\nb", "may only hold"),
            ] {
                let message = error(&target(kind, field, value));
                assert!(
                    message.contains(&format!(":4:{}: `{field}` {problem}", field.len() + 4)),
                    "{kind}.{field} = {value:?}: {message}"
                );
                if !value.is_empty() {
                    assert!(
                        !message.contains(value),
                        "the value is not echoed: {message}"
                    );
                }
            }
            let long = "a".repeat(MAX_ARGUMENT_LEN + 1);
            assert!(error(&target(kind, field, &long)).contains("is longer than 256 bytes"));
            parse(&target(kind, field, "demo-api_2.prod")).expect("a sane value loads");
        }
        let repo = error(&target("github", "repo", "owner/--help"));
        assert!(repo.contains(":4:8: `repo` may only hold"), "{repo}");
        let repo = error(&target("github", "repo", "-R/x"));
        assert!(repo.contains("`repo` starts with `-`"), "{repo}");
        for (section, field, value, problem) in [
            ("migrations", "database", "--remote", "starts with `-`"),
            ("migrations", "database", "", "is empty"),
            (
                "migrations",
                "table",
                "d1_migrations; DROP",
                "may only hold",
            ),
            ("migrations", "table", "1st", "may only hold"),
            ("backup", "d1", "--local", "starts with `-`"),
            ("backup", "postgres_env", "", "is empty"),
            ("backup", "postgres_env", "DATABASE-URL", "may only hold"),
            ("backup", "postgres_env", "1DB", "may only hold"),
            ("backup", "postgres_env", "DB=postgres://x", "may only hold"),
            ("backup", "postgres_env", "-h", "starts with `-`"),
        ] {
            let message = error(&format!("[{section}]\n{field} = \"{value}\"\n"));
            assert!(
                message.contains(&format!(":2:{}: `{field}` {problem}", field.len() + 4)),
                "{section}.{field} = {value:?}: {message}"
            );
        }
    }

    #[test]
    fn backup_postgres_env_must_be_a_variable_name_and_a_pasted_url_is_not_echoed() {
        let url = "postgres://app:canary-pasted-pw-5e1c@db.example.com:5432/app";
        let message = error(&format!(
            "[backup]\ndir = \"b\"\npostgres_env = \"{url}\"\n"
        ));
        assert!(
            message.contains(":3:16: `postgres_env` may only hold ASCII letters, digits and `_`"),
            "{message}"
        );
        assert!(!message.contains("canary-pasted-pw-5e1c"), "{message}");
        let config = parse("[backup]\npostgres_env = \"PROD_DB_URL\"\n").expect("a name loads");
        assert_eq!(config.backup.postgres_env.as_deref(), Some("PROD_DB_URL"));
    }

    #[test]
    fn two_targets_of_one_kind_need_labels() {
        let text = "[env.p]\n[[env.p.targets]]\nkind = \"fly\"\napp = \"a\"\n[[env.p.targets]]\nkind = \"fly\"\napp = \"b\"\n";
        let message = error(text);
        assert!(
            message.contains(":5:1: environment `p` has two targets named `fly`"),
            "{message}"
        );
        let labelled = text.replacen("app = \"b\"", "app = \"b\"\nlabel = \"worker-b\"", 1);
        let config = parse(&labelled).expect("labels tell them apart");
        let names: Vec<_> = config.envs["p"].targets.iter().map(Target::name).collect();
        assert_eq!(names, ["fly", "worker-b"]);
    }

    #[test]
    fn requirements_parse_names_and_prefix_patterns() {
        assert_eq!(
            Requirement::parse("API_TOKEN"),
            Some(Requirement::Exact("API_TOKEN".into()))
        );
        let pattern = Requirement::parse("SUPABASE_*").expect("a prefix pattern");
        assert!(pattern.matches("SUPABASE_URL") && !pattern.matches("SUPA"));
        assert_eq!(pattern.to_string(), "SUPABASE_*");
        for bad in ["", "*", "1ABC", "A-B", "A*B", "A**"] {
            assert_eq!(Requirement::parse(bad), None, "{bad:?}");
        }
        let text = "[env.p]\nrequired = [\"OK\", \"not ok\"]\n";
        assert!(
            error(text).contains(":2:19: `not ok` is not a secret name"),
            "{}",
            error(text)
        );
        let twice = "[env.p]\nrequired = [\"A\", \"A\"]\n";
        assert!(error(twice).contains("`A` is listed twice"));
    }

    #[test]
    fn recipients_are_inline_or_file_never_both_never_identities() {
        let both = "[env.p]\nrecipients = [\"age1x\"]\nrecipients_file = \"r\"\n";
        assert!(error(both).contains(":3:19: `recipients` and `recipients_file` are both set"));
        let identity = "[env.p]\nrecipients = [\"AGE-SECRET-KEY-1ABC\"]\n";
        assert!(error(identity).contains("never put an identity"));
        for ssh in [
            "ssh-ed25519 AAAAC3Nza",
            "ssh-rsa AAAAB3Nza",
            "ecdsa-sha2-nistp256 AAAA",
        ] {
            let text = format!("[env.p]\nrecipients = [\"{ssh}\"]\n");
            assert!(
                error(&text).contains(":2:15: ssh recipients are not supported"),
                "{}",
                error(&text)
            );
            let backup = format!("[backup]\nrecipients = [\"{ssh}\"]\n");
            assert!(error(&backup).contains("ssh recipients are not supported"));
        }
        let file = parse("[env.p]\nrecipients_file = \"secrets/.recipients\"\n").expect("valid");
        assert_eq!(
            file.envs["p"].recipients,
            Recipients::File(PathBuf::from("/project/secrets/.recipients"))
        );
    }

    #[test]
    fn environment_selection() {
        let config = parse("[env.a]\n[env.b]\n").expect("valid");
        assert!(
            config.environment(None).is_err(),
            "ambiguous without default_env"
        );
        assert_eq!(config.environment(Some("b")).expect("exists").name, "b");
        let missing = config
            .environment(Some("c"))
            .expect_err("no such env")
            .to_string();
        assert!(
            missing.contains("no environment `c` (environments: a, b)"),
            "{missing}"
        );
        let single = parse("[env.only]\n").expect("valid");
        assert_eq!(single.environment(None).expect("the only one").name, "only");
        let bad_default = "default_env = \"prod\"\n[env.production]\n";
        assert!(error(bad_default).contains(":1:15: `default_env` names `prod`"));
    }

    #[test]
    fn targets_are_chosen_by_label_or_kind_and_an_unknown_name_lists_the_known_ones() {
        let config = parse(
            "[env.p]\n\
             [[env.p.targets]]\nkind = \"fly\"\napp = \"a\"\n\
             [[env.p.targets]]\nkind = \"github\"\nrepo = \"o/r\"\nlabel = \"ci\"\n\
             [[env.p.targets]]\nkind = \"env\"\n",
        )
        .expect("valid");
        let env = config.environment(None).expect("the only one");
        let names = |chosen: Vec<&Target>| {
            chosen
                .iter()
                .map(|t| t.name().to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(env.targets_named(&[]).expect("all")),
            ["fly", "ci", "env"]
        );
        let picked = env
            .targets_named(&["env".to_owned(), "ci".to_owned()])
            .expect("known");
        assert_eq!(
            names(picked),
            ["ci", "env"],
            "config order, not argument order"
        );
        let err = env
            .targets_named(&["ci".to_owned(), "github".to_owned()])
            .expect_err("a labelled target is named by its label only");
        assert_eq!(
            err.to_string(),
            "no target named `github` in environment `p` (targets: fly, ci, env)"
        );
        assert_eq!(bulwark_core::Failure::exit(&err), bulwark_core::Exit::Usage);
        assert_eq!(
            bulwark_core::Failure::hint(&err).as_deref(),
            Some("a target's name is its `label`, or else its `kind`")
        );
    }

    #[test]
    fn discover_walks_up_from_a_subdirectory() {
        let root = tempfile::tempdir().expect("temp dir");
        std::fs::write(root.path().join(CONFIG_FILE_NAME), "[env.p]\n").expect("write");
        let deep = root.path().join("a/b/c");
        std::fs::create_dir_all(&deep).expect("mkdir");
        let config = Config::discover(&deep).expect("found in an ancestor");
        assert_eq!(config.path, root.path().join(CONFIG_FILE_NAME));
        let empty = tempfile::tempdir().expect("temp dir");
        let err = Config::discover(empty.path()).expect_err("nothing to find");
        assert!(matches!(err, ConfigError::NotFound { .. }));
    }
}

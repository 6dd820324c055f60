//! deploy-lint: a team's deploy standards (`[standards]` in `bulwark.toml`) checked
//! across every worker of a repository, offline.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use bulwark_config::{CompatibilityDate, Config, ConfigError, Location, Standards, WranglerConfig};
use bulwark_core::{Exit, Failure, Report, Styles};
use bulwark_scan::Rules;
use serde::Serialize;
use serde_json::Value;

use crate::{Lint, binding_parity, placeholder_ids, secrets_in_vars};

/// Every lint deploy-lint reports, by id.
pub const LINT_IDS: [&str; 13] = [
    "naming",
    "baseline",
    "binding-not-inherited",
    "placeholder-binding-id",
    "secret-in-vars",
    "durable-object-migration",
    "unresolved-service",
    "queue-without-consumer",
    "consumer-without-producer",
    "secrets-store-not-linked",
    "duplicate-resource",
    "worker-env-missing",
    "invalid-environment",
];

/// What to check.
#[derive(Debug, Clone)]
pub struct Request {
    /// Only this wrangler environment (`--env`); every deployed one when `None`.
    pub env: Option<String>,
    /// Today, for `compatibility_date_max_age_days`.
    pub today: jiff::civil::Date,
}

/// Why the lints could not run: exit 2.
#[derive(Debug, thiserror::Error)]
pub enum DeployLintError {
    /// `bulwark.toml` or a wrangler file is unusable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A `workers` glob is not a glob.
    #[error("`workers` pattern `{pattern}` is not a valid glob: {reason}")]
    Glob {
        /// The pattern.
        pattern: String,
        /// What the glob parser said.
        reason: String,
    },
    /// No wrangler file found: nothing was checked.
    #[error("no wrangler config found under {}", dir.display())]
    NoWorkers {
        /// Where deploy-lint looked.
        dir: PathBuf,
    },
    /// A `[[standards.disable]]` entry names an unknown lint or worker.
    #[error("bulwark.toml{location}: {message}")]
    BadDisable {
        /// Where.
        location: Location,
        /// What is wrong.
        message: String,
    },
}

impl Failure for DeployLintError {
    fn exit(&self) -> Exit {
        Exit::Usage
    }

    fn hint(&self) -> Option<String> {
        match self {
            Self::Config(_) => None,
            Self::Glob { .. } => {
                Some("`workers` takes globs like `workers/*/wrangler.jsonc`".to_owned())
            }
            Self::NoWorkers { .. } => Some(
                "set `workers` in [standards], or run deploy-lint inside the repository".to_owned(),
            ),
            Self::BadDisable { .. } => Some(format!(
                "lint ids: {}; worker: its top-level `name`",
                LINT_IDS.join(", ")
            )),
        }
    }

    fn wrapped(&self) -> Option<&dyn Failure> {
        match self {
            Self::Config(err) => Some(err),
            _ => None,
        }
    }
}

/// One lint found, with the worker and environment it belongs to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// The lint id.
    pub id: &'static str,
    /// `error`.
    pub severity: crate::Severity,
    /// The wrangler file.
    pub file: String,
    /// 1-based line, 0 when unknown.
    pub line: u32,
    /// 1-based column, 0 when unknown.
    pub column: u32,
    /// What is wrong, with the offending value (never a secret's).
    pub message: String,
    /// The one-line fix.
    pub hint: String,
    /// The worker (its top-level `name`).
    pub worker: String,
    /// The wrangler environment, `null` for the top level or the whole file.
    pub env: Option<String>,
}

/// A lint turned off for a worker, listed in every run.
#[derive(Debug, Clone, Serialize)]
pub struct DisabledLint {
    /// The worker.
    pub worker: String,
    /// The lint id.
    pub id: String,
    /// Why, from `bulwark.toml`.
    pub reason: String,
    /// How many findings it hid in this run.
    pub suppressed: usize,
}

/// One worker checked.
#[derive(Debug, Clone, Serialize)]
pub struct WorkerSummary {
    /// Its top-level `name`.
    pub name: String,
    /// Its wrangler file.
    pub file: String,
    /// The environments checked (`null` for the top level).
    pub environments: Vec<Option<String>>,
}

/// Everything deploy-lint found.
#[derive(Debug, Serialize)]
pub struct DeployReport {
    /// `ok` or `problem`.
    pub status: &'static str,
    /// The workers checked.
    pub workers: Vec<WorkerSummary>,
    /// The lints, by file and line.
    pub lints: Vec<Finding>,
    /// Lints turned off per worker, with their reason.
    pub disabled: Vec<DisabledLint>,
}

struct Worker {
    name: String,
    config: WranglerConfig,
    deployed: Vec<Option<String>>,
}

/// Finds every worker, checks each deployed environment against `config.standards`.
pub fn lint_repository(
    config: &Config,
    request: &Request,
) -> Result<DeployReport, DeployLintError> {
    let standards = &config.standards;
    let files = find_workers(config.dir(), &standards.workers)?;
    if files.is_empty() {
        return Err(DeployLintError::NoWorkers {
            dir: config.dir().to_owned(),
        });
    }
    let mut workers = Vec::new();
    for file in files {
        let loaded = WranglerConfig::load_lenient(&file)?;
        let name = loaded
            .top
            .name
            .clone()
            .unwrap_or_else(|| bulwark_core::display_path(&file));
        let deployed = deployed_envs(&loaded, standards, request.env.as_deref())?;
        workers.push(Worker {
            name,
            config: loaded,
            deployed,
        });
    }
    check_disabled(standards, &workers)?;
    let rules = Rules::default_rules();
    let mut findings = Vec::new();
    for worker in &workers {
        let wrangler = &worker.config;
        let mut push = |env: Option<&str>, lints: Vec<Lint>| {
            findings.extend(
                lints
                    .into_iter()
                    .map(|lint| finding(&worker.name, env, lint)),
            );
        };
        push(None, secrets_in_vars(wrangler, &rules));
        push(None, placeholder_ids(wrangler));
        for (env, (location, message)) in &wrangler.broken_envs {
            push(
                Some(env),
                vec![Lint::new(
                    "invalid-environment",
                    wrangler,
                    *location,
                    format!("`env.{env}` is invalid: {message}"),
                    format!("fix `env.{env}`; `wrangler deploy --env {env}` refuses it as it is"),
                )],
            );
        }
        for env in &worker.deployed {
            let env = env.as_deref();
            if let Some(name) = env {
                push(env, binding_parity(wrangler, name));
            }
            push(env, naming(wrangler, standards, env));
            push(env, baseline(wrangler, standards, env, request.today));
            push(env, secrets_store(wrangler, standards, env));
            push(env, durable_objects(wrangler, env));
        }
    }
    findings.extend(across_workers(&workers, standards, request.env.as_deref()));
    findings.sort_by(|a, b| {
        (&a.file, a.line, a.column, a.id, &a.message)
            .cmp(&(&b.file, b.line, b.column, b.id, &b.message))
    });
    findings.dedup();
    let disabled = apply_disabled(&mut findings, standards);
    Ok(DeployReport {
        status: if findings.is_empty() { "ok" } else { "problem" },
        workers: workers
            .iter()
            .map(|w| WorkerSummary {
                name: w.name.clone(),
                file: bulwark_core::display_path(w.config.path()),
                environments: w.deployed.clone(),
            })
            .collect(),
        lints: findings,
        disabled,
    })
}

/// Drops the findings `[[standards.disable]]` turns off, and lists each entry with how
/// many it hid.
fn apply_disabled(findings: &mut Vec<Finding>, standards: &Standards) -> Vec<DisabledLint> {
    let mut disabled: Vec<DisabledLint> = standards
        .disable
        .iter()
        .map(|entry| DisabledLint {
            worker: entry.worker.clone(),
            id: entry.lint.clone(),
            reason: entry.reason.clone(),
            suppressed: 0,
        })
        .collect();
    findings.retain(|f| {
        match disabled
            .iter_mut()
            .find(|d| d.worker == f.worker && d.id == f.id)
        {
            Some(entry) => {
                entry.suppressed += 1;
                false
            }
            None => true,
        }
    });
    disabled
}

/// A `[[standards.disable]]` entry must name a real lint and a real worker: a typo must
/// never turn a check off for nothing.
fn check_disabled(standards: &Standards, workers: &[Worker]) -> Result<(), DeployLintError> {
    for entry in &standards.disable {
        if !LINT_IDS.contains(&entry.lint.as_str()) {
            return Err(DeployLintError::BadDisable {
                location: entry.location,
                message: format!("`{}` is not a deploy-lint lint", entry.lint),
            });
        }
        if !workers.iter().any(|w| w.name == entry.worker) {
            return Err(DeployLintError::BadDisable {
                location: entry.location,
                message: format!("no worker is named `{}`", entry.worker),
            });
        }
    }
    Ok(())
}

fn finding(worker: &str, env: Option<&str>, lint: Lint) -> Finding {
    Finding {
        id: lint.rule,
        severity: lint.severity,
        file: lint.file,
        line: lint.line,
        column: lint.column,
        message: lint.message,
        hint: lint.hint,
        worker: worker.to_owned(),
        env: env.map(str::to_owned),
    }
}

/// The wrangler files: `workers` globs, or every `wrangler.{jsonc,json,toml}` under `dir`
/// that `.gitignore` does not exclude, outside `node_modules`.
fn find_workers(dir: &Path, globs: &[String]) -> Result<Vec<PathBuf>, DeployLintError> {
    let matcher = if globs.is_empty() {
        None
    } else {
        let mut builder = globset::GlobSetBuilder::new();
        for pattern in globs {
            let glob = globset::GlobBuilder::new(pattern)
                .literal_separator(true)
                .build()
                .map_err(|err| DeployLintError::Glob {
                    pattern: pattern.clone(),
                    reason: err.kind().to_string(),
                })?;
            builder.add(glob);
        }
        Some(builder.build().map_err(|err| DeployLintError::Glob {
            pattern: globs.join(", "),
            reason: err.kind().to_string(),
        })?)
    };
    let mut found = Vec::new();
    let walker = ignore::WalkBuilder::new(dir)
        .hidden(true)
        .require_git(false)
        .filter_entry(|entry| entry.file_name() != "node_modules")
        .build();
    for entry in walker {
        let entry = entry.map_err(|err| ConfigError::Read {
            path: dir.to_owned(),
            source: io::Error::other(err.to_string()),
        })?;
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let path = entry.path();
        let relative = path.strip_prefix(dir).unwrap_or(path);
        let wanted = match &matcher {
            Some(matcher) => matcher.is_match(relative),
            None => entry
                .file_name()
                .to_str()
                .is_some_and(|name| bulwark_config::WRANGLER_CONFIG_NAMES.contains(&name)),
        };
        if wanted {
            // Under `.`, the walk's `./` adds nothing to a file:line.
            found.push(if dir == Path::new(".") {
                relative.to_owned()
            } else {
                path.to_owned()
            });
        }
    }
    found.sort();
    Ok(found)
}

/// The environments of `config` that deploy: `--env`, or each `env_names` key the file
/// defines (every environment when `env_names` is empty), or its top level when it
/// defines none.
fn deployed_envs(
    config: &WranglerConfig,
    standards: &Standards,
    only: Option<&str>,
) -> Result<Vec<Option<String>>, DeployLintError> {
    let has_env_table = config.document.pointer("/env").is_some();
    let defined =
        |name: &str| config.envs.contains_key(name) || config.broken_envs.contains_key(name);
    if let Some(name) = only {
        if defined(name) {
            return Ok(if config.envs.contains_key(name) {
                vec![Some(name.to_owned())]
            } else {
                Vec::new()
            });
        }
        config.require_env(name)?;
        // wrangler only warns here and deploys the top level.
        return Ok(vec![None]);
    }
    if !has_env_table {
        return Ok(vec![None]);
    }
    Ok(config
        .envs
        .keys()
        .filter(|name| standards.env_names.is_empty() || standards.env_names.contains_key(*name))
        .map(|name| Some(name.clone()))
        .collect())
}

/// The value of an inheritable key for `env`: the environment's own, or the top level's.
fn effective<'a>(
    config: &'a WranglerConfig,
    env: Option<&str>,
    key: &str,
) -> Option<(&'a Value, String)> {
    let own = env
        .and_then(|name| config.envs.get(name))
        .filter(|e| e.keys.contains(key));
    let table = own.unwrap_or(&config.top);
    let pointer = table.pointer_to(key);
    config
        .document
        .pointer(&pointer)
        .map(|value| (value, pointer))
}

fn table_pointer(config: &WranglerConfig, env: Option<&str>) -> String {
    env.and_then(|name| config.envs.get(name))
        .map_or_else(String::new, |e| e.pointer.clone())
}

fn env_label(env: Option<&str>) -> String {
    env.map_or_else(
        || "the top level".to_owned(),
        |name| format!("`env.{name}`"),
    )
}

fn naming(config: &WranglerConfig, standards: &Standards, env: Option<&str>) -> Vec<Lint> {
    let Some(env_name) = env else {
        return Vec::new();
    };
    let Some(short) = standards.env_names.get(env_name) else {
        return Vec::new();
    };
    let base = table_pointer(config, env);
    let mut lints = Vec::new();
    let mut check = |kind: &str, what: &str, pointer: String, value: &str| {
        let Some(pattern) = standards.naming.get(kind) else {
            return;
        };
        if !name_matches(pattern, standards.project.as_deref(), short, value) {
            let example = pattern
                .replace("{env}", short)
                .replace(
                    "{project}",
                    standards.project.as_deref().unwrap_or("project"),
                )
                .replace("{purpose}", "purpose");
            lints.push(Lint::new(
                "naming",
                config,
                config.location(&pointer),
                format!(
                    "{what} `{value}` in {} does not follow `{pattern}`",
                    env_label(env)
                ),
                format!("rename it to the pattern, e.g. `{example}`"),
            ));
        }
    };
    let at = |pointer: &str| config.document.pointer(pointer);
    for (key, field, kind, what) in [
        ("d1_databases", "database_name", "d1", "D1 database_name"),
        ("r2_buckets", "bucket_name", "r2", "R2 bucket_name"),
    ] {
        if let Some(Value::Array(items)) = at(&format!("{base}/{key}")) {
            for (index, item) in items.iter().enumerate() {
                if let Some(value) = item.get(field).and_then(Value::as_str) {
                    check(kind, what, format!("{base}/{key}/{index}/{field}"), value);
                }
            }
        }
    }
    for side in ["producers", "consumers"] {
        if let Some(Value::Array(items)) = at(&format!("{base}/queues/{side}")) {
            for (index, item) in items.iter().enumerate() {
                if let Some(value) = item.get("queue").and_then(Value::as_str) {
                    check(
                        "queue",
                        "queue",
                        format!("{base}/queues/{side}/{index}/queue"),
                        value,
                    );
                }
            }
        }
    }
    if let Some((Value::String(value), pointer)) =
        effective(config, env, "name").map(|(v, p)| (v.clone(), p))
    {
        let deployed = config.worker_name(env).unwrap_or(value);
        check("worker", "worker name", pointer, &deployed);
    }
    lints
}

/// Lowercase words (letters and digits) joined by single `-`.
fn is_purpose(text: &str) -> bool {
    !text.is_empty()
        && text.split('-').all(|word| {
            !word.is_empty()
                && word
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// Whether `value` is `pattern` with `{env}` = `env`, `{project}` = `project` and
/// `{purpose}` one or more lowercase words joined by `-`.
fn name_matches(pattern: &str, project: Option<&str>, env: &str, value: &str) -> bool {
    let expanded = pattern
        .replace("{env}", env)
        .replace("{project}", project.unwrap_or_default());
    // The usual case, one {purpose}, without compiling a regex per name.
    if let Some((before, after)) = expanded.split_once("{purpose}")
        && !after.contains("{purpose}")
        && !before.contains('{')
        && !after.contains('{')
    {
        return value.len() > before.len() + after.len()
            && value.starts_with(before)
            && value.ends_with(after)
            && is_purpose(&value[before.len()..value.len() - after.len()]);
    }
    let mut regex = String::from("^");
    let mut rest = pattern;
    while let Some(start) = rest.find('{') {
        regex.push_str(&regex::escape(&rest[..start]));
        let end = rest[start..]
            .find('}')
            .map_or(rest.len(), |e| start + e + 1);
        match &rest[start..end] {
            "{env}" => regex.push_str(&regex::escape(env)),
            "{project}" => regex.push_str(&regex::escape(project.unwrap_or_default())),
            "{purpose}" => regex.push_str("[a-z0-9]+(?:-[a-z0-9]+)*"),
            other => regex.push_str(&regex::escape(other)),
        }
        rest = &rest[end..];
    }
    regex.push_str(&regex::escape(rest));
    regex.push('$');
    regex::Regex::new(&regex).is_ok_and(|re| re.is_match(value))
}

fn baseline(
    config: &WranglerConfig,
    standards: &Standards,
    env: Option<&str>,
    today: jiff::civil::Date,
) -> Vec<Lint> {
    let mut lints = Vec::new();
    let here = config.location(&table_pointer(config, env));
    let mut lint = |location: Location, message: String, hint: String| {
        lints.push(Lint::new("baseline", config, location, message, hint));
    };
    if let Some(wanted) = &standards.compatibility_date {
        let set = effective(config, env, "compatibility_date");
        let value = set.as_ref().and_then(|(v, _)| v.as_str());
        let location = set.as_ref().map_or(here, |(_, p)| config.location(p));
        match (wanted, value) {
            (_, None) => lint(
                location,
                format!("{} sets no `compatibility_date`", env_label(env)),
                "set `compatibility_date` to the approved date".to_owned(),
            ),
            (CompatibilityDate::Exact(date), Some(value)) if value != date => lint(
                location,
                format!(
                    "`compatibility_date` is `{value}` in {}, the approved date is `{date}`",
                    env_label(env)
                ),
                format!("set `\"compatibility_date\": \"{date}\"`"),
            ),
            (CompatibilityDate::MaxAgeDays(days), Some(value)) => {
                let age = value
                    .parse::<jiff::civil::Date>()
                    .ok()
                    .and_then(|date| date.until(today).ok())
                    .map(|span| span.get_days());
                if age.is_none_or(|age| age > i32::try_from(*days).unwrap_or(i32::MAX)) {
                    lint(
                        location,
                        format!(
                            "`compatibility_date` `{value}` in {} is older than {days} days",
                            env_label(env)
                        ),
                        format!(
                            "move `compatibility_date` to a date after {}",
                            today
                                .checked_sub(jiff::Span::new().days(i64::from(*days)))
                                .map_or_else(|_| "today".to_owned(), |d| d.to_string())
                        ),
                    );
                }
            }
            _ => {}
        }
    }
    if let Some(flags) = &standards.compatibility_flags {
        let set = effective(config, env, "compatibility_flags");
        let have: BTreeSet<&str> = set
            .as_ref()
            .and_then(|(v, _)| v.as_array())
            .map(|items| items.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let location = set.as_ref().map_or(here, |(_, p)| config.location(p));
        for flag in flags.iter().filter(|f| !have.contains(f.as_str())) {
            lint(
                location,
                format!("`compatibility_flags` in {} lacks `{flag}`", env_label(env)),
                format!("add `\"{flag}\"` to `compatibility_flags`"),
            );
        }
    }
    if let Some(rate) = standards.head_sampling_rate {
        let set = effective(config, env, "observability");
        let value = set
            .as_ref()
            .and_then(|(v, _)| v.get("head_sampling_rate"))
            .and_then(Value::as_f64);
        let location = set.as_ref().map_or(here, |(_, p)| {
            let field = format!("{p}/head_sampling_rate");
            let at = config.location(&field);
            if at.is_known() {
                at
            } else {
                config.location(p)
            }
        });
        if value.is_none_or(|v| (v - rate).abs() > f64::EPSILON) {
            let shown = value.map_or_else(|| "not set".to_owned(), |v| format!("`{v}`"));
            lint(
                location,
                format!(
                    "`observability.head_sampling_rate` in {} is {shown}, the approved rate is `{rate}`",
                    env_label(env)
                ),
                format!(
                    "set `\"observability\": {{ \"enabled\": true, \"head_sampling_rate\": {rate} }}`"
                ),
            );
        }
    }
    lints
}

fn secrets_store(config: &WranglerConfig, standards: &Standards, env: Option<&str>) -> Vec<Lint> {
    let Some(store) = &standards.secrets_store else {
        return Vec::new();
    };
    let base = table_pointer(config, env);
    let linked = config
        .document
        .pointer(&format!("{base}/secrets_store_secrets"))
        .and_then(Value::as_array)
        .is_some_and(|items| {
            items
                .iter()
                .any(|item| item.get("store_id").and_then(Value::as_str) == Some(store))
        });
    if linked {
        return Vec::new();
    }
    vec![Lint::new(
        "secrets-store-not-linked",
        config,
        config.location(&base),
        format!(
            "{} has no `secrets_store_secrets` binding to the store `{store}`",
            env_label(env)
        ),
        format!(
            "add `secrets_store_secrets` entries with `\"store_id\": \"{store}\"` to {}",
            env_label(env)
        ),
    )]
}

/// Walks `migrations` in order: the classes alive and deleted at the end; tags used
/// twice or out of order go to `lints`.
fn migrated_classes(
    config: &WranglerConfig,
    migrations: Option<&(&Value, String)>,
    lints: &mut Vec<Lint>,
) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut live = BTreeSet::new();
    let mut deleted = BTreeSet::new();
    let mut tags: Vec<String> = Vec::new();
    let mut last_number = 0_u64;
    if let Some((Value::Array(steps), pointer)) = migrations {
        for (index, step) in steps.iter().enumerate() {
            let step_pointer = format!("{pointer}/{index}");
            let names = |key: &str| -> Vec<String> {
                step.get(key)
                    .and_then(Value::as_array)
                    .map(|items| {
                        items
                            .iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default()
            };
            if let Some(tag) = step.get("tag").and_then(Value::as_str) {
                let location = config.location(&format!("{step_pointer}/tag"));
                if tags.iter().any(|t| t == tag) {
                    lints.push(Lint::new(
                        "durable-object-migration",
                        config,
                        location,
                        format!("migration tag `{tag}` is used twice"),
                        "give every migration its own tag (`v1`, `v2`, …)".to_owned(),
                    ));
                } else if let Some(number) =
                    tag.strip_prefix('v').and_then(|n| n.parse::<u64>().ok())
                {
                    if number <= last_number {
                        lints.push(Lint::new(
                            "durable-object-migration",
                            config,
                            location,
                            format!("migration tag `{tag}` comes after `v{last_number}`: tags are out of order"),
                            "keep migrations in tag order; append new ones at the end".to_owned(),
                        ));
                    }
                    last_number = last_number.max(number);
                }
                tags.push(tag.to_owned());
            }
            for class in names("new_classes")
                .into_iter()
                .chain(names("new_sqlite_classes"))
            {
                deleted.remove(&class);
                live.insert(class);
            }
            if let Some(Value::Array(renames)) = step.get("renamed_classes") {
                for rename in renames {
                    if let (Some(from), Some(to)) = (
                        rename.get("from").and_then(Value::as_str),
                        rename.get("to").and_then(Value::as_str),
                    ) {
                        live.remove(from);
                        live.insert(to.to_owned());
                    }
                }
            }
            for class in names("deleted_classes") {
                live.remove(&class);
                deleted.insert(class);
            }
        }
    }
    (live, deleted)
}

fn durable_objects(config: &WranglerConfig, env: Option<&str>) -> Vec<Lint> {
    let mut lints = Vec::new();
    let base = table_pointer(config, env);
    let bindings: Vec<(usize, String)> = config
        .document
        .pointer(&format!("{base}/durable_objects/bindings"))
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .enumerate()
                .filter(|(_, item)| item.get("script_name").is_none())
                .filter_map(|(index, item)| {
                    Some((index, item.get("class_name")?.as_str()?.to_owned()))
                })
                .collect()
        })
        .unwrap_or_default();
    let migrations = effective(config, env, "migrations");
    let (live, deleted) = migrated_classes(config, migrations.as_ref(), &mut lints);
    for (index, class) in bindings {
        if live.contains(&class) {
            continue;
        }
        let location = config.location(&format!(
            "{base}/durable_objects/bindings/{index}/class_name"
        ));
        let (message, hint) = if deleted.contains(&class) {
            (
                format!(
                    "Durable Object class `{class}` is bound in {} but a migration deletes it",
                    env_label(env)
                ),
                format!("remove the `{class}` binding, or drop it from `deleted_classes`"),
            )
        } else {
            (
                format!(
                    "Durable Object class `{class}` is bound in {} but no migration creates it",
                    env_label(env)
                ),
                format!(
                    "add a migration with `\"new_sqlite_classes\": [\"{class}\"]` and the next tag"
                ),
            )
        };
        lints.push(Lint::new(
            "durable-object-migration",
            config,
            location,
            message,
            hint,
        ));
    }
    lints
}

/// An entry of a binding array in one worker's environment.
struct Entry<'a> {
    worker: &'a Worker,
    env: Option<&'a str>,
    pointer: String,
    value: &'a Value,
}

fn entries<'a>(worker: &'a Worker, env: Option<&'a str>, key: &str) -> Vec<Entry<'a>> {
    let base = table_pointer(&worker.config, env);
    let pointer = format!("{base}/{key}");
    worker
        .config
        .document
        .pointer(&pointer)
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .enumerate()
                .map(|(index, value)| Entry {
                    worker,
                    env,
                    pointer: format!("{pointer}/{index}"),
                    value,
                })
                .collect()
        })
        .unwrap_or_default()
}

fn lint_at(
    entry: &Entry<'_>,
    id: &'static str,
    field: &str,
    message: String,
    hint: String,
) -> Finding {
    let config = &entry.worker.config;
    let pointer = format!("{}/{field}", entry.pointer);
    let location = config.location(&pointer);
    let location = if location.is_known() {
        location
    } else {
        config.location(&entry.pointer)
    };
    finding(
        &entry.worker.name,
        entry.env,
        Lint::new(id, config, location, message, hint),
    )
}

/// Queues produced to without a consumer, and consumed without a producer.
fn queue_wiring(
    env: Option<&str>,
    producers: &BTreeMap<&str, Vec<Entry<'_>>>,
    consumers: &BTreeMap<&str, Vec<Entry<'_>>>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (queue, list) in producers {
        if !consumers.contains_key(queue) {
            for entry in list {
                findings.push(lint_at(
                    entry,
                    "queue-without-consumer",
                    "queue",
                    format!(
                        "queue `{queue}` has a producer but no worker consumes it in {}",
                        env_label(env)
                    ),
                    format!(
                        "add a `queues.consumers` entry for `{queue}` to the consumer worker's {}",
                        env_label(env)
                    ),
                ));
            }
        }
    }
    for (queue, list) in consumers {
        if !producers.contains_key(queue) {
            for entry in list {
                findings.push(lint_at(
                    entry,
                    "consumer-without-producer",
                    "queue",
                    format!(
                        "queue `{queue}` is consumed but no worker produces to it in {}",
                        env_label(env)
                    ),
                    format!(
                        "bind `{queue}` under `queues.producers` in the producing worker's {}",
                        env_label(env)
                    ),
                ));
            }
        }
    }
    findings
}

/// Services, queues and shared resources of the workers deployed to one environment.
fn one_environment(
    env: Option<&str>,
    members: &[&Worker],
    names: &BTreeSet<String>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut producers: BTreeMap<&str, Vec<Entry<'_>>> = BTreeMap::new();
    let mut consumers: BTreeMap<&str, Vec<Entry<'_>>> = BTreeMap::new();
    let mut resources: BTreeMap<(&str, &str), Entry<'_>> = BTreeMap::new();
    for worker in members {
        for entry in entries(worker, env, "services") {
            let Some(service) = entry.value.get("service").and_then(Value::as_str) else {
                continue;
            };
            if !names.contains(service) {
                findings.push(lint_at(
                    &entry,
                    "unresolved-service",
                    "service",
                    format!("service binding to `{service}` in {}: no worker in the repository is named `{service}`", env_label(env)),
                    format!("fix the name, or list `{service}` in [standards] `external_services`"),
                ));
            }
        }
        for entry in entries(worker, env, "queues/producers") {
            if let Some(queue) = entry.value.get("queue").and_then(Value::as_str) {
                producers.entry(queue).or_default().push(entry);
            }
        }
        for entry in entries(worker, env, "queues/consumers") {
            if let Some(queue) = entry.value.get("queue").and_then(Value::as_str) {
                consumers.entry(queue).or_default().push(entry);
            }
        }
        for (key, field, kind) in [
            ("d1_databases", "database_id", "D1 database"),
            ("kv_namespaces", "id", "KV namespace"),
            ("r2_buckets", "bucket_name", "R2 bucket"),
        ] {
            for entry in entries(worker, env, key) {
                let (Some(id), Some(binding)) = (
                    entry.value.get(field).and_then(Value::as_str),
                    entry.value.get("binding").and_then(Value::as_str),
                ) else {
                    continue;
                };
                if crate::is_placeholder_id(id) {
                    continue;
                }
                match resources.get(&(kind, id)) {
                    None => {
                        resources.insert((kind, id), entry);
                    }
                    Some(first) => {
                        let first_binding = first
                            .value
                            .get("binding")
                            .and_then(Value::as_str)
                            .unwrap_or_default();
                        if first.worker.name != worker.name && first_binding != binding {
                            findings.push(lint_at(
                                &entry,
                                "duplicate-resource",
                                field,
                                format!("{kind} `{id}` is bound as `{binding}` here and as `{first_binding}` by `{}` in {}", first.worker.name, env_label(env)),
                                format!("use one binding name for one resource (`{first_binding}`), or give each worker its own {kind}"),
                            ));
                        }
                    }
                }
            }
        }
    }
    findings.extend(queue_wiring(env, &producers, &consumers));
    findings
}

/// Each worker that others bind to as a service but that lacks a required environment.
fn missing_environments(
    workers: &[Worker],
    bound_to: &BTreeMap<&str, BTreeSet<&str>>,
    required: &[String],
) -> Vec<Finding> {
    let mut findings = Vec::new();
    for worker in workers {
        let mut callers = BTreeSet::new();
        let own_names = std::iter::once(worker.name.clone()).chain(
            worker
                .config
                .envs
                .keys()
                .filter_map(|env| worker.config.worker_name(Some(env))),
        );
        for name in own_names {
            callers.extend(bound_to.get(name.as_str()).into_iter().flatten().copied());
        }
        let others: BTreeSet<&str> = callers
            .into_iter()
            .filter(|caller| *caller != worker.name)
            .collect();
        if others.is_empty() {
            continue;
        }
        for env in required {
            if worker.config.envs.contains_key(env) || worker.config.broken_envs.contains_key(env) {
                continue;
            }
            let mut users = String::new();
            for (index, name) in others.iter().enumerate() {
                let _ = write!(users, "{}`{name}`", if index == 0 { "" } else { ", " });
            }
            findings.push(finding(
                &worker.name,
                Some(env),
                Lint::new(
                    "worker-env-missing",
                    &worker.config,
                    worker.config.location("/name"),
                    format!("`{}` has no `env.{env}`, yet it is bound as a service by {users}", worker.name),
                    format!("add `env.{env}` to this worker, so it deploys beside the workers that call it"),
                ),
            ));
        }
    }
    findings
}

fn across_workers(workers: &[Worker], standards: &Standards, only: Option<&str>) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut names: BTreeSet<String> = standards.external_services.iter().cloned().collect();
    for worker in workers {
        names.insert(worker.name.clone());
        names.extend(
            worker
                .config
                .envs
                .keys()
                .filter_map(|env| worker.config.worker_name(Some(env))),
        );
    }
    let mut by_env: BTreeMap<Option<&str>, Vec<&Worker>> = BTreeMap::new();
    for worker in workers {
        for env in &worker.deployed {
            by_env.entry(env.as_deref()).or_default().push(worker);
        }
    }
    // Who binds to whom, from every table of every worker, deployed or not.
    let mut bound_to: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for worker in workers {
        let tables =
            std::iter::once(None).chain(worker.config.envs.keys().map(|e| Some(e.as_str())));
        for env in tables {
            for entry in entries(worker, env, "services") {
                if let Some(service) = entry.value.get("service").and_then(Value::as_str) {
                    bound_to.entry(service).or_default().insert(&worker.name);
                }
            }
        }
    }
    for (env, members) in &by_env {
        findings.extend(one_environment(*env, members, &names));
    }
    let required: Vec<String> = match only {
        Some(env) => vec![env.to_owned()],
        None if standards.env_names.is_empty() => vec!["production".to_owned()],
        None => standards.env_names.keys().cloned().collect(),
    };
    findings.extend(missing_environments(workers, &bound_to, &required));
    findings
}

impl DeployReport {
    /// GitHub Actions workflow commands, one `::error` per lint on its file and line.
    #[must_use]
    pub fn github_annotations(&self) -> Vec<String> {
        self.lints
            .iter()
            .map(|lint| {
                crate::github::error_at(
                    &lint.file,
                    lint.line,
                    lint.column,
                    lint.id,
                    &format!("{} ({})", lint.message, lint.hint),
                )
            })
            .collect()
    }
}

impl Report for DeployReport {
    fn exit(&self) -> Exit {
        if self.lints.is_empty() {
            Exit::Ok
        } else {
            Exit::Problem
        }
    }

    fn render_human(&self, out: &mut dyn Write, styles: &Styles) -> io::Result<()> {
        let (ok, bad, dim, warn) = (styles.ok, styles.error, styles.dim, styles.warning);
        for lint in &self.lints {
            writeln!(
                out,
                "{bad}error[{}]{bad:#} {}:{}:{}: {}\n  {dim}hint: {}{dim:#}",
                lint.id, lint.file, lint.line, lint.column, lint.message, lint.hint
            )?;
        }
        for entry in &self.disabled {
            writeln!(
                out,
                "{warn}disabled[{}]{warn:#} for `{}`: {} ({} finding{} hidden)",
                entry.id,
                entry.worker,
                entry.reason,
                entry.suppressed,
                if entry.suppressed == 1 { "" } else { "s" }
            )?;
        }
        let style = if self.lints.is_empty() { ok } else { bad };
        writeln!(
            out,
            "{style}{}{style:#}: {} worker{}, {} lint{}, {} disabled",
            self.status,
            self.workers.len(),
            if self.workers.len() == 1 { "" } else { "s" },
            self.lints.len(),
            if self.lints.len() == 1 { "" } else { "s" },
            self.disabled.len()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wrangler(text: &str) -> WranglerConfig {
        WranglerConfig::parse(Path::new("wrangler.jsonc"), text).expect("valid jsonc")
    }

    #[test]
    fn names_follow_their_pattern() {
        let pattern = "{env}-{project}-{purpose}";
        for good in [
            "prod-stream-tenant-db",
            "prod-stream-memory",
            "prod-stream-session-kv",
        ] {
            assert!(
                name_matches(pattern, Some("stream"), "prod", good),
                "{good}"
            );
        }
        for bad in [
            "stream-prod-db",
            "prod-stream-",
            "prod-stream-Tenant",
            "prod-streams-db",
            "staging-stream-db",
        ] {
            assert!(!name_matches(pattern, Some("stream"), "prod", bad), "{bad}");
        }
        assert!(name_matches(
            "{project}-{env}",
            Some("myapp"),
            "prod",
            "myapp-prod"
        ));
        assert!(name_matches("a.b-{env}", None, "x", "a.b-x"));
        assert!(
            !name_matches("a.b-{env}", None, "x", "aXb-x"),
            "literal dots"
        );
    }

    #[test]
    fn durable_object_migrations_create_every_bound_class_in_tag_order() {
        let config = wrangler(
            r#"{
  "durable_objects": { "bindings": [
    { "name": "A", "class_name": "Alive" },
    { "name": "G", "class_name": "Gone" },
    { "name": "N", "class_name": "Never" },
    { "name": "R", "class_name": "Renamed" },
    { "name": "X", "class_name": "Elsewhere", "script_name": "other" }
  ] },
  "migrations": [
    { "tag": "v1", "new_sqlite_classes": ["Alive", "Gone", "Old"] },
    { "tag": "v3", "renamed_classes": [{ "from": "Old", "to": "Renamed" }] },
    { "tag": "v2", "deleted_classes": ["Gone"] },
    { "tag": "v3" }
  ]
}"#,
        );
        let lints = durable_objects(&config, None);
        let found: Vec<_> = lints.iter().map(|l| (l.line, l.message.as_str())).collect();
        assert_eq!(lints.len(), 4, "{found:?}");
        assert!(found[0].1.contains("`v2` comes after `v3`"), "{found:?}");
        assert_eq!(found[0].0, 12);
        assert!(found[1].1.contains("`v3` is used twice"), "{found:?}");
        assert!(
            found[2].1.contains("`Gone` is bound") && found[2].1.contains("deletes it"),
            "{found:?}"
        );
        assert_eq!(found[2].0, 4);
        assert!(
            found[3].1.contains("`Never` is bound")
                && found[3].1.contains("no migration creates it"),
            "{found:?}"
        );
    }

    #[test]
    fn compatibility_date_age_is_counted_from_today() {
        let standards = Standards {
            compatibility_date: Some(CompatibilityDate::MaxAgeDays(183)),
            ..Standards::default()
        };
        let config = wrangler("{ \"compatibility_date\": \"2025-03-07\" }");
        let today = |text: &str| text.parse::<jiff::civil::Date>().expect("date");
        assert!(baseline(&config, &standards, None, today("2025-09-06")).is_empty());
        let lints = baseline(&config, &standards, None, today("2025-09-07"));
        assert_eq!(lints.len(), 1, "{lints:?}");
        assert!(
            lints[0].message.contains("older than 183 days"),
            "{}",
            lints[0].message
        );
    }
}

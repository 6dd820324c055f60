//! `secrets-verify`'s checks, before a deploy:
//!
//! 1. every required secret (exact names and `PREFIX_*` patterns) exists in every target;
//! 2. where values are visible anyway (the process environment), none is empty or a
//!    placeholder;
//! 3. no secret sits in wrangler `vars` (by name, or by a leak-scan rule on its value);
//! 4. each deployed wrangler environment repeats every binding it does not inherit, and
//!    no binding id is a placeholder.
//!
//! It never asks a target for a value and needs no decryption key.

mod placeholder;
mod report;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use bulwark_config::{Config, ConfigError, Environment, Requirement, TargetSpec, WranglerConfig};
use bulwark_core::{Exit, Failure, Progress};
use bulwark_scan::Rules;
use bulwark_secret::Secret;
use bulwark_targets::{NameList, Runner, list_names};

pub use bulwark_lint::{
    Lint, NON_INHERITABLE_KEYS, Severity, binding_parity, is_placeholder_id,
    looks_like_secret_name, placeholder_ids, secrets_in_vars,
};
pub use placeholder::placeholder_reason;
pub use report::{
    Check, CheckStatus, EnvironmentReport, Placeholder, TargetReport, TargetStatus, VerifyReport,
    VerifyStatus,
};

/// What to check.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// Environments to check; empty means `default_env`, or else every environment.
    pub envs: Vec<String>,
    /// Only targets with these names (label or kind); empty means all.
    pub targets: Vec<String>,
    /// Names required on top of `bulwark.toml`'s list.
    pub require: Vec<String>,
    /// Visible values shorter than this are placeholders.
    pub min_length: usize,
}

/// Why the check could not run at all. A target that fails to list is not an error here:
/// it is reported in its row, and the report exits 3.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The config is unusable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A `--require` name is not a name or a pattern.
    #[error("`{0}` is not a secret name or a `PREFIX_*` pattern")]
    BadRequirement(String),
}

impl Failure for VerifyError {
    fn exit(&self) -> Exit {
        Exit::Usage
    }

    fn hint(&self) -> Option<String> {
        match self {
            Self::Config(_) => None,
            Self::BadRequirement(_) => {
                Some("a name is letters, digits and `_`; a pattern ends in `*`".to_owned())
            }
        }
    }

    fn wrapped(&self) -> Option<&dyn Failure> {
        match self {
            Self::Config(err) => Some(err),
            Self::BadRequirement(_) => None,
        }
    }
}

/// Reads the names (and values) of an environment's encrypted store, for
/// `--names-from-store`; `Err` is a printable reason.
pub type StoreNames<'a> = &'a dyn Fn(&Environment) -> Result<NameList, String>;

/// Runs every check for the chosen environments; with `store_names`, the encrypted store
/// is checked as one more target.
pub fn verify(
    config: &Config,
    request: &Request,
    runner: &Runner,
    rules: &Rules,
    store_names: Option<StoreNames<'_>>,
    progress: &dyn Progress,
) -> Result<VerifyReport, VerifyError> {
    let extra: Vec<Requirement> = request
        .require
        .iter()
        .map(|name| {
            Requirement::parse(name).ok_or_else(|| VerifyError::BadRequirement(name.clone()))
        })
        .collect::<Result<_, _>>()?;
    let env_names: Vec<String> = if !request.envs.is_empty() {
        request.envs.clone()
    } else if let Some(default) = &config.default_env {
        vec![default.clone()]
    } else {
        config.envs.keys().cloned().collect()
    };
    let mut wrangler = WranglerChecks::default();
    let mut environments = Vec::new();
    for env_name in &env_names {
        let env = config.environment(Some(env_name))?;
        let targets = env.targets_named(&request.targets)?;
        let mut required = env.required.clone();
        for requirement in &extra {
            if !required.contains(requirement) {
                required.push(requirement.clone());
            }
        }
        progress.set_total(targets.len() as u64);
        let mut target_reports = Vec::new();
        for target in targets {
            progress.set_message(target.name());
            let mut target_required = required.clone();
            let mut vars = BTreeSet::new();
            if let TargetSpec::Wrangler {
                config: path,
                environment,
                ..
            } = &target.spec
            {
                wrangler.visit(
                    config,
                    path.as_ref(),
                    environment.as_deref(),
                    rules,
                    &mut target_required,
                    &mut vars,
                )?;
            }
            let listed =
                list_names(target, runner).map_err(|err| bulwark_core::render_error_line(&err));
            target_reports.push(TargetReport::build(
                target,
                &target_required,
                listed,
                &vars,
                request.min_length,
            ));
            progress.advance(1);
        }
        if let Some(read_store) = store_names {
            progress.set_message("store");
            target_reports.push(TargetReport::build_named(
                "store",
                "store",
                &required,
                read_store(env),
                &BTreeSet::new(),
                request.min_length,
            ));
        }
        environments.push(EnvironmentReport {
            name: env_name.clone(),
            required: required.iter().map(ToString::to_string).collect(),
            targets: target_reports,
        });
    }
    progress.finish();
    let mut lints = wrangler.lints;
    lints.sort();
    lints.dedup();
    Ok(VerifyReport::new(environments, lints))
}

/// The wrangler configs met so far, each linted once, and each (config, environment)
/// pair checked for binding parity once.
#[derive(Default)]
struct WranglerChecks {
    configs: BTreeMap<PathBuf, WranglerConfig>,
    parity_checked: BTreeSet<(PathBuf, String)>,
    lints: Vec<Lint>,
}

impl WranglerChecks {
    /// Lints the wrangler config of a `wrangler` target (first time only), adds its
    /// environment's `secrets.required` to `required` and its `vars` names to `vars`.
    fn visit(
        &mut self,
        config: &Config,
        path: Option<&PathBuf>,
        environment: Option<&str>,
        rules: &Rules,
        required: &mut Vec<Requirement>,
        vars: &mut BTreeSet<String>,
    ) -> Result<(), VerifyError> {
        let path = match path {
            Some(path) => path.clone(),
            None => match WranglerConfig::find(config.dir()) {
                Ok(path) => path,
                // wrangler finds its own config, or works without one.
                Err(_) => return Ok(()),
            },
        };
        if !self.configs.contains_key(&path) {
            let loaded = WranglerConfig::load(&path)?;
            self.lints.extend(secrets_in_vars(&loaded, rules));
            self.lints.extend(placeholder_ids(&loaded));
            self.configs.insert(path.clone(), loaded);
        }
        let wrangler = &self.configs[&path];
        if let Some(environment) = environment {
            wrangler.require_env(environment)?;
        }
        if let Some(env_table) = wrangler.env(environment) {
            for name in &env_table.secrets_required {
                if let Some(requirement) = Requirement::parse(name)
                    && !required.contains(&requirement)
                {
                    required.push(requirement);
                }
            }
            vars.extend(env_table.vars.keys().cloned());
        }
        if let Some(environment) = environment
            && self
                .parity_checked
                .insert((path.clone(), environment.to_owned()))
        {
            self.lints.extend(binding_parity(wrangler, environment));
        }
        Ok(())
    }
}

/// Values in the process environment that must never be shown: those of variables a
/// requirement of the chosen environments names, or whose name says it is a secret.
/// The caller feeds them to its redactors before anything runs.
#[must_use]
pub fn sensitive_env_values(config: &Config, request: &Request) -> Vec<Secret> {
    let mut requirements: Vec<Requirement> = config
        .envs
        .values()
        .flat_map(|env| env.required.iter().cloned())
        .collect();
    requirements.extend(
        request
            .require
            .iter()
            .filter_map(|name| Requirement::parse(name)),
    );
    std::env::vars_os()
        .filter_map(|(name, value)| Some((name.into_string().ok()?, value.into_string().ok()?)))
        .filter(|(name, _)| {
            looks_like_secret_name(name) || requirements.iter().any(|r| r.matches(name))
        })
        .map(|(_, value)| Secret::new(value))
        .collect()
}

//! `secrets-verify`: proves before a deploy that every required secret exists in every
//! target, and that none sits where it would leak.
#![expect(
    clippy::doc_markdown,
    reason = "doc comments in cli.rs are clap's --help text, where backticks would print literally"
)]

mod cli;
#[path = "../common/mod.rs"]
mod common;

use std::process::ExitCode;
use std::time::Duration;

use std::collections::BTreeMap;
use std::path::Path;

use bulwark_config::{Config, Environment};
use bulwark_core::render_error_line;
use bulwark_scan::Rules;
use bulwark_sync::Store;
use bulwark_targets::{NameList, Runner};
use bulwark_vault::IdentityLookup;
use bulwark_verify::StoreNames;

fn main() -> ExitCode {
    let cli = cli::Cli::parse_args();
    let mut out = common::start(
        "secrets-verify",
        cli.common.output_options(cli.format.into()),
    );
    let config = match Config::load_or_discover(cli.common.config.as_deref()) {
        Ok(config) => config,
        Err(err) => return out.fail(&err),
    };
    let request = cli.request();
    let mut runner = Runner::new(config.dir(), Duration::from_secs(cli.timeout));
    for value in bulwark_verify::sensitive_env_values(&config, &request) {
        runner.hide(&value);
        out.redactor_mut().add(&value);
    }
    for var in bulwark_targets::Tool::ALL
        .iter()
        .flat_map(|tool| tool.token_vars())
    {
        if let Ok(value) = std::env::var(var) {
            out.redactor_mut().add_value(&value);
        }
    }
    // The report's frame (environments, targets) stays readable even when a value
    // equals one of its names.
    for env in config.envs.values() {
        out.redactor_mut().keep(&env.name);
        for target in &env.targets {
            out.redactor_mut().keep(target.name());
        }
    }
    // --names-from-store: each store is opened first, so its values reach both
    // redactors before any target CLI runs.
    let stores: BTreeMap<String, Result<NameList, String>> = if cli.names_from_store {
        config
            .envs
            .values()
            .map(|env| {
                (
                    env.name.clone(),
                    read_store(&config, env, cli.identity.as_deref()),
                )
            })
            .collect()
    } else {
        BTreeMap::new()
    };
    for list in stores.values().flatten() {
        for value in list.visible_values.values() {
            runner.hide(value);
            out.redactor_mut().add(value);
        }
    }
    let lookup = |env: &Environment| {
        stores.get(&env.name).map_or_else(
            || Err("no store".to_owned()),
            |r| r.as_ref().map(NameList::duplicate).map_err(Clone::clone),
        )
    };
    let store_names: Option<StoreNames<'_>> = cli.names_from_store.then_some(&lookup);
    let progress = out.progress("listing secrets", None);
    let rules = Rules::default_rules();
    match bulwark_verify::verify(
        &config,
        &request,
        &runner,
        &rules,
        store_names,
        progress.as_ref(),
    ) {
        Ok(report) => {
            if std::env::var_os("GITHUB_ACTIONS").is_some_and(|v| v == "true") {
                out.annotate(&report.github_annotations());
            }
            out.finish(&report)
        }
        Err(err) => out.fail(&err),
    }
}

/// The names and values of `env`'s encrypted store, or why they could not be read.
fn read_store(
    config: &Config,
    env: &Environment,
    identity: Option<&Path>,
) -> Result<NameList, String> {
    let path = Store::path_of(config, env).map_err(|err| render_error_line(&err))?;
    let identities = IdentityLookup::from_process(identity.map(Path::to_owned), Some(&env.name))
        .find()
        .map_err(|err| render_error_line(&err))?;
    let store = Store::open(&path, &identities).map_err(|err| render_error_line(&err))?;
    let mut list = NameList::default();
    for (name, value) in store.document().entries() {
        list.names.insert(name.to_owned());
        list.visible_values
            .insert(name.to_owned(), value.duplicate());
    }
    Ok(list)
}

//! `secrets-sync`: the age-encrypted dotenv store is the source of truth; plan and apply
//! it to wrangler, Secrets Store, Fly and GitHub, values on the CLIs' stdin only.

use std::io::{self, BufRead as _, IsTerminal as _, Write as _};
use std::process::ExitCode;

use bulwark_cli::secrets_sync::{Cli, Command, FailOn, IdentityCommand};
use bulwark_config::Config;
use bulwark_core::Output;
use bulwark_scan::Rules;
use bulwark_secret::Secret;
use bulwark_sync::{AuditRequest, Plan, Session, StoreVerbs, SyncError};
use bulwark_targets::ApplyOptions;
use bulwark_vault::IdentityLookup;

fn main() -> ExitCode {
    let cli = Cli::parse_args();
    let options = cli.common.output_options(cli.format.format.into());
    let mut out = bulwark_cli::start("secrets-sync", options);
    match run(&cli, &mut out) {
        Ok(code) => code,
        Err(err) => out.fail(&err),
    }
}

fn run(cli: &Cli, out: &mut Output) -> Result<ExitCode, SyncError> {
    let config = Config::load_or_discover(cli.common.config.as_deref())?;
    if let Command::Audit { fail_on } = &cli.command {
        return audit(cli, &config, *fail_on, out);
    }
    if cli.env.len() > 1 {
        return Err(SyncError::Usage(
            "--env is given more than once; only `audit` reads several environments".to_owned(),
        ));
    }
    let env = config.environment(cli.env.first().map(String::as_str))?;
    let identities =
        || IdentityLookup::from_process(cli.identity.identity.clone(), Some(&env.name)).find();
    let timeout = cli.timeout.duration();
    let report = match &cli.command {
        Command::Identity(IdentityCommand::Store) => {
            bulwark_sync::store_identity(&env.name, &mut io::stdin())?
        }
        Command::Identity(IdentityCommand::Forget) => bulwark_sync::forget_identity(&env.name)?,
        Command::Plan {
            targets,
            prune,
            check,
        } => {
            let identities = identities()?;
            let session = Session::open(&config, env, &identities, timeout, out.redactor_mut())?;
            let mut state = session.state()?;
            let sync = session.sync(targets)?;
            let mut plan = sync.plan(&state, *prune, out.progress("listing", None).as_ref());
            plan.check = *check;
            if plan.record_listings(&mut state) {
                state.save()?;
            }
            return Ok(out.finish(&plan));
        }
        Command::Apply {
            targets,
            prune,
            yes,
            stage_only,
            mask,
        } => {
            let identities = identities()?;
            let session = Session::open(&config, env, &identities, timeout, out.redactor_mut())?;
            if *mask || std::env::var_os("GITHUB_ACTIONS").is_some_and(|v| v == "true") {
                // On stderr, and only into a pipe: never into the report or a file.
                let values = session.store().document().entries().map(|(_, value)| value);
                if let Err(refused) = out.add_masks(values) {
                    if *mask {
                        return Err(SyncError::MaskRefused(refused));
                    }
                    out.warn(&format!("{refused}; values are not masked in this run"));
                }
            }
            let mut state = session.state()?;
            let sync = session.sync(targets)?;
            let plan = sync.plan(&state, *prune, out.progress("listing", None).as_ref());
            if plan.changes() == 0 || plan.targets.iter().any(|t| t.error.is_some()) {
                return Ok(out.finish(&plan));
            }
            if !yes {
                confirm(out, &plan)?;
            }
            let options = ApplyOptions {
                stage_only: *stage_only,
            };
            let applying = out.progress("applying", None);
            let applied = sync.apply(plan, &mut state, options, applying.as_ref())?;
            return Ok(out.finish(&applied));
        }
        local => {
            let identities = identities()?;
            let store = StoreVerbs::new(&config, env, &identities)?;
            match local {
                Command::Names { long } => store.names(*long)?,
                Command::RotateValue {
                    name,
                    bytes,
                    encoding,
                    ..
                } => {
                    bulwark_sync::check_name(name)?;
                    let rules = Rules::default_rules();
                    let (bytes, format) = (usize::from(*bytes), (*encoding).into());
                    store.rotate_value(name, bytes, format, &rules, out.redactor_mut())?
                }
                Command::Set { name } => {
                    bulwark_sync::check_name(name)?;
                    let value = read_value(name)?;
                    out.redactor_mut().add(&value);
                    store.set(name, value, out.redactor_mut())?
                }
                Command::Unset { name } => store.unset(name)?,
                Command::Rotate => store.rotate()?,
                Command::Edit => store
                    .edit(&|problem: &str| ask(&format!("{problem}\nedit again? [Y/n] "), true))?,
                Command::Exec { command } => return Ok(ExitCode::from(store.exec(command)?)),
                _ => unreachable!("identity, plan, apply and audit are answered above"),
            }
        }
    };
    Ok(out.finish(&report))
}

/// `audit`: the environments `--env` names (every one with a store when none), each
/// opened with its own identity, one after the other.
fn audit(
    cli: &Cli,
    config: &Config,
    fail_on: FailOn,
    out: &mut Output,
) -> Result<ExitCode, SyncError> {
    let rules = Rules::default_rules();
    let request = AuditRequest {
        config,
        envs: AuditRequest::environments(config, &cli.env)?,
        now: jiff::Timestamp::now(),
        fail_on: fail_on.into(),
        rules: &rules,
    };
    let report = bulwark_sync::audit(&request, &mut |env| {
        let identity = cli.identity.identity.clone();
        bulwark_sync::open_for_audit(config, env, identity, out.redactor_mut())
    })?;
    Ok(out.finish(&report))
}

/// Asks before `plan` is applied; refuses when there is no terminal to ask on.
fn confirm(out: &Output, plan: &Plan) -> Result<(), SyncError> {
    if !io::stdin().is_terminal() || !io::stderr().is_terminal() {
        return Err(SyncError::NotConfirmed(
            "refusing to apply without --yes: there is no terminal to ask on".to_owned(),
        ));
    }
    out.preview(plan);
    if ask(
        &format!("apply {} change(s)? [y/N] ", plan.changes()),
        false,
    ) {
        Ok(())
    } else {
        Err(SyncError::NotConfirmed("not applied".to_owned()))
    }
}

/// The value for `set`: a prompt without echo on a terminal, else all of stdin.
fn read_value(name: &str) -> Result<Secret, SyncError> {
    if io::stdin().is_terminal() {
        rpassword::prompt_password(format!("value for {name} (not shown): "))
            .map(Secret::new)
            .map_err(|source| SyncError::io("read", std::path::Path::new("stdin"), source))
    } else {
        bulwark_sync::read_value(&mut io::stdin())
    }
}

/// Asks a yes/no question on the terminal; `default` when the answer is empty.
fn ask(question: &str, default: bool) -> bool {
    if !io::stdin().is_terminal() {
        return false;
    }
    let mut stderr = io::stderr();
    let _ = stderr.write_all(question.as_bytes());
    let _ = stderr.flush();
    let mut answer = String::new();
    if io::stdin().lock().read_line(&mut answer).is_err() {
        return false;
    }
    match answer.trim().to_ascii_lowercase().as_str() {
        "" => default,
        "y" | "yes" => true,
        _ => false,
    }
}

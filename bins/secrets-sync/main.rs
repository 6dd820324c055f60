//! `secrets-sync`: the age-encrypted dotenv store is the source of truth; plan and apply
//! it to wrangler, Secrets Store, Fly and GitHub, values on the CLIs' stdin only.
#![expect(
    clippy::doc_markdown,
    reason = "doc comments in cli.rs are clap's --help text, where backticks would print literally"
)]

mod cli;
#[path = "../common/mod.rs"]
mod common;

use std::io::{self, BufRead as _, IsTerminal as _, Read as _, Write as _};
use std::process::ExitCode;
use std::time::Duration;

use bulwark_config::Config;
use bulwark_core::{Exit, Output, Report, Styles};
use bulwark_secret::Secret;
use bulwark_sync::{DigestKey, EditSession, Store, Sync, SyncError, SyncState};
use bulwark_targets::{ApplyOptions, Runner};
use bulwark_vault::{Identities, IdentityLookup, IdentitySource, Keyring};
use cli::{Command, IdentityCommand};
use serde::Serialize;

fn main() -> ExitCode {
    let cli = cli::Cli::parse_args();
    let mut out = common::start("secrets-sync", cli.common.output_options(cli.format.into()));
    match run(&cli, &mut out) {
        Ok(code) => code,
        Err(err) => out.fail(&err),
    }
}

/// A store verb's result: what was done, names only.
#[derive(Serialize)]
struct StoreReport {
    verb: &'static str,
    environment: String,
    store: String,
    names: Vec<String>,
    written: bool,
    message: String,
}

impl Report for StoreReport {
    fn exit(&self) -> Exit {
        Exit::Ok
    }

    fn render_human(&self, out: &mut dyn io::Write, _: &Styles) -> io::Result<()> {
        if self.verb == "names" {
            for name in &self.names {
                writeln!(out, "{name}")?;
            }
            Ok(())
        } else {
            writeln!(out, "{}", self.message)
        }
    }
}

fn run(cli: &cli::Cli, out: &mut Output) -> Result<ExitCode, SyncError> {
    let config = Config::load_or_discover(cli.common.config.as_deref())?;
    let env = config.environment(cli.env.as_deref())?;
    if let Command::Identity(verb) = &cli.command {
        return identity(verb, &env.name, out);
    }
    let identities = IdentityLookup::from_process(cli.identity.clone(), Some(&env.name)).find()?;
    let path = Store::path_of(&config, env)?;
    match &cli.command {
        Command::Plan { .. } | Command::Apply { .. } => {
            plan_or_apply(cli, out, &config, env, &path, &identities)
        }
        _ => store_verb(cli, out, env, &path, &identities),
    }
}

/// The verbs that work on the store alone: names, set, unset, rotate, edit, exec.
fn store_verb(
    cli: &cli::Cli,
    out: &mut Output,
    env: &bulwark_config::Environment,
    path: &std::path::Path,
    identities: &Identities,
) -> Result<ExitCode, SyncError> {
    let report = |verb, store: &Store, names: Vec<String>, written, message: String| StoreReport {
        verb,
        environment: env.name.clone(),
        store: bulwark_core::display_path(store.path()),
        names,
        written,
        message,
    };
    match &cli.command {
        Command::Names => {
            let store = Store::open(path, identities)?;
            let names = store
                .document()
                .names()
                .iter()
                .map(ToString::to_string)
                .collect();
            Ok(out.finish(&report("names", &store, names, false, String::new())))
        }
        Command::Set { name } => {
            bulwark_sync::check_name(name)?;
            let value = read_value(name)?;
            out.redactor_mut().add(&value);
            bulwark_sync::check_value(name, &value)?;
            let mut store = Store::open_or_new(path, identities)?;
            bulwark_sync::keep_structure(out.redactor_mut(), env, &store);
            let changed = store.document_mut().set(name, value);
            let recipients = bulwark_sync::recipients_of(env, path)?;
            let written = store.save(&recipients, false)?;
            let message = if changed {
                format!("set {name} in {}", path.display())
            } else {
                format!(
                    "{name} already has this value; {} unchanged",
                    path.display()
                )
            };
            Ok(out.finish(&report("set", &store, vec![name.clone()], written, message)))
        }
        Command::Unset { name } => {
            let mut store = Store::open(path, identities)?;
            let removed = store.document_mut().remove(name);
            let recipients = bulwark_sync::recipients_of(env, path)?;
            let written = store.save(&recipients, false)?;
            let message = if removed {
                format!("removed {name} from {}", path.display())
            } else {
                format!("{name} is not in {}; nothing to do", path.display())
            };
            Ok(out.finish(&report(
                "unset",
                &store,
                vec![name.clone()],
                written,
                message,
            )))
        }
        Command::Rotate => {
            let mut store = Store::open(path, identities)?;
            let recipients = bulwark_sync::recipients_of(env, path)?;
            store.save(&recipients, true)?;
            let message = format!(
                "re-encrypted {} to {} recipient(s)",
                path.display(),
                recipients.len()
            );
            Ok(out.finish(&report("rotate", &store, Vec::new(), true, message)))
        }
        Command::Edit => edit_verb(out, env, path, identities),
        Command::Exec { command } => {
            let store = Store::open(path, identities)?;
            let status = bulwark_sync::exec(&store, command)?;
            drop(store);
            Ok(status.code().map_or_else(
                || ExitCode::from(Exit::Interrupted.code()),
                |code| ExitCode::from(u8::try_from(code).unwrap_or(1)),
            ))
        }
        _ => unreachable!("plan, apply and identity are handled by run"),
    }
}

/// `edit`: the store in `$VISUAL`/`$EDITOR`, re-encrypted when it changed.
fn edit_verb(
    out: &Output,
    env: &bulwark_config::Environment,
    path: &std::path::Path,
    identities: &Identities,
) -> Result<ExitCode, SyncError> {
    let mut store = Store::open_or_new(path, identities)?;
    let recipients = bulwark_sync::recipients_of(env, path)?;
    let editor = std::env::var("VISUAL")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .or_else(|| {
            std::env::var("EDITOR")
                .ok()
                .filter(|v| !v.trim().is_empty())
        })
        .unwrap_or_else(|| "vi".to_owned());
    let retry = |problem: &str| ask(&format!("{problem}\nedit again? [Y/n] "), true);
    let session = EditSession {
        editor: editor.split_whitespace().map(str::to_owned).collect(),
        retry: &retry,
        base_dir: bulwark_sync::edit_base_dir(),
    };
    let written = bulwark_sync::edit(&mut store, &recipients, &session)?;
    let message = if written {
        format!("saved {}", path.display())
    } else {
        format!("no change; {} left as it was", path.display())
    };
    Ok(out.finish(&StoreReport {
        verb: "edit",
        environment: env.name.clone(),
        store: bulwark_core::display_path(store.path()),
        names: Vec::new(),
        written,
        message,
    }))
}

/// `plan` and `apply`.
fn plan_or_apply(
    cli: &cli::Cli,
    out: &mut Output,
    config: &Config,
    env: &bulwark_config::Environment,
    path: &std::path::Path,
    identities: &Identities,
) -> Result<ExitCode, SyncError> {
    match &cli.command {
        Command::Plan {
            targets,
            prune,
            check,
        } => {
            let store = Store::open(path, identities)?;
            sync(
                cli,
                out,
                config,
                env,
                &store,
                identities,
                targets,
                |sync, state, out| {
                    let mut plan = sync.plan(state, *prune, out.progress("listing", None).as_ref());
                    plan.check = *check;
                    Ok(out.finish(&plan))
                },
            )
        }
        Command::Apply {
            targets,
            prune,
            yes,
            stage_only,
            mask,
        } => {
            let store = Store::open(path, identities)?;
            if *mask || std::env::var_os("GITHUB_ACTIONS").is_some_and(|v| v == "true") {
                // On stderr, and only into a pipe: never into the report or a file.
                let values = store.document().entries().map(|(_, value)| value);
                if let Err(refused) = out.add_masks(values) {
                    if *mask {
                        return Err(SyncError::MaskRefused(refused));
                    }
                    out.warn(&format!("{refused}; values are not masked in this run"));
                }
            }
            sync(
                cli,
                out,
                config,
                env,
                &store,
                identities,
                targets,
                |sync, state, out| {
                    let plan = sync.plan(state, *prune, out.progress("listing", None).as_ref());
                    if plan.changes() == 0 || plan.targets.iter().any(|t| t.error.is_some()) {
                        return Ok(out.finish(&plan));
                    }
                    if !yes {
                        if !io::stdin().is_terminal() || !io::stderr().is_terminal() {
                            return Err(SyncError::NotConfirmed(
                                "refusing to apply without --yes: there is no terminal to ask on"
                                    .to_owned(),
                            ));
                        }
                        out.preview(&plan);
                        if !ask(
                            &format!("apply {} change(s)? [y/N] ", plan.changes()),
                            false,
                        ) {
                            return Err(SyncError::NotConfirmed("not applied".to_owned()));
                        }
                    }
                    let options = ApplyOptions {
                        stage_only: *stage_only,
                    };
                    let applied = sync.apply(
                        plan,
                        state,
                        options,
                        out.progress("applying", None).as_ref(),
                    )?;
                    Ok(out.finish(&applied))
                },
            )
        }
        _ => unreachable!("only plan and apply come here"),
    }
}

/// Loads what plan and apply share, hides every value from all output, and calls `then`.
#[expect(
    clippy::too_many_arguments,
    reason = "one call site; the pieces are the run's state"
)]
fn sync(
    cli: &cli::Cli,
    out: &mut Output,
    config: &Config,
    env: &bulwark_config::Environment,
    store: &Store,
    identities: &Identities,
    targets: &[String],
    then: impl FnOnce(&Sync<'_>, &mut SyncState, &Output) -> Result<ExitCode, SyncError>,
) -> Result<ExitCode, SyncError> {
    let mut runner = Runner::new(config.dir(), Duration::from_secs(cli.timeout));
    for (_, value) in store.document().entries() {
        runner.hide(value);
        out.redactor_mut().add(value);
    }
    bulwark_sync::keep_structure(out.redactor_mut(), env, store);
    let key = DigestKey::derive(
        identities
            .keys()
            .first()
            .expect("a lookup that succeeded holds at least one identity"),
    );
    let mut state = SyncState::load(store.path())?;
    let chosen = bulwark_sync::chosen_targets(env, targets)?;
    let sync = Sync {
        env,
        targets: chosen,
        store,
        key: &key,
        runner: &runner,
    };
    then(&sync, &mut state, out)
}

/// The value for `set`: a prompt without echo on a terminal, else all of stdin.
fn read_value(name: &str) -> Result<Secret, SyncError> {
    let stdin_path = std::path::Path::new("stdin");
    let bytes = if io::stdin().is_terminal() {
        let text = rpassword::prompt_password(format!("value for {name} (not shown): "))
            .map_err(|source| SyncError::io("read", stdin_path, source))?;
        text.into_bytes()
    } else {
        let mut bytes = Vec::new();
        io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|source| SyncError::io("read", stdin_path, source))?;
        bulwark_sync::value_from_input(bytes)
    };
    Secret::from_utf8(bytes).map_err(|_| SyncError::NotUtf8 {
        path: stdin_path.to_owned(),
    })
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

/// `identity store` (key text from stdin) and `identity forget`, in the OS keyring under
/// service `bulwark`, user = the environment name.
fn identity(verb: &IdentityCommand, env: &str, out: &Output) -> Result<ExitCode, SyncError> {
    let keyring = Keyring::system()?;
    let message = match verb {
        IdentityCommand::Store => {
            let mut text = zeroize::Zeroizing::new(String::new());
            io::stdin()
                .read_to_string(&mut text)
                .map_err(|source| SyncError::io("read", std::path::Path::new("stdin"), source))?;
            let identities = Identities::parse(&text, IdentitySource::Memory)?;
            keyring.set(env, text.trim())?;
            let public: Vec<String> = identities
                .recipients()
                .iter()
                .map(|r| r.as_str().to_owned())
                .collect();
            format!(
                "stored the identity for `{env}` in the OS keyring (public key {})",
                public.join(", ")
            )
        }
        IdentityCommand::Forget => {
            if keyring.delete(env)? {
                format!("removed the identity for `{env}` from the OS keyring")
            } else {
                format!("the OS keyring holds no identity for `{env}`")
            }
        }
    };
    Ok(out.finish(&StoreReport {
        verb: "identity",
        environment: env.to_owned(),
        store: String::new(),
        names: Vec::new(),
        written: true,
        message,
    }))
}

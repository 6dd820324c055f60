//! The verbs that work on one environment's store alone (`names`, `set`, `unset`,
//! `rotate`, `edit`, `exec`) and on the OS keyring (`identity store|forget`), each with
//! the report it ends with: names and messages, never a value.

use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};

use bulwark_config::{Config, Environment};
use bulwark_core::{Exit, Report, Styles};
use bulwark_secret::{Redactor, Secret};
use bulwark_vault::{Identities, IdentitySource, Keyring};
use serde::Serialize;

use crate::{EditSession, Store, SyncError, edit_base_dir, recipients_of};

/// A store verb's result: what was done, names only.
#[derive(Debug, Serialize)]
pub struct StoreReport {
    /// The verb, as typed.
    pub verb: &'static str,
    /// The environment.
    pub environment: String,
    /// The store file (empty for `identity`).
    pub store: String,
    /// `names`: every name in the store; `set`/`unset`: the one name.
    pub names: Vec<String>,
    /// Whether the store (or the keyring) was written.
    pub written: bool,
    /// One line for people.
    pub message: String,
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

/// One environment's store, for the verbs that need no target.
#[derive(Debug)]
pub struct StoreVerbs<'a> {
    env: &'a Environment,
    path: PathBuf,
    identities: &'a Identities,
}

impl<'a> StoreVerbs<'a> {
    /// `env`'s store, opened with `identities` by each verb.
    pub fn new(
        config: &Config,
        env: &'a Environment,
        identities: &'a Identities,
    ) -> Result<Self, SyncError> {
        Ok(Self {
            env,
            path: Store::path_of(config, env)?,
            identities,
        })
    }

    fn report(
        &self,
        verb: &'static str,
        store: &Store,
        names: Vec<String>,
        written: bool,
        message: String,
    ) -> StoreReport {
        StoreReport {
            verb,
            environment: self.env.name.clone(),
            store: bulwark_core::display_path(store.path()),
            names,
            written,
            message,
        }
    }

    /// `names`: the names in the store.
    pub fn names(&self) -> Result<StoreReport, SyncError> {
        let store = Store::open(&self.path, self.identities)?;
        let names = store
            .document()
            .names()
            .iter()
            .map(ToString::to_string)
            .collect();
        Ok(self.report("names", &store, names, false, String::new()))
    }

    /// `set NAME`: stores `value` under `name` (a store that does not exist yet is
    /// created). A value too short to redact is refused; `redactor` learns the store's
    /// structure, so the report never loses a name to a value that equals it.
    pub fn set(
        &self,
        name: &str,
        value: Secret,
        redactor: &mut Redactor,
    ) -> Result<StoreReport, SyncError> {
        crate::check_value(name, &value)?;
        let path = &self.path;
        let mut store = Store::open_or_new(path, self.identities)?;
        crate::keep_structure(redactor, self.env, &store);
        let changed = store.document_mut().set(name, value);
        let recipients = recipients_of(self.env, path)?;
        let written = store.save(&recipients, false)?;
        let message = if changed {
            format!("set {name} in {}", path.display())
        } else {
            format!(
                "{name} already has this value; {} unchanged",
                path.display()
            )
        };
        Ok(self.report("set", &store, vec![name.to_owned()], written, message))
    }

    /// `unset NAME`.
    pub fn unset(&self, name: &str) -> Result<StoreReport, SyncError> {
        let path = &self.path;
        let mut store = Store::open(path, self.identities)?;
        let removed = store.document_mut().remove(name);
        let recipients = recipients_of(self.env, path)?;
        let written = store.save(&recipients, false)?;
        let message = if removed {
            format!("removed {name} from {}", path.display())
        } else {
            format!("{name} is not in {}; nothing to do", path.display())
        };
        Ok(self.report("unset", &store, vec![name.to_owned()], written, message))
    }

    /// `rotate`: re-encrypts the store to the current recipients.
    pub fn rotate(&self) -> Result<StoreReport, SyncError> {
        let path = &self.path;
        let mut store = Store::open(path, self.identities)?;
        let recipients = recipients_of(self.env, path)?;
        store.save(&recipients, true)?;
        let message = format!(
            "re-encrypted {} to {} recipient(s)",
            path.display(),
            recipients.len()
        );
        Ok(self.report("rotate", &store, Vec::new(), true, message))
    }

    /// `edit`: the store in `$VISUAL`, else `$EDITOR`, else `vi` (see [`crate::edit`]);
    /// `retry` is asked whether to edit again after a file that does not parse.
    pub fn edit(&self, retry: &dyn Fn(&str) -> bool) -> Result<StoreReport, SyncError> {
        let path = &self.path;
        let mut store = Store::open_or_new(path, self.identities)?;
        let recipients = recipients_of(self.env, path)?;
        let editor = editor_from_env();
        let session = EditSession {
            editor: editor.split_whitespace().map(str::to_owned).collect(),
            retry,
            base_dir: edit_base_dir(),
        };
        let written = crate::edit(&mut store, &recipients, &session)?;
        let message = if written {
            format!("saved {}", path.display())
        } else {
            format!("no change; {} left as it was", path.display())
        };
        Ok(self.report("edit", &store, Vec::new(), written, message))
    }

    /// `exec CMD…` (see [`crate::exec`]): the exit code to end with, the command's own,
    /// or [`Exit::Interrupted`]'s when a signal ended it.
    pub fn exec(&self, command: &[OsString]) -> Result<u8, SyncError> {
        let store = Store::open(&self.path, self.identities)?;
        let status = crate::exec(&store, command)?;
        drop(store);
        Ok(status.code().map_or(Exit::Interrupted.code(), |code| {
            u8::try_from(code).unwrap_or(1)
        }))
    }
}

/// `$VISUAL`, else `$EDITOR`, else `vi`; a variable that is empty or blank counts as unset.
fn editor_from_env() -> String {
    let set = |name| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    set("VISUAL")
        .or_else(|| set("EDITOR"))
        .unwrap_or_else(|| "vi".to_owned())
}

/// The value for `set` from `input` (stdin that is not a terminal): all of it, less one
/// trailing newline (see [`crate::value_from_input`]).
pub fn read_value(input: &mut dyn io::Read) -> Result<Secret, SyncError> {
    let stdin = Path::new("stdin");
    let mut bytes = Vec::new();
    input
        .read_to_end(&mut bytes)
        .map_err(|source| SyncError::io("read", stdin, source))?;
    Secret::from_utf8(crate::value_from_input(bytes)).map_err(|_| SyncError::NotUtf8 {
        path: stdin.to_owned(),
    })
}

/// `identity store`: keeps the age identity read from `input` (the binary's stdin) in
/// the OS keyring under service `bulwark`, user = the environment's name.
pub fn store_identity(env: &str, input: &mut dyn io::Read) -> Result<StoreReport, SyncError> {
    let keyring = Keyring::system()?;
    let mut text = zeroize::Zeroizing::new(String::new());
    input
        .read_to_string(&mut text)
        .map_err(|source| SyncError::io("read", Path::new("stdin"), source))?;
    let identities = Identities::parse(&text, IdentitySource::Memory)?;
    keyring.set(env, text.trim())?;
    let public: Vec<String> = identities
        .recipients()
        .iter()
        .map(|r| r.as_str().to_owned())
        .collect();
    Ok(identity_report(
        env,
        format!(
            "stored the identity for `{env}` in the OS keyring (public key {})",
            public.join(", ")
        ),
    ))
}

/// `identity forget`: removes the environment's identity from the OS keyring.
pub fn forget_identity(env: &str) -> Result<StoreReport, SyncError> {
    let keyring = Keyring::system()?;
    let message = if keyring.delete(env)? {
        format!("removed the identity for `{env}` from the OS keyring")
    } else {
        format!("the OS keyring holds no identity for `{env}`")
    };
    Ok(identity_report(env, message))
}

fn identity_report(env: &str, message: String) -> StoreReport {
    StoreReport {
        verb: "identity",
        environment: env.to_owned(),
        store: String::new(),
        names: Vec::new(),
        written: true,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_value_drops_one_trailing_newline_and_refuses_what_is_not_utf8() {
        let value = read_value(&mut &b"canary-value-91c3\n\n"[..]).expect("text");
        assert_eq!(value.expose(), "canary-value-91c3\n");
        let err = read_value(&mut &b"\xff\xfe"[..]).expect_err("not UTF-8");
        assert!(matches!(err, SyncError::NotUtf8 { .. }));
    }
}

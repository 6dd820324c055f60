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

use crate::{EditSession, Store, SyncError, SyncState, edit_base_dir, recipients_of};

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
    /// `names --long`: when each value last changed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ages: Vec<NameAge>,
}

/// When one value last changed, for `names --long`.
#[derive(Debug, Serialize)]
pub struct NameAge {
    /// The secret's name.
    pub name: String,
    /// When its value last changed (UTC, RFC 3339), if recorded.
    pub changed: Option<String>,
    /// The verb that changed it (`set`, `edit`, `rotate-value`), if recorded.
    pub by: Option<String>,
    /// Whole days since, if recorded.
    pub age_days: Option<i64>,
}

/// How `rotate-value` writes the random bytes it draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueFormat {
    /// Standard base64 with padding, as `openssl rand -base64` prints.
    Base64,
    /// Lower-case hex, as `openssl rand -hex` prints.
    Hex,
    /// Letters and digits only, as many as carry the same randomness.
    Alnum,
}

impl ValueFormat {
    fn label(self) -> &'static str {
        match self {
            Self::Base64 => "base64",
            Self::Hex => "hex",
            Self::Alnum => "alnum",
        }
    }
}

impl Report for StoreReport {
    fn exit(&self) -> Exit {
        Exit::Ok
    }

    fn render_human(&self, out: &mut dyn io::Write, _: &Styles) -> io::Result<()> {
        if !self.ages.is_empty() {
            let width = self.ages.iter().map(|a| a.name.len()).max().unwrap_or(0);
            for age in &self.ages {
                match (&age.changed, age.age_days) {
                    (Some(changed), Some(days)) => writeln!(
                        out,
                        "{:width$}  {}  {days:>5} days  {}",
                        age.name,
                        &changed[..changed.len().min(10)],
                        age.by.as_deref().unwrap_or("")
                    )?,
                    _ => writeln!(out, "{:width$}  age unknown", age.name)?,
                }
            }
            Ok(())
        } else if self.verb == "names" {
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
            ages: Vec::new(),
        }
    }

    /// Records in the state file beside the store that `changed` names got new values
    /// through `verb` and that `removed` names are gone.
    fn record(&self, changed: &[String], removed: &[String], verb: &str) -> Result<(), SyncError> {
        if changed.is_empty() && removed.is_empty() {
            return Ok(());
        }
        let mut state = SyncState::load(&self.path)?;
        state.record_changes(changed, removed, jiff::Timestamp::now(), verb);
        state.save()
    }

    /// `names`: the names in the store; with `long`, when each value last changed, as
    /// recorded in the state file beside the store.
    pub fn names(&self, long: bool) -> Result<StoreReport, SyncError> {
        let store = Store::open(&self.path, self.identities)?;
        let names: Vec<String> = store
            .document()
            .names()
            .iter()
            .map(ToString::to_string)
            .collect();
        let mut report = self.report("names", &store, names, false, String::new());
        if long {
            let state = SyncState::load(&self.path)?;
            let now = jiff::Timestamp::now();
            report.ages = report
                .names
                .iter()
                .map(|name| {
                    let change = state.changed(name);
                    NameAge {
                        name: name.clone(),
                        changed: change.map(|c| c.at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()),
                        by: change.map(|c| c.by.clone()),
                        age_days: change.map(|c| crate::age_days(c.at, now)),
                    }
                })
                .collect();
        }
        Ok(report)
    }

    /// `rotate-value NAME --generate`: a new value of `bytes` random bytes from the OS's
    /// random source, written as `format`, straight into the store: never printed,
    /// never on disk outside the encrypted store. The change is recorded; the next
    /// `apply` sends it. A name that looks like a vendor's credential is refused: those
    /// are rotated at the vendor.
    pub fn rotate_value(
        &self,
        name: &str,
        bytes: usize,
        format: ValueFormat,
        rules: &bulwark_scan::Rules,
        redactor: &mut Redactor,
    ) -> Result<StoreReport, SyncError> {
        let mut store = Store::open_or_new(&self.path, self.identities)?;
        crate::keep_structure(redactor, self.env, &store);
        redactor.keep(name);
        if let Some(vendor) = crate::third_party_vendor(name, store.document().get(name), rules) {
            return Err(SyncError::ThirdParty {
                name: name.to_owned(),
                vendor,
            });
        }
        let value = generate(bytes, format)?;
        redactor.add(&value);
        store.document_mut().set(name, value);
        let recipients = recipients_of(self.env, &self.path)?;
        let written = store.save(&recipients, false)?;
        self.record(&[name.to_owned()], &[], "rotate-value")?;
        let message = format!(
            "generated a new value for {name} ({bytes} random bytes, {}) in {}; `secrets-sync apply` sends it",
            format.label(),
            self.path.display()
        );
        Ok(self.report(
            "rotate-value",
            &store,
            vec![name.to_owned()],
            written,
            message,
        ))
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
        if changed {
            self.record(&[name.to_owned()], &[], "set")?;
        }
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
        if removed {
            self.record(&[], &[name.to_owned()], "unset")?;
        }
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
        let key = crate::RunKey::new()?;
        let before: std::collections::BTreeMap<String, [u8; 32]> = store
            .document()
            .entries()
            .map(|(name, value)| (name.to_owned(), key.digest(value)))
            .collect();
        let written = crate::edit(&mut store, &recipients, &session)?;
        if written {
            let after: Vec<(String, [u8; 32])> = store
                .document()
                .entries()
                .map(|(name, value)| (name.to_owned(), key.digest(value)))
                .collect();
            let changed: Vec<String> = after
                .iter()
                .filter(|(name, digest)| before.get(name) != Some(digest))
                .map(|(name, _)| name.clone())
                .collect();
            let removed: Vec<String> = before
                .keys()
                .filter(|name| !after.iter().any(|(n, _)| n == *name))
                .cloned()
                .collect();
            self.record(&changed, &removed, "edit")?;
        }
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
        ages: Vec::new(),
    }
}

/// `bytes` random bytes from the OS's random source, written as `format`.
fn generate(bytes: usize, format: ValueFormat) -> Result<Secret, SyncError> {
    use base64::Engine as _;
    let random = |len: usize| -> Result<zeroize::Zeroizing<Vec<u8>>, SyncError> {
        let mut buf = zeroize::Zeroizing::new(vec![0u8; len]);
        getrandom::fill(&mut buf).map_err(|err| SyncError::Random(err.to_string()))?;
        Ok(buf)
    };
    let text = match format {
        ValueFormat::Base64 => base64::engine::general_purpose::STANDARD.encode(&*random(bytes)?),
        ValueFormat::Hex => {
            let raw = random(bytes)?;
            let mut hex = String::with_capacity(bytes * 2);
            for byte in raw.iter() {
                hex.push(char::from(HEX[usize::from(byte >> 4)]));
                hex.push(char::from(HEX[usize::from(byte & 0xf)]));
            }
            hex
        }
        ValueFormat::Alnum => {
            // As many characters of 62 as carry `bytes` bytes: 8·bytes / log2(62) bits
            // each, rounded up. Bytes of 248 and above are dropped so that every
            // character is equally likely (248 = 4 × 62).
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                clippy::cast_precision_loss,
                reason = "bytes is at most a few thousand"
            )]
            let want = ((bytes * 8) as f64 / 62f64.log2()).ceil() as usize;
            let mut out = String::with_capacity(want);
            while out.len() < want {
                for &byte in random(want)?.iter() {
                    if byte < 248 && out.len() < want {
                        out.push(char::from(ALNUM[usize::from(byte % 62)]));
                    }
                }
            }
            out
        }
    };
    Ok(Secret::new(text))
}

const HEX: &[u8; 16] = b"0123456789abcdef";
const ALNUM: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_values_have_the_asked_randomness_and_alphabet() {
        let b64 = generate(32, ValueFormat::Base64).expect("random");
        assert_eq!(b64.expose().len(), 44);
        assert!(crate::estimated_bytes(b64.expose()) >= 32.0);
        let hex = generate(32, ValueFormat::Hex).expect("random");
        assert_eq!(hex.expose().len(), 64);
        assert!(hex.expose().bytes().all(|b| HEX.contains(&b)));
        let alnum = generate(32, ValueFormat::Alnum).expect("random");
        assert_eq!(alnum.expose().len(), 43);
        assert!(alnum.expose().bytes().all(|b| b.is_ascii_alphanumeric()));
        assert!(crate::estimated_bytes(alnum.expose()) >= 32.0);
        assert_ne!(
            generate(32, ValueFormat::Hex).expect("random").expose(),
            hex.expose(),
            "drawn afresh"
        );
    }

    #[test]
    fn read_value_drops_one_trailing_newline_and_refuses_what_is_not_utf8() {
        let value = read_value(&mut &b"canary-value-91c3\n\n"[..]).expect("text");
        assert_eq!(value.expose(), "canary-value-91c3\n");
        let err = read_value(&mut &b"\xff\xfe"[..]).expect_err("not UTF-8");
        assert!(matches!(err, SyncError::NotUtf8 { .. }));
    }
}

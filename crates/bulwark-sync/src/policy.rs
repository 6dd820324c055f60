//! What a store may hold, and what of a run is Bulwark's own structure rather than data.

use bulwark_config::Environment;
use bulwark_secret::{Redactor, Secret};

use crate::{Dotenv, Store, SyncError};

/// Shortest value a store takes, in bytes. A shorter value cannot be redacted safely:
/// hiding `e` everywhere would mangle every report, and hiding it only as a whole word
/// shows where it stands. Generated tokens, keys and URLs are all longer.
pub const MIN_VALUE_LEN: usize = Redactor::MIN_LEN;

/// Why `value` is too short to be stored, or `None`. Never contains the value; an empty
/// value is left to the targets' own check (`the value is empty`).
#[must_use]
pub fn too_short(value: &str) -> Option<String> {
    (!value.is_empty() && value.len() < MIN_VALUE_LEN).then(|| {
        format!("the value is shorter than {MIN_VALUE_LEN} bytes, too short to redact safely")
    })
}

/// Refuses to store `value` under `name` when it is too short (see [`too_short`]).
pub fn check_value(name: &str, value: &Secret) -> Result<(), SyncError> {
    check_names(too_short(value.expose()).map(|_| name))
}

/// Refuses a whole document (an edited store) that holds a value too short to store.
pub fn check_document(document: &Dotenv) -> Result<(), SyncError> {
    check_names(
        document
            .entries()
            .filter(|(_, value)| too_short(value.expose()).is_some())
            .map(|(name, _)| name),
    )
}

fn check_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<(), SyncError> {
    let names: Vec<&str> = names.into_iter().collect();
    if names.is_empty() {
        Ok(())
    } else {
        Err(SyncError::TooShort {
            names: names.join(", "),
            min: MIN_VALUE_LEN,
        })
    }
}

/// The labels a plan or store report prints around names; with [`keep_structure`] a
/// value that happens to equal one of them is not redacted out of the report's frame.
const LABELS: &[&str] = &[
    "plan",
    "apply",
    "add",
    "update",
    "update?",
    "unchanged",
    "remove",
    "unmanaged",
    "done",
    "failed",
    "refused",
    "nothing to do",
    "could not list secrets",
    "target(s) could not be listed",
    "set",
    "removed",
    "already has this value",
    "re-encrypted",
    "recipient(s)",
    "saved",
    "no change",
    "left as it was",
    "warning",
    "error",
    "stale",
    "weak",
    "orphan",
    "shared-value",
    "log",
];

/// Tells `redactor` what of this run is Bulwark's own structure: the environment's and
/// its targets' names, the store's path and every secret name in it, and the fixed
/// labels of secrets-sync's reports. A value that equals one of them stays visible
/// there, since redacting it would only reveal which name it equals; everywhere else it
/// is still redacted. Child output is redacted before it joins a report, by the runner's
/// own redactor, which keeps nothing.
pub fn keep_structure(redactor: &mut Redactor, env: &Environment, store: &Store) {
    redactor.keep(&env.name);
    for target in &env.targets {
        redactor.keep(target.name());
        redactor.keep(target.spec.kind());
    }
    redactor.keep(&bulwark_core::display_path(store.path()));
    redactor.keep(&store.path().display().to_string());
    for name in store.document().names() {
        redactor.keep(name);
    }
    for label in LABELS {
        redactor.keep(label);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_shorter_than_the_minimum_are_refused_by_name() {
        assert_eq!(MIN_VALUE_LEN, 8);
        assert!(too_short("1234567").is_some());
        assert!(too_short("12345678").is_none());
        assert!(too_short("").is_none(), "empty is the targets' own refusal");
        let err = check_value("SHORT", &Secret::new("e".to_owned())).expect_err("refused");
        assert_eq!(bulwark_core::Failure::exit(&err), bulwark_core::Exit::Usage);
        let text = err.to_string();
        assert!(text.contains("SHORT") && text.contains("8 bytes"), "{text}");
        let doc = Dotenv::parse("A=long-enough-value\nB=abc\nC=x\n").expect("parses");
        let err = check_document(&doc).expect_err("refused");
        assert!(err.to_string().starts_with("B, C:"), "{err}");
        assert!(check_document(&Dotenv::parse("A=long-enough\n").expect("parses")).is_ok());
    }
}

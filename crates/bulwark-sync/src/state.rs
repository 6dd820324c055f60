//! What the last sync sent, as keyed digests: enough to tell "unchanged" from "changed"
//! for targets that never show a value, and useless to anyone without the identity.
//!
//! The key is derived from the age identity with HMAC-SHA256, and each digest is
//! HMAC-SHA256(key, target ‖ 0 ‖ name ‖ 0 ‖ value). A plain hash would let anyone with
//! the repository test guesses against a short value; a keyed digest does not.
//! Digests are kept per identity (by its public key): teammates hold different keys.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use bulwark_secret::Secret;
use bulwark_vault::Identity;
use hmac::{Hmac, KeyInit as _, Mac as _};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::{SyncError, write_atomic};

type HmacSha256 = Hmac<Sha256>;

const KEY_CONTEXT: &[u8] = b"bulwark secrets-sync state digest key v1";

/// The digest key of one identity.
pub struct DigestKey {
    key: Zeroizing<Vec<u8>>,
    owner: String,
}

impl std::fmt::Debug for DigestKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DigestKey")
            .field("owner", &self.owner)
            .finish_non_exhaustive()
    }
}

impl DigestKey {
    /// Derives the key from `identity`'s secret key.
    #[must_use]
    pub fn derive(identity: &Identity) -> Self {
        let secret = identity.to_secret_text();
        let mut mac =
            HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
        mac.update(KEY_CONTEXT);
        Self {
            key: Zeroizing::new(mac.finalize().into_bytes().to_vec()),
            owner: identity.recipient().as_str().to_owned(),
        }
    }

    /// The digest of `value` as sent to `target` under `name`, in hex.
    #[must_use]
    pub fn digest(&self, target: &str, name: &str, value: &Secret) -> String {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes keys of any length");
        mac.update(target.as_bytes());
        mac.update(&[0]);
        mac.update(name.as_bytes());
        mac.update(&[0]);
        mac.update(value.expose_bytes());
        let mut hex = String::with_capacity(64);
        for byte in mac.finalize().into_bytes() {
            let _ = write!(hex, "{byte:02x}");
        }
        hex
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct StateFile {
    version: u32,
    /// identity public key → target name → secret name → digest.
    digests: BTreeMap<String, BTreeMap<String, BTreeMap<String, String>>>,
    /// secret name → when its value last changed, as far as secrets-sync saw it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    changed: BTreeMap<String, Change>,
    /// target name → the names the last plan listed there.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    listed: BTreeMap<String, Listing>,
}

/// When a value changed, and by which verb.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// UTC, RFC 3339.
    pub at: jiff::Timestamp,
    /// `set`, `edit` or `rotate-value`.
    pub by: String,
}

/// The names a target held at the last plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listing {
    /// UTC, RFC 3339.
    pub at: jiff::Timestamp,
    /// The names, sorted.
    pub names: Vec<String>,
}

/// The state file beside a store: `<store>.state.json`.
#[derive(Debug)]
pub struct SyncState {
    path: PathBuf,
    file: StateFile,
}

impl SyncState {
    /// The state file of the store at `store`.
    #[must_use]
    pub fn path_for(store: &Path) -> PathBuf {
        let mut name = store.file_name().unwrap_or_default().to_os_string();
        name.push(".state.json");
        store.with_file_name(name)
    }

    /// Loads the state of `store`; an absent file is an empty state.
    pub fn load(store: &Path) -> Result<Self, SyncError> {
        let path = Self::path_for(store);
        let file = match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).map_err(|err| {
                SyncError::io(
                    "parse the sync state",
                    &path,
                    std::io::Error::new(std::io::ErrorKind::InvalidData, err.to_string()),
                )
            })?,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => StateFile {
                version: 1,
                ..StateFile::default()
            },
            Err(source) => return Err(SyncError::io("read", &path, source)),
        };
        Ok(Self { path, file })
    }

    /// The digest recorded for `name` in `target` by the holder of `key`.
    #[must_use]
    pub fn recorded(&self, key: &DigestKey, target: &str, name: &str) -> Option<&str> {
        self.file
            .digests
            .get(&key.owner)?
            .get(target)?
            .get(name)
            .map(String::as_str)
    }

    /// Records that `value` was sent to `target` under `name`.
    pub fn record(&mut self, key: &DigestKey, target: &str, name: &str, value: &Secret) {
        let digest = key.digest(target, name, value);
        self.file
            .digests
            .entry(key.owner.clone())
            .or_default()
            .entry(target.to_owned())
            .or_default()
            .insert(name.to_owned(), digest);
    }

    /// Forgets `name` in `target` (after a delete).
    pub fn forget(&mut self, key: &DigestKey, target: &str, name: &str) {
        if let Some(targets) = self.file.digests.get_mut(&key.owner)
            && let Some(names) = targets.get_mut(target)
        {
            names.remove(name);
        }
    }

    /// When `name`'s value last changed through a secrets-sync verb, if recorded.
    #[must_use]
    pub fn changed(&self, name: &str) -> Option<&Change> {
        self.file.changed.get(name)
    }

    /// Records that the values of `names` changed at `at` through `by`, and forgets the
    /// change times of `removed`.
    pub fn record_changes(
        &mut self,
        names: &[String],
        removed: &[String],
        at: jiff::Timestamp,
        by: &str,
    ) {
        for name in names {
            self.file.changed.insert(
                name.clone(),
                Change {
                    at,
                    by: by.to_owned(),
                },
            );
        }
        for name in removed {
            self.file.changed.remove(name);
        }
    }

    /// The names `target` held at the last plan, if one was recorded.
    #[must_use]
    pub fn listed(&self, target: &str) -> Option<&Listing> {
        self.file.listed.get(target)
    }

    /// Records the names a plan listed in `target`.
    pub fn record_listing(&mut self, target: &str, names: &[String], at: jiff::Timestamp) {
        let mut names = names.to_vec();
        names.sort();
        names.dedup();
        self.file
            .listed
            .insert(target.to_owned(), Listing { at, names });
    }

    /// The file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes the state atomically.
    pub fn save(&self) -> Result<(), SyncError> {
        let mut text = serde_json::to_string_pretty(&self.file).map_err(|err| {
            SyncError::io(
                "serialize the sync state",
                &self.path,
                std::io::Error::other(err.to_string()),
            )
        })?;
        text.push('\n');
        write_atomic(&self.path, text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_keyed_per_identity_target_and_name() {
        let (alice, bob) = (Identity::generate(), Identity::generate());
        let (ka, kb) = (DigestKey::derive(&alice), DigestKey::derive(&bob));
        let value = Secret::new("canary-state-6b1f".to_owned());
        let d = ka.digest("wrangler", "A", &value);
        assert_eq!(d.len(), 64);
        assert_eq!(
            d,
            DigestKey::derive(&alice).digest("wrangler", "A", &value),
            "stable"
        );
        assert_ne!(
            d,
            kb.digest("wrangler", "A", &value),
            "another identity, another key"
        );
        assert_ne!(d, ka.digest("fly", "A", &value));
        assert_ne!(d, ka.digest("wrangler", "B", &value));
        assert_ne!(
            d,
            ka.digest("wrangler", "A", &Secret::new("other".to_owned()))
        );
    }

    #[test]
    fn state_round_trips_and_holds_no_value() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = dir.path().join("production.env.age");
        let key = DigestKey::derive(&Identity::generate());
        let value = Secret::new("canary-state-value-93d2".to_owned());
        let mut state = SyncState::load(&store).expect("absent is empty");
        assert_eq!(state.recorded(&key, "fly", "A"), None);
        state.record(&key, "fly", "A", &value);
        state.save().expect("saves");
        let text = std::fs::read_to_string(SyncState::path_for(&store)).expect("written");
        assert!(!text.contains("canary-state-value"), "{text}");
        let mut again = SyncState::load(&store).expect("loads");
        assert_eq!(
            again.recorded(&key, "fly", "A"),
            Some(key.digest("fly", "A", &value).as_str())
        );
        again.forget(&key, "fly", "A");
        assert_eq!(again.recorded(&key, "fly", "A"), None);
    }
}

//! The OS keyring, through `keyring-core` and each platform's native store: on Linux the
//! kernel keyutils store (`linux-keyutils-keyring-store`), which works without a desktop
//! session or D-Bus; on macOS the login keychain. (Bulwark does not run on Windows itself:
//! it needs Unix process groups, signals and file modes; WSL runs the Linux build.)
//!
//! We never fall back to an in-memory store: where no real store exists,
//! [`Keyring::system`] fails and the lookup says the keyring was unavailable.

use std::fmt;

use zeroize::Zeroizing;

use crate::{KEYRING_SERVICE, VaultError};

/// A handle on the OS keyring. Entries live under service [`KEYRING_SERVICE`] and a user
/// the caller picks (an environment name, a store path). On Linux an entry is a keyutils
/// `user` key described `keyring:USER@bulwark`, linked into the session keyring (and the
/// user's persistent keyring where the kernel has one); it does not survive a reboot.
#[derive(Clone)]
pub struct Keyring {
    store: std::sync::Arc<keyring_core::CredentialStore>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("vendor", &self.store.vendor())
            .finish()
    }
}

/// Describes a keyring error without any secret bytes (`BadEncoding` and `BadDataFormat`
/// carry the stored value, so their `Debug` must never be shown).
fn describe(err: &keyring_core::Error) -> String {
    use keyring_core::Error as E;
    match err {
        E::PlatformFailure(inner) => format!("platform failure: {inner}"),
        E::NoStorageAccess(inner) => format!("no access to the store: {inner}"),
        E::NoEntry => "no entry".to_owned(),
        E::BadEncoding(_) | E::BadDataFormat(..) => "the stored value is malformed".to_owned(),
        E::BadStoreFormat(what) => format!("bad store format: {what}"),
        E::TooLong(what, limit) => format!("{what} is longer than {limit}"),
        E::Invalid(what, why) => format!("invalid {what}: {why}"),
        E::Ambiguous(_) => "more than one entry matches".to_owned(),
        _ => "unknown keyring error".to_owned(),
    }
}

impl Keyring {
    /// The system keyring: the kernel keyutils store on Linux, the login keychain on
    /// macOS; elsewhere none, so this fails.
    pub fn system() -> Result<Self, VaultError> {
        #[cfg(target_os = "linux")]
        let store = linux_keyutils_keyring_store::Store::new();
        #[cfg(target_os = "macos")]
        let store = apple_native_keyring_store::keychain::Store::new();
        #[cfg(not(any(target_os = "linux", target_os = "macos")))]
        let store: keyring_core::Result<std::sync::Arc<keyring_core::CredentialStore>> =
            Err(keyring_core::Error::NotSupportedByStore(
                "no keyring store is built for this platform".to_owned(),
            ));
        let store = store.map_err(|err| VaultError::KeyringUnavailable {
            reason: describe(&err),
        })?;
        Ok(Self { store })
    }

    fn entry(&self, user: &str) -> Result<keyring_core::Entry, VaultError> {
        self.store
            .build(KEYRING_SERVICE, user, None)
            .map_err(|err| Self::error(user, &err))
    }

    fn error(user: &str, err: &keyring_core::Error) -> VaultError {
        VaultError::Keyring {
            service: KEYRING_SERVICE.to_owned(),
            user: user.to_owned(),
            reason: describe(err),
        }
    }

    /// The text stored for `user`, or `None` when there is no entry.
    pub fn get(&self, user: &str) -> Result<Option<Zeroizing<String>>, VaultError> {
        let entry = self.entry(user)?;
        match entry.get_secret() {
            Ok(bytes) => {
                let bytes = Zeroizing::new(bytes);
                match std::str::from_utf8(&bytes) {
                    Ok(text) => Ok(Some(Zeroizing::new(text.to_owned()))),
                    Err(_) => Err(VaultError::Keyring {
                        service: KEYRING_SERVICE.to_owned(),
                        user: user.to_owned(),
                        reason: "the stored value is not UTF-8".to_owned(),
                    }),
                }
            }
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(err) => Err(Self::error(user, &err)),
        }
    }

    /// Stores `secret` for `user`, replacing any earlier value.
    pub fn set(&self, user: &str, secret: &str) -> Result<(), VaultError> {
        self.entry(user)?
            .set_secret(secret.as_bytes())
            .map_err(|err| Self::error(user, &err))
    }

    /// Removes the entry for `user`; `false` when there was none.
    pub fn delete(&self, user: &str) -> Result<bool, VaultError> {
        match self.entry(user)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring_core::Error::NoEntry) => Ok(false),
            Err(err) => Err(Self::error(user, &err)),
        }
    }
}

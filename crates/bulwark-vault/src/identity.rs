//! age identities (secret keys) and the lookup that finds them.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use zeroize::Zeroizing;

use crate::{IDENTITY_ENV, KEYRING_SERVICE, Keyring, Recipient, VaultError};

/// Where the default identity file lives, under the home directory.
pub const DEFAULT_IDENTITY_PATH: &str = ".config/bulwark/identity.txt";

/// `~/.config/bulwark/identity.txt`, when `HOME` is set.
#[must_use]
pub fn default_identity_file() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|home| !home.is_empty())
        .map(|home| PathBuf::from(home).join(DEFAULT_IDENTITY_PATH))
}

/// One age X25519 identity. The secret scalar is wiped on drop (x25519-dalek's
/// `StaticSecret`); `Debug` shows only the public key.
pub struct Identity {
    key: age::x25519::Identity,
    recipient: Recipient,
}

impl Identity {
    /// A new random identity (for tests and key generation).
    #[must_use]
    pub fn generate() -> Self {
        Self::from_age(age::x25519::Identity::generate())
    }

    fn from_age(key: age::x25519::Identity) -> Self {
        let recipient = Recipient::from_age(key.to_public());
        Self { key, recipient }
    }

    /// The public key that encrypts to this identity.
    #[must_use]
    pub fn recipient(&self) -> &Recipient {
        &self.recipient
    }

    /// The key text (`AGE-SECRET-KEY-1…`), in a zeroizing buffer, for storing it in a
    /// keyring or a 0600 file. Never print it.
    #[must_use]
    pub fn to_secret_text(&self) -> Zeroizing<String> {
        use age::secrecy::ExposeSecret as _;
        Zeroizing::new(self.key.to_string().expose_secret().to_owned())
    }
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity")
            .field("recipient", &self.recipient.as_str())
            .field("key", &"[redacted]")
            .finish_non_exhaustive()
    }
}

/// Where identities were found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentitySource {
    /// `--identity FILE`.
    Flag(PathBuf),
    /// [`IDENTITY_ENV`].
    EnvVar,
    /// The OS keyring, service [`KEYRING_SERVICE`], this user.
    Keyring {
        /// The keyring user (an environment name, a store path).
        user: String,
    },
    /// The default file, `~/.config/bulwark/identity.txt`.
    DefaultFile(PathBuf),
    /// Given in memory by the caller (tests, key generation).
    Memory,
}

impl fmt::Display for IdentitySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Flag(path) => write!(f, "--identity {}", path.display()),
            Self::EnvVar => f.write_str(IDENTITY_ENV),
            Self::Keyring { user } => write!(f, "the OS keyring ({KEYRING_SERVICE}/{user})"),
            Self::DefaultFile(path) => write!(f, "{}", path.display()),
            Self::Memory => f.write_str("memory"),
        }
    }
}

/// The identities of one source, in file order.
pub struct Identities {
    keys: Vec<Identity>,
    source: IdentitySource,
}

impl Identities {
    /// Parses identity text as `age-keygen` writes it: `AGE-SECRET-KEY-1…` lines, `#`
    /// comments, blank lines. Errors give the line number, never the line.
    pub fn parse(text: &str, source: IdentitySource) -> Result<Self, VaultError> {
        let mut keys = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let key =
                age::x25519::Identity::from_str(line).map_err(|_| VaultError::BadIdentity {
                    origin: source.to_string(),
                    line: index + 1,
                })?;
            keys.push(Identity::from_age(key));
        }
        if keys.is_empty() {
            return Err(VaultError::EmptyIdentity {
                origin: source.to_string(),
            });
        }
        Ok(Self { keys, source })
    }

    /// Wraps identities the caller already holds.
    #[must_use]
    pub fn from_identities(keys: Vec<Identity>, source: IdentitySource) -> Self {
        Self { keys, source }
    }

    /// Reads and parses an identity file; the file's bytes are wiped after parsing.
    pub fn read_file(path: &Path, source: IdentitySource) -> Result<Self, VaultError> {
        let bytes =
            Zeroizing::new(std::fs::read(path).map_err(|err| VaultError::ReadIdentity {
                origin: source.to_string(),
                source: err,
            })?);
        let text = std::str::from_utf8(&bytes).map_err(|_| VaultError::BadIdentity {
            origin: source.to_string(),
            line: 1,
        })?;
        Self::parse(text, source)
    }

    /// Where they came from.
    #[must_use]
    pub fn source(&self) -> &IdentitySource {
        &self.source
    }

    /// The identities.
    #[must_use]
    pub fn keys(&self) -> &[Identity] {
        &self.keys
    }

    /// Their public keys.
    #[must_use]
    pub fn recipients(&self) -> Vec<Recipient> {
        self.keys.iter().map(|key| key.recipient.clone()).collect()
    }

    pub(crate) fn as_age(&self) -> impl Iterator<Item = &dyn age::Identity> {
        self.keys.iter().map(|key| &key.key as &dyn age::Identity)
    }
}

impl fmt::Debug for Identities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identities")
            .field("keys", &self.keys)
            .field("source", &self.source)
            .finish()
    }
}

/// The keyring step of a lookup.
enum KeyringStep {
    Skip,
    Unavailable(String),
    Ready(Keyring, String),
}

/// Finds the identities in the documented order: `--identity FILE`, [`IDENTITY_ENV`], the
/// OS keyring, the default file. The first source that is present wins; a source that is
/// present but broken is an error (it is never skipped in favour of the next one). When
/// none is present, the error lists each source and why it gave nothing.
pub struct IdentityLookup {
    file: Option<PathBuf>,
    env_value: Option<Zeroizing<String>>,
    keyring: KeyringStep,
    default_file: Option<PathBuf>,
}

impl IdentityLookup {
    /// A lookup with no source at all; add them with the `with_*` methods. Tests use this
    /// to leave the process environment alone.
    #[must_use]
    pub fn empty() -> Self {
        Self {
            file: None,
            env_value: None,
            keyring: KeyringStep::Skip,
            default_file: None,
        }
    }

    /// The lookup a binary makes: `file` from `--identity`, [`IDENTITY_ENV`] from the
    /// process environment, the system keyring with `keyring_user` (no keyring step when
    /// `None`), and `~/.config/bulwark/identity.txt`.
    #[must_use]
    pub fn from_process(file: Option<PathBuf>, keyring_user: Option<&str>) -> Self {
        let env_value = std::env::var_os(IDENTITY_ENV).and_then(|value| {
            // An OsString cannot be wiped; move it into a zeroizing String at once.
            value.into_string().ok().map(Zeroizing::new)
        });
        let mut lookup = Self::empty().with_file(file);
        lookup.env_value = env_value.filter(|value| !value.trim().is_empty());
        lookup.default_file = default_identity_file();
        if let Some(user) = keyring_user {
            lookup.keyring = match Keyring::system() {
                Ok(keyring) => KeyringStep::Ready(keyring, user.to_owned()),
                Err(err) => KeyringStep::Unavailable(err.to_string()),
            };
        }
        lookup
    }

    /// Sets `--identity FILE`.
    #[must_use]
    pub fn with_file(mut self, file: Option<PathBuf>) -> Self {
        self.file = file;
        self
    }

    /// Sets the value [`IDENTITY_ENV`] would hold.
    #[must_use]
    pub fn with_env_value(mut self, value: Zeroizing<String>) -> Self {
        self.env_value = Some(value);
        self
    }

    /// Uses `keyring` with `user`.
    #[must_use]
    pub fn with_keyring(mut self, keyring: Keyring, user: &str) -> Self {
        self.keyring = KeyringStep::Ready(keyring, user.to_owned());
        self
    }

    /// Sets the default identity file.
    #[must_use]
    pub fn with_default_file(mut self, path: PathBuf) -> Self {
        self.default_file = Some(path);
        self
    }

    /// Runs the lookup.
    pub fn find(&self) -> Result<Identities, VaultError> {
        let mut tried = Vec::new();
        if let Some(path) = &self.file {
            return Identities::read_file(path, IdentitySource::Flag(path.clone()));
        }
        tried.push("--identity (not given)".to_owned());
        if let Some(value) = &self.env_value {
            return Identities::parse(value, IdentitySource::EnvVar);
        }
        tried.push(format!("{IDENTITY_ENV} (not set)"));
        match &self.keyring {
            KeyringStep::Skip => {}
            KeyringStep::Unavailable(reason) => tried.push(format!("the OS keyring ({reason})")),
            KeyringStep::Ready(keyring, user) => match keyring.get(user)? {
                Some(text) => {
                    return Identities::parse(
                        &text,
                        IdentitySource::Keyring { user: user.clone() },
                    );
                }
                None => tried.push(format!(
                    "the OS keyring ({KEYRING_SERVICE}/{user}: no entry)"
                )),
            },
        }
        match &self.default_file {
            Some(path) if path.exists() => {
                return Identities::read_file(path, IdentitySource::DefaultFile(path.clone()));
            }
            Some(path) => tried.push(format!("{} (not found)", path.display())),
            None => tried.push(format!("~/{DEFAULT_IDENTITY_PATH} (HOME not set)")),
        }
        Err(VaultError::NoIdentity { tried })
    }
}

impl fmt::Debug for IdentityLookup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keyring = match &self.keyring {
            KeyringStep::Skip => "skip".to_owned(),
            KeyringStep::Unavailable(reason) => format!("unavailable: {reason}"),
            KeyringStep::Ready(_, user) => format!("{KEYRING_SERVICE}/{user}"),
        };
        f.debug_struct("IdentityLookup")
            .field("file", &self.file)
            .field("env_value", &self.env_value.as_ref().map(|_| "[redacted]"))
            .field("keyring", &keyring)
            .field("default_file", &self.default_file)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_order_flag_then_env_then_default_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (a, b, c) = (
            Identity::generate(),
            Identity::generate(),
            Identity::generate(),
        );
        let flag = dir.path().join("flag.txt");
        let default = dir.path().join("default.txt");
        std::fs::write(&flag, a.to_secret_text().as_bytes()).expect("write");
        std::fs::write(&default, c.to_secret_text().as_bytes()).expect("write");
        let found = IdentityLookup::empty()
            .with_file(Some(flag.clone()))
            .with_env_value(b.to_secret_text())
            .with_default_file(default.clone())
            .find()
            .expect("flag wins");
        assert_eq!(found.recipients(), vec![a.recipient().clone()]);
        assert_eq!(found.source(), &IdentitySource::Flag(flag));
        let found = IdentityLookup::empty()
            .with_env_value(b.to_secret_text())
            .with_default_file(default.clone())
            .find()
            .expect("env next");
        assert_eq!(found.recipients(), vec![b.recipient().clone()]);
        let found = IdentityLookup::empty()
            .with_default_file(default)
            .find()
            .expect("default file last");
        assert_eq!(found.recipients(), vec![c.recipient().clone()]);
    }

    #[test]
    fn errors_name_the_sources_tried_never_their_content() {
        let canary = "AGE-SECRET-KEY-1CANARYIDENTITYLOOKUP9Q2W";
        let err = IdentityLookup::empty()
            .with_env_value(Zeroizing::new(format!("# comment\n{canary}\n")))
            .find()
            .expect_err("not a key");
        let text = format!("{err} {err:?}");
        assert!(
            text.contains("BULWARK_AGE_IDENTITY: line 2 is not"),
            "{text}"
        );
        assert!(!text.contains("CANARY"), "{text}");

        let err = IdentityLookup::empty()
            .with_default_file(PathBuf::from("/nonexistent/identity.txt"))
            .find()
            .expect_err("nothing anywhere");
        assert_eq!(
            err.to_string(),
            "no age identity found; tried: --identity (not given), BULWARK_AGE_IDENTITY (not set), /nonexistent/identity.txt (not found)"
        );
    }

    #[test]
    fn debug_never_shows_the_secret_key() {
        let identity = Identity::generate();
        let secret = identity.to_secret_text();
        let lookup = IdentityLookup::empty().with_env_value(secret.clone());
        let found = lookup.find().expect("parses");
        let shown = format!("{identity:?} {found:?} {lookup:?}");
        assert!(!shown.contains(secret.as_str()), "{shown}");
        assert!(shown.contains(identity.recipient().as_str()));
    }
}

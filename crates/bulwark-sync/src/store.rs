//! The encrypted store: one age-encrypted (ASCII-armored) dotenv file per environment.

use std::path::{Path, PathBuf};

use bulwark_config::{Config, Environment, Recipients};
use bulwark_secret::SecretBuf;
use bulwark_vault::{
    Armor, Identities, Recipient, decrypt_bytes, encrypt_bytes, load_recipients_file,
    parse_recipient_list,
};

use crate::{Dotenv, SyncError};

/// The recipients file looked for beside the store when `bulwark.toml` names none.
pub const DEFAULT_RECIPIENTS_FILE: &str = ".recipients";

/// A decrypted store.
#[derive(Debug)]
pub struct Store {
    path: PathBuf,
    document: Dotenv,
    /// The plaintext as loaded, to tell whether anything changed.
    loaded: SecretBuf,
    exists: bool,
}

impl Store {
    /// The store file of `env`.
    pub fn path_of(config: &Config, env: &Environment) -> Result<PathBuf, SyncError> {
        env.store.clone().ok_or_else(|| SyncError::NoStore {
            env: env.name.clone(),
            config: config.path.clone(),
        })
    }

    /// Decrypts and parses the store at `path`.
    pub fn open(path: &Path, identities: &Identities) -> Result<Self, SyncError> {
        let sealed = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                return Err(SyncError::MissingStore {
                    path: path.to_owned(),
                });
            }
            Err(source) => return Err(SyncError::io("read", path, source)),
        };
        let plain = decrypt_bytes(identities, &sealed)?;
        let text = SecretBuf::from(
            std::str::from_utf8(&plain)
                .map_err(|_| SyncError::NotUtf8 {
                    path: path.to_owned(),
                })?
                .to_owned(),
        );
        let document = Dotenv::parse(&text).map_err(|source| SyncError::BadDotenv {
            path: path.to_owned(),
            source,
        })?;
        Ok(Self {
            path: path.to_owned(),
            document,
            loaded: text,
            exists: true,
        })
    }

    /// Opens the store, or starts an empty one when the file does not exist yet.
    pub fn open_or_new(path: &Path, identities: &Identities) -> Result<Self, SyncError> {
        match Self::open(path, identities) {
            Err(SyncError::MissingStore { .. }) => Ok(Self {
                path: path.to_owned(),
                document: Dotenv::default(),
                loaded: SecretBuf::new(),
                exists: false,
            }),
            other => other,
        }
    }

    /// The file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The parsed plaintext.
    #[must_use]
    pub fn document(&self) -> &Dotenv {
        &self.document
    }

    /// The parsed plaintext, to change.
    pub fn document_mut(&mut self) -> &mut Dotenv {
        &mut self.document
    }

    /// Replaces the whole plaintext (after `edit`).
    pub fn replace(&mut self, document: Dotenv) {
        self.document = document;
    }

    /// Whether the plaintext differs from what was loaded.
    #[must_use]
    pub fn changed(&self) -> bool {
        !self.exists || self.document.to_text().expose() != self.loaded.expose()
    }

    /// Encrypts the plaintext to `recipients` and replaces the file atomically, if it
    /// changed or `force` (re-encrypting to new recipients). Returns whether it wrote.
    pub fn save(&mut self, recipients: &[Recipient], force: bool) -> Result<bool, SyncError> {
        if !force && !self.changed() {
            return Ok(false);
        }
        let text = self.document.to_text();
        let sealed = encrypt_bytes(recipients, Armor::Armored, text.expose_bytes())?;
        write_atomic(&self.path, &sealed)?;
        self.loaded = text;
        self.exists = true;
        Ok(true)
    }
}

/// The recipients of `env`: from `bulwark.toml`, else `.recipients` beside the store.
pub fn recipients_of(env: &Environment, store: &Path) -> Result<Vec<Recipient>, SyncError> {
    match &env.recipients {
        Recipients::Inline(list) => Ok(parse_recipient_list(
            list,
            &format!("bulwark.toml env.{}.recipients", env.name),
        )?),
        Recipients::File(path) => Ok(load_recipients_file(path)?),
        Recipients::None => {
            let default = store
                .parent()
                .unwrap_or(Path::new("."))
                .join(DEFAULT_RECIPIENTS_FILE);
            if default.is_file() {
                Ok(load_recipients_file(&default)?)
            } else {
                Err(SyncError::NoRecipients {
                    env: env.name.clone(),
                    default,
                })
            }
        }
    }
}

/// Writes `bytes` to `path` so that readers see the old file or the new one, never a
/// part ([`bulwark_core::fs::write_atomic`]).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), SyncError> {
    bulwark_core::fs::write_atomic(path, bytes)
        .map_err(|source| SyncError::io("replace", path, source))
}

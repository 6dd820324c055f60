//! Why a recipient, an identity or an age file could not be used. No variant ever holds
//! key material or plaintext: a bad line is named by its number, never quoted.

use std::path::PathBuf;

use bulwark_core::{Exit, Failure};

/// Errors of `bulwark-vault`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VaultError {
    /// A recipient is not one this build can encrypt to.
    #[error("{origin}: {problem}")]
    BadRecipient {
        /// Where it came from: `FILE:LINE` or `--recipient #N`.
        origin: String,
        /// What is wrong with it (never the text of a line that could be a secret key).
        problem: String,
    },
    /// A recipients file could not be read.
    #[error("failed to read recipients file {}", path.display())]
    ReadRecipients {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// Encryption was asked for with no recipient at all.
    #[error("no age recipient given")]
    NoRecipients,
    /// An identity source exists but could not be read.
    #[error("failed to read the age identity from {origin}")]
    ReadIdentity {
        /// The source, e.g. `--identity key.txt`.
        origin: String,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// An identity source holds something that is not an age identity.
    #[error("{origin}: line {line} is not an age X25519 identity (AGE-SECRET-KEY-1…)")]
    BadIdentity {
        /// The source, e.g. `BULWARK_AGE_IDENTITY`.
        origin: String,
        /// 1-based line number.
        line: usize,
    },
    /// An identity source holds no identity at all.
    #[error("{origin} holds no age identity")]
    EmptyIdentity {
        /// The source.
        origin: String,
    },
    /// No source had an identity.
    #[error("no age identity found; tried: {}", tried.join(", "))]
    NoIdentity {
        /// Each source and why it gave nothing, in lookup order.
        tried: Vec<String>,
    },
    /// The OS keyring failed (not merely "no entry").
    #[error("the OS keyring failed for {service}/{user}: {reason}")]
    Keyring {
        /// The service, [`crate::KEYRING_SERVICE`].
        service: String,
        /// The user (an environment name, a store path).
        user: String,
        /// What the keyring said, without any value.
        reason: String,
    },
    /// There is no usable OS keyring here.
    #[error("no usable OS keyring: {reason}")]
    KeyringUnavailable {
        /// Why.
        reason: String,
    },
    /// The age library refused to encrypt.
    #[error("failed to encrypt")]
    Encrypt {
        /// The age error.
        #[source]
        source: age::EncryptError,
    },
    /// None of the identities opens the file.
    #[error("none of the identities from {origin} can decrypt this file")]
    WrongIdentity {
        /// Where the identities came from.
        origin: String,
    },
    /// The file is not a readable age file (corrupted, truncated, not age at all).
    #[error("not a valid age file (corrupted or truncated?)")]
    Decrypt {
        /// The age error.
        #[source]
        source: age::DecryptError,
    },
    /// The payload of an age file held in memory does not authenticate: it was
    /// corrupted, truncated or extended after it was written. Bad input, not a failed
    /// operation: the same bytes fail the same way every time.
    #[error("failed to decrypt (the file is corrupted or truncated)")]
    Corrupt {
        /// What age said about the payload.
        #[source]
        source: std::io::Error,
    },
    /// Reading or writing the stream failed.
    #[error("failed to {action}")]
    Io {
        /// What was being done, e.g. `write the encrypted stream`.
        action: &'static str,
        /// What the OS or the stream said.
        #[source]
        source: std::io::Error,
    },
}

impl Failure for VaultError {
    fn exit(&self) -> Exit {
        match self {
            Self::Keyring { .. }
            | Self::KeyringUnavailable { .. }
            | Self::Encrypt { .. }
            | Self::Io { .. } => Exit::Operational,
            _ => Exit::Usage,
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            Self::NoIdentity { .. } => Some(format!(
                "pass --identity FILE, set {} to the key text, or store the key in the OS keyring",
                crate::IDENTITY_ENV
            )),
            Self::NoRecipients => Some(
                "pass --recipient age1… or --recipients-file FILE, or set recipients in bulwark.toml"
                    .to_owned(),
            ),
            Self::BadRecipient { .. } => Some(
                "recipients are age X25519 public keys (age1…); `age-keygen -y KEYFILE` prints one"
                    .to_owned(),
            ),
            Self::BadIdentity { .. } | Self::EmptyIdentity { .. } => Some(
                "an identity is the AGE-SECRET-KEY-1… line `age-keygen` writes; comments and blank lines are ignored"
                    .to_owned(),
            ),
            Self::WrongIdentity { .. } => {
                Some("check that the file was encrypted to this identity's public key".to_owned())
            }
            _ => None,
        }
    }
}

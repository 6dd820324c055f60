//! age identities and recipients, shared by `secrets-sync` (the encrypted dotenv store) and
//! `db-backup` (encrypted backups).
//!
//! - [`Recipient`]: an age X25519 public key (`age1…`), parsed from a list
//!   ([`parse_recipient_list`]) or a recipients file ([`load_recipients_file`]: one per
//!   line, `#` comments and blank lines ignored). ssh recipients are refused with a clear
//!   error: the age crate's `ssh` feature pulls in `rsa`, which has an open advisory.
//! - [`Identities`]: the secret keys that decrypt, held in zeroizing memory, with the
//!   [`IdentitySource`] they came from. [`IdentityLookup`] finds them in the documented
//!   order: `--identity FILE`, then [`IDENTITY_ENV`] (the key text, for CI), then the OS
//!   keyring ([`Keyring`]: service [`KEYRING_SERVICE`], user chosen by the caller, e.g. the
//!   environment name; the kernel keyutils store on Linux), then
//!   `~/.config/bulwark/identity.txt`. Its errors name the sources tried, never their
//!   contents.
//! - [`encrypt_to`] / [`decrypt_from`]: streaming age encryption (binary or ASCII armored)
//!   and decryption (either form, detected), plus [`encrypt_bytes`] / [`decrypt_bytes`] for
//!   small files such as a store. Files are plain age v1: the stock `age` CLI reads ours,
//!   and we read its.
//!
//! ```no_run
//! use bulwark_vault::{Armor, IdentityLookup, decrypt_bytes, encrypt_bytes, load_recipients_file};
//! # fn main() -> Result<(), bulwark_vault::VaultError> {
//! let recipients = load_recipients_file("secrets/.recipients".as_ref())?;
//! let sealed = encrypt_bytes(&recipients, Armor::Armored, b"API_TOKEN=example\n")?;
//! let identities = IdentityLookup::from_process(None, Some("production")).find()?;
//! let plain = decrypt_bytes(&identities, &sealed)?; // Zeroizing<Vec<u8>>
//! # Ok(()) }
//! ```

mod crypt;
mod error;
mod identity;
mod keyring;
mod recipient;

pub use crypt::{
    Armor, DecryptReader, EncryptWriter, decrypt_bytes, decrypt_from, encrypt_bytes, encrypt_to,
};
pub use error::VaultError;
pub use identity::{
    DEFAULT_IDENTITY_PATH, Identities, Identity, IdentityLookup, IdentitySource,
    default_identity_file,
};
pub use keyring::Keyring;
pub use recipient::{Recipient, load_recipients_file, parse_recipient_list, parse_recipients_text};

/// The environment variable that holds an identity's text (for CI secrets).
pub const IDENTITY_ENV: &str = "BULWARK_AGE_IDENTITY";

/// The OS keyring service under which identities are stored.
pub const KEYRING_SERVICE: &str = "bulwark";

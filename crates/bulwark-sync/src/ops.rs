//! The store's local verbs: `set`, `unset`, `exec`, `edit`. None of them prints.

use std::ffi::OsString;
use std::fs::OpenOptions;
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::sync::atomic::{AtomicBool, Ordering};

use bulwark_process::UserCommand;
use bulwark_vault::Recipient;

use crate::{Dotenv, Store, SyncError};

/// Checks a secret name as the dotenv format allows it.
pub fn check_name(name: &str) -> Result<(), SyncError> {
    let valid = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if valid {
        Ok(())
    } else {
        Err(SyncError::BadName(name.to_owned()))
    }
}

/// A value read from stdin: everything, less one trailing newline (`echo` adds it).
#[must_use]
pub fn value_from_input(mut input: Vec<u8>) -> Vec<u8> {
    if input.ends_with(b"\n") {
        input.pop();
        if input.ends_with(b"\r") {
            input.pop();
        }
    }
    input
}

/// Runs `command` with every secret of the store added to its environment (and only
/// its environment), without [`bulwark_vault::IDENTITY_ENV`], and returns its exit status.
pub fn exec(store: &Store, command: &[OsString]) -> Result<ExitStatus, SyncError> {
    let (program, args) = command.split_first().ok_or_else(|| SyncError::Spawn {
        command: String::new(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "no command given"),
    })?;
    // The command gets the store's values, never the key that opens the store
    // (bulwark_process::OWN_KEY_VARS).
    let mut child = UserCommand::of(program).args(args);
    for (name, value) in store.document().entries() {
        child = child.env(name, value);
    }
    child.status().map_err(|source| SyncError::Spawn {
        command: program.to_string_lossy().into_owned(),
        source,
    })
}

/// Where `edit` puts the plaintext: `/dev/shm` (memory, never a disk) when there is one.
#[must_use]
pub fn edit_base_dir() -> PathBuf {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        shm.to_owned()
    } else {
        std::env::temp_dir()
    }
}

/// An edit session's private directory, for `bulwark_core::private_dir`.
const EDIT_DIR: bulwark_core::private_dir::Kind = bulwark_core::private_dir::Kind {
    prefix: "bulwark-edit-",
    magic: "bulwark secrets-sync edit",
};

/// The plaintext file of an edit session: 0600 in a private 0700 directory, overwritten
/// with zeros and removed when dropped, on every path out (error, panic, signal).
struct PlainFile {
    dir: Option<tempfile::TempDir>,
    path: PathBuf,
}

impl PlainFile {
    fn create(base: &Path, name: &str, text: &[u8]) -> Result<Self, SyncError> {
        // Created 0700 from the start (not chmod-ed after), so no other user ever sees
        // into it.
        // Marked with this process, so the next edit removes it if this one is killed
        // outright (`kill -9`) and cannot shred it.
        let dir = EDIT_DIR
            .create(base)
            .map_err(|source| SyncError::io("create a private directory in", base, source))?;
        let path = dir.path().join(name);
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .map_err(|source| SyncError::io("create", &path, source))?;
        file.write_all(text)
            .and_then(|()| file.sync_all())
            .map_err(|source| SyncError::io("write", &path, source))?;
        Ok(Self {
            dir: Some(dir),
            path,
        })
    }
}

impl Drop for PlainFile {
    fn drop(&mut self) {
        if let Ok(meta) = std::fs::metadata(&self.path)
            && let Ok(mut file) = OpenOptions::new().write(true).open(&self.path)
        {
            let zeros = vec![0u8; usize::try_from(meta.len()).unwrap_or(0)];
            let _ = file.write_all(&zeros).and_then(|()| file.sync_all());
        }
        let _ = std::fs::remove_file(&self.path);
        if let Some(dir) = self.dir.take() {
            let _ = dir.close();
        }
    }
}

/// What the editor session needs from the binary.
pub struct EditSession<'a> {
    /// The editor command (`$VISUAL`, `$EDITOR`), split on whitespace.
    pub editor: Vec<String>,
    /// Asked after a file that does not parse: edit again (`true`) or give up.
    pub retry: &'a dyn Fn(&str) -> bool,
    /// Where the private directory goes (see [`edit_base_dir`]).
    pub base_dir: PathBuf,
}

impl std::fmt::Debug for EditSession<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EditSession")
            .field("editor", &self.editor)
            .field("base_dir", &self.base_dir)
            .finish_non_exhaustive()
    }
}

/// Decrypts to a private file, runs the editor, validates, and re-encrypts atomically
/// when something changed. Returns whether the store was written. The plaintext file is
/// shredded and removed on every path; SIGINT, SIGTERM and SIGHUP stop the session
/// (after the editor returns) instead of killing the process before it cleans up.
pub fn edit(
    store: &mut Store,
    recipients: &[Recipient],
    session: &EditSession<'_>,
) -> Result<bool, SyncError> {
    let signals = bulwark_core::StopOnSignal::register();
    let result = edit_loop(store, recipients, session, &signals.flag());
    drop(signals);
    result
}

fn edit_loop(
    store: &mut Store,
    recipients: &[Recipient],
    session: &EditSession<'_>,
    interrupted: &AtomicBool,
) -> Result<bool, SyncError> {
    let name = store
        .path()
        .file_name()
        .map_or_else(|| "store".into(), |n| n.to_string_lossy().into_owned())
        .trim_end_matches(".age")
        .to_owned();
    let plain = PlainFile::create(
        &session.base_dir,
        &name,
        store.document().to_text().as_bytes(),
    )?;
    let (program, args) = session
        .editor
        .split_first()
        .ok_or_else(|| SyncError::Spawn {
            command: "the editor".to_owned(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "set $VISUAL or $EDITOR"),
        })?;
    loop {
        let status = UserCommand::of(program)
            .args(args)
            .args([&plain.path])
            .status()
            .map_err(|source| SyncError::Spawn {
                command: program.clone(),
                source,
            })?;
        if interrupted.load(Ordering::SeqCst) {
            return Err(SyncError::Interrupted);
        }
        if !status.success() {
            return Err(SyncError::Spawn {
                command: program.clone(),
                source: std::io::Error::other(format!(
                    "the editor exited with {status}; nothing was saved"
                )),
            });
        }
        let text = zeroize::Zeroizing::new(
            std::fs::read_to_string(&plain.path)
                .map_err(|source| SyncError::io("read back", &plain.path, source))?,
        );
        match Dotenv::parse(&text) {
            Ok(document) => {
                if let Err(err) = crate::check_document(&document) {
                    if (session.retry)(&format!("the edited file is not valid: {err}")) {
                        continue;
                    }
                    return Err(err);
                }
                store.replace(document);
                return store.save(recipients, false);
            }
            Err(err) => {
                let problem = format!("the edited file is not a valid dotenv: {err}");
                if !(session.retry)(&problem) {
                    return Err(SyncError::BadEdit {
                        store: store.path().to_owned(),
                        source: err,
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn user_commands_never_get_the_variable_that_holds_the_store_key() {
        assert!(bulwark_process::OWN_KEY_VARS.contains(&bulwark_vault::IDENTITY_ENV));
    }
}

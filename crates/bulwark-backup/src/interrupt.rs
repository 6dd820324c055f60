//! SIGINT, SIGTERM and SIGHUP during export, verify and restore: instead of dying with
//! plaintext on disk, the process notes the signal and the command stops at its next step
//! with [`BackupError::Interrupted`]; the private directories are removed as the stack
//! unwinds (their `Drop`), and the binary exits 130.

use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::BackupError;

fn flag() -> &'static Arc<AtomicBool> {
    static FLAG: OnceLock<Arc<AtomicBool>> = OnceLock::new();
    FLAG.get_or_init(|| Arc::new(AtomicBool::new(false)))
}

/// The signal handlers, registered while it lives.
pub(crate) struct Guard {
    ids: Vec<signal_hook::SigId>,
}

impl Guard {
    /// Registers the handlers.
    pub(crate) fn install() -> Self {
        let mut ids = Vec::new();
        for signal in [
            signal_hook::consts::SIGINT,
            signal_hook::consts::SIGTERM,
            signal_hook::consts::SIGHUP,
        ] {
            if let Ok(id) = signal_hook::flag::register(signal, Arc::clone(flag())) {
                ids.push(id);
            }
        }
        Self { ids }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        for id in self.ids.drain(..) {
            signal_hook::low_level::unregister(id);
        }
    }
}

/// Whether a signal arrived.
pub(crate) fn is_set() -> bool {
    flag().load(Ordering::SeqCst)
}

/// `Err(Interrupted)` once a signal arrived.
pub(crate) fn check() -> Result<(), BackupError> {
    if is_set() {
        Err(BackupError::Interrupted)
    } else {
        Ok(())
    }
}

/// `err`, or [`BackupError::Interrupted`] when a signal is why it failed.
pub(crate) fn or_interrupted(err: BackupError) -> BackupError {
    if is_set() {
        BackupError::Interrupted
    } else {
        err
    }
}

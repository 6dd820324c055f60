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

/// The signal handlers, registered on the process-wide flag while it lives.
pub(crate) struct Guard(
    #[expect(dead_code, reason = "held for its Drop")] bulwark_core::StopOnSignal,
);

impl Guard {
    /// Registers the handlers.
    pub(crate) fn install() -> Self {
        Self(bulwark_core::StopOnSignal::register_on(Arc::clone(flag())))
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

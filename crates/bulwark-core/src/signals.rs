//! SIGINT, SIGTERM and SIGHUP as a flag instead of death, while a command holds
//! plaintext: the command checks the flag at its next step and unwinds, so the `Drop`s
//! that remove its private files run, and the binary exits 130.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// The three signals turned into a flag while this lives; dropping it restores the
/// default handling.
#[derive(Debug)]
pub struct StopOnSignal {
    flag: Arc<AtomicBool>,
    handlers: Vec<signal_hook::SigId>,
}

impl StopOnSignal {
    /// Registers the handlers on a new flag.
    #[must_use]
    pub fn register() -> Self {
        Self::register_on(Arc::new(AtomicBool::new(false)))
    }

    /// Registers the handlers on `flag` (e.g. a process-wide one).
    #[must_use]
    pub fn register_on(flag: Arc<AtomicBool>) -> Self {
        let mut handlers = Vec::new();
        for signal in [
            signal_hook::consts::SIGINT,
            signal_hook::consts::SIGTERM,
            signal_hook::consts::SIGHUP,
        ] {
            if let Ok(id) = signal_hook::flag::register(signal, Arc::clone(&flag)) {
                handlers.push(id);
            }
        }
        Self { flag, handlers }
    }

    /// The flag a signal sets.
    #[must_use]
    pub fn flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.flag)
    }

    /// Whether a signal arrived.
    #[must_use]
    pub fn stopped(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }
}

impl Drop for StopOnSignal {
    fn drop(&mut self) {
        for id in self.handlers.drain(..) {
            signal_hook::low_level::unregister(id);
        }
    }
}

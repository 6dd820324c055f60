//! Progress reporting that libraries can drive without printing themselves.

use std::time::Duration;

/// Receives progress from long work (a history scan, a 1 GiB export). Libraries take
/// `&dyn Progress`; a binary passes [`crate::Output::progress`], tests pass [`NoProgress`].
pub trait Progress: Send + Sync {
    /// Sets or changes the total, once it is known.
    fn set_total(&self, total: u64);
    /// Adds `delta` units of work done.
    fn advance(&self, delta: u64);
    /// Replaces the short text beside the bar (never a secret value).
    fn set_message(&self, message: &str);
    /// Removes the bar; the caller prints its own summary.
    fn finish(&self);
}

/// Reports nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn set_total(&self, _: u64) {}
    fn advance(&self, _: u64) {}
    fn set_message(&self, _: &str) {}
    fn finish(&self) {}
}

/// An indicatif bar on stderr.
pub(crate) struct Bar(indicatif::ProgressBar);

impl Bar {
    pub(crate) fn new(label: &str, total: Option<u64>) -> Self {
        let bar = match total {
            Some(total) => indicatif::ProgressBar::new(total).with_style(
                indicatif::ProgressStyle::with_template(
                    "{prefix} [{bar:30}] {pos}/{len} {msg} ({elapsed})",
                )
                .expect("the template is valid")
                .progress_chars("=> "),
            ),
            None => indicatif::ProgressBar::new_spinner(),
        };
        bar.set_prefix(label.to_owned());
        bar.enable_steady_tick(Duration::from_millis(120));
        Self(bar)
    }
}

impl Progress for Bar {
    fn set_total(&self, total: u64) {
        self.0.set_length(total);
    }
    fn advance(&self, delta: u64) {
        self.0.inc(delta);
    }
    fn set_message(&self, message: &str) {
        self.0.set_message(message.to_owned());
    }
    fn finish(&self) {
        self.0.finish_and_clear();
    }
}

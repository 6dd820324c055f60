//! What every Bulwark binary shares: the exit-code contract, the output writer (human or
//! JSON, colour only where it belongs), error rendering, and process hardening for the
//! binaries that hold secrets.
//!
//! Libraries return typed errors that implement [`Failure`]; a binary hands them to
//! [`Output::fail`], or hands a finished [`Report`] to [`Output::finish`]. Nothing else
//! in the workspace decides an exit code or writes to the terminal.

mod error;
mod exit;
pub mod fs;
pub mod harden;
mod output;
pub mod private_dir;
mod progress;
mod signals;

pub use error::{
    Failure, NotImplemented, hint_of, render_error, render_error_chain, render_error_line,
};
pub use exit::Exit;
pub use output::{
    ColorChoice, Format, MaskRefused, Output, OutputOptions, Report, StreamKind, Styles,
    color_enabled, json_document, write_masks,
};
pub use progress::{NoProgress, Progress};
pub use signals::StopOnSignal;

/// Version of every JSON document the binaries print; see `docs/json-output.md`.
pub const SCHEMA_VERSION: u32 = 1;

/// `path` as a user would type it: relative to the current directory when inside it.
#[must_use]
pub fn display_path(path: &std::path::Path) -> String {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok())
        .unwrap_or(path)
        .display()
        .to_string()
}

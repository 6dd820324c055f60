//! Every child process Bulwark starts goes through this crate.
//!
//! - [`Runner`] runs the deploy CLIs ([`Tool`]: wrangler, fly, gh). Each is found one way
//!   (its `BULWARK_<TOOL>` variable, the project's `node_modules/.bin` walking up, then
//!   `PATH`), gets an environment allowlist plus only its own credential variables, runs
//!   in a process group of its own that is killed when the timeout passes, and its output
//!   is scrubbed by a [`bulwark_secret::Redactor`] before anyone sees it.
//!   [`Finished::summary`] picks the tool's own error out of its stderr.
//! - [`Runner::spawn`] starts a tool that runs alongside us (PostgreSQL's programs:
//!   `pg_dump` streaming into the compressor, the throw-away server) under the same
//!   rules; dropping the [`Spawned`] handle kills its process group.
//! - [`UserCommand`] runs the user's own command (`secrets-sync exec`, the editor of
//!   `edit`): inherited stdio and environment, minus Bulwark's own key variables.
//!
//! Nothing here prints or exits.

mod output;
mod run;
mod spawn;
mod tool;
mod user;

use bulwark_core::{Exit, Failure};

pub use output::{strip_ansi, summary};
pub use run::{Finished, Runner, describe};
pub use rustix::process::Signal;
pub use spawn::{Exited, SpawnOptions, Spawned};
pub use tool::Tool;
pub use user::{OWN_KEY_VARS, UserCommand};

/// Why a tool could not be run to the end. Every message is safe to print: it never
/// holds child output.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    /// The tool is not where the lookup order says it could be.
    #[error("`{}` was not found: {looked}", tool.program())]
    NotFound {
        /// Which tool.
        tool: Tool,
        /// Where it was looked for.
        looked: String,
    },
    /// The tool could not be started (or waited for).
    #[error("failed to run `{command}`")]
    Spawn {
        /// The command line (arguments never hold values).
        command: String,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// The tool ran longer than the timeout; its process group was killed.
    #[error("`{command}` did not finish within {seconds} s and was stopped")]
    Timeout {
        /// The command line.
        command: String,
        /// The timeout.
        seconds: u64,
    },
    /// The tool exited, but a process it started kept its output open; the group was
    /// killed, and what it printed may be incomplete.
    #[error(
        "`{command}` exited ({status}) but left a process holding its output open; it was stopped after {seconds} s"
    )]
    Lingering {
        /// The command line.
        command: String,
        /// The tool's own exit status.
        status: String,
        /// How long the output was waited for after the exit.
        seconds: u64,
    },
}

impl Failure for ProcessError {
    fn exit(&self) -> Exit {
        Exit::Operational
    }

    fn hint(&self) -> Option<String> {
        match self {
            Self::NotFound { tool, .. } => Some(tool.install_hint().to_owned()),
            Self::Timeout { .. } => Some(
                "the CLI may be waiting for a login or a network; raise --timeout if it is just slow"
                    .to_owned(),
            ),
            Self::Spawn { .. } | Self::Lingering { .. } => None,
        }
    }
}

//! Bulwark's deploy targets: Workers secrets and Secrets Store through `wrangler`, Fly
//! apps through `fly`, GitHub Actions secrets through `gh`, and the process environment.
//!
//! Listing asks each CLI for secret **names** only; no command here ever requests a
//! value. Children run through [`bulwark_process::Runner`]: located on purpose, given an
//! environment allowlist, stopped with everything they started when they hang, their
//! stderr scrubbed of every known value.

mod apply;
#[cfg(test)]
mod godotenv;
mod list;

use std::path::PathBuf;

use bulwark_core::{Exit, Failure};

pub use apply::{ApplyOptions, Change, Outcome, apply, github_dotenv_fits, refusal};
pub use bulwark_process::{Finished, ProcessError, Runner, Tool, strip_ansi};
pub use list::{NameList, list_names};

/// Why a target could not be listed or changed. Every message is safe to print: child
/// output in it has passed the runner's redactor.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    /// The CLI could not be found, started or waited for.
    #[error(transparent)]
    Process(#[from] ProcessError),
    /// The CLI says it is not logged in.
    #[error("`{command}` is not authenticated: {detail}")]
    Unauthenticated {
        /// The command line.
        command: String,
        /// The CLI's own words (scrubbed).
        detail: String,
        /// Which CLI, for the hint.
        tool: Tool,
    },
    /// The CLI failed.
    #[error("`{command}` failed ({status}): {detail}")]
    Failed {
        /// The command line.
        command: String,
        /// Its exit status.
        status: String,
        /// Its own error, or the last lines of its stderr (scrubbed).
        detail: String,
    },
    /// The CLI's output was not in the shape it documents.
    #[error("could not read the output of `{command}`: {detail}")]
    BadOutput {
        /// The command line.
        command: String,
        /// What was wrong.
        detail: String,
    },
    /// A target setting points at a file that cannot be used.
    #[error("target `{target}`: {detail}")]
    Config {
        /// The target's name.
        target: String,
        /// What is wrong.
        detail: String,
    },
    /// A file a target needs could not be read.
    #[error("failed to read {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
}

impl Failure for TargetError {
    fn exit(&self) -> Exit {
        match self {
            Self::Config { .. } => Exit::Usage,
            _ => Exit::Operational,
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            Self::Process(err) => err.hint(),
            Self::Unauthenticated { tool, .. } => Some(match tool {
                Tool::Wrangler => {
                    "set CLOUDFLARE_API_TOKEN (and CLOUDFLARE_ACCOUNT_ID) or run `wrangler login`"
                        .to_owned()
                }
                Tool::Fly => "set FLY_API_TOKEN or run `fly auth login`".to_owned(),
                Tool::Gh => "set GH_TOKEN or run `gh auth login`".to_owned(),
                other => format!("check the credentials `{}` was given", other.program()),
            }),
            _ => None,
        }
    }
}

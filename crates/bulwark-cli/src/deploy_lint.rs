//! `deploy-lint`'s command line.

use clap::Parser;

use crate::shared::{Common, FormatFlag};

/// Check a team's deploy standards ([standards] in bulwark.toml) across every worker's
/// wrangler config in the repository, offline: naming, baseline settings, bindings
/// repeated in each environment, real ids, Durable Object migrations, service and queue
/// wiring, the Secrets Store.
///
/// Exit codes: 0 clean, 1 a lint failed, 2 bad config or flags (or an --env a worker
/// does not define).
#[derive(Debug, Parser)]
#[command(name = "deploy-lint", version, max_term_width = 100)]
pub struct Cli {
    /// Check only this wrangler environment [default: each environment in env_names,
    /// else every one]
    #[arg(long = "env", value_name = "NAME")]
    pub env: Option<String>,

    #[command(flatten)]
    pub format: FormatFlag,

    #[command(flatten)]
    pub common: Common,
}

impl Cli {
    /// The library request these flags describe, for `today`.
    #[must_use]
    pub fn request(&self, today: jiff::civil::Date) -> bulwark_lint::Request {
        bulwark_lint::Request {
            env: self.env.clone(),
            today,
        }
    }

    /// Parses argv; a bad flag exits 2 (clap's usage error), `--help` exits 0.
    #[must_use]
    pub fn parse_args() -> Self {
        Self::parse()
    }
}

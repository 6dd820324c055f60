//! `[standards]` in `bulwark.toml`: a team's written deploy standards, which deploy-lint
//! checks across every worker of a repository. The keys are documented in
//! `docs/deploy-lint.md`.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use crate::Location;

/// The resource kinds a naming pattern applies to.
pub const NAMING_KINDS: [&str; 4] = ["d1", "r2", "queue", "worker"];

/// `[standards]`, validated.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Standards {
    /// `project`: the `{project}` of naming patterns.
    pub project: Option<String>,
    /// Naming pattern per resource kind (`d1`, `r2`, `queue`, `worker`).
    pub naming: BTreeMap<String, String>,
    /// wrangler environment name → the `{env}` of naming patterns; its keys are the
    /// deployed environments.
    pub env_names: BTreeMap<String, String>,
    /// The approved `compatibility_date`.
    pub compatibility_date: Option<CompatibilityDate>,
    /// Flags every deployed environment must set.
    pub compatibility_flags: Option<Vec<String>>,
    /// `observability.head_sampling_rate` every deployed environment must set.
    pub head_sampling_rate: Option<f64>,
    /// The Secrets Store id every deployed environment must bind.
    pub secrets_store: Option<String>,
    /// Globs (relative to `bulwark.toml`'s directory) of the workers' wrangler files.
    pub workers: Vec<String>,
    /// Service names a `services` binding may point to outside the repository.
    pub external_services: Vec<String>,
    /// Lints turned off for one worker, each with its reason.
    pub disable: Vec<Disabled>,
}

/// How `compatibility_date` is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompatibilityDate {
    /// Exactly this `YYYY-MM-DD`.
    Exact(String),
    /// No older than this many days.
    MaxAgeDays(u32),
}

/// `[[standards.disable]]`: one lint off for one worker, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disabled {
    /// The worker's top-level `name`.
    pub worker: String,
    /// The lint id.
    pub lint: String,
    /// Why (required, printed with every run).
    pub reason: String,
    /// Where it is written.
    pub location: Location,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStandards {
    pub(crate) project: Option<String>,
    pub(crate) naming: Option<Spanned<RawNaming>>,
    #[serde(default)]
    pub(crate) env_names: BTreeMap<String, String>,
    pub(crate) compatibility_date: Option<Spanned<String>>,
    pub(crate) compatibility_date_max_age_days: Option<Spanned<u32>>,
    pub(crate) compatibility_flags: Option<Vec<String>>,
    pub(crate) head_sampling_rate: Option<Spanned<f64>>,
    pub(crate) secrets_store: Option<Spanned<String>>,
    #[serde(default)]
    pub(crate) workers: Vec<Spanned<String>>,
    #[serde(default)]
    pub(crate) external_services: Vec<String>,
    #[serde(default)]
    pub(crate) disable: Vec<Spanned<RawDisabled>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
pub(crate) enum RawNaming {
    All(String),
    PerKind(BTreeMap<String, String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDisabled {
    pub(crate) worker: String,
    pub(crate) lint: String,
    pub(crate) reason: Option<String>,
}

/// Whether `text` is a `YYYY-MM-DD` date.
#[must_use]
pub fn is_iso_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        bytes[range.clone()]
            .iter()
            .all(u8::is_ascii_digit)
            .then(|| text[range].parse::<u32>().unwrap_or(0))
    };
    bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && digits(0..4).is_some()
        && digits(5..7).is_some_and(|month| (1..=12).contains(&month))
        && digits(8..10).is_some_and(|day| (1..=31).contains(&day))
}

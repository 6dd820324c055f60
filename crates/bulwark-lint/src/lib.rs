//! Lints of wrangler configs, with `file:line` and a one-line fix for each:
//!
//! - [`config_lints`]: one config on its own (secret in `vars`, bindings not inherited by
//!   an environment, placeholder binding ids). secrets-verify and deploy-lint both use
//!   these, so there is one implementation.
//! - [`standards`]: a team's deploy standards (`[standards]` in `bulwark.toml`) across
//!   every worker of a repository, for deploy-lint.

pub mod config_lints;
pub mod github;
pub mod standards;

pub use config_lints::{
    BINDING_ARRAY_KEYS, Lint, NON_INHERITABLE_KEYS, Severity, binding_parity, is_placeholder_id,
    looks_like_secret_name, placeholder_ids, secrets_in_vars,
};
pub use standards::{DeployLintError, DeployReport, Finding, LINT_IDS, Request, lint_repository};

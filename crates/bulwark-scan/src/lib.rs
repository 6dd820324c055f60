//! Secret scanning for Bulwark: a rule engine and the sources `leak-scan` reads.
//!
//! # The rule engine (reused by `secrets-verify`)
//!
//! ```
//! use bulwark_scan::Rules;
//!
//! let rules = Rules::default_rules();
//! assert!(!rules.matches_value("hello world"));
//! let found = rules.scan_text("let greeting = \"hello\";\n");
//! assert!(found.is_empty());
//! ```
//!
//! [`Rules::default_rules`] are Bulwark's own rules, written from the public token formats;
//! [`Rules::from_gitleaks_toml`] reads a gitleaks config. [`Rules::scan_text`] returns
//! every [`Match`] (rule, secret, byte range, 1-based lines and columns, entropy);
//! [`Rules::matches_value`] says whether a single value looks like a credential;
//! [`Rules::scan_bytes`] scans a file or blob with its path and commit, so that path rules
//! and allow-lists apply.
//!
//! Each rule has keywords: an Aho-Corasick automaton finds which keywords a text holds,
//! and only the rules with a keyword hit run their regex. Regexes use the `regex` crate
//! (linear time, no backtracking).
//!
//! # Sources
//!
//! [`scan_git`] walks a repository's history: every unique blob once, on all cores, from
//! its content alone; path rules and allow-lists are then decided per commit and path
//! that introduced it, and each finding is attributed to the earliest introduction where
//! it stands (see `git.rs` for the algorithm). [`scan_dir`] reads the files under a
//! directory, [`scan_staged`] the index against HEAD, [`scan_reader`] standard input;
//! each file is one place, decided the same way. [`run`] does what `leak-scan` does:
//! picks the rules and `.gitleaksignore`, scans, applies the baseline and redacts. A
//! [`ScanReport`] renders as human text or JSON through `bulwark-core`, and as SARIF
//! ([`SarifReport`]).
//!
//! # Modules
//!
//! In the order they build on each other: `error` ([`ScanError`]), `checks` (format
//! checksums and structure, entropy, filler), `decode` (encoded runs and what they
//! decode to), `time`, `re2` (gitleaks configs' RE2 syntax rewritten for the `regex`
//! crate), `rules` (the engine: [`Rule`], [`Allowlist`], [`Rules`], [`Match`]),
//! `defaults` ([`Rules::default_rules`]), `gitleaks` ([`Rules::from_gitleaks_toml`],
//! [`IgnoreList`]), `report` ([`Finding`], [`ScanReport`], [`Baseline`]), `sarif`
//! ([`SarifReport`]), `gitleaks_json` ([`GitleaksReport`]), `git` and `sources` (the
//! sources), `run`. No module uses one that comes after it.

mod checks;
mod decode;
mod defaults;
mod error;
mod git;
mod gitleaks;
mod gitleaks_json;
mod re2;
mod report;
mod rules;
mod run;
mod sarif;
mod sources;
mod time;

use std::io::Write as _;
use std::path::Path;

pub use checks::{
    base62_6, bech32_ok, crc32, github_checksum_ok, gitlab_routable_ok, is_filler, jwt_header_ok,
    shannon_entropy,
};
pub use defaults::{EXAMPLE_LEGEND, default_rule_examples, default_rule_ids, default_rules_table};
pub use error::ScanError;
pub use git::{GitOptions, scan_git};
pub use gitleaks::IgnoreList;
pub use gitleaks_json::GitleaksReport;
pub use report::{Baseline, CommitInfo, Finding, ScanReport, ScanStats, redact_secret};
pub use rules::{Allowlist, INLINE_ALLOW, Match, RegexTarget, Rule, Rules, Validator, WholeMatch};
pub use run::{ConfigUsed, RulesConfig, ScanRequest, Source, render_to_bytes, run};
pub use sarif::SarifReport;
pub use sources::{PRE_COMMIT_HOOK, install_hook, scan_dir, scan_reader, scan_staged};
pub use time::{parse_date, rfc3339};

/// Writes `bytes` to `path` atomically ([`bulwark_core::fs::AtomicFile`]) with
/// permissions `mode`.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> Result<(), ScanError> {
    let write = || {
        let mut file = bulwark_core::fs::AtomicFile::new(path)?;
        file.write_all(bytes)?;
        file.set_mode(mode)?;
        file.commit()
    };
    write().map_err(|source| ScanError::Write {
        path: path.to_owned(),
        source,
    })
}

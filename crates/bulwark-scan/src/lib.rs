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

mod checks;
mod defaults;
mod gitleaks;
mod rules;

pub use checks::{base62_6, bech32_ok, crc32, github_checksum_ok, jwt_header_ok, shannon_entropy};
pub use defaults::default_rule_ids;
pub use gitleaks::IgnoreList;
pub use rules::{Allowlist, INLINE_ALLOW, Match, RegexTarget, Rule, Rules, Validator};

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// A rule's or allow-list's regex does not compile.
    #[error("the regex of {rule} does not compile")]
    BadRegex {
        /// The rule (or allow-list) it belongs to.
        rule: String,
        /// The compiler's complaint.
        #[source]
        source: Box<regex::Error>,
    },
    /// The keyword automaton could not be built.
    #[error("failed to build the keyword prefilter")]
    Prefilter {
        /// Why.
        #[source]
        source: Box<aho_corasick::BuildError>,
    },
    /// A rules file is not valid TOML or has the wrong shape.
    #[error("the rules config is not a valid gitleaks TOML config")]
    ConfigToml {
        /// The parser's complaint, with line and column.
        #[source]
        source: Box<toml::de::Error>,
    },
    /// A rules file is valid TOML but says something unsupported or wrong.
    #[error("bad rules config: {message}")]
    Config {
        /// What is wrong.
        message: String,
    },
}

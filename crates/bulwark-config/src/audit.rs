//! `[audit]`: the policy `secrets-sync audit` checks the stores against.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use toml::Spanned;

/// A secret name, or a pattern of them where `*` stands for any run of characters
/// (`*_SECRET`, `STRIPE_*`).
#[derive(Debug, Clone)]
pub struct NamePattern {
    text: String,
    matcher: globset::GlobMatcher,
}

impl NamePattern {
    /// Parses `text`: letters, digits, `_` and `*`, at least one character that is not
    /// `*`. `None` when it is anything else.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        let valid = text.chars().any(|c| c != '*')
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '*');
        if !valid {
            return None;
        }
        let matcher = globset::Glob::new(text).ok()?.compile_matcher();
        Some(Self {
            text: text.to_owned(),
            matcher,
        })
    }

    /// Whether `name` matches.
    #[must_use]
    pub fn matches(&self, name: &str) -> bool {
        self.matcher.is_match(name)
    }

    /// How specific the pattern is: an exact name beats any pattern, and a longer
    /// pattern beats a shorter one (`STRIPE_WEBHOOK_*` over `STRIPE_*`).
    fn specificity(&self) -> (bool, usize) {
        (!self.text.contains('*'), self.text.len())
    }

    /// The pattern as written.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl PartialEq for NamePattern {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for NamePattern {}

impl fmt::Display for NamePattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// The policy of `secrets-sync audit` (`[audit]` in `bulwark.toml`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audit {
    /// A value older than this many days is stale.
    pub max_age_days: u32,
    /// Per-name overrides of `max_age_days` (`[audit.max_age_days_for]`).
    pub max_age_days_for: Vec<(NamePattern, u32)>,
    /// Names whose values must hold at least `min_bytes` bytes of randomness.
    pub strong_names: Vec<NamePattern>,
    /// The estimated randomness, in bytes, a value of a `strong_names` name needs.
    pub min_bytes: u32,
    /// The environments that are production: a test-mode credential there is an error.
    pub production_envs: Vec<String>,
}

/// `max_age_days` when `bulwark.toml` sets none: a quarter.
pub const DEFAULT_MAX_AGE_DAYS: u32 = 90;
/// `min_bytes` when `bulwark.toml` sets none: what `openssl rand -base64 32` gives.
pub const DEFAULT_MIN_BYTES: u32 = 32;
const DEFAULT_STRONG_NAMES: &[&str] = &[
    "*_SECRET",
    "*_SECRET_KEY",
    "*_SIGNING_KEY",
    "*_ENCRYPTION_KEY",
    "*_HMAC_KEY",
    "*_PEPPER",
];
const DEFAULT_PRODUCTION_ENVS: &[&str] = &["production", "prod", "live"];

impl Default for Audit {
    fn default() -> Self {
        Self {
            max_age_days: DEFAULT_MAX_AGE_DAYS,
            max_age_days_for: Vec::new(),
            strong_names: DEFAULT_STRONG_NAMES
                .iter()
                .map(|p| NamePattern::parse(p).expect("the defaults are valid patterns"))
                .collect(),
            min_bytes: DEFAULT_MIN_BYTES,
            production_envs: DEFAULT_PRODUCTION_ENVS
                .iter()
                .map(|e| (*e).to_owned())
                .collect(),
        }
    }
}

impl Audit {
    /// The maximum age of `name`'s value, in days: the most specific override that
    /// matches it, else `max_age_days`.
    #[must_use]
    pub fn max_age_days_of(&self, name: &str) -> u32 {
        self.max_age_days_for
            .iter()
            .filter(|(pattern, _)| pattern.matches(name))
            .max_by_key(|(pattern, _)| pattern.specificity())
            .map_or(self.max_age_days, |(_, days)| *days)
    }

    /// Whether `name` is held to `min_bytes`.
    #[must_use]
    pub fn is_strong(&self, name: &str) -> bool {
        self.strong_names.iter().any(|p| p.matches(name))
    }

    /// Whether `env` is a production environment.
    #[must_use]
    pub fn is_production(&self, env: &str) -> bool {
        self.production_envs.iter().any(|e| e == env)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAudit {
    max_age_days: Option<Spanned<i64>>,
    #[serde(default)]
    max_age_days_for: BTreeMap<String, Spanned<i64>>,
    strong_names: Option<Vec<Spanned<String>>>,
    min_bytes: Option<Spanned<i64>>,
    production_envs: Option<Vec<String>>,
}

/// Where an `[audit]` key went wrong: the span to point at and what to say.
pub(crate) struct AuditProblem {
    pub(crate) span: Option<std::ops::Range<usize>>,
    pub(crate) message: String,
}

fn days(value: &Spanned<i64>, key: &str) -> Result<u32, AuditProblem> {
    u32::try_from(*value.get_ref())
        .ok()
        .filter(|d| (1..=36_500).contains(d))
        .ok_or_else(|| AuditProblem {
            span: Some(value.span()),
            message: format!("`{key}` is a number of days between 1 and 36500"),
        })
}

impl RawAudit {
    pub(crate) fn validate(self) -> Result<Audit, AuditProblem> {
        let mut audit = Audit::default();
        if let Some(max) = &self.max_age_days {
            audit.max_age_days = days(max, "max_age_days")?;
        }
        for (pattern, value) in &self.max_age_days_for {
            let parsed = NamePattern::parse(pattern).ok_or_else(|| AuditProblem {
                span: Some(value.span()),
                message: format!(
                    "`{pattern}` in [audit.max_age_days_for] is not a secret name or pattern (letters, digits, `_` and `*`)"
                ),
            })?;
            audit
                .max_age_days_for
                .push((parsed, days(value, &format!("max_age_days_for.{pattern}"))?));
        }
        if let Some(names) = self.strong_names {
            audit.strong_names = names
                .iter()
                .map(|entry| {
                    NamePattern::parse(entry.get_ref()).ok_or_else(|| AuditProblem {
                        span: Some(entry.span()),
                        message: format!(
                            "`{}` in `strong_names` is not a secret name or pattern (letters, digits, `_` and `*`)",
                            entry.get_ref()
                        ),
                    })
                })
                .collect::<Result<_, _>>()?;
        }
        if let Some(min) = &self.min_bytes {
            audit.min_bytes = u32::try_from(*min.get_ref())
                .ok()
                .filter(|b| (8..=1024).contains(b))
                .ok_or_else(|| AuditProblem {
                    span: Some(min.span()),
                    message: "`min_bytes` is between 8 and 1024".to_owned(),
                })?;
        }
        if let Some(envs) = self.production_envs {
            audit.production_envs = envs;
        }
        Ok(audit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_names_and_the_most_specific_override_wins() {
        let p = NamePattern::parse("*_SECRET").expect("valid");
        assert!(p.matches("BETTER_AUTH_SECRET"));
        assert!(!p.matches("BETTER_AUTH_SECRET_2"));
        assert!(NamePattern::parse("A-B").is_none());
        assert!(NamePattern::parse("**").is_none());
        assert!(NamePattern::parse("A?").is_none());
        let mut audit = Audit::default();
        assert_eq!(audit.max_age_days_of("X"), 90);
        audit.max_age_days_for = vec![
            (NamePattern::parse("STRIPE_*").expect("valid"), 365),
            (NamePattern::parse("STRIPE_WEBHOOK_*").expect("valid"), 30),
            (
                NamePattern::parse("STRIPE_WEBHOOK_SECRET").expect("valid"),
                7,
            ),
        ];
        assert_eq!(audit.max_age_days_of("STRIPE_SECRET_KEY"), 365);
        assert_eq!(audit.max_age_days_of("STRIPE_WEBHOOK_ID"), 30);
        assert_eq!(audit.max_age_days_of("STRIPE_WEBHOOK_SECRET"), 7);
        assert!(audit.is_strong("SESSION_SIGNING_KEY"));
        assert!(!audit.is_strong("STRIPE_PUBLISHABLE_KEY"));
        assert!(audit.is_production("production"));
    }
}

//! gitleaks compatibility: its TOML config format and `.gitleaksignore` fingerprints.
//!
//! Supported: `[[rules]]` (`id`, `description`, `regex`, `secretGroup`, `entropy`,
//! `keywords`, `path`, `tags`, `[rules.allowlist]` and `[[rules.allowlists]]`), the global
//! `[allowlist]` and `[[allowlists]]` (with `targetRules`), and `[extend]` with
//! `useDefault` and `disabledRules`. `useDefault` extends *Bulwark's* default rules.
//! Regexes are RE2's, rewritten for the `regex` crate (`re2`). Unknown keys (`title`,
//! `version`, …) are ignored, as gitleaks does.

use std::collections::HashSet;
use std::path::Path;

use serde::Deserialize;

use crate::error::ScanError;
use crate::rules::{Allowlist, GenericRule, RegexTarget, Rule, Rules, compile_re2};

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Config {
    #[serde(default)]
    extend: Option<Extend>,
    #[serde(default)]
    rules: Vec<RuleConfig>,
    #[serde(default)]
    allowlist: Option<AllowlistConfig>,
    #[serde(default)]
    allowlists: Vec<AllowlistConfig>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Extend {
    #[serde(default)]
    use_default: bool,
    #[serde(default)]
    disabled_rules: Vec<String>,
    #[serde(default)]
    path: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RuleConfig {
    id: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    regex: Option<String>,
    #[serde(default)]
    secret_group: Option<usize>,
    #[serde(default)]
    entropy: Option<f64>,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    allowlist: Option<AllowlistConfig>,
    #[serde(default)]
    allowlists: Vec<AllowlistConfig>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AllowlistConfig {
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    condition: Option<String>,
    #[serde(default)]
    commits: Vec<String>,
    #[serde(default)]
    paths: Vec<String>,
    #[serde(default)]
    regexes: Vec<String>,
    #[serde(default)]
    regex_target: Option<String>,
    #[serde(default)]
    stopwords: Vec<String>,
    #[serde(default)]
    target_rules: Vec<String>,
}

fn build_allowlist(config: &AllowlistConfig, context: &str) -> Result<Allowlist, ScanError> {
    let require_all = match config.condition.as_deref().map(str::to_ascii_uppercase) {
        None => false,
        Some(condition) if condition == "OR" => false,
        Some(condition) if condition == "AND" => true,
        Some(other) => {
            return Err(ScanError::Config {
                message: format!("{context}: condition must be \"OR\" or \"AND\", not {other:?}"),
            });
        }
    };
    let regex_target = match config.regex_target.as_deref() {
        None | Some("secret" | "") => RegexTarget::Secret,
        Some("match") => RegexTarget::Match,
        Some("line") => RegexTarget::Line,
        Some(other) => {
            return Err(ScanError::Config {
                message: format!(
                    "{context}: regexTarget must be \"secret\", \"match\" or \"line\", not {other:?}"
                ),
            });
        }
    };
    Ok(Allowlist {
        description: config.description.clone().unwrap_or_default(),
        require_all,
        commits: config.commits.clone(),
        paths: config
            .paths
            .iter()
            .map(|pattern| compile_re2(pattern, context))
            .collect::<Result<_, _>>()?,
        regexes: config
            .regexes
            .iter()
            .map(|pattern| compile_re2(pattern, context))
            .collect::<Result<_, _>>()?,
        regex_target,
        stopwords: config
            .stopwords
            .iter()
            .map(|word| word.to_ascii_lowercase())
            .collect(),
    })
}

fn build_rule(config: &RuleConfig) -> Result<Rule, ScanError> {
    if config.id.trim().is_empty() {
        return Err(ScanError::Config {
            message: "a [[rules]] entry has no id".to_owned(),
        });
    }
    let context = format!("rule {:?}", config.id);
    if config.regex.is_none() && config.path.is_none() {
        return Err(ScanError::Config {
            message: format!("{context} has neither regex nor path"),
        });
    }
    let mut allowlists = Vec::new();
    for list in config.allowlist.iter().chain(&config.allowlists) {
        allowlists.push(build_allowlist(list, &context)?);
    }
    let regex = config
        .regex
        .as_deref()
        .map(|pattern| compile_re2(pattern, &config.id))
        .transpose()?;
    if let (Some(regex), Some(group)) = (&regex, config.secret_group) {
        // Group 0 is the whole match; gitleaks refuses a group the regex does not have,
        // which would make the rule silently find nothing.
        let groups = regex.captures_len() - 1;
        if group > groups {
            return Err(ScanError::Config {
                message: format!(
                    "{context} has secretGroup = {group}, but its regex has only {groups} \
                     capture group(s)"
                ),
            });
        }
    }
    Ok(Rule {
        id: config.id.as_str().into(),
        description: config
            .description
            .clone()
            .unwrap_or_else(|| config.id.clone())
            .into(),
        regex,
        secret_group: config.secret_group.unwrap_or(0),
        keywords: config
            .keywords
            .iter()
            .map(|word| word.to_ascii_lowercase())
            .filter(|word| !word.is_empty())
            .collect(),
        entropy: config.entropy.filter(|&entropy| entropy > 0.0),
        path: config
            .path
            .as_deref()
            .map(|pattern| compile_re2(pattern, &config.id))
            .transpose()?,
        allowlists,
        validators: Vec::new(),
        tags: config.tags.clone(),
    })
}

impl Rules {
    /// Loads a gitleaks-format TOML config (`[[rules]]`, `[allowlist]`,
    /// `[[allowlists]]`, `[extend] useDefault`/`disabledRules`). `useDefault` extends
    /// Bulwark's own default rules, not gitleaks'.
    pub fn from_gitleaks_toml(text: &str) -> Result<Self, ScanError> {
        let config: Config = toml::from_str(text).map_err(|source| ScanError::ConfigToml {
            source: Box::new(source),
        })?;
        let extend = config.extend.unwrap_or_default();
        if extend.path.is_some() {
            return Err(ScanError::Config {
                message: "[extend] path is not supported; merge the configs into one file, or use \
                          useDefault = true"
                    .to_owned(),
            });
        }
        let mut rules = Vec::new();
        let mut global = Vec::new();
        if extend.use_default {
            let defaults = Self::default_rules();
            let disabled: HashSet<&str> =
                extend.disabled_rules.iter().map(String::as_str).collect();
            global.extend(defaults.global_allowlists().iter().cloned());
            rules.extend(
                defaults
                    .rules()
                    .iter()
                    .filter(|rule| !disabled.contains(&*rule.id))
                    .cloned(),
            );
        }
        let mut targeted: Vec<(Vec<String>, Allowlist)> = Vec::new();
        for (index, list) in config
            .allowlist
            .iter()
            .chain(&config.allowlists)
            .enumerate()
        {
            let built = build_allowlist(list, &format!("allowlist {}", index + 1))?;
            if list.target_rules.is_empty() {
                global.push(built);
            } else {
                targeted.push((list.target_rules.clone(), built));
            }
        }
        for config_rule in &config.rules {
            let rule = build_rule(config_rule)?;
            // A config rule with a default rule's id replaces it (gitleaks extends by id).
            if let Some(existing) = rules.iter_mut().find(|r| r.id == rule.id) {
                *existing = rule;
            } else {
                rules.push(rule);
            }
        }
        for (targets, list) in targeted {
            for target in &targets {
                let Some(rule) = rules.iter_mut().find(|rule| &*rule.id == target) else {
                    return Err(ScanError::Config {
                        message: format!("an allowlist targets unknown rule {target:?}"),
                    });
                };
                rule.allowlists.push(list.clone());
            }
        }
        if rules.is_empty() {
            return Err(ScanError::Config {
                message: "the config has no rules; add [[rules]] or [extend] useDefault = true"
                    .to_owned(),
            });
        }
        let mut rules = Self::new(rules, global)?;
        rules.set_generic_rule(GenericRule::Gitleaks);
        Ok(rules)
    }

    /// Loads the gitleaks-format TOML config at `path`.
    pub fn from_gitleaks_file(path: &Path) -> Result<Self, ScanError> {
        let text = std::fs::read_to_string(path).map_err(|source| ScanError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_gitleaks_toml(&text).map_err(|source| ScanError::RulesFile {
            path: path.to_owned(),
            source: Box::new(source),
        })
    }
}

/// Fingerprints from a `.gitleaksignore` file: one per line, `#` comments and blank
/// lines skipped.
#[derive(Debug, Clone, Default)]
pub struct IgnoreList {
    fingerprints: HashSet<String>,
}

impl IgnoreList {
    /// Parses the text of a `.gitleaksignore` file.
    #[must_use]
    pub fn parse(text: &str) -> Self {
        Self {
            fingerprints: text
                .lines()
                .map(str::trim)
                .filter(|line| !line.is_empty() && !line.starts_with('#'))
                .map(str::to_owned)
                .collect(),
        }
    }

    /// Reads a `.gitleaksignore` file.
    pub fn load(path: &Path) -> Result<Self, ScanError> {
        std::fs::read_to_string(path)
            .map(|text| Self::parse(&text))
            .map_err(|source| ScanError::Read {
                path: path.to_owned(),
                source,
            })
    }

    /// Adds one fingerprint.
    pub fn insert(&mut self, fingerprint: String) {
        self.fingerprints.insert(fingerprint);
    }

    /// Whether `fingerprint` is ignored. A fingerprint without its commit
    /// (`path:rule:line`) also ignores that location in every commit.
    #[must_use]
    pub fn contains(&self, fingerprint: &str, commit: Option<&str>) -> bool {
        if self.fingerprints.contains(fingerprint) {
            return true;
        }
        match commit {
            Some(commit) => fingerprint
                .strip_prefix(commit)
                .and_then(|rest| rest.strip_prefix(':'))
                .is_some_and(|rest| self.fingerprints.contains(rest)),
            None => false,
        }
    }

    /// How many fingerprints the list holds.
    #[must_use]
    pub fn len(&self) -> usize {
        self.fingerprints.len()
    }

    /// Whether the list is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.fingerprints.is_empty()
    }
}

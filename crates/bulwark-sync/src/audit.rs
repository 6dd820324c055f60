//! `secrets-sync audit`: the stores checked against the policy in `[audit]`, names
//! only. Four checks (shared values, stale values, weak values, orphan names) and the
//! apply log's hash chain.
//!
//! Values are compared through digests keyed with a random key that lives only for the
//! run: one environment's store is open at a time, and what is kept of it once it is
//! closed is a 32-byte digest per value, useless without the key.

use std::collections::BTreeMap;
use std::io::{self, Write};

use bulwark_config::{Audit, Config, Environment, TargetSpec};
use bulwark_core::{Exit, Report, Styles};
use bulwark_scan::Rules;
use bulwark_secret::Secret;
use hmac::{Hmac, KeyInit as _, Mac as _};
use serde::Serialize;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::{Store, SyncError, SyncState};

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth a look.
    Warning,
    /// Fails the audit by default.
    Error,
}

impl Severity {
    fn label(self) -> &'static str {
        match self {
            Self::Warning => "warning",
            Self::Error => "error",
        }
    }
}

/// Which check found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    /// One value in two places.
    SharedValue,
    /// Older than the policy allows, or of unknown age.
    Stale,
    /// Too little randomness, a default, or another kind of credential.
    Weak,
    /// A name in a target and no store, or a required name no store holds.
    Orphan,
    /// The apply log's hash chain is broken.
    Log,
}

impl Check {
    fn label(self) -> &'static str {
        match self {
            Self::SharedValue => "shared-value",
            Self::Stale => "stale",
            Self::Weak => "weak",
            Self::Orphan => "orphan",
            Self::Log => "log",
        }
    }
}

/// One finding: names and reasons, never a value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The check.
    pub check: Check,
    /// How bad.
    pub severity: Severity,
    /// The environment.
    pub environment: String,
    /// The secret's name (empty for the log).
    pub name: String,
    /// What was found.
    pub message: String,
}

/// The audit of one or more environments.
#[derive(Debug, Serialize)]
pub struct AuditReport {
    /// The environments read.
    pub environments: Vec<String>,
    /// How many values were checked.
    pub values: usize,
    /// Every finding, most severe first.
    pub findings: Vec<Finding>,
    /// The severity at which the audit fails.
    pub fail_on: Severity,
}

impl Report for AuditReport {
    fn exit(&self) -> Exit {
        if self.findings.iter().any(|f| f.severity >= self.fail_on) {
            Exit::Problem
        } else {
            Exit::Ok
        }
    }

    fn render_human(&self, out: &mut dyn Write, styles: &Styles) -> io::Result<()> {
        let (bad, warn, bold, dim) = (styles.error, styles.warning, styles.bold, styles.dim);
        writeln!(
            out,
            "{bold}audit of {}{bold:#} {dim}({} value(s)){dim:#}",
            self.environments.join(", "),
            self.values
        )?;
        for finding in &self.findings {
            let style = match finding.severity {
                Severity::Error => bad,
                Severity::Warning => warn,
            };
            let place = if finding.name.is_empty() {
                finding.environment.clone()
            } else {
                format!("{}:{}", finding.environment, finding.name)
            };
            writeln!(
                out,
                "  {style}{:7}{style:#} {:12} {place}: {}",
                finding.severity.label(),
                finding.check.label(),
                finding.message
            )?;
        }
        let errors = self
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count();
        let warnings = self.findings.len() - errors;
        if self.findings.is_empty() {
            writeln!(out, "no findings")
        } else {
            writeln!(out, "{errors} error(s), {warnings} warning(s)")
        }
    }
}

type HmacSha256 = Hmac<Sha256>;

/// A key drawn from the OS's random source for one run: digests made with it can be
/// compared within the run and mean nothing after it.
pub struct RunKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for RunKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RunKey([redacted])")
    }
}

impl RunKey {
    /// A fresh key.
    pub fn new() -> Result<Self, SyncError> {
        let mut key = Zeroizing::new([0u8; 32]);
        getrandom::fill(key.as_mut()).map_err(|err| SyncError::Random(err.to_string()))?;
        Ok(Self(key))
    }

    /// The digest of `value`.
    #[must_use]
    pub fn digest(&self, value: &Secret) -> [u8; 32] {
        let mut mac =
            HmacSha256::new_from_slice(self.0.as_ref()).expect("HMAC takes keys of any length");
        mac.update(value.expose_bytes());
        mac.finalize().into_bytes().into()
    }
}

/// Which vendors' credentials a leak-scan rule recognises, and the words in a secret's
/// name that say it holds one of theirs.
const VENDORS: &[(&str, &[&str])] = &[
    ("aws-", &["AWS"]),
    ("github-", &["GITHUB", "GH"]),
    ("gitlab-", &["GITLAB"]),
    ("slack-", &["SLACK"]),
    ("stripe-", &["STRIPE"]),
    ("google-", &["GOOGLE", "GCP", "FIREBASE", "GEMINI"]),
    ("openai-", &["OPENAI"]),
    ("anthropic-", &["ANTHROPIC", "CLAUDE"]),
    ("cloudflare-", &["CLOUDFLARE", "CF"]),
    ("npm-", &["NPM"]),
    ("pypi-", &["PYPI"]),
    ("sendgrid-", &["SENDGRID"]),
    ("twilio-", &["TWILIO"]),
    ("shopify-", &["SHOPIFY"]),
    ("supabase-", &["SUPABASE"]),
    ("flyio-", &["FLY", "FLYIO"]),
    ("telegram-", &["TELEGRAM"]),
];

/// The vendor words in `name` (`STRIPE_SECRET_KEY` → `STRIPE`).
fn vendor_words(name: &str) -> Vec<&'static str> {
    let parts: Vec<&str> = name.split('_').collect();
    VENDORS
        .iter()
        .flat_map(|(_, words)| words.iter())
        .filter(|w| parts.iter().any(|p| p.eq_ignore_ascii_case(w)))
        .copied()
        .collect()
}

/// Whether `name` looks like a third-party credential, rotated at its vendor: it names
/// a vendor leak-scan knows, or its value matches one of leak-scan's vendor rules.
#[must_use]
pub fn third_party_vendor(name: &str, value: Option<&Secret>, rules: &Rules) -> Option<String> {
    if let Some(word) = vendor_words(name).first() {
        return Some((*word).to_owned());
    }
    let value = value?;
    rules
        .matching_rule_ids(value.expose())
        .iter()
        .find_map(|id| {
            VENDORS
                .iter()
                .find(|(prefix, _)| id.starts_with(prefix))
                .map(|(_, words)| words[0].to_owned())
        })
}

/// Stripe's test-mode key prefixes: a production environment never needs one.
const TEST_MODE_PREFIXES: &[&str] = &["sk_test_", "rk_test_"];
const LIVE_MODE_PREFIXES: &[&str] = &["sk_live_", "rk_live_"];

/// What `audit` needs besides the stores.
#[derive(Debug)]
pub struct AuditRequest<'a> {
    /// `bulwark.toml`.
    pub config: &'a Config,
    /// The environments to read, each with a store.
    pub envs: Vec<&'a Environment>,
    /// The time ages are measured at.
    pub now: jiff::Timestamp,
    /// The severity at which the audit fails.
    pub fail_on: Severity,
    /// leak-scan's rules, to tell what kind of credential a value is.
    pub rules: &'a Rules,
}

impl<'a> AuditRequest<'a> {
    /// The environments `--env` names, or every one with a store when it names none.
    pub fn environments(
        config: &'a Config,
        names: &[String],
    ) -> Result<Vec<&'a Environment>, SyncError> {
        if names.is_empty() {
            return Ok(config.envs.values().filter(|e| e.store.is_some()).collect());
        }
        Ok(names
            .iter()
            .map(|name| config.environment(Some(name)))
            .collect::<Result<_, _>>()?)
    }
}

/// Opens `env`'s store for `audit` with the environment's own identity (`identity`, the
/// `--identity` flag, first), and teaches its values and structure to `redactor`.
pub fn open_for_audit(
    config: &Config,
    env: &Environment,
    identity: Option<std::path::PathBuf>,
    redactor: &mut bulwark_secret::Redactor,
) -> Result<Store, SyncError> {
    let identities =
        bulwark_vault::IdentityLookup::from_process(identity, Some(&env.name)).find()?;
    let store = Store::open(&Store::path_of(config, env)?, &identities)?;
    for (_, value) in store.document().entries() {
        redactor.add(value);
    }
    crate::keep_structure(redactor, env, &store);
    Ok(store)
}

/// Runs the audit. `open` opens one environment's store (the binary looks its identity
/// up and teaches its values to the output's redactor); each store is dropped before
/// the next is opened.
pub fn audit(
    request: &AuditRequest<'_>,
    open: &mut dyn FnMut(&Environment) -> Result<Store, SyncError>,
) -> Result<AuditReport, SyncError> {
    let key = RunKey::new()?;
    let policy = &request.config.audit;
    let mut findings = Vec::new();
    // digest → every (environment, name) that holds that value.
    let mut seen: BTreeMap<[u8; 32], Vec<(String, String)>> = BTreeMap::new();
    let mut values = 0;
    for env in &request.envs {
        let store = open(env)?;
        let state = SyncState::load(store.path())?;
        for (name, value) in store.document().entries() {
            values += 1;
            seen.entry(key.digest(value))
                .or_default()
                .push((env.name.clone(), name.to_owned()));
            let mut add = |check, severity, message: String| {
                findings.push(Finding {
                    check,
                    severity,
                    environment: env.name.clone(),
                    name: name.to_owned(),
                    message,
                });
            };
            stale(policy, &state, name, request.now, &mut add);
            weak(policy, env, name, value, request.rules, &mut add);
        }
        orphans(env, &store, &state, &mut findings);
        if let Some(chain) = crate::log::verify(store.path())?
            && let Some((line, why)) = chain.broken
        {
            findings.push(Finding {
                check: Check::Log,
                severity: Severity::Error,
                environment: env.name.clone(),
                name: String::new(),
                message: format!(
                    "the apply log {} is broken at line {line}: {why}",
                    chain.path
                ),
            });
        }
        drop(store);
    }
    for holders in seen.values().filter(|h| h.len() > 1) {
        shared(holders, &mut findings);
    }
    findings.sort_by(|a, b| {
        b.severity.cmp(&a.severity).then_with(|| {
            (a.check, &a.environment, &a.name).cmp(&(b.check, &b.environment, &b.name))
        })
    });
    Ok(AuditReport {
        environments: request.envs.iter().map(|e| e.name.clone()).collect(),
        values,
        findings,
        fail_on: request.fail_on,
    })
}

fn shared(holders: &[(String, String)], findings: &mut Vec<Finding>) {
    for (index, (env, name)) in holders.iter().enumerate() {
        let others: Vec<&(String, String)> = holders
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != index)
            .map(|(_, h)| h)
            .collect();
        let across = others.iter().any(|(e, _)| e != env);
        let list: Vec<String> = others.iter().map(|(e, n)| format!("{e}:{n}")).collect();
        findings.push(Finding {
            check: Check::SharedValue,
            severity: if across {
                Severity::Error
            } else {
                Severity::Warning
            },
            environment: env.clone(),
            name: name.clone(),
            message: if across {
                format!(
                    "the same value as {}: each environment needs its own",
                    list.join(", ")
                )
            } else {
                format!("the same value as {} in this store", list.join(", "))
            },
        });
    }
}

fn stale(
    policy: &Audit,
    state: &SyncState,
    name: &str,
    now: jiff::Timestamp,
    add: &mut dyn FnMut(Check, Severity, String),
) {
    let max = policy.max_age_days_of(name);
    match state.changed(name) {
        None => add(
            Check::Stale,
            Severity::Warning,
            format!(
                "age unknown: no change recorded in {} (set it with `secrets-sync set` or `rotate-value` to start the clock)",
                bulwark_core::display_path(state.path())
            ),
        ),
        Some(change) => {
            let days = age_days(change.at, now);
            if days > i64::from(max) {
                add(
                    Check::Stale,
                    Severity::Error,
                    format!(
                        "last changed {days} days ago ({}, by {}), the policy allows {max}",
                        change.at.strftime("%Y-%m-%d"),
                        change.by
                    ),
                );
            }
        }
    }
}

/// Whole days from `then` to `now`.
#[must_use]
pub fn age_days(then: jiff::Timestamp, now: jiff::Timestamp) -> i64 {
    (now.as_second() - then.as_second()).div_euclid(86_400)
}

fn weak(
    policy: &Audit,
    env: &Environment,
    name: &str,
    value: &Secret,
    rules: &Rules,
    add: &mut dyn FnMut(Check, Severity, String),
) {
    let text = value.expose();
    if let Some(why) = crate::strength::known_weakness(text) {
        add(Check::Weak, Severity::Error, format!("the value is {why}"));
    } else if policy.is_strong(name) {
        let bytes = crate::strength::estimated_bytes(text);
        if bytes < f64::from(policy.min_bytes) {
            add(
                Check::Weak,
                Severity::Error,
                format!(
                    "the value holds about {} bytes of randomness, the policy asks {} (e.g. `secrets-sync rotate-value {name} --generate`)",
                    bytes.floor(),
                    policy.min_bytes
                ),
            );
        }
    }
    let production = policy.is_production(&env.name);
    let words = vendor_words(name);
    for id in rules.matching_rule_ids(text) {
        let Some((_, vendor)) = VENDORS.iter().find(|(prefix, _)| id.starts_with(prefix)) else {
            continue;
        };
        if !words.is_empty() && !vendor.iter().any(|v| words.contains(v)) {
            add(
                Check::Weak,
                Severity::Error,
                format!(
                    "the value is a {} credential (leak-scan rule {id}), but the name says {}",
                    vendor[0],
                    words.join("/")
                ),
            );
        }
    }
    if production && TEST_MODE_PREFIXES.iter().any(|p| text.starts_with(p)) {
        add(
            Check::Weak,
            Severity::Error,
            "the value is a test-mode key, in a production environment".to_owned(),
        );
    } else if !production && LIVE_MODE_PREFIXES.iter().any(|p| text.starts_with(p)) {
        add(
            Check::Weak,
            Severity::Warning,
            format!(
                "the value is a live-mode key, in `{}`, which is not a production environment ([audit] production_envs)",
                env.name
            ),
        );
    }
}

fn orphans(env: &Environment, store: &Store, state: &SyncState, findings: &mut Vec<Finding>) {
    let names = store.document().names();
    for requirement in &env.required {
        if !names.iter().any(|n| requirement.matches(n)) {
            findings.push(Finding {
                check: Check::Orphan,
                severity: Severity::Error,
                environment: env.name.clone(),
                name: requirement.to_string(),
                message: "required, and the store holds no such name".to_owned(),
            });
        }
    }
    for target in &env.targets {
        if matches!(target.spec, TargetSpec::Env) {
            continue;
        }
        let Some(listing) = state.listed(target.name()) else {
            findings.push(Finding {
                check: Check::Orphan,
                severity: Severity::Warning,
                environment: env.name.clone(),
                name: String::new(),
                message: format!(
                    "target `{}` was never listed: run `secrets-sync plan` to record its names",
                    target.name()
                ),
            });
            continue;
        };
        for name in &listing.names {
            if !names.contains(&name.as_str()) {
                findings.push(Finding {
                    check: Check::Orphan,
                    severity: Severity::Warning,
                    environment: env.name.clone(),
                    name: name.clone(),
                    message: format!(
                        "in target `{}` (listed {}) and not in the store: remove it with `apply --prune`, or add it to the store",
                        target.name(),
                        listing.at.strftime("%Y-%m-%d")
                    ),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_keys_differ_per_run_and_digest_values_alike_within_one() {
        let (a, b) = (
            RunKey::new().expect("random"),
            RunKey::new().expect("random"),
        );
        let value = Secret::new("canary-runkey-8c1d".to_owned());
        let same = Secret::new("canary-runkey-8c1d".to_owned());
        assert_eq!(a.digest(&value), a.digest(&same));
        assert_ne!(a.digest(&value), b.digest(&value));
        assert!(!format!("{a:?}").contains('0'));
    }

    #[test]
    fn vendor_words_and_third_party_names() {
        let rules = Rules::default_rules();
        assert_eq!(vendor_words("STRIPE_SECRET_KEY"), ["STRIPE"]);
        assert!(vendor_words("SESSION_SECRET").is_empty());
        assert_eq!(
            third_party_vendor("GH_TOKEN", None, &rules).as_deref(),
            Some("GH")
        );
        assert_eq!(third_party_vendor("SESSION_SECRET", None, &rules), None);
        let token = Secret::new(format!("sk_live_{}", "4eC39HqLyjWDarjtT1zdp7dc"));
        assert_eq!(
            third_party_vendor("PAYMENTS_KEY", Some(&token), &rules).as_deref(),
            Some("STRIPE")
        );
    }
}

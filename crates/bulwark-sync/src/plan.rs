//! Plans (names and actions, never values) and applying them.

use std::fmt::{self, Write as _};
use std::io::{self, Write};

use bulwark_config::{Environment, Target, TargetSpec};
use bulwark_core::{Exit, Progress, Report, Styles};
use bulwark_secret::Secret;
use bulwark_targets::{
    ApplyOptions, Change, Runner, apply, github_dotenv_fits, list_names, refusal,
};
use serde::{Serialize, Serializer};

use crate::{DigestKey, LogEntry, LoggedTarget, Store, SyncError, SyncState};

/// What applying would do to one name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Action {
    /// In the store, not in the target.
    #[serde(rename = "add")]
    Add,
    /// In both, and the value differs from what the last sync sent.
    #[serde(rename = "update")]
    Update,
    /// In both; the target cannot tell whether the value differs, and no digest from an
    /// earlier sync says it is unchanged.
    #[serde(rename = "update?")]
    UpdateUnknown,
    /// In both, and the last sync sent this very value.
    #[serde(rename = "unchanged")]
    Unchanged,
    /// In the target only, and `--prune` asks to remove it.
    #[serde(rename = "remove")]
    Remove,
    /// In the target only, left alone (no `--prune`).
    #[serde(rename = "unmanaged")]
    Unmanaged,
}

impl Action {
    fn symbol(self) -> &'static str {
        match self {
            Self::Add => "+",
            Self::Update | Self::UpdateUnknown => "~",
            Self::Unchanged => "=",
            Self::Remove => "-",
            Self::Unmanaged => " ",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Add => "add",
            Self::Update => "update",
            Self::UpdateUnknown => "update?",
            Self::Unchanged => "unchanged",
            Self::Remove => "remove",
            Self::Unmanaged => "unmanaged",
        }
    }

    /// Whether applying sends something for this name.
    #[must_use]
    pub fn is_change(self) -> bool {
        matches!(
            self,
            Self::Add | Self::Update | Self::UpdateUnknown | Self::Remove
        )
    }
}

/// What applying did to one name; it reads (and serializes) as `done` or `failed: …`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// The target took the change.
    Done,
    /// It did not; why (scrubbed, never a value).
    Failed(String),
}

impl fmt::Display for Applied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Done => f.write_str("done"),
            Self::Failed(why) => write!(f, "failed: {why}"),
        }
    }
}

impl Serialize for Applied {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// One name in a target's plan.
#[derive(Debug, Clone, Serialize)]
pub struct NamePlan {
    /// The secret's name.
    pub name: String,
    /// What applying does to it.
    pub action: Action,
    /// After `apply`: `done`, or `failed: …`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<Applied>,
}

/// A value that cannot be sent to a target as it is.
#[derive(Debug, Clone, Serialize)]
pub struct Refused {
    /// The secret's name.
    pub name: String,
    /// Why (never the value).
    pub reason: String,
}

/// One target's plan.
#[derive(Debug, Serialize)]
pub struct TargetPlan {
    /// Its name (label or kind).
    pub name: String,
    /// Its kind.
    pub kind: &'static str,
    /// Each name and its action, sorted by name.
    pub names: Vec<NamePlan>,
    /// Values this target would refuse or mangle.
    pub refused: Vec<Refused>,
    /// Why it could not be listed.
    pub error: Option<String>,
    /// GitHub: names sent in a `gh secret set` call of their own, because gh's dotenv
    /// reader would change their value (see `bulwark_targets::github_dotenv_fits`);
    /// every other value goes in one `gh secret set -f -`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub separately: Vec<String>,
    /// The names the target held when it was listed.
    #[serde(skip)]
    pub listed: Option<Vec<String>>,
}

/// Whether a [`Plan`] was only planned or also applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Compared only; nothing was sent.
    Plan,
    /// Performed.
    Apply,
}

impl Mode {
    fn label(self) -> &'static str {
        match self {
            Self::Plan => "plan",
            Self::Apply => "apply",
        }
    }
}

/// The whole plan for one environment.
#[derive(Debug, Serialize)]
pub struct Plan {
    /// `plan` or `apply`.
    pub mode: Mode,
    /// The environment.
    pub environment: String,
    /// The store file.
    pub store: String,
    /// One per target.
    pub targets: Vec<TargetPlan>,
    /// With `plan --check`: exit 1 when something would change.
    #[serde(skip)]
    pub check: bool,
}

impl Plan {
    /// Number of names that applying would send or remove.
    #[must_use]
    pub fn changes(&self) -> usize {
        self.targets
            .iter()
            .flat_map(|t| &t.names)
            .filter(|n| n.action.is_change())
            .count()
    }

    fn refused(&self) -> impl Iterator<Item = (&TargetPlan, &Refused)> {
        self.targets
            .iter()
            .flat_map(|t| t.refused.iter().map(move |r| (t, r)))
    }
}

/// The targets of `env` chosen by `--target` (all when empty, see
/// [`Environment::targets_named`]), without the process environment, which is read,
/// never written.
pub fn chosen_targets<'e>(
    env: &'e Environment,
    names: &[String],
) -> Result<Vec<&'e Target>, SyncError> {
    let mut chosen = env.targets_named(names)?;
    chosen.retain(|t| !matches!(t.spec, TargetSpec::Env));
    Ok(chosen)
}

/// What a plan or an apply works on: one environment's store and chosen targets.
#[derive(Debug)]
pub struct Sync<'a> {
    /// The environment.
    pub env: &'a Environment,
    /// Its targets chosen by `--target` (see [`chosen_targets`]).
    pub targets: Vec<&'a Target>,
    /// The decrypted store.
    pub store: &'a Store,
    /// The digest key of the identity in use.
    pub key: &'a DigestKey,
    /// Runs the target CLIs.
    pub runner: &'a Runner,
}

impl Sync<'_> {
    /// Compares the store with each target.
    pub fn plan(&self, state: &SyncState, prune: bool, progress: &dyn Progress) -> Plan {
        plan(self, state, prune, progress)
    }

    /// Performs `plan` (see [`apply_plan`]).
    pub fn apply(
        &self,
        plan: Plan,
        state: &mut SyncState,
        options: ApplyOptions,
        progress: &dyn Progress,
    ) -> Result<Plan, SyncError> {
        apply_plan(self, plan, state, options, progress)
    }
}

fn plan(sync: &Sync<'_>, state: &SyncState, prune: bool, progress: &dyn Progress) -> Plan {
    let Sync {
        env,
        targets,
        store,
        key,
        runner,
    } = sync;
    progress.set_total(targets.len() as u64);
    let mut plans = Vec::new();
    for target in targets {
        progress.set_message(target.name());
        let mut target_plan = TargetPlan {
            name: target.name().to_owned(),
            kind: target.spec.kind(),
            names: Vec::new(),
            refused: Vec::new(),
            error: None,
            separately: Vec::new(),
            listed: None,
        };
        match list_names(target, runner) {
            Err(err) => target_plan.error = Some(bulwark_core::render_error_line(&err)),
            Ok(listed) => {
                target_plan.listed = Some(listed.names.iter().cloned().collect());
                for (name, value) in store.document().entries() {
                    let action = if listed.names.contains(name) {
                        match state.recorded(key, target.name(), name) {
                            Some(d) if d == key.digest(target.name(), name, value) => {
                                Action::Unchanged
                            }
                            Some(_) => Action::Update,
                            None => Action::UpdateUnknown,
                        }
                    } else {
                        Action::Add
                    };
                    if action.is_change()
                        && let Some(reason) = refusal(&target.spec, value.expose())
                            .or_else(|| crate::too_short(value.expose()))
                    {
                        target_plan.refused.push(Refused {
                            name: name.to_owned(),
                            reason,
                        });
                    }
                    if action.is_change()
                        && matches!(target.spec, TargetSpec::Github { .. })
                        && !github_dotenv_fits(value.expose())
                    {
                        target_plan.separately.push(name.to_owned());
                    }
                    target_plan.names.push(NamePlan {
                        name: name.to_owned(),
                        action,
                        result: None,
                    });
                }
                for name in &listed.names {
                    if store.document().get(name).is_none() {
                        target_plan.names.push(NamePlan {
                            name: name.clone(),
                            action: if prune {
                                Action::Remove
                            } else {
                                Action::Unmanaged
                            },
                            result: None,
                        });
                    }
                }
                target_plan.names.sort_by(|a, b| a.name.cmp(&b.name));
            }
        }
        plans.push(target_plan);
        progress.advance(1);
    }
    progress.finish();
    Plan {
        mode: Mode::Plan,
        environment: env.name.clone(),
        store: bulwark_core::display_path(store.path()),
        targets: plans,
        check: false,
    }
}

/// Performs a plan: refuses before sending anything when a value would be refused or a
/// target could not be listed; then one batch per target; records a digest for every
/// name done. A target that fails does not stop the others.
fn apply_plan(
    sync: &Sync<'_>,
    mut plan: Plan,
    state: &mut SyncState,
    options: ApplyOptions,
    progress: &dyn Progress,
) -> Result<Plan, SyncError> {
    let Sync {
        targets,
        store,
        key,
        runner,
        ..
    } = sync;
    let refused: Vec<String> = plan
        .refused()
        .map(|(t, r)| format!("{} → {}: {}", r.name, t.name, r.reason))
        .collect();
    if !refused.is_empty() {
        return Err(SyncError::Invalid {
            count: refused.len(),
            details: refused.join("; "),
        });
    }
    plan.mode = Mode::Apply;
    progress.set_total(targets.len() as u64);
    for (target, target_plan) in targets.iter().zip(plan.targets.iter_mut()) {
        progress.set_message(target.name());
        if target_plan.error.is_some() {
            progress.advance(1);
            continue;
        }
        let upserts: Vec<(&str, &Secret)> = target_plan
            .names
            .iter()
            .filter(|n| {
                matches!(
                    n.action,
                    Action::Add | Action::Update | Action::UpdateUnknown
                )
            })
            .filter_map(|n| store.document().get(&n.name).map(|v| (n.name.as_str(), v)))
            .collect();
        let deletes: Vec<&str> = target_plan
            .names
            .iter()
            .filter(|n| n.action == Action::Remove)
            .map(|n| n.name.as_str())
            .collect();
        let outcomes = apply(target, &upserts, &deletes, runner, options);
        for outcome in outcomes {
            let done = outcome.error.is_none();
            if done {
                match store.document().get(&outcome.name) {
                    Some(value) if outcome.action == Change::Set => {
                        state.record(key, target.name(), &outcome.name, value);
                    }
                    _ => state.forget(key, target.name(), &outcome.name),
                }
            }
            if let Some(entry) = target_plan
                .names
                .iter_mut()
                .find(|n| n.name == outcome.name)
            {
                entry.result = Some(match outcome.error {
                    None => Applied::Done,
                    Some(err) => Applied::Failed(err),
                });
            }
        }
        progress.advance(1);
    }
    progress.finish();
    let now = jiff::Timestamp::now();
    for target_plan in &plan.targets {
        if let Some(names) = target_plan.names_after() {
            state.record_listing(&target_plan.name, &names, now);
        }
    }
    state.save()?;
    let dir = store.path().parent().unwrap_or(std::path::Path::new("."));
    let (commit, deployer) = bulwark_git::who_and_where(dir);
    crate::append_log(
        store.path(),
        LogEntry {
            time: now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
            commit,
            deployer,
            environment: plan.environment.clone(),
            targets: plan.targets.iter().map(TargetPlan::logged).collect(),
            prev: String::new(),
        },
    )?;
    Ok(plan)
}

impl TargetPlan {
    /// The names the target holds after an apply: those listed, plus the ones set,
    /// less the ones removed. `None` when it could not be listed.
    fn names_after(&self) -> Option<Vec<String>> {
        let mut names = self.listed.clone()?;
        for entry in &self.names {
            if entry.result == Some(Applied::Done) {
                match entry.action {
                    Action::Remove => names.retain(|n| *n != entry.name),
                    _ => names.push(entry.name.clone()),
                }
            }
        }
        Some(names)
    }

    /// This target's line in the apply log.
    fn logged(&self) -> LoggedTarget {
        let with = |wanted: &[Action]| -> Vec<String> {
            self.names
                .iter()
                .filter(|n| wanted.contains(&n.action) && n.result.is_some())
                .map(|n| n.name.clone())
                .collect()
        };
        let outcomes: Vec<bool> = self
            .names
            .iter()
            .filter_map(|n| n.result.as_ref().map(|r| *r == Applied::Done))
            .collect();
        LoggedTarget {
            name: self.name.clone(),
            kind: self.kind.to_owned(),
            added: with(&[Action::Add]),
            updated: with(&[Action::Update, Action::UpdateUnknown]),
            removed: with(&[Action::Remove]),
            result: crate::log::target_result(self.error.is_none(), &outcomes),
        }
    }
}

impl Plan {
    /// Records in `state` the names each listed target held, where they differ from
    /// what is recorded (so a plan that finds nothing new leaves the file alone).
    /// Returns whether anything changed.
    pub fn record_listings(&self, state: &mut SyncState) -> bool {
        let now = jiff::Timestamp::now();
        let mut changed = false;
        for target in &self.targets {
            let Some(listed) = &target.listed else {
                continue;
            };
            let mut names = listed.clone();
            names.sort();
            names.dedup();
            if state.listed(&target.name).map(|l| &l.names) != Some(&names) {
                state.record_listing(&target.name, &names, now);
                changed = true;
            }
        }
        changed
    }
}

impl Report for Plan {
    fn exit(&self) -> Exit {
        let failed = self.targets.iter().any(|t| {
            t.error.is_some()
                || t.names
                    .iter()
                    .any(|n| matches!(n.result, Some(Applied::Failed(_))))
        });
        if failed {
            Exit::Operational
        } else if self.refused().next().is_some() || (self.check && self.changes() > 0) {
            Exit::Problem
        } else {
            Exit::Ok
        }
    }

    fn render_human(&self, out: &mut dyn Write, styles: &Styles) -> io::Result<()> {
        let (ok, bad, warn, dim, bold) = (
            styles.ok,
            styles.error,
            styles.warning,
            styles.dim,
            styles.bold,
        );
        writeln!(
            out,
            "{bold}{} for {}{bold:#} {dim}({}){dim:#}",
            self.mode.label(),
            self.environment,
            self.store
        )?;
        let mut counts = std::collections::BTreeMap::new();
        for target in &self.targets {
            writeln!(
                out,
                "  {bold}{}{bold:#} {dim}({}){dim:#}",
                target.name, target.kind
            )?;
            if let Some(err) = &target.error {
                writeln!(out, "    {bad}could not list secrets:{bad:#} {err}")?;
                continue;
            }
            let width = target.names.iter().map(|n| n.name.len()).max().unwrap_or(0);
            for entry in &target.names {
                *counts.entry(entry.action.label()).or_insert(0usize) += 1;
                let style = match entry.action {
                    Action::Add | Action::Update | Action::UpdateUnknown => warn,
                    Action::Remove => bad,
                    Action::Unchanged | Action::Unmanaged => dim,
                };
                write!(
                    out,
                    "    {style}{} {:width$}  {}{style:#}",
                    entry.action.symbol(),
                    entry.name,
                    entry.action.label()
                )?;
                match &entry.result {
                    Some(Applied::Done) => write!(out, "  {ok}done{ok:#}")?,
                    Some(failure) => write!(out, "  {bad}{failure}{bad:#}")?,
                    None => {}
                }
                writeln!(out)?;
            }
            if !target.separately.is_empty() {
                writeln!(
                    out,
                    "    {dim}sent one call each (gh's dotenv reader would change the value): {}{dim:#}",
                    target.separately.join(", ")
                )?;
            }
            for refused in &target.refused {
                writeln!(
                    out,
                    "    {bad}refused {}: {}{bad:#}",
                    refused.name, refused.reason
                )?;
            }
        }
        let summary: Vec<String> = [
            "add",
            "update",
            "update?",
            "remove",
            "unchanged",
            "unmanaged",
        ]
        .iter()
        .filter_map(|label| counts.get(label).map(|n| format!("{n} {label}")))
        .collect();
        let unlisted = self.targets.iter().filter(|t| t.error.is_some()).count();
        let mut summary = if summary.is_empty() && unlisted == 0 {
            "nothing to do".to_owned()
        } else {
            summary.join(", ")
        };
        if unlisted > 0 {
            let sep = if summary.is_empty() { "" } else { "; " };
            let _ = write!(summary, "{sep}{unlisted} target(s) could not be listed");
        }
        let results: Vec<&Applied> = self
            .targets
            .iter()
            .flat_map(|t| &t.names)
            .filter_map(|n| n.result.as_ref())
            .collect();
        if !results.is_empty() {
            let done = results
                .iter()
                .filter(|r| matches!(r, Applied::Done))
                .count();
            let failed = results.len() - done;
            let _ = write!(summary, "; {done} done, {failed} failed");
        }
        writeln!(out, "{summary}")
    }
}

//! The result of a verify run: per environment, per target, per required name.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::{self, Write};

use bulwark_config::{Requirement, Target};
use bulwark_core::{Exit, Report, Styles};
use bulwark_targets::NameList;
use serde::Serialize;

use bulwark_lint::github::escape_data;

use crate::{Lint, placeholder_reason};

/// Everything `secrets-verify` found.
#[derive(Debug, Serialize)]
pub struct VerifyReport {
    /// `ok`, `problem` (something missing or a lint) or `error` (a target could not be
    /// listed).
    pub status: VerifyStatus,
    /// One entry per checked environment.
    pub environments: Vec<EnvironmentReport>,
    /// Problems in config files, each with its file and line.
    pub lints: Vec<Lint>,
}

/// The verdict of a whole verify run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum VerifyStatus {
    /// Every requirement met, no lint.
    Ok,
    /// Something missing, a placeholder or a lint.
    Problem,
    /// A target could not be listed.
    Error,
}

impl VerifyStatus {
    fn label(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Problem => "problem",
            Self::Error => "error",
        }
    }
}

/// One environment's results.
#[derive(Debug, Serialize)]
pub struct EnvironmentReport {
    /// Its name in `bulwark.toml`.
    pub name: String,
    /// Required names and patterns (from `bulwark.toml` and `--require`).
    pub required: Vec<String>,
    /// One entry per target.
    pub targets: Vec<TargetReport>,
}

/// One target's results.
#[derive(Debug, Serialize)]
pub struct TargetReport {
    /// The target's name (label or kind).
    pub name: String,
    /// Its kind.
    pub kind: &'static str,
    /// `ok`, `missing` or `error`.
    pub status: TargetStatus,
    /// Each requirement and how it was met.
    pub checks: Vec<Check>,
    /// Required names absent from the target.
    pub missing: Vec<String>,
    /// Names in the target that no requirement asks for (informational).
    pub extra: Vec<String>,
    /// Required names whose visible value is a placeholder (names only).
    pub placeholders: Vec<Placeholder>,
    /// Why the target could not be listed.
    pub errors: Vec<String>,
}

/// A target's overall state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetStatus {
    /// Every requirement met with a real-looking value.
    Ok,
    /// Something missing or a placeholder.
    Missing,
    /// The target could not be listed.
    Error,
}

/// One requirement against one target.
#[derive(Debug, Serialize)]
pub struct Check {
    /// The name or `PREFIX_*` pattern.
    pub requirement: String,
    /// The outcome.
    pub status: CheckStatus,
    /// The names that satisfied it (the name itself, or each match of a pattern).
    pub matched: Vec<String>,
    /// Why it is missing, when there is more to say (e.g. it is a plain var).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// How a requirement was met.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    /// The exact name exists.
    Present,
    /// A pattern matched at least one name.
    Matched,
    /// Nothing satisfies it.
    Missing,
    /// It exists, but its value is empty or a placeholder.
    Placeholder,
    /// Not known: the target could not be listed.
    Unknown,
}

/// A required name with a placeholder value.
#[derive(Debug, Serialize)]
pub struct Placeholder {
    /// The variable.
    pub name: String,
    /// Why (never the value).
    pub reason: String,
}

impl TargetReport {
    pub(crate) fn build(
        target: &Target,
        required: &[Requirement],
        listed: Result<NameList, String>,
        vars: &BTreeSet<String>,
        min_length: usize,
    ) -> Self {
        Self::build_named(
            target.name(),
            target.spec.kind(),
            required,
            listed,
            vars,
            min_length,
        )
    }

    /// The row of the encrypted store (`--names-from-store`): its names, and its values
    /// checked for placeholders, since whoever holds the key sees them anyway.
    pub(crate) fn build_named(
        name: &str,
        kind: &'static str,
        required: &[Requirement],
        listed: Result<NameList, String>,
        vars: &BTreeSet<String>,
        min_length: usize,
    ) -> Self {
        let mut report = Self {
            name: name.to_owned(),
            kind,
            status: TargetStatus::Ok,
            checks: Vec::new(),
            missing: Vec::new(),
            extra: Vec::new(),
            placeholders: Vec::new(),
            errors: Vec::new(),
        };
        let list = match listed {
            Ok(list) => list,
            Err(err) => {
                report.status = TargetStatus::Error;
                report.errors.push(err);
                report.checks = required
                    .iter()
                    .map(|requirement| Check {
                        requirement: requirement.to_string(),
                        status: CheckStatus::Unknown,
                        matched: Vec::new(),
                        note: None,
                    })
                    .collect();
                return report;
            }
        };
        let mut used = BTreeSet::new();
        for requirement in required {
            let matched: Vec<String> = list
                .names
                .iter()
                .filter(|name| requirement.matches(name))
                .cloned()
                .collect();
            used.extend(matched.iter().cloned());
            let mut status = match (requirement, matched.is_empty()) {
                (_, true) => CheckStatus::Missing,
                (Requirement::Exact(_), false) => CheckStatus::Present,
                (Requirement::Prefix(_), false) => CheckStatus::Matched,
            };
            let mut note = None;
            for name in &matched {
                if let Some(value) = list.visible_values.get(name)
                    && let Some(reason) = placeholder_reason(name, value.expose(), min_length)
                {
                    status = CheckStatus::Placeholder;
                    report.placeholders.push(Placeholder {
                        name: name.clone(),
                        reason,
                    });
                }
            }
            if status == CheckStatus::Missing {
                report.missing.push(requirement.to_string());
                if vars.iter().any(|var| requirement.matches(var)) {
                    note = Some("set as a plain `vars` entry, which is not a secret".to_owned());
                }
            }
            report.checks.push(Check {
                requirement: requirement.to_string(),
                status,
                matched,
                note,
            });
        }
        // The process environment holds far more than secrets: listing it would be noise.
        if kind != "env" {
            report.extra = list.names.difference(&used).cloned().collect();
        }
        if !report.missing.is_empty() || !report.placeholders.is_empty() {
            report.status = TargetStatus::Missing;
        }
        report
    }
}

impl VerifyReport {
    pub(crate) fn new(environments: Vec<EnvironmentReport>, lints: Vec<Lint>) -> Self {
        let targets = || environments.iter().flat_map(|env| &env.targets);
        let status = if targets().any(|t| t.status == TargetStatus::Error) {
            VerifyStatus::Error
        } else if targets().any(|t| t.status == TargetStatus::Missing) || !lints.is_empty() {
            VerifyStatus::Problem
        } else {
            VerifyStatus::Ok
        };
        Self {
            status,
            environments,
            lints,
        }
    }

    /// GitHub Actions workflow commands (`::error …`) for each problem, so they show as
    /// annotations on the run and, for lints, on the file's line.
    #[must_use]
    pub fn github_annotations(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for lint in &self.lints {
            lines.push(bulwark_lint::github::error_at(
                &lint.file,
                lint.line,
                lint.column,
                lint.rule,
                &format!("{} ({})", lint.message, lint.hint),
            ));
        }
        for env in &self.environments {
            for target in &env.targets {
                for name in &target.missing {
                    lines.push(format!(
                        "::error title=missing secret::{}",
                        escape_data(&format!(
                            "{name} is missing in {} ({})",
                            target.name, env.name
                        ))
                    ));
                }
                for placeholder in &target.placeholders {
                    lines.push(format!(
                        "::error title=placeholder secret::{}",
                        escape_data(&format!(
                            "{} in {} ({}) is {}",
                            placeholder.name, target.name, env.name, placeholder.reason
                        ))
                    ));
                }
                for error in &target.errors {
                    lines.push(format!(
                        "::error title=target not listed::{}",
                        escape_data(&format!("{} ({}): {error}", target.name, env.name))
                    ));
                }
            }
        }
        lines
    }
}

impl Report for VerifyReport {
    fn exit(&self) -> Exit {
        match self.status {
            VerifyStatus::Ok => Exit::Ok,
            VerifyStatus::Problem => Exit::Problem,
            VerifyStatus::Error => Exit::Operational,
        }
    }

    fn render_human(&self, out: &mut dyn Write, styles: &Styles) -> io::Result<()> {
        let (ok, bad, dim) = (styles.ok, styles.error, styles.dim);
        for env in &self.environments {
            render_environment(env, out, styles)?;
        }
        for lint in &self.lints {
            writeln!(
                out,
                "{bad}error[{}]{bad:#} {}:{}:{}: {}\n  {dim}hint: {}{dim:#}",
                lint.rule, lint.file, lint.line, lint.column, lint.message, lint.hint
            )?;
        }
        let targets = self.environments.iter().flat_map(|e| &e.targets);
        let missing: usize = targets.clone().map(|t| t.missing.len()).sum();
        let placeholders: usize = targets.clone().map(|t| t.placeholders.len()).sum();
        let failed = targets.filter(|t| t.status == TargetStatus::Error).count();
        let summary = format!(
            "{missing} missing, {placeholders} placeholder{}, {} lint{}, {failed} target{} not listed",
            plural(placeholders),
            self.lints.len(),
            plural(self.lints.len()),
            plural(failed)
        );
        let style = if self.status == VerifyStatus::Ok {
            ok
        } else {
            bad
        };
        writeln!(out, "{style}{}{style:#}: {summary}", self.status.label())
    }
}

fn render_environment(
    env: &EnvironmentReport,
    out: &mut dyn Write,
    styles: &Styles,
) -> io::Result<()> {
    let (ok, bad, dim, bold) = (styles.ok, styles.error, styles.dim, styles.bold);
    writeln!(out, "{bold}environment {}{bold:#}", env.name)?;
    if env.targets.is_empty() {
        return writeln!(out, "  {dim}no targets{dim:#}");
    }
    let names: Vec<&str> = env.targets.iter().map(|t| t.name.as_str()).collect();
    // Rows: the environment's requirements, then any a target adds (wrangler's
    // own `secrets.required`).
    let mut rows: Vec<&str> = env.required.iter().map(String::as_str).collect();
    for check in env.targets.iter().flat_map(|t| &t.checks) {
        if !rows.contains(&check.requirement.as_str()) {
            rows.push(&check.requirement);
        }
    }
    let first = rows
        .iter()
        .map(|row| row.len())
        .chain(std::iter::once("required".len()))
        .max()
        .unwrap_or(8)
        + 2;
    let width = |i: usize| names[i].len().max(11) + 2;
    let mut header = format!("  {:first$}", "required");
    for (i, name) in names.iter().enumerate() {
        let _ = write!(header, "{name:w$}", w = width(i));
    }
    writeln!(out, "{dim}{}{dim:#}", header.trim_end())?;
    for row in &rows {
        write!(out, "  {row:first$}")?;
        let last = env.targets.len() - 1;
        for (i, target) in env.targets.iter().enumerate() {
            let check = target.checks.iter().find(|c| c.requirement == *row);
            let (text, style) = match check.map(|c| (c.status, c.matched.len())) {
                None => ("-".to_owned(), dim),
                Some((CheckStatus::Present, _)) => ("present".to_owned(), ok),
                Some((CheckStatus::Matched, count)) => (format!("matched {count}"), ok),
                Some((CheckStatus::Missing, _)) => ("MISSING".to_owned(), bad),
                Some((CheckStatus::Placeholder, _)) => ("PLACEHOLDER".to_owned(), bad),
                Some((CheckStatus::Unknown, _)) => ("?".to_owned(), dim),
            };
            let pad = if i == last { 0 } else { width(i) };
            write!(out, "{style}{text:pad$}{style:#}")?;
        }
        writeln!(out)?;
    }
    for target in &env.targets {
        for check in &target.checks {
            if check.status == CheckStatus::Matched {
                writeln!(
                    out,
                    "  {dim}{}: {} matched {}{dim:#}",
                    target.name,
                    check.requirement,
                    check.matched.join(", ")
                )?;
            }
            if let Some(note) = &check.note {
                writeln!(
                    out,
                    "  {bad}{}: {} {note}{bad:#}",
                    target.name, check.requirement
                )?;
            }
        }
        for placeholder in &target.placeholders {
            writeln!(
                out,
                "  {bad}{}: {} is {}{bad:#}",
                target.name, placeholder.name, placeholder.reason
            )?;
        }
        for error in &target.errors {
            writeln!(
                out,
                "  {bad}{}: could not list secrets:{bad:#} {error}",
                target.name
            )?;
        }
    }
    writeln!(out)?;
    Ok(())
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

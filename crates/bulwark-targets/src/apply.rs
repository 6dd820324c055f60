//! Writing secrets to a target: one child per batch where the CLI allows it, every value
//! on the child's stdin and never on its argv, every failure reported per name.

use std::ffi::OsString;

use bulwark_config::{Target, TargetSpec};
use bulwark_secret::{Secret, SecretBuf, push_dotenv_escaped};

use crate::TargetError;
use crate::list::{push_flag, secrets_store_ids, wrangler_flags};
use bulwark_process::{Runner, Tool, describe};

/// Largest value each target takes, in bytes (the Secrets Store counts characters).
const WORKERS_MAX: usize = 5 * 1024;
const SECRETS_STORE_MAX_CHARS: usize = 1024;
const GITHUB_MAX: usize = 48 * 1024;
const FLY_MAX: usize = 64 * 1024;

/// Options for [`apply`].
#[derive(Debug, Clone, Copy, Default)]
pub struct ApplyOptions {
    /// Fly: stage the secrets, do not run `fly secrets deploy`.
    pub stage_only: bool,
}

/// What [`apply`] asked a target to do with one name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Create or update it.
    Set,
    /// Delete it.
    Deleted,
}

/// What happened to one name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The secret's name.
    pub name: String,
    /// Set or deleted.
    pub action: Change,
    /// `None` when done; else why it failed (scrubbed).
    pub error: Option<String>,
}

/// Why `value` cannot be sent to a target of this kind as it is, or `None`. The reason
/// never contains the value.
#[must_use]
pub fn refusal(spec: &TargetSpec, value: &str) -> Option<String> {
    if value.is_empty() {
        return Some("the value is empty".to_owned());
    }
    if value.contains('\r') {
        return Some("the value holds a carriage return, which the CLIs drop or mangle".to_owned());
    }
    // gh reads its values from a dotenv document (see `github_dotenv`), whose quoted
    // values keep their whitespace; wrangler trims it.
    let trims = matches!(
        spec,
        TargetSpec::Wrangler { .. } | TargetSpec::SecretsStore { .. }
    );
    if trims && value.trim() != value {
        return Some(
            "the value starts or ends with whitespace, which this CLI would trim".to_owned(),
        );
    }
    let too_long =
        |limit: usize, unit: &str| Some(format!("the value is longer than {limit} {unit}"));
    match spec {
        TargetSpec::Wrangler { .. } if value.len() > WORKERS_MAX => too_long(WORKERS_MAX, "bytes"),
        TargetSpec::SecretsStore { .. } if value.chars().count() > SECRETS_STORE_MAX_CHARS => {
            too_long(SECRETS_STORE_MAX_CHARS, "characters")
        }
        TargetSpec::Github { .. } if value.len() > GITHUB_MAX => too_long(GITHUB_MAX, "bytes"),
        // Such a value goes alone on stdin (see `github_dotenv_fits`), where gh trims
        // trailing newlines.
        TargetSpec::Github { .. } if !github_dotenv_fits(value) && value.ends_with('\n') => {
            Some(
                "the value must go alone on gh's stdin (see the plan) and ends with a newline, which gh drops there"
                    .to_owned(),
            )
        }
        TargetSpec::Fly { .. } if value.len() > FLY_MAX => too_long(FLY_MAX, "bytes"),
        TargetSpec::Fly { .. } if value.contains("\"\"\"") => {
            Some("the value holds `\"\"\"`, which ends fly's quoted import format".to_owned())
        }
        TargetSpec::Env => Some("the process environment is not a sync target".to_owned()),
        _ => None,
    }
}

/// Sets `upserts` and deletes `deletes` in `target`. Values are checked with
/// [`refusal`] by the caller first; here they only travel on stdin.
#[must_use]
pub fn apply(
    target: &Target,
    upserts: &[(&str, &Secret)],
    deletes: &[&str],
    runner: &Runner,
    options: ApplyOptions,
) -> Vec<Outcome> {
    match &target.spec {
        TargetSpec::Wrangler {
            config,
            environment,
            worker,
        } => {
            let common =
                wrangler_flags(config.as_deref(), environment.as_deref(), worker.as_deref());
            apply_wrangler(&common, upserts, deletes, runner)
        }
        TargetSpec::SecretsStore { store_id } => {
            apply_secrets_store(store_id, upserts, deletes, runner)
        }
        TargetSpec::Fly { app } => apply_fly(app, upserts, deletes, runner, options),
        TargetSpec::Github { repo, environment } => {
            let mut common = Vec::new();
            push_flag(&mut common, "-R", repo.as_deref());
            push_flag(&mut common, "--env", environment.as_deref());
            apply_github(&common, upserts, deletes, runner)
        }
        TargetSpec::Env => {
            let result = Err("the process environment is not a sync target".to_owned());
            each(upserts.iter().map(|(n, _)| *n), Change::Set, &result)
        }
    }
}

fn apply_wrangler(
    common: &[OsString],
    upserts: &[(&str, &Secret)],
    deletes: &[&str],
    runner: &Runner,
) -> Vec<Outcome> {
    let mut outcomes = Vec::new();
    if !upserts.is_empty() {
        // A JSON object, not dotenv: wrangler 4.86 corrupts dotenv read from stdin.
        let body = json_object(upserts);
        let args = args_with(&["secret", "bulk"], common);
        let result = run_checked(runner, Tool::Wrangler, &args, Some(body.expose_bytes()));
        outcomes.extend(each(upserts.iter().map(|(n, _)| *n), Change::Set, &result));
    }
    for name in deletes {
        let args = args_with(&["secret", "delete", name], common);
        let result = run_checked(runner, Tool::Wrangler, &args, None);
        outcomes.extend(each([*name], Change::Deleted, &result));
    }
    outcomes
}

fn apply_secrets_store(
    store_id: &str,
    upserts: &[(&str, &Secret)],
    deletes: &[&str],
    runner: &Runner,
) -> Vec<Outcome> {
    let mut outcomes = Vec::new();
    let ids = match secrets_store_ids(runner, store_id) {
        Ok(ids) => ids,
        Err(err) => {
            let result = Err(err.to_string());
            outcomes.extend(each(upserts.iter().map(|(n, _)| *n), Change::Set, &result));
            outcomes.extend(each(deletes.iter().copied(), Change::Deleted, &result));
            return outcomes;
        }
    };
    for (name, value) in upserts {
        // Always --remote: without it wrangler writes the value in plain text under
        // .wrangler/state. The value goes on stdin, never --value.
        let args: Vec<OsString> = match ids.get(*name) {
            Some(id) => [
                "secrets-store",
                "secret",
                "update",
                store_id,
                "--secret-id",
                id,
                "--remote",
            ]
            .map(OsString::from)
            .to_vec(),
            None => [
                "secrets-store",
                "secret",
                "create",
                store_id,
                "--name",
                name,
                "--scopes",
                "workers",
                "--remote",
            ]
            .map(OsString::from)
            .to_vec(),
        };
        let result = run_checked(runner, Tool::Wrangler, &args, Some(value.expose_bytes()));
        outcomes.extend(each([*name], Change::Set, &result));
    }
    for name in deletes {
        let result = match ids.get(*name) {
            Some(id) => {
                let args = [
                    "secrets-store",
                    "secret",
                    "delete",
                    store_id,
                    "--secret-id",
                    id,
                    "--remote",
                ]
                .map(OsString::from);
                run_checked(runner, Tool::Wrangler, &args, None)
            }
            None => Ok(()),
        };
        outcomes.extend(each([*name], Change::Deleted, &result));
    }
    outcomes
}

fn apply_fly(
    app: &str,
    upserts: &[(&str, &Secret)],
    deletes: &[&str],
    runner: &Runner,
    options: ApplyOptions,
) -> Vec<Outcome> {
    let mut outcomes = Vec::new();
    if !upserts.is_empty() {
        let body = fly_import_body(upserts);
        let args = ["secrets", "import", "-a", app, "--stage"].map(OsString::from);
        let result = run_checked(runner, Tool::Fly, &args, Some(body.expose_bytes()));
        outcomes.extend(each(upserts.iter().map(|(n, _)| *n), Change::Set, &result));
    }
    for name in deletes {
        let args = ["secrets", "unset", name, "-a", app, "--stage"].map(OsString::from);
        let result = run_checked(runner, Tool::Fly, &args, None);
        outcomes.extend(each([*name], Change::Deleted, &result));
    }
    let staged_any = outcomes.iter().any(|o| o.error.is_none());
    if staged_any && !options.stage_only {
        let args = ["secrets", "deploy", "-a", app].map(OsString::from);
        if let Err(err) = run_checked(runner, Tool::Fly, &args, None) {
            for outcome in outcomes.iter_mut().filter(|o| o.error.is_none()) {
                outcome.error = Some(format!("staged, but the deploy failed: {err}"));
            }
        }
    }
    outcomes
}

/// Whether gh's dotenv reader reads `value` back byte for byte from the double-quoted
/// form [`github_dotenv`] writes. gh (`secret set -f`) parses with godotenv 1.5, which
/// ends a double-quoted value at the first `"` not preceded by a backslash and then trims
/// every `"` from both ends: a value ending in `\` would swallow the closing quote, one
/// ending in `"` would lose it. godotenv knows no `\t` escape (it reads `t`), and the
/// store's escaping writes a tab so; carriage returns are refused for every target.
/// gh builds still on godotenv 1.4 decide whether a `#` starts a comment by counting
/// quote characters between the `#`s of the line, which a value holding both `#` and a
/// quote can mislead: such a value goes alone too.
#[must_use]
pub fn github_dotenv_fits(value: &str) -> bool {
    let alone = value.ends_with('\\')
        || value.ends_with('"')
        || value.contains(['\r', '\t'])
        || (value.contains('#') && value.contains(['"', '\'']));
    !alone
}

/// The dotenv document for `gh secret set -f -`: `NAME="value"` lines escaped as the
/// store escapes its own values ([`push_dotenv_escaped`]: `\`, `"` and `$` behind a
/// backslash, a newline as `\n`), so the output's redactor already knows the form. For
/// a value [`github_dotenv_fits`] accepts, godotenv undoes exactly these inside double
/// quotes (`\n` to a newline, `\$` to `$` without expanding a variable, `\X` to `X`),
/// and nothing else there is special to it (`#`, `'`, spaces, Unicode). No value holds a
/// raw newline in the document, so godotenv's removal of every `---` + newline (a YAML
/// separator, removed even inside values: a PEM's `-----END …-----` line) never touches
/// one.
fn github_dotenv(entries: &[(&str, &Secret)]) -> SecretBuf {
    dotenv_lines(entries, "\"", push_dotenv_escaped)
}

fn apply_github(
    common: &[OsString],
    upserts: &[(&str, &Secret)],
    deletes: &[&str],
    runner: &Runner,
) -> Vec<Outcome> {
    let mut outcomes = Vec::new();
    // Every value that survives gh's dotenv reader in one `gh secret set -f -`: one key
    // fetch, the secrets set concurrently. gh's exit status does not say which of them
    // failed, so a failure marks them all failed (and none is recorded as sent).
    let (batch, single): (Vec<_>, Vec<_>) = upserts
        .iter()
        .copied()
        .partition(|(_, value)| github_dotenv_fits(value.expose()));
    if !batch.is_empty() {
        let body = github_dotenv(&batch);
        let args = args_with(&["secret", "set", "-f", "-"], common);
        let result = run_checked(runner, Tool::Gh, &args, Some(body.expose_bytes()));
        outcomes.extend(each(batch.iter().map(|(n, _)| *n), Change::Set, &result));
    }
    for (name, value) in single {
        // The value alone on stdin; gh trims only trailing newlines there, and none of
        // these values ends with one.
        let args = args_with(&["secret", "set", name], common);
        let result = run_checked(runner, Tool::Gh, &args, Some(value.expose_bytes()));
        outcomes.extend(each([name], Change::Set, &result));
    }
    for name in deletes {
        let args = args_with(&["secret", "delete", name], common);
        let result = run_checked(runner, Tool::Gh, &args, None);
        outcomes.extend(each([*name], Change::Deleted, &result));
    }
    outcomes
}

fn args_with(head: &[&str], tail: &[OsString]) -> Vec<OsString> {
    head.iter()
        .map(OsString::from)
        .chain(tail.iter().cloned())
        .collect()
}

fn each<'a>(
    names: impl IntoIterator<Item = &'a str>,
    action: Change,
    result: &Result<(), String>,
) -> Vec<Outcome> {
    names
        .into_iter()
        .map(|name| Outcome {
            name: name.to_owned(),
            action,
            error: result.as_ref().err().cloned(),
        })
        .collect()
}

/// Runs one child; `Err` holds a scrubbed, printable reason.
fn run_checked(
    runner: &Runner,
    tool: Tool,
    args: &[OsString],
    stdin: Option<&[u8]>,
) -> Result<(), String> {
    match runner.run(tool, args, stdin) {
        Ok(finished) if finished.status.success() => Ok(()),
        Ok(finished) => Err(TargetError::Failed {
            command: describe(tool, args),
            status: finished.status.to_string(),
            detail: finished.summary(),
        }
        .to_string()),
        Err(err) => Err(err.to_string()),
    }
}

/// A JSON object of names to values in a [`SecretBuf`] (`serde_json` would leave copies
/// behind). Sized for the values as they are; escapes grow it, wiping as it goes.
fn json_object(entries: &[(&str, &Secret)]) -> SecretBuf {
    // `"name":"value"` each, commas between, braces around.
    let size: usize = entries
        .iter()
        .map(|(name, value)| name.len() + value.len() + 5)
        .sum();
    let mut out = SecretBuf::with_capacity(size + entries.len().saturating_sub(1) + 2);
    out.push('{');
    for (index, (name, value)) in entries.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        push_json_string(&mut out, name);
        out.push(':');
        push_json_string(&mut out, value.expose());
    }
    out.push('}');
    out
}

fn push_json_string(out: &mut SecretBuf, text: &str) {
    use std::fmt::Write as _;
    out.push('"');
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `NAME="""value"""` lines for `fly secrets import` (triple quotes keep newlines), in
/// a [`SecretBuf`] of exactly their size.
fn fly_import_body(entries: &[(&str, &Secret)]) -> SecretBuf {
    dotenv_lines(entries, "\"\"\"", SecretBuf::push_str)
}

/// `NAME=<quote>value<quote>` lines, each value written by `write`, in a [`SecretBuf`]
/// sized for the values as they are (escapes grow it, wiping as it goes).
fn dotenv_lines(
    entries: &[(&str, &Secret)],
    quote: &str,
    write: impl Fn(&mut SecretBuf, &str),
) -> SecretBuf {
    let size = entries
        .iter()
        .map(|(name, value)| name.len() + value.len() + 2 * quote.len() + 2)
        .sum();
    let mut out = SecretBuf::with_capacity(size);
    for (name, value) in entries {
        out.push_str(name);
        out.push('=');
        out.push_str(quote);
        write(&mut out, value.expose());
        out.push_str(quote);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(kind: &str) -> TargetSpec {
        match kind {
            "wrangler" => TargetSpec::Wrangler {
                config: None,
                environment: None,
                worker: None,
            },
            "store" => TargetSpec::SecretsStore {
                store_id: "s".into(),
            },
            "fly" => TargetSpec::Fly { app: "a".into() },
            "github" => TargetSpec::Github {
                repo: None,
                environment: None,
            },
            _ => TargetSpec::Env,
        }
    }

    #[test]
    fn values_are_checked_per_target() {
        assert!(refusal(&spec("fly"), "").is_some_and(|r| r.contains("empty")));
        assert!(refusal(&spec("github"), "a\r\nb").is_some_and(|r| r.contains("carriage return")));
        assert!(refusal(&spec("wrangler"), " padded").is_some_and(|r| r.contains("whitespace")));
        assert_eq!(
            refusal(&spec("fly"), " padded"),
            None,
            "fly keeps whitespace"
        );
        assert!(
            refusal(&spec("store"), &"x".repeat(1025))
                .is_some_and(|r| r.contains("1024 characters"))
        );
        assert_eq!(
            refusal(&spec("store"), &"é".repeat(1024)),
            None,
            "characters, not bytes"
        );
        assert!(
            refusal(&spec("wrangler"), &"x".repeat(5121)).is_some_and(|r| r.contains("5120 bytes"))
        );
        assert!(refusal(&spec("github"), &"x".repeat(49_153)).is_some());
        assert!(refusal(&spec("fly"), &"x".repeat(65_537)).is_some());
        assert!(
            refusal(&spec("fly"), "a\"\"\"b")
                .is_some_and(|r| r.contains("triple") || r.contains("\"\"\""))
        );
        assert!(refusal(&spec("env"), "fine-value").is_some());
        assert_eq!(refusal(&spec("github"), "multi\nline is fine"), None);
        assert_eq!(refusal(&spec("github"), " padded, and gh keeps it "), None);
        assert!(refusal(&spec("github"), "tab\tthen newline\n").is_some_and(|r| r.contains("gh")));
    }

    type Parser = fn(&str) -> Result<std::collections::BTreeMap<String, String>, String>;

    /// Values that trip dotenv readers, each with a unique canary.
    const TRICKY: &[&str] = &[
        "canary-gh-quotes-01 \"double\" and 'single'",
        "canary-gh-dollar-02 $HOME ${HOME} $(id) $ \\$PATH",
        "canary-gh-backslash-03 \\n is not a newline, \\\\ two, \\x",
        "canary-gh-hash-04 # not a comment #",
        "-----BEGIN PRIVATE KEY-----\ncanary-gh-pem-05\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n",
        "canary-gh-unicode-06 ünïcødé ✓ 鍵 🔑",
        "  canary-gh-spaces-07 leading and trailing  ",
        "---\ncanary-gh-yaml-08\n---",
        "\"canary-gh-starts-with-quote-09",
        "canary-gh-equals-10 A=B: c",
    ];

    #[test]
    fn gh_reads_back_every_value_of_its_dotenv_document_byte_for_byte() {
        let secrets: Vec<Secret> = TRICKY
            .iter()
            .map(|v| Secret::new((*v).to_owned()))
            .collect();
        let names: Vec<String> = (0..secrets.len()).map(|i| format!("S_{i}")).collect();
        let entries: Vec<(&str, &Secret)> = names
            .iter()
            .map(String::as_str)
            .zip(secrets.iter())
            .collect();
        for (_, value) in &entries {
            assert!(github_dotenv_fits(value.expose()), "{:?}", value.expose());
        }
        let document = github_dotenv(&entries);
        assert!(
            document.expose().lines().count() == entries.len(),
            "one line each"
        );
        for parsed in [
            crate::godotenv::parse(document.expose()).expect("godotenv 1.5 parses it"),
            crate::godotenv::parse_v1_4(document.expose()).expect("godotenv 1.4 parses it"),
        ] {
            assert_eq!(parsed.len(), entries.len());
            for (name, value) in &entries {
                assert_eq!(parsed[*name], value.expose(), "{name}");
            }
        }
    }

    #[test]
    fn values_gh_would_change_are_the_ones_sent_alone() {
        for (value, parser) in [
            (
                "canary-gh-ends-quote-11\"",
                crate::godotenv::parse as Parser,
            ),
            ("canary-gh-ends-backslash-12\\", crate::godotenv::parse),
            ("canary-gh-tab-13\there", crate::godotenv::parse),
            ("canary-gh-tab-14\there", crate::godotenv::parse_v1_4),
            (
                "canary-gh-hash-15 a\"b # c # d",
                crate::godotenv::parse_v1_4,
            ),
        ] {
            assert!(!github_dotenv_fits(value));
            let secret = Secret::new(value.to_owned());
            let document = github_dotenv(&[("X", &secret)]);
            assert_ne!(
                parser(document.expose())
                    .ok()
                    .and_then(|m| m.get("X").cloned())
                    .as_deref(),
                Some(value),
                "the model agrees that it would not round-trip"
            );
        }
        // The model is godotenv's, not ours: what a plain dotenv would lose.
        let model = crate::godotenv::parse(
            "A=\"x $HOME y\"\nB='lit $HOME'\nC=plain # comment\nPEM=\"-----BEGIN-----\nz\"\n",
        )
        .expect("parses");
        assert_ne!(model["A"], "x $HOME y", "expanded");
        assert_eq!(model["B"], "lit $HOME");
        assert_eq!(model["C"], "plain");
        assert_eq!(
            model["PEM"], "-----BEGIN--\nz",
            "a raw newline after --- is eaten"
        );
    }

    #[test]
    fn bodies_are_well_formed() {
        let a = Secret::new("quote\" back\\ nl\n tab\t ctl\u{1}".to_owned());
        let b = Secret::new("plain".to_owned());
        let json = json_object(&[("A", &a), ("B", &b)]);
        let parsed: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
        let plain = json_object(&[("A", &b), ("B", &b)]);
        assert_eq!(plain.expose(), r#"{"A":"plain","B":"plain"}"#);
        assert_eq!(
            plain.capacity(),
            plain.len(),
            "sized for values without escapes"
        );
        assert_eq!(parsed["A"], a.expose());
        assert_eq!(parsed["B"], "plain");
        let fly = fly_import_body(&[("A", &b), ("M", &Secret::new("x\ny".to_owned()))]);
        assert_eq!(fly.expose(), "A=\"\"\"plain\"\"\"\nM=\"\"\"x\ny\"\"\"\n");
        assert_eq!(fly.capacity(), fly.len(), "exactly sized");
    }
}

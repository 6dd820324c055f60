//! Listing the secret names a target holds, with each CLI's documented list command.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;

use bulwark_config::{Target, TargetSpec};
use bulwark_secret::Secret;
use serde_json::Value;

use crate::TargetError;
use bulwark_process::{Finished, Runner, Tool, describe};

/// Secrets Store pages are read this many at a time (the API's largest page).
const STORE_PAGE_SIZE: usize = 100;

/// The names a target holds.
#[derive(Debug, Default)]
pub struct NameList {
    /// Every secret name.
    pub names: BTreeSet<String>,
    /// Values, only where the target shows them to us anyway (the process environment),
    /// so placeholders can be caught. Never requested from a remote target.
    pub visible_values: BTreeMap<String, Secret>,
}

impl NameList {
    /// A second copy (values in new zeroizing buffers).
    #[must_use]
    pub fn duplicate(&self) -> Self {
        Self {
            names: self.names.clone(),
            visible_values: self
                .visible_values
                .iter()
                .map(|(name, value)| (name.clone(), value.duplicate()))
                .collect(),
        }
    }
}

/// Lists the secret names `target` holds.
pub fn list_names(target: &Target, runner: &Runner) -> Result<NameList, TargetError> {
    match &target.spec {
        TargetSpec::Wrangler {
            config,
            environment,
            worker,
        } => {
            let mut args: Vec<OsString> = ["secret", "list", "--format", "json"]
                .map(OsString::from)
                .to_vec();
            args.extend(wrangler_flags(
                config.as_deref(),
                environment.as_deref(),
                worker.as_deref(),
            ));
            let finished = checked(runner, Tool::Wrangler, &args, |_| false)?;
            let items = json_array(&finished.stdout, &describe(Tool::Wrangler, &args))?;
            Ok(names_from(&items, &["name"]))
        }
        TargetSpec::SecretsStore { store_id } => list_secrets_store(runner, store_id),
        TargetSpec::Fly { app } => {
            let args = ["secrets", "list", "-a", app.as_str(), "--json"].map(OsString::from);
            let finished = checked(runner, Tool::Fly, &args, |_| false)?;
            let items = json_array(&finished.stdout, &describe(Tool::Fly, &args))?;
            Ok(names_from(&items, &["name", "Name"]))
        }
        TargetSpec::Github { repo, environment } => {
            list_github(runner, repo.as_deref(), environment.as_deref())
        }
        TargetSpec::Env => Ok(list_env()),
    }
}

/// `--env E --name W -c CONFIG`, each where set: how every wrangler command names its
/// worker.
pub(crate) fn wrangler_flags(
    config: Option<&std::path::Path>,
    environment: Option<&str>,
    worker: Option<&str>,
) -> Vec<OsString> {
    let mut args = Vec::new();
    push_flag(&mut args, "--env", environment);
    push_flag(&mut args, "--name", worker);
    if let Some(config) = config {
        args.push("-c".into());
        args.push(config.as_os_str().to_owned());
    }
    args
}

pub(crate) fn push_flag(args: &mut Vec<OsString>, flag: &str, value: Option<&str>) {
    if let Some(value) = value {
        args.push(flag.into());
        args.push(value.into());
    }
}

/// Runs the command; a non-zero exit is an error unless `tolerated` says the stderr
/// means something else (an empty list, say).
fn checked(
    runner: &Runner,
    tool: Tool,
    args: &[OsString],
    tolerated: impl Fn(&str) -> bool,
) -> Result<Finished, TargetError> {
    let finished = runner.run(tool, args, None)?;
    if finished.status.success() || tolerated(&finished.stderr) {
        return Ok(finished);
    }
    Err(failure(tool, args, &finished))
}

/// Classifies a failed run: not logged in, or some other failure.
fn failure(tool: Tool, args: &[OsString], finished: &Finished) -> TargetError {
    let command = describe(tool, args);
    let detail = finished.summary();
    let lower = finished.stderr.to_lowercase();
    let unauthenticated = [
        "not authenticated",
        "not logged in",
        "authentication error",
        "auth login",
        "wrangler login",
        "no access token",
        "unauthorized",
        "invalid api token",
        "bad credentials",
    ]
    .iter()
    .any(|needle| lower.contains(needle));
    if unauthenticated {
        TargetError::Unauthenticated {
            command,
            detail,
            tool,
        }
    } else {
        TargetError::Failed {
            command,
            status: finished.status.to_string(),
            detail,
        }
    }
}

/// The first JSON array in `stdout`: CLIs may print a banner line before it.
fn json_array(stdout: &[u8], command: &str) -> Result<Vec<Value>, TargetError> {
    let text = String::from_utf8_lossy(stdout);
    let start = text.find('[').ok_or_else(|| TargetError::BadOutput {
        command: command.to_owned(),
        detail: "expected a JSON array of secrets".to_owned(),
    })?;
    let mut stream = serde_json::Deserializer::from_str(&text[start..]).into_iter::<Vec<Value>>();
    match stream.next() {
        Some(Ok(items)) => Ok(items),
        Some(Err(err)) => Err(TargetError::BadOutput {
            command: command.to_owned(),
            detail: format!(
                "invalid JSON at line {}, column {}",
                err.line(),
                err.column()
            ),
        }),
        None => Err(TargetError::BadOutput {
            command: command.to_owned(),
            detail: "expected a JSON array of secrets".to_owned(),
        }),
    }
}

/// Names from a JSON array of objects, under the first of `keys` present.
fn names_from(items: &[Value], keys: &[&str]) -> NameList {
    let names = items
        .iter()
        .filter_map(|item| {
            keys.iter()
                .find_map(|key| item.get(key).and_then(Value::as_str))
                .map(str::to_owned)
        })
        .collect();
    NameList {
        names,
        visible_values: BTreeMap::new(),
    }
}

fn list_secrets_store(runner: &Runner, store_id: &str) -> Result<NameList, TargetError> {
    Ok(NameList {
        names: secrets_store_ids(runner, store_id)?.into_keys().collect(),
        visible_values: BTreeMap::new(),
    })
}

/// Every secret of a Secrets Store, name to id, page by page.
pub(crate) fn secrets_store_ids(
    runner: &Runner,
    store_id: &str,
) -> Result<BTreeMap<String, String>, TargetError> {
    let mut ids = BTreeMap::new();
    for page in 1..=1000usize {
        let args = [
            "secrets-store".to_owned(),
            "secret".to_owned(),
            "list".to_owned(),
            store_id.to_owned(),
            "--remote".to_owned(),
            "--per-page".to_owned(),
            STORE_PAGE_SIZE.to_string(),
            "--page".to_owned(),
            page.to_string(),
        ]
        .map(OsString::from);
        // wrangler exits 1 with "List request returned no secrets." past the last page
        // and for an empty store: that is an answer, not a failure.
        let empty = |stderr: &str| stderr.to_lowercase().contains("no secrets");
        let finished = checked(runner, Tool::Wrangler, &args, empty)?;
        if !finished.status.success() {
            break;
        }
        let text = String::from_utf8_lossy(&finished.stdout);
        let bad = || TargetError::BadOutput {
            command: describe(Tool::Wrangler, &args),
            detail: "expected a table with `Name` and `ID` columns".to_owned(),
        };
        let names = parse_table(&text, "Name").ok_or_else(bad)?;
        let secret_ids = parse_table(&text, "ID").ok_or_else(bad)?;
        if names.len() != secret_ids.len() {
            return Err(bad());
        }
        let count = names.len();
        ids.extend(
            names
                .into_iter()
                .zip(secret_ids)
                .filter(|(name, _)| !name.is_empty()),
        );
        if count < STORE_PAGE_SIZE {
            break;
        }
    }
    Ok(ids)
}

/// The cells of column `column` in a box-drawn table (`│ Name │ ID │ …`), below its
/// header row, one per row (empty cells kept, so columns stay aligned). `None` when
/// there is no such table.
fn parse_table(text: &str, column: &str) -> Option<Vec<String>> {
    let mut rows = text
        .lines()
        .map(str::trim)
        .filter(|line| line.starts_with('│'))
        .map(|line| {
            line.trim_matches('│')
                .split('│')
                .map(|cell| cell.trim().to_owned())
                .collect::<Vec<_>>()
        });
    let header = rows.next()?;
    let index = header.iter().position(|cell| cell == column)?;
    Some(
        rows.map(|cells| cells.get(index).cloned().unwrap_or_default())
            .collect(),
    )
}

fn list_github(
    runner: &Runner,
    repo: Option<&str>,
    environment: Option<&str>,
) -> Result<NameList, TargetError> {
    let mut args: Vec<OsString> = ["secret", "list", "--json", "name"]
        .map(OsString::from)
        .to_vec();
    push_flag(&mut args, "--env", environment);
    push_flag(&mut args, "-R", repo);
    let finished = runner.run(Tool::Gh, &args, None)?;
    if finished.status.success() {
        let items = json_array(&finished.stdout, &describe(Tool::Gh, &args))?;
        return Ok(names_from(&items, &["name"]));
    }
    if !finished.stderr.contains("unknown flag: --json") {
        return Err(failure(Tool::Gh, &args, &finished));
    }
    // gh before 2.31 has no --json on `secret list`: ask the REST API for names.
    let repo_path = repo.unwrap_or("{owner}/{repo}");
    let endpoint = match environment {
        Some(env) => format!("repos/{repo_path}/environments/{env}/secrets"),
        None => format!("repos/{repo_path}/actions/secrets"),
    };
    let api_args = [
        "api".to_owned(),
        "--paginate".to_owned(),
        endpoint,
        "--jq".to_owned(),
        ".secrets[].name".to_owned(),
    ]
    .map(OsString::from);
    let finished = checked(runner, Tool::Gh, &api_args, |_| false)?;
    let names = String::from_utf8_lossy(&finished.stdout)
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect();
    Ok(NameList {
        names,
        visible_values: BTreeMap::new(),
    })
}

/// The process environment: names, and values kept (zeroizing) for the placeholder check.
fn list_env() -> NameList {
    let mut list = NameList::default();
    for (name, value) in std::env::vars_os() {
        let (Ok(name), Ok(value)) = (name.into_string(), value.into_string()) else {
            continue;
        };
        list.names.insert(name.clone());
        list.visible_values.insert(name, Secret::new(value));
    }
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_store_table_is_read_by_its_header() {
        let table = "\n ⛅️ wrangler 4.86.0\n🔐 Listing secrets... (store-id: abc, page: 1, per-page: 100)\n┌────────────┬──────┐\n│ Name       │ ID   │\n├────────────┼──────┤\n│ API_TOKEN  │ e19d │\n│ DB_URL     │ 77aa │\n└────────────┴──────┘\n";
        assert_eq!(
            parse_table(table, "Name").expect("a table"),
            ["API_TOKEN", "DB_URL"]
        );
        assert_eq!(parse_table(table, "ID").expect("a table"), ["e19d", "77aa"]);
        assert!(parse_table("no table here", "Name").is_none());
    }

    #[test]
    fn json_arrays_after_a_banner_are_found() {
        let out = b" \xe2\x9b\x85 wrangler 4.86.0\n[{\"name\":\"A\",\"type\":\"secret_text\"},{\"name\":\"B\",\"type\":\"secret_text\"}]\n";
        let items = json_array(out, "wrangler secret list").expect("an array");
        let list = names_from(&items, &["name"]);
        assert_eq!(list.names.into_iter().collect::<Vec<_>>(), ["A", "B"]);
        let err = json_array(b"oops", "wrangler secret list").expect_err("no array");
        assert!(err.to_string().contains("expected a JSON array"), "{err}");
    }

    #[test]
    fn fly_names_are_read_in_either_case() {
        let items: Vec<Value> =
            serde_json::from_str(r#"[{"Name":"OLD","Digest":"1"},{"name":"NEW","digest":"2"}]"#)
                .expect("valid json");
        let list = names_from(&items, &["name", "Name"]);
        assert_eq!(list.names.into_iter().collect::<Vec<_>>(), ["NEW", "OLD"]);
    }
}

//! docs/ci/github-actions.yml is parsed, and every Bulwark command line in its `run`
//! steps is checked against the binary's own argument parser, so the documented workflow
//! cannot drift from the real flags.

use bulwark_cli::{
    db_backup, deploy_lint, leak_scan, migrate_dryrun, secrets_sync, secrets_verify,
};
use clap::Parser as _;
use yaml_rust2::{Yaml, YamlLoader};

const WORKFLOW: &str = include_str!("../docs/ci/github-actions.yml");
pub(crate) const TOOLS: [&str; 6] = [
    "deploy-lint",
    "secrets-verify",
    "secrets-sync",
    "leak-scan",
    "migrate-dryrun",
    "db-backup",
];

/// Every `run:` script in the workflow, with the job it belongs to.
fn run_scripts(doc: &Yaml) -> Vec<(String, String)> {
    let mut scripts = Vec::new();
    let jobs = doc["jobs"].as_hash().expect("the workflow has jobs");
    for (name, job) in jobs {
        let name = name.as_str().expect("job names are strings").to_owned();
        for step in job["steps"].as_vec().expect("every job has steps") {
            if let Some(run) = step["run"].as_str() {
                scripts.push((name.clone(), run.to_owned()));
            }
        }
    }
    scripts
}

/// The Bulwark command lines in a shell script: each command of each line that starts
/// with a tool's name, `${{ … }}` expressions replaced by a word, comments and
/// redirections removed. Lines ending in `\` continue on the next one.
pub(crate) fn tool_commands(script: &str) -> Vec<Vec<String>> {
    let mut commands = Vec::new();
    for line in script.replace("\\\n", " ").lines() {
        let mut line = strip_comment(line).to_owned();
        // `${{ … }}` in a workflow, `{{ … }}` in a justfile.
        while let Some(start) = line.find("{{") {
            let start = if line[..start].ends_with('$') {
                start - 1
            } else {
                start
            };
            let end = line[start..]
                .find("}}")
                .map_or(line.len(), |e| start + e + 2);
            line.replace_range(start..end, "EXPR");
        }
        for part in line.split(&['|', ';'][..]).flat_map(|p| p.split("&&")) {
            let words = shlex::split(part.trim()).expect("the shell quoting is valid");
            // A tool named by its path (`/usr/local/bin/db-backup`) counts too.
            let Some(tool) = words
                .first()
                .map(|first| first.rsplit('/').next().unwrap_or(first))
                .and_then(|name| TOOLS.iter().find(|tool| **tool == name))
            else {
                continue;
            };
            let mut args = vec![(*tool).to_owned()];
            let mut skip_next = false;
            for word in words.into_iter().skip(1) {
                let redirection = word.trim_start_matches(|c: char| c.is_ascii_digit());
                if skip_next {
                    skip_next = false;
                } else if matches!(redirection, ">" | ">>" | "<") {
                    skip_next = true;
                } else if !redirection.starts_with(['>', '<']) {
                    args.push(word);
                }
            }
            commands.push(args);
        }
    }
    commands
}

/// `line` without its shell comment: from a `#` that starts a word outside quotes.
fn strip_comment(line: &str) -> &str {
    let mut quote = None;
    let mut previous = ' ';
    for (at, c) in line.char_indices() {
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            (None, '#') if previous.is_whitespace() => return &line[..at],
            _ => {}
        }
        previous = c;
    }
    line
}

/// `args` (a tool's name, then its arguments) parsed by that tool's real clap types.
pub(crate) fn parse_tool_command(args: &[String]) -> Result<(), clap::Error> {
    match args[0].as_str() {
        "deploy-lint" => deploy_lint::Cli::try_parse_from(args).map(drop),
        "secrets-verify" => secrets_verify::Cli::try_parse_from(args).map(drop),
        "secrets-sync" => secrets_sync::Cli::try_parse_from(args).map(drop),
        "leak-scan" => leak_scan::Cli::try_parse_from(args).map(drop),
        "migrate-dryrun" => migrate_dryrun::Cli::try_parse_from(args).map(drop),
        "db-backup" => db_backup::Cli::try_parse_from(args).map(drop),
        other => unreachable!("{other} is not a tool"),
    }
}

#[test]
fn every_bulwark_command_in_the_workflow_parses_with_the_real_flags() {
    let docs = YamlLoader::load_from_str(WORKFLOW).expect("docs/ci/github-actions.yml is YAML");
    let doc = &docs[0];
    assert!(
        !doc["on"]["pull_request"].is_badvalue(),
        "runs on pull requests"
    );
    let mut seen = Vec::new();
    for (job, script) in run_scripts(doc) {
        for args in tool_commands(&script) {
            if let Err(err) = parse_tool_command(&args) {
                panic!("job `{job}`: `{}` does not parse:\n{err}", args.join(" "));
            }
            seen.push((job.clone(), args));
        }
    }
    for (job, tool) in [
        ("deploy-lint", "deploy-lint"),
        ("secrets-verify", "secrets-verify"),
        ("leak-scan", "leak-scan"),
        ("migrate-dryrun", "migrate-dryrun"),
    ] {
        assert!(
            seen.iter().any(|(j, args)| j == job && args[0] == tool),
            "job `{job}` should run {tool}: {seen:?}"
        );
    }
    // The SARIF leak-scan writes is the file code scanning uploads.
    let leak_scan = seen.iter().filter(|(_, a)| a[0] == "leak-scan");
    for (_, args) in leak_scan {
        assert!(
            args.windows(2).any(|w| w == ["--format", "sarif"]),
            "{args:?}"
        );
        assert!(
            args.windows(2)
                .any(|w| w == ["--report", "leak-scan.sarif"]),
            "{args:?}"
        );
    }
    assert!(WORKFLOW.contains("sarif_file: leak-scan.sarif"));
    // And the migrate job only runs on pull requests (not from forks: no secrets there)
    // that touch migrations/.
    assert_eq!(
        doc["jobs"]["migrate-dryrun"]["if"].as_str(),
        Some(
            "github.event_name == 'pull_request' && github.event.pull_request.head.repo.full_name == github.repository"
        )
    );
    assert!(WORKFLOW.contains("-- migrations/"));
}

/// The example installs Bulwark with the action (no `cargo install`), each job with the
/// tool it runs; every job states its own permissions, the SARIF upload has the ones it
/// needs on private repositories, and no action is pinned to a Node 20 major.
#[test]
fn the_workflow_installs_with_the_action_and_least_privilege() {
    let docs = YamlLoader::load_from_str(WORKFLOW).expect("docs/ci/github-actions.yml is YAML");
    let doc = &docs[0];
    assert!(!WORKFLOW.contains("cargo install"), "no build in CI");
    for (name, job) in doc["jobs"].as_hash().expect("jobs") {
        let name = name.as_str().expect("job name");
        assert!(
            job["permissions"].as_hash().is_some(),
            "job `{name}` states its permissions"
        );
        let steps = job["steps"].as_vec().expect("steps");
        let install = steps
            .iter()
            .find(|s| s["uses"].as_str() == Some("your-org/bulwark@v1"))
            .unwrap_or_else(|| panic!("job `{name}` installs Bulwark with the action"));
        assert_eq!(
            install["with"]["tools"].as_str(),
            Some(name),
            "job `{name}`"
        );
        for step in steps {
            let Some(uses) = step["uses"].as_str() else {
                continue;
            };
            for old in [
                "actions/checkout@v4",
                "actions/upload-artifact@v4",
                "github/codeql-action/upload-sarif@v3",
            ] {
                assert_ne!(uses, old, "job `{name}` uses a Node 20 major");
            }
        }
    }
    let leak = &doc["jobs"]["leak-scan"]["permissions"];
    assert_eq!(leak["security-events"].as_str(), Some("write"));
    assert_eq!(leak["actions"].as_str(), Some("read"));
    // Fork pull requests: the jobs with secrets are skipped, the SARIF is kept instead of
    // uploaded.
    let fork_check = "github.event.pull_request.head.repo.full_name == github.repository";
    for job in ["secrets-verify", "migrate-dryrun"] {
        assert!(
            doc["jobs"][job]["if"]
                .as_str()
                .is_some_and(|c| c.contains(fork_check)),
            "job `{job}` is skipped on fork pull requests"
        );
    }
    let upload = doc["jobs"]["leak-scan"]["steps"]
        .as_vec()
        .expect("steps")
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("github/codeql-action/upload-sarif@"))
        })
        .expect("leak-scan uploads SARIF");
    assert!(
        upload["if"]
            .as_str()
            .is_some_and(|c| c.contains("env.FORK_PR != 'true'")),
        "no SARIF upload from fork pull requests"
    );
}

#[test]
fn a_wrong_flag_in_a_workflow_line_is_caught() {
    let args = &tool_commands("secrets-verify --env production --formatt json > out.json")[0];
    assert!(secrets_verify::Cli::try_parse_from(args).is_err());
    let ok =
        &tool_commands("migrate-dryrun --env production --export-remote --format json > x.json")[0];
    assert_eq!(
        ok.last().map(String::as_str),
        Some("json"),
        "the redirection is removed"
    );
    assert!(migrate_dryrun::Cli::try_parse_from(ok).is_ok());
}

#[test]
fn the_pre_commit_hook_runs_leak_scan_staged() {
    let hooks = YamlLoader::load_from_str(include_str!("../.pre-commit-hooks.yaml"))
        .expect(".pre-commit-hooks.yaml is YAML");
    let hook = &hooks[0][0];
    assert_eq!(hook["id"].as_str(), Some("leak-scan"));
    assert_eq!(
        hook["pass_filenames"].as_bool(),
        Some(false),
        "it scans the index, not file names"
    );
    let entry = shlex::split(hook["entry"].as_str().expect("an entry")).expect("valid quoting");
    let cli = leak_scan::Cli::try_parse_from(&entry).expect("the entry parses");
    assert!(
        format!("{:?}", cli.command).starts_with("Staged"),
        "{entry:?}"
    );
}

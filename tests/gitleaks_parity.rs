//! leak-scan as a gitleaks drop-in: with gitleaks' own default config (v8.30.1, from
//! `../shared/fixtures` beside the repository), `leak-scan --format gitleaks-json` gives
//! the report the real gitleaks (`tests/setup.sh` installs it from the Python package
//! index) gives on the same repository, field for field: the same findings, in the same schema and key order,
//! with the same lines, columns, redaction, entropy, dates and fingerprints.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const LEAK_SCAN: &str = env!("CARGO_BIN_EXE_leak-scan");

/// gitleaks' default config beside the repository; under `CI=true` it must be there.
fn default_config() -> Option<PathBuf> {
    bulwark_test_support::shared_fixture("gitleaks-v8.30.1.toml")
}

fn run(command: &mut Command) -> Output {
    command
        .env_remove("GITLEAKS_CONFIG")
        .env_remove("GITLEAKS_CONFIG_TOML")
        .env("NO_COLOR", "1")
        .output()
        .unwrap_or_else(|err| panic!("{command:?} runs: {err}"))
}

fn git(dir: &Path, args: &[&str], date: &str) {
    let output = run(Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Dana Dev")
        .env("GIT_AUTHOR_EMAIL", "dana@example.com")
        .env("GIT_COMMITTER_NAME", "Cy Committer")
        .env("GIT_COMMITTER_EMAIL", "cy@example.com")
        .env("GIT_AUTHOR_DATE", date)
        // The committer date differs: gitleaks reports the author's, in UTC.
        .env("GIT_COMMITTER_DATE", "2025-01-01T00:00:00+00:00"));
    assert!(output.status.success(), "git {args:?}: {output:?}");
}

/// Canary tokens in formats the default config knows, made up at run time (so that no
/// secret-shaped literal sits in this file) from a fixed seed (so that every run scans the
/// same history).
struct Canaries {
    aws: String,
    github: String,
    github_2: String,
    slack: String,
    generic: String,
    generic_2: String,
    generic_3: String,
    key_body: String,
}

impl Canaries {
    fn new() -> Self {
        let mut state: u64 = 0x0917_9e11_ea45_2026;
        let mut text = |alphabet: &str, len: usize| -> String {
            let alphabet = alphabet.as_bytes();
            (0..len)
                .map(|_| {
                    state = state
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1_442_695_040_888_963_407);
                    let index = usize::try_from(state >> 33).expect("31 bits") % alphabet.len();
                    char::from(alphabet[index])
                })
                .collect()
        };
        let upper32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        let alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        let hex = "0123456789abcdef";
        let digits = "0123456789";
        let base64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/";
        Self {
            aws: ["AK", "IA", &text(upper32, 16)].concat(),
            github: ["gh", "p_", &text(alnum, 36)].concat(),
            github_2: ["gh", "p_", &text(alnum, 36)].concat(),
            slack: [
                "xo",
                "xb-",
                &text(digits, 12),
                "-",
                &text(digits, 13),
                "-",
                &text(alnum, 24),
            ]
            .concat(),
            generic: text(hex, 32),
            generic_2: text(alnum, 32),
            generic_3: text(base64, 40),
            key_body: text(base64, 64),
        }
    }

    fn all(&self) -> [&str; 8] {
        [
            &self.aws,
            &self.github,
            &self.github_2,
            &self.slack,
            &self.generic,
            &self.generic_2,
            &self.generic_3,
            &self.key_body,
        ]
    }
}

/// A history that exercises what gitleaks' report depends on: new files, a secret on the
/// first and on later lines of a file, edits whose added lines start a diff hunk mid-file
/// and run over several lines, a multi-line match, a match that ends at a newline, a
/// generic and a specific rule on one line, a secret deleted again, a branch, and author
/// dates in several offsets.
fn history(dir: &Path, canaries: &Canaries) {
    let Canaries {
        aws,
        github,
        github_2,
        slack,
        generic,
        generic_2,
        generic_3,
        key_body,
    } = canaries;
    let (begin, end) = (
        ["-----BEGIN RSA ", "PRIVATE KEY-----"].concat(),
        ["-----END RSA ", "PRIVATE KEY-----"].concat(),
    );
    git(
        dir,
        &["init", "-q", "-b", "main"],
        "2024-01-01T00:00:00+00:00",
    );
    let write = |name: &str, text: &str| std::fs::write(dir.join(name), text).expect("write");
    write(
        "config.env",
        &format!(
            "AWS_ACCESS_KEY_ID={aws}\naws_secret_access_key = \"{generic_3}\"\n\
             GITHUB_TOKEN={github}\nSLACK={slack}\nplain = 1\n"
        ),
    );
    git(dir, &["add", "."], "2024-03-01T10:00:00+01:00");
    git(
        dir,
        &["commit", "-qm", "add config"],
        "2024-03-01T10:00:00+01:00",
    );

    write(
        "app.py",
        &format!(
            "import os\napi_key = \"{generic}\"\nname = \"x\"\nclient_secret = '{generic_2}'\n"
        ),
    );
    write("id_rsa", &format!("{begin}\n{key_body}\n{end}\n"));
    git(dir, &["add", "."], "2024-03-02T11:30:00-05:00");
    git(
        dir,
        &["commit", "-qm", "app and key\n\nwith a body"],
        "2024-03-02T11:30:00-05:00",
    );

    // Two hunks: one of two lines in the middle, one at the end.
    write(
        "config.env",
        &format!(
            "AWS_ACCESS_KEY_ID={aws}\naws_secret_access_key = \"{generic_3}\"\n\
             export OTHER=1\nGH2={github_2}\nGITHUB_TOKEN={github}\nSLACK={slack}\nplain = 1\n\
             NEW_TOKEN={github}98\n"
        ),
    );
    git(dir, &["add", "."], "2024-04-01T10:00:00+02:00");
    git(dir, &["commit", "-qm", "more"], "2024-04-01T10:00:00+02:00");

    std::fs::remove_file(dir.join("id_rsa")).expect("rm");
    git(dir, &["add", "-A"], "2024-04-02T10:00:00+00:00");
    git(
        dir,
        &["commit", "-qm", "drop the key"],
        "2024-04-02T10:00:00+00:00",
    );

    git(
        dir,
        &["checkout", "-qb", "side"],
        "2024-04-03T10:00:00+00:00",
    );
    write("side.txt", &format!("one\ntwo\nslack: {slack}x\n"));
    git(dir, &["add", "."], "2024-04-03T10:00:00+09:30");
    git(dir, &["commit", "-qm", "side"], "2024-04-03T10:00:00+09:30");
    git(
        dir,
        &["checkout", "-q", "main"],
        "2024-04-03T10:00:00+00:00",
    );
}

/// gitleaks' report, or a failure that says how to install gitleaks.
fn gitleaks(args: &[&str], dir: &Path, config: &Path) -> (Vec<Value>, String) {
    let report = dir.join("../gitleaks.json");
    let output = run(Command::new("gitleaks")
        .args(args)
        .arg("--config")
        .arg(config)
        .args([
            "--redact",
            "--no-banner",
            "--report-format",
            "json",
            "--report-path",
        ])
        .arg(&report)
        .arg(".")
        .current_dir(dir));
    assert_eq!(
        output.status.code(),
        Some(1),
        "gitleaks (run `eval \"$(bash tests/setup.sh)\"` to install it): {output:?}"
    );
    let text = std::fs::read_to_string(&report).expect("gitleaks wrote its report");
    (
        serde_json::from_str(&text).expect("gitleaks' report is JSON"),
        text,
    )
}

fn leak_scan(args: &[&str], dir: &Path, config: &Path) -> (Vec<Value>, String) {
    let output = run(Command::new(LEAK_SCAN)
        .args(args)
        .arg("--config")
        .arg(config)
        .args(["--format", "gitleaks-json", "."])
        .current_dir(dir));
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stdout = String::from_utf8(output.stdout).expect("UTF-8");
    let report = serde_json::from_str(&stdout).expect("leak-scan's report is JSON");
    (report, stdout + &String::from_utf8_lossy(&output.stderr))
}

/// The findings in one order (gitleaks writes them in the order its workers finish).
fn sorted(mut findings: Vec<Value>) -> Vec<Value> {
    let key = |f: &Value| {
        ["Commit", "File", "StartLine", "StartColumn", "RuleID"].map(|field| f[field].to_string())
    };
    findings.sort_by_key(key);
    findings
}

fn assert_same(ours: Vec<Value>, theirs: Vec<Value>, what: &str) {
    assert!(theirs.len() >= 8, "{what}: gitleaks found only {theirs:#?}");
    let (ours, theirs) = (sorted(ours), sorted(theirs));
    let only = |a: &[Value], b: &[Value]| -> Vec<Value> {
        a.iter().filter(|f| !b.contains(f)).cloned().collect()
    };
    assert_eq!(
        (only(&ours, &theirs), only(&theirs, &ours)),
        (Vec::new(), Vec::new()),
        "{what}: findings only leak-scan (left) or only gitleaks (right) reports"
    );
    assert_eq!(ours.len(), theirs.len(), "{what}: duplicates");
}

/// The field names of a report's first finding, in the order the text has them.
fn field_order(text: &str) -> Vec<&str> {
    text.lines()
        .take_while(|line| *line != " },")
        .filter_map(|line| line.strip_prefix("  \""))
        .filter_map(|line| line.split_once('"').map(|(name, _)| name))
        .collect()
}

#[test]
fn gitleaks_json_of_the_default_config_matches_gitleaks_on_the_same_repository() {
    let Some(config) = default_config() else {
        return;
    };
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path().join("repo");
    std::fs::create_dir(&dir).expect("mkdir");
    let canaries = Canaries::new();
    history(&dir, &canaries);

    let (theirs, their_text) = gitleaks(&["git"], &dir, &config);
    let (ours, text) = leak_scan(&["git"], &dir, &config);
    for canary in canaries.all() {
        assert!(!text.contains(canary), "a redacted report shows a secret");
    }
    assert_eq!(field_order(&text), field_order(&their_text));
    assert_eq!(field_order(&text).len(), 18, "{text}");
    assert_same(ours, theirs, "git history");

    let (theirs, _) = gitleaks(&["dir"], &dir, &config);
    let (ours, _) = leak_scan(&["dir"], &dir, &config);
    assert_same(ours, theirs, "directory");
}

#[test]
fn an_empty_gitleaks_json_report_is_an_empty_array() {
    let temp = tempfile::tempdir().expect("temp dir");
    std::fs::write(temp.path().join("a.txt"), "nothing here\n").expect("write");
    let output = run(Command::new(LEAK_SCAN)
        .args(["dir", "--format", "gitleaks-json", "."])
        .current_dir(temp.path()));
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_eq!(String::from_utf8_lossy(&output.stdout), "[]\n");
}

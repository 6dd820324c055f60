//! `secrets-sync audit`, `rotate-value`, `names --long` and the apply log, end to end:
//! real age keys and stores, real git repositories, the recording stand-ins for the
//! targets. Every value is a canary that must appear in no output, state file, log,
//! argv or leftover file.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::runbook::git;

const BIN: &str = env!("CARGO_BIN_EXE_secrets-sync");
const STANDINS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/standins/bin");

/// A project with two environments, each with its own age key and store.
struct Project {
    root: tempfile::TempDir,
    tmp: tempfile::TempDir,
    /// Every value stored, to look for afterwards.
    canaries: Vec<String>,
}

impl Project {
    fn new(extra_config: &str) -> Self {
        let root = tempfile::tempdir().expect("temp dir");
        let dir = root.path();
        std::fs::create_dir_all(dir.join("secrets")).expect("mkdir");
        std::fs::create_dir_all(dir.join("standin")).expect("mkdir");
        let mut recipients = Vec::new();
        for env in ["production", "staging"] {
            let key = dir.join(format!("{env}.key"));
            let out = Command::new("age-keygen")
                .arg("-o")
                .arg(&key)
                .output()
                .expect("age-keygen is installed (tests/setup.sh)");
            assert!(out.status.success());
            let public = Command::new("age-keygen")
                .arg("-y")
                .arg(&key)
                .output()
                .expect("age-keygen -y");
            recipients.push(
                String::from_utf8(public.stdout)
                    .expect("utf-8")
                    .trim()
                    .to_owned(),
            );
        }
        let config = format!(
            "default_env = \"production\"\n\
             [env.production]\nstore = \"secrets/production.env.age\"\nrecipients = [\"{}\"]\n\
             required = [\"SESSION_SECRET\", \"MISSING_*\"]\n\
             [[env.production.targets]]\nkind = \"fly\"\napp = \"demo\"\n\
             [env.staging]\nstore = \"secrets/staging.env.age\"\nrecipients = [\"{}\"]\n\
             {extra_config}",
            recipients[0], recipients[1]
        );
        std::fs::write(dir.join("bulwark.toml"), config).expect("config");
        std::fs::write(dir.join("standin/fly-demo.json"), "[]").expect("fly list");
        Self {
            root,
            tmp: tempfile::tempdir().expect("temp dir"),
            canaries: Vec::new(),
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.path().join(rel)
    }

    fn command(&self, env: &str, args: &[&str]) -> Command {
        let mut command = Command::new(BIN);
        command.args(args);
        if env.is_empty() {
            command.env_remove("BULWARK_AGE_IDENTITY");
        } else {
            command
                .arg("--env")
                .arg(env)
                .env("BULWARK_AGE_IDENTITY", self.key(env));
        }
        command
            .current_dir(self.root.path())
            .env("TMPDIR", self.tmp.path())
            .env("NO_COLOR", "1")
            .env_remove("GITHUB_ACTOR")
            .env_remove("GITHUB_ACTIONS")
            .env(
                "PATH",
                format!("{STANDINS}:{}", std::env::var("PATH").unwrap_or_default()),
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }

    fn key(&self, env: &str) -> String {
        std::fs::read_to_string(self.path(&format!("{env}.key"))).expect("key")
    }

    fn run_in(&self, mut command: Command, stdin: &str) -> Output {
        let mut child = command.spawn().expect("secrets-sync runs");
        std::io::Write::write_all(&mut child.stdin.take().expect("piped"), stdin.as_bytes())
            .expect("stdin written");
        let out = child.wait_with_output().expect("finishes");
        self.assert_clean(&out);
        out
    }

    fn run(&self, env: &str, args: &[&str]) -> Output {
        self.run_in(self.command(env, args), "")
    }

    fn set(&mut self, env: &str, name: &str, value: &str) {
        self.canaries.push(value.to_owned());
        let out = self.run_in(self.command(env, &["set", name]), value);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Writes the standin's canaries file: it refuses any argv that holds one.
    fn arm_standins(&self) {
        std::fs::write(
            self.path("standin/canaries"),
            self.canaries.join("\n") + "\n",
        )
        .expect("canaries");
    }

    /// No canary in `out`, nor in any file of the project but the stores themselves
    /// and what the stand-ins recorded from their stdin; TMPDIR empty.
    fn assert_clean(&self, out: &Output) {
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        for canary in &self.canaries {
            assert!(
                !text.contains(canary.as_str()),
                "a value was printed:\n{text}"
            );
        }
        for file in walk(self.root.path()) {
            let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name.starts_with("stdin-") || name == "canaries" {
                continue;
            }
            let bytes = std::fs::read(&file).expect("readable");
            let content = String::from_utf8_lossy(&bytes);
            for canary in &self.canaries {
                assert!(
                    !content.contains(canary.as_str()),
                    "a value was written to {}",
                    file.display()
                );
            }
        }
        let left: Vec<_> = std::fs::read_dir(self.tmp.path()).expect("tmp").collect();
        assert!(left.is_empty(), "files left in TMPDIR: {left:?}");
    }
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|err| {
        panic!(
            "not JSON ({err}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

impl Project {
    /// Moves the recorded change time of `name` in `env` back by `days`.
    fn age_value(&self, env: &str, name: &str, days: i64) {
        let path = self.path(&format!("secrets/{env}.env.age.state.json"));
        let mut state: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("state")).expect("json");
        let at = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24 * days);
        state["changed"][name]["at"] = serde_json::Value::String(at.to_string());
        std::fs::write(&path, state.to_string()).expect("write state");
    }

    fn decrypt(&self, env: &str) -> String {
        let out = Command::new("age")
            .args(["-d", "-i"])
            .arg(self.path(&format!("{env}.key")))
            .arg(self.path(&format!("secrets/{env}.env.age")))
            .output()
            .expect("the age CLI is installed");
        assert!(out.status.success());
        String::from_utf8(out.stdout).expect("utf-8")
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == ".git") {
                continue;
            }
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

fn findings(report: &serde_json::Value) -> Vec<(String, String, String, String)> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["check"].as_str().expect("check").to_owned(),
                f["severity"].as_str().expect("severity").to_owned(),
                f["environment"].as_str().expect("environment").to_owned(),
                f["name"].as_str().expect("name").to_owned(),
            )
        })
        .collect()
}

fn has(
    found: &[(String, String, String, String)],
    check: &str,
    sev: &str,
    env: &str,
    name: &str,
) -> bool {
    found
        .iter()
        .any(|(c, s, e, n)| c == check && s == sev && e == env && n == name)
}

/// 32 bytes' worth of hex after a unique marker: strong, and findable.
fn strong(marker: &str) -> String {
    format!("{marker}-9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")
}

#[test]
fn audit_finds_shared_stale_weak_and_orphan_values_by_name_only() {
    let mut project = Project::new("");
    let shared = strong("canary-audit-shared-51c0");
    let staging = strong("canary-audit-staging-e3f9");
    for (env, name, value) in [
        (
            "production",
            "SESSION_SECRET",
            strong("canary-audit-session-7d2a"),
        ),
        (
            "production",
            "WEBHOOK_SECRET",
            strong("canary-audit-webhook-0be4"),
        ),
        ("production", "SHARED_TOKEN", shared.clone()),
        ("staging", "SHARED_TOKEN", shared),
        (
            "production",
            "BETTER_AUTH_SECRET",
            "canary-audit-short-3f1a".to_owned(),
        ),
        (
            "production",
            "ADMIN_PASSWORD",
            "changeme-canary-audit-77ab".to_owned(),
        ),
        (
            "production",
            "STRIPE_SECRET_KEY",
            "sk_test_canaryAudit51b0c9d2e7f4a8b3".to_owned(),
        ),
        (
            "production",
            "GITHUB_TOKEN",
            "sk_live_canaryAudit0a1b2c3d4e5f6a7b8".to_owned(),
        ),
        ("staging", "STAGING_ONLY", staging.clone()),
        ("staging", "STAGING_ALIAS", staging),
    ] {
        project.set(env, name, &value);
    }
    project.age_value("production", "WEBHOOK_SECRET", 120);
    // The last plan saw a name in fly that no store holds.
    std::fs::write(
        project.path("standin/fly-demo.json"),
        r#"[{"name": "SESSION_SECRET"}, {"name": "LEGACY_TOKEN"}]"#,
    )
    .expect("fly list");
    project.arm_standins();
    let plan = project.run("production", &["plan"]);
    assert!(
        plan.status.success(),
        "{}",
        String::from_utf8_lossy(&plan.stderr)
    );

    // Every environment with a store, each opened with its own key.
    let command = project.command("", &["audit", "--format", "json"]);
    let out = run_with_identity_files(&project, command);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&out);
    let found = findings(&report);
    for (check, sev, env, name) in [
        ("shared-value", "error", "production", "SHARED_TOKEN"),
        ("shared-value", "error", "staging", "SHARED_TOKEN"),
        ("stale", "error", "production", "WEBHOOK_SECRET"),
        ("weak", "error", "production", "BETTER_AUTH_SECRET"),
        ("weak", "error", "production", "ADMIN_PASSWORD"),
        ("weak", "error", "production", "STRIPE_SECRET_KEY"),
        ("weak", "error", "production", "GITHUB_TOKEN"),
        ("orphan", "error", "production", "MISSING_*"),
        ("orphan", "warning", "production", "LEGACY_TOKEN"),
        ("shared-value", "warning", "staging", "STAGING_ONLY"),
    ] {
        assert!(
            has(&found, check, sev, env, name),
            "{check} {sev} {env}:{name} in {found:#?}"
        );
    }
    assert!(
        !found.iter().any(|(.., n)| n == "SESSION_SECRET"),
        "SESSION_SECRET is fine: {found:#?}"
    );
    assert_eq!(
        report["environments"],
        serde_json::json!(["production", "staging"])
    );
}

#[test]
fn audit_reads_only_the_environments_named_and_fails_on_warnings_when_asked() {
    let mut project = Project::new("");
    let shared = strong("canary-audit-only-2a9e");
    project.set("production", "SHARED_TOKEN", &shared);
    project.set("staging", "STAGING_ONLY", &shared);
    project.set("staging", "STAGING_ALIAS", &shared);
    // Human output too, and --env narrows the audit to one environment: staging alone
    // has one warning (a value under two names), which fails with --fail-on warning.
    let out = project.run("staging", &["audit"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "only warnings in staging:\n{text}"
    );
    assert!(
        text.contains("audit of staging") && text.contains("STAGING_ALIAS"),
        "{text}"
    );
    assert!(
        !text.contains("SHARED_TOKEN"),
        "production is not read: {text}"
    );
    let out = project.run("staging", &["audit", "--fail-on", "warning"]);
    assert_eq!(out.status.code(), Some(1));
}

/// Runs `command` with `--identity` pointing at a file holding both environments' keys.
fn run_with_identity_files(project: &Project, mut command: Command) -> Output {
    let both = project.path("both.key");
    std::fs::write(
        &both,
        format!("{}{}", project.key("production"), project.key("staging")),
    )
    .expect("identities");
    command.arg("--identity").arg(&both);
    project.run_in(command, "")
}

#[test]
fn audit_without_the_key_of_an_environment_fails_closed() {
    let mut project = Project::new("");
    project.set(
        "production",
        "SESSION_SECRET",
        &strong("canary-audit-nokey-1b2c"),
    );
    project.set("staging", "OTHER", &strong("canary-audit-nokey-3d4e"));
    // Only production's key for every environment: staging cannot be read, so there is
    // no verdict.
    let mut command = project.command("", &["audit"]);
    command.env("BULWARK_AGE_IDENTITY", project.key("production"));
    let out = project.run_in(command, "");
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("error:"));
    assert!(out.stdout.is_empty(), "no report without every store");
}

#[test]
fn names_long_shows_when_each_value_last_changed() {
    let mut project = Project::new("");
    project.set(
        "production",
        "SESSION_SECRET",
        &strong("canary-names-long-8e1f"),
    );
    project.set("production", "API_TOKEN", &strong("canary-names-long-2c3d"));
    project.age_value("production", "API_TOKEN", 40);
    let out = project.run("production", &["names", "--long", "--format", "json"]);
    assert!(out.status.success());
    let report = json(&out);
    let ages = report["ages"].as_array().expect("ages");
    let of = |name: &str| {
        ages.iter()
            .find(|a| a["name"] == name)
            .unwrap_or_else(|| panic!("{name} in {ages:?}"))
            .clone()
    };
    assert_eq!(of("SESSION_SECRET")["age_days"], 0);
    assert_eq!(of("SESSION_SECRET")["by"], "set");
    assert_eq!(of("API_TOKEN")["age_days"], 40);
    let human = project.run("production", &["names", "--long"]);
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(
        text.contains("API_TOKEN") && text.contains("40 days"),
        "{text}"
    );
}

#[test]
fn rotate_value_generates_into_the_store_and_the_next_apply_sends_it() {
    let mut project = Project::new("");
    let old = strong("canary-rotate-old-6a7b");
    project.set("production", "SESSION_SECRET", &old);
    project.arm_standins();
    let out = project.run(
        "production",
        &[
            "rotate-value",
            "SESSION_SECRET",
            "--generate",
            "--encoding",
            "hex",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plain = project.decrypt("production");
    let value = plain
        .lines()
        .find_map(|l| l.strip_prefix("SESSION_SECRET="))
        .expect("the name is still there")
        .to_owned();
    assert_eq!(value.len(), 64, "32 bytes in hex");
    assert!(value.bytes().all(|b| b.is_ascii_hexdigit()));
    assert!(!plain.contains(&old), "the old value is gone");
    project.canaries.push(value.clone());
    project.arm_standins();
    project.assert_clean(&out);
    let state = std::fs::read_to_string(project.path("secrets/production.env.age.state.json"))
        .expect("state");
    assert!(state.contains("rotate-value"), "{state}");

    let apply = project.run("production", &["apply", "--yes"]);
    assert!(
        apply.status.success(),
        "{}",
        String::from_utf8_lossy(&apply.stderr)
    );
    let sent: String = walk(&project.path("standin"))
        .iter()
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("stdin-"))
        })
        .map(|p| std::fs::read_to_string(p).expect("stdin"))
        .collect();
    assert!(
        sent.contains(&value),
        "apply sent the generated value on stdin"
    );
    let calls = std::fs::read_to_string(project.path("standin/calls.log")).expect("calls");
    assert!(!calls.contains(&value));

    // Vendors' credentials are rotated at the vendor.
    let out = project.run(
        "production",
        &["rotate-value", "STRIPE_SECRET_KEY", "--generate"],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("STRIPE") && err.contains("hint:"), "{err}");
    // Without --generate there is nothing to rotate with.
    assert_eq!(
        project
            .run("production", &["rotate-value", "SESSION_SECRET"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn each_apply_appends_a_chained_log_line_and_audit_reports_a_break() {
    let mut project = Project::new("");
    let dir = project.root.path().to_owned();
    git(&dir, &["init", "-q"]);
    git(&dir, &["config", "user.name", "Ada Deployer"]);
    git(&dir, &["config", "user.email", "ada@example.test"]);
    project.set(
        "production",
        "SESSION_SECRET",
        &strong("canary-log-first-4f5a"),
    );
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-q", "-m", "store"]);
    let head = git(&dir, &["rev-parse", "HEAD"]);
    project.arm_standins();
    let mut first = project.command("production", &["apply", "--yes"]);
    first.env("HOME", &dir).env("GIT_CONFIG_NOSYSTEM", "1");
    let out = project.run_in(first, "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    project.set("production", "API_TOKEN", &strong("canary-log-second-6b7c"));
    project.arm_standins();
    std::fs::write(
        project.path("standin/fly-demo.json"),
        r#"[{"name": "SESSION_SECRET"}]"#,
    )
    .expect("fly list");
    let mut second = project.command("production", &["apply", "--yes"]);
    second.env("GITHUB_ACTOR", "ci-bot");
    assert!(project.run_in(second, "").status.success());

    let log_path = project.path("secrets/production.env.age.log.jsonl");
    let log = std::fs::read_to_string(&log_path).expect("the log");
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["commit"], head.as_str());
    assert_eq!(lines[0]["deployer"], "Ada Deployer <ada@example.test>");
    assert_eq!(lines[0]["environment"], "production");
    assert_eq!(
        lines[0]["targets"][0]["added"],
        serde_json::json!(["SESSION_SECRET"])
    );
    assert_eq!(lines[0]["targets"][0]["result"], "done");
    assert_eq!(lines[1]["deployer"], "ci-bot");
    assert_eq!(
        lines[1]["targets"][0]["added"],
        serde_json::json!(["API_TOKEN"])
    );
    assert!(lines[0]["time"].as_str().expect("time").ends_with('Z'));

    let audit = |project: &Project| {
        let mut command = project.command("production", &["audit", "--format", "json"]);
        command.arg("--env").arg("production");
        project.run_in(command, "")
    };
    let clean = json(&audit(&project));
    assert!(
        !findings(&clean).iter().any(|(c, ..)| c == "log"),
        "{clean:#}"
    );
    // Someone rewrites history: the first line loses a name.
    std::fs::write(&log_path, log.replacen("[\"SESSION_SECRET\"]", "[]", 1)).expect("tamper");
    let out = audit(&project);
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out);
    let broken = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["check"] == "log")
        .unwrap_or_else(|| panic!("a log finding in {report:#}"));
    assert!(
        broken["message"]
            .as_str()
            .expect("message")
            .contains("line 2"),
        "{broken}"
    );
}

#[test]
fn github_gets_one_dotenv_document_and_a_value_gh_would_change_goes_alone() {
    let mut project =
        Project::new("[[env.staging.targets]]\nkind = \"github\"\nrepo = \"demo-org/demo-api\"\n");
    std::fs::write(project.path("standin/gh-secret-list.json"), "[]").expect("gh list");
    let values = [
        ("QUOTED", "canary-gh-e2e-quote \"a\" 'b' $HOME \\n \\\\ end"),
        (
            "PEM",
            "-----BEGIN PRIVATE KEY-----\ncanary-gh-e2e-pem\nMIIEvQ==\n-----END PRIVATE KEY-----",
        ),
        ("SPACED", "  canary-gh-e2e-spaced ✓ "),
        ("HASHED", "canary-gh-e2e-hash # not a comment"),
        ("ENDS_IN_QUOTE", "canary-gh-e2e-ends \"quoted\""),
    ];
    for (name, value) in values {
        project.set("staging", name, value);
    }
    project.arm_standins();
    let plan = project.run("staging", &["plan", "--format", "json"]);
    let report = json(&plan);
    assert_eq!(
        report["targets"][0]["separately"],
        serde_json::json!(["ENDS_IN_QUOTE"]),
        "{report:#}"
    );
    let apply = project.run("staging", &["apply", "--yes"]);
    assert!(
        apply.status.success(),
        "{}",
        String::from_utf8_lossy(&apply.stderr)
    );
    let calls = std::fs::read_to_string(project.path("standin/calls.log")).expect("calls");
    let sets: Vec<(usize, &str)> = calls
        .lines()
        .enumerate()
        .filter(|(_, l)| l.starts_with("gh secret set"))
        .collect();
    assert_eq!(
        sets.iter().map(|(_, l)| *l).collect::<Vec<_>>(),
        [
            "gh secret set -f - -R demo-org/demo-api",
            "gh secret set ENDS_IN_QUOTE -R demo-org/demo-api",
        ]
    );
    let stdin = |index: usize| {
        std::fs::read_to_string(project.path(&format!("standin/stdin-{}", index + 1)))
            .expect("stdin recorded")
    };
    let document = stdin(sets[0].0);
    assert_eq!(
        document.lines().count(),
        4,
        "one line per value: {}",
        document.len()
    );
    assert!(!document.contains("ENDS_IN_QUOTE"));
    assert!(document.contains("-----BEGIN PRIVATE KEY-----\\ncanary-gh-e2e-pem"));
    assert_eq!(stdin(sets[1].0), values[4].1, "the value alone");
}

#[test]
fn edit_records_a_change_only_for_the_values_it_changed() {
    let _edits = crate::edit_lock();
    let mut project = Project::new("");
    project.set("production", "KEPT", &strong("canary-edit-kept-5e6f"));
    project.set("production", "CHANGED", &strong("canary-edit-old-7a8b"));
    project.set("production", "GONE", &strong("canary-edit-gone-9c0d"));
    for name in ["KEPT", "CHANGED", "GONE"] {
        project.age_value("production", name, 30);
    }
    let new = strong("canary-edit-new-1e2f");
    project.canaries.push(new.clone());
    // Outside the project and TMPDIR: the script holds the new value.
    let scripts = tempfile::tempdir().expect("temp dir");
    let script = scripts.path().join("editor.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nset -e\nsed -i -e 's/^CHANGED=.*/CHANGED={new}/' -e '/^GONE=/d' \"$1\"\n"
        ),
    )
    .expect("editor");
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
    let mut edit = project.command("production", &["edit"]);
    edit.env("EDITOR", &script).env_remove("VISUAL");
    let out = project.run_in(edit, "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let names = json(&project.run("production", &["names", "--long", "--format", "json"]));
    let age = |name: &str| {
        names["ages"]
            .as_array()
            .expect("ages")
            .iter()
            .find(|a| a["name"] == name)
            .map(|a| (a["age_days"].as_i64().expect("days"), a["by"].clone()))
    };
    assert_eq!(age("KEPT"), Some((30, "set".into())), "untouched");
    assert_eq!(age("CHANGED"), Some((0, "edit".into())));
    assert_eq!(age("GONE"), None);
    let state = std::fs::read_to_string(project.path("secrets/production.env.age.state.json"))
        .expect("state");
    assert!(
        !state.contains("GONE"),
        "a removed name's time is forgotten: {state}"
    );
}

//! The sources over real repositories, built in temp dirs with the `git` CLI.

use std::path::{Path, PathBuf};
use std::process::Command;

use bulwark_core::NoProgress;
use bulwark_scan::{
    GitOptions, Rules, RulesConfig, ScanReport, ScanRequest, Source, install_hook, render_to_bytes,
    run, scan_dir, scan_git, scan_staged,
};

use crate::common::github_token;

/// A repository in a temp dir with a fixed identity and clock.
struct Repo {
    dir: tempfile::TempDir,
    clock: u64,
}

impl Repo {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let repo = Self {
            dir,
            clock: 1_700_000_000,
        };
        repo.git(&["init", "-q", "-b", "main"]);
        repo
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn git(&self, args: &[&str]) -> String {
        let output = Command::new("git")
            .args(args)
            .current_dir(self.path())
            .env("GIT_AUTHOR_NAME", "Ada Canary")
            .env("GIT_AUTHOR_EMAIL", "ada@canary.test")
            .env("GIT_COMMITTER_NAME", "Ada Canary")
            .env("GIT_COMMITTER_EMAIL", "ada@canary.test")
            .env("GIT_AUTHOR_DATE", format!("@{} +0000", self.clock))
            .env("GIT_COMMITTER_DATE", format!("@{} +0000", self.clock))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .output()
            .expect("git runs");
        assert!(
            output.status.success() || args[0] == "merge",
            "git {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }

    fn write(&self, path: &str, content: impl AsRef<[u8]>) {
        let full = self.path().join(path);
        std::fs::create_dir_all(full.parent().expect("has parent")).expect("mkdir");
        std::fs::write(full, content).expect("write");
    }

    /// Stages everything and commits; returns the commit id.
    fn commit(&mut self, message: &str) -> String {
        self.clock += 60;
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
        self.git(&["rev-parse", "HEAD"])
    }
}

fn options() -> GitOptions {
    GitOptions {
        max_size: 10 << 20,
        ..GitOptions::default()
    }
}

/// A full `leak-scan git` request over `path` with the default settings.
fn git_request(path: &Path, baseline: Option<PathBuf>, no_redact: bool) -> ScanRequest {
    ScanRequest {
        source: Source::Git {
            path: path.to_owned(),
            options: options(),
        },
        rules: None,
        ignore_file: None,
        baseline,
        no_redact,
        max_size: 10 << 20,
    }
}

fn scan(path: &Path, options: &GitOptions) -> ScanReport {
    scan_git(path, &Rules::default_rules(), options, &NoProgress).expect("scan succeeds")
}

#[test]
fn deleted_secret_is_attributed_to_the_commit_that_added_it() {
    let mut repo = Repo::new();
    let token = github_token("ghp_", 101);
    repo.write("README.md", "# app\n");
    repo.commit("initial");
    repo.write(
        "config/app.env",
        format!("# settings\nAPP=1\nGITHUB_TOKEN={token}\n"),
    );
    let leaked = repo.commit("add settings\n\nwith a body line");
    std::fs::remove_file(repo.path().join("config/app.env")).expect("rm");
    repo.commit("remove settings");
    // Many later commits that keep other files unchanged cost nothing extra.
    for i in 0..5 {
        repo.write("README.md", format!("# app {i}\n"));
        repo.commit(&format!("docs {i}"));
    }

    let report = scan(repo.path(), &options());
    assert_eq!(report.stats.commits, 8);
    assert_eq!(report.findings.len(), 1, "{:#?}", report.findings);
    let finding = &report.findings[0];
    assert_eq!(finding.rule_id, "github-pat");
    assert_eq!(finding.path, "config/app.env");
    assert_eq!((finding.start_line, finding.start_column), (3, 14));
    assert_eq!(finding.commit.as_deref(), Some(leaked.as_str()));
    assert_eq!(finding.author.as_deref(), Some("Ada Canary"));
    assert_eq!(finding.email.as_deref(), Some("ada@canary.test"));
    assert_eq!(finding.date.as_deref(), Some("2023-11-14T22:15:20Z"));
    assert_eq!(
        finding.message.as_deref(),
        Some("add settings\n\nwith a body line")
    );
    assert_eq!(finding.secret, token);
    assert_eq!(
        finding.fingerprint,
        format!("{leaked}:config/app.env:github-pat:3")
    );
}

#[test]
fn unmerged_branches_and_kept_secrets_are_reported_once() {
    let mut repo = Repo::new();
    let kept = github_token("ghp_", 102);
    let branch_only = github_token("ghp_", 103);
    repo.write("a.txt", format!("token={kept}\n"));
    let first = repo.commit("add a");
    // Edits around the secret make new blobs that still hold it: still one finding.
    repo.write("a.txt", format!("# header\ntoken={kept}\n"));
    repo.commit("edit a");
    repo.write("a.txt", format!("# header\ntoken={kept}\n# footer\n"));
    repo.commit("edit a again");
    for i in 0..4 {
        repo.write("b.txt", format!("{i}\n"));
        repo.commit(&format!("b {i}"));
    }
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("feature.txt", format!("token={branch_only}\n"));
    let on_branch = repo.commit("feature work");
    repo.git(&["checkout", "-q", "main"]);

    let report = scan(repo.path(), &options());
    let commits: Vec<_> = report
        .findings
        .iter()
        .map(|f| (f.path.as_str(), f.commit.clone().unwrap_or_default()))
        .collect();
    assert_eq!(
        commits,
        [("a.txt", first.clone()), ("feature.txt", on_branch.clone())]
    );

    // --branch main does not see the feature branch.
    let main_only = scan(
        repo.path(),
        &GitOptions {
            branch: Some("main".to_owned()),
            ..options()
        },
    );
    assert_eq!(main_only.findings.len(), 1);
    // --range main..feature sees only the feature commit.
    let range = scan(
        repo.path(),
        &GitOptions {
            range: Some("main..feature".to_owned()),
            ..options()
        },
    );
    assert_eq!(range.stats.commits, 1);
    assert_eq!(range.findings.len(), 1);
    assert_eq!(
        range.findings[0].commit.as_deref(),
        Some(on_branch.as_str())
    );
    // --since after the first commit skips its blob.
    let since = scan(
        repo.path(),
        &GitOptions {
            since: Some(1_700_000_000 + 200),
            ..options()
        },
    );
    assert!(since.findings.iter().all(|f| f.path != "a.txt"));
    // A bad revision is an input error.
    let err = scan_git(
        repo.path(),
        &Rules::default_rules(),
        &GitOptions {
            branch: Some("no-such-branch".to_owned()),
            ..options()
        },
        &NoProgress,
    )
    .expect_err("unknown branch");
    assert_eq!(bulwark_core::Failure::exit(&err), bulwark_core::Exit::Usage);
}

#[test]
fn renames_keep_the_first_commit_and_all_commits_lists_each() {
    let mut repo = Repo::new();
    let token = github_token("ghp_", 104);
    repo.write("old/name.txt", format!("x\ntoken={token}\n"));
    let added = repo.commit("add");
    std::fs::create_dir_all(repo.path().join("new")).expect("mkdir");
    repo.git(&["mv", "old/name.txt", "new/name.txt"]);
    let renamed = repo.commit("rename");

    let report = scan(repo.path(), &options());
    assert_eq!(report.findings.len(), 1);
    assert_eq!(report.findings[0].path, "old/name.txt");
    assert_eq!(report.findings[0].commit.as_deref(), Some(added.as_str()));

    let all = scan(
        repo.path(),
        &GitOptions {
            all_commits: true,
            ..options()
        },
    );
    let seen: Vec<_> = all
        .findings
        .iter()
        .map(|f| (f.path.as_str(), f.commit.clone().unwrap_or_default()))
        .collect();
    assert_eq!(seen, [("old/name.txt", added), ("new/name.txt", renamed)]);
}

#[test]
fn a_secret_only_in_a_merge_resolution_is_attributed_to_the_merge() {
    let mut repo = Repo::new();
    let token = github_token("ghp_", 105);
    repo.write("settings.txt", "mode=base\n");
    repo.commit("base");
    repo.git(&["checkout", "-q", "-b", "other"]);
    repo.write("settings.txt", "mode=other\n");
    repo.commit("other side");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("settings.txt", "mode=main\n");
    repo.commit("main side");
    repo.clock += 60;
    repo.git(&["merge", "-q", "other", "-m", "merge other"]);
    // Resolve the conflict with content neither parent has.
    repo.write("settings.txt", format!("mode=both\ntoken={token}\n"));
    repo.git(&["add", "settings.txt"]);
    repo.git(&["commit", "-q", "--no-edit"]);
    let merge = repo.git(&["rev-parse", "HEAD"]);
    let parents = repo.git(&["rev-list", "--parents", "-n", "1", "HEAD"]);
    assert_eq!(parents.split(' ').count(), 3, "a merge commit");

    let report = scan(repo.path(), &options());
    assert_eq!(report.findings.len(), 1, "{:#?}", report.findings);
    assert_eq!(report.findings[0].commit.as_deref(), Some(merge.as_str()));
    assert_eq!(report.findings[0].start_line, 2);
}

#[test]
fn binary_and_huge_blobs_are_skipped_and_counted() {
    let mut repo = Repo::new();
    let token = github_token("ghp_", 106);
    let mut binary = b"\x00\x01binary".to_vec();
    binary.extend(format!("token={token}").as_bytes());
    repo.write("image.bin", binary);
    let huge = format!("{}token={token}\n", "filler line\n".repeat(20_000));
    repo.write("huge.txt", &huge);
    repo.write("small.txt", "nothing here\n");
    repo.commit("add files");

    let report = scan(
        repo.path(),
        &GitOptions {
            max_size: 100_000,
            ..options()
        },
    );
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
    assert_eq!(report.stats.skipped_binary, 1);
    assert_eq!(report.stats.skipped_large, 1);
    assert_eq!(report.stats.scanned, 1);
    // With a higher limit the huge file is scanned.
    let report = scan(repo.path(), &options());
    assert_eq!(report.findings.len(), 1);
    assert_eq!(report.findings[0].path, "huge.txt");
    assert_eq!(report.findings[0].start_line, 20_001);
}

#[test]
fn shallow_clones_warn_and_bare_repositories_work() {
    let mut repo = Repo::new();
    let old = github_token("ghp_", 107);
    let new = github_token("ghp_", 108);
    repo.write("old.txt", format!("token={old}\n"));
    repo.commit("old");
    std::fs::remove_file(repo.path().join("old.txt")).expect("rm");
    repo.commit("remove old");
    repo.write("new.txt", format!("token={new}\n"));
    repo.commit("new");

    let clones = tempfile::tempdir().expect("temp dir");
    let url = format!("file://{}", repo.path().display());
    let shallow = clones.path().join("shallow");
    let bare = clones.path().join("bare.git");
    for args in [
        vec![
            "clone",
            "-q",
            "--depth",
            "1",
            url.as_str(),
            path_str(&shallow),
        ],
        vec!["clone", "-q", "--bare", url.as_str(), path_str(&bare)],
    ] {
        let status = Command::new("git")
            .args(&args)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .status()
            .expect("git clone");
        assert!(status.success());
    }

    let report = scan(&shallow, &options());
    assert_eq!(report.stats.commits, 1);
    assert_eq!(report.findings.len(), 1);
    assert_eq!(report.findings[0].path, "new.txt");
    assert!(
        report.warnings.iter().any(|w| w.contains("shallow clone")),
        "{:?}",
        report.warnings
    );

    let report = scan(&bare, &options());
    assert_eq!(report.stats.commits, 3);
    let paths: Vec<_> = report.findings.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["old.txt", "new.txt"]);

    let err = scan_git(
        clones.path(),
        &Rules::default_rules(),
        &options(),
        &NoProgress,
    )
    .expect_err("not a repository");
    assert!(err.to_string().contains("is not a git repository"), "{err}");
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("utf-8 temp path")
}

#[test]
fn staged_changes_report_staged_line_numbers_and_only_new_lines() {
    let mut repo = Repo::new();
    let old = github_token("ghp_", 109);
    let new = github_token("ghp_", 110);
    repo.write("app.env", format!("OLD={old}\n"));
    // Unchanged and staged again as is: nothing new, in a nested directory too.
    repo.write("nested/deep/kept.env", format!("KEPT={old}\n"));
    repo.commit("existing");
    repo.git(&["add", "nested/deep/kept.env"]);
    repo.write("app.env", format!("# header\n\nOLD={old}\nNEW={new}\n"));
    repo.write("untracked.env", format!("X={new}\n"));
    repo.git(&["add", "app.env"]);

    let report = scan_staged(repo.path(), &Rules::default_rules(), 10 << 20).expect("scan");
    assert_eq!(report.findings.len(), 1, "{:#?}", report.findings);
    assert_eq!(report.findings[0].path, "app.env");
    assert_eq!(report.findings[0].start_line, 4);
    assert_eq!(report.findings[0].commit, None);

    // An unborn branch: everything staged is new.
    let fresh = Repo::new();
    fresh.write("a.env", format!("A={new}\n"));
    fresh.git(&["add", "a.env"]);
    let report = scan_staged(fresh.path(), &Rules::default_rules(), 10 << 20).expect("scan");
    assert_eq!(report.findings.len(), 1);
}

#[test]
fn dir_scans_honour_gitignore_unless_told_not_to() {
    let repo = Repo::new();
    let token = github_token("ghp_", 111);
    repo.write(".gitignore", "ignored/\n");
    repo.write("ignored/secret.env", format!("T={token}\n"));
    repo.write("src/main.rs", format!("const T: &str = \"{token}\";\n"));
    repo.write("package-lock.json", format!("{{\"t\": \"{token}\"}}\n"));

    let rules = Rules::default_rules();
    let report = scan_dir(repo.path(), &rules, false, 10 << 20, &NoProgress).expect("scan");
    let paths: Vec<_> = report.findings.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["src/main.rs"]);
    assert_eq!(report.stats.skipped_allowlisted, 1, "the lock file");
    assert_eq!(report.findings[0].fingerprint, "src/main.rs:github-pat:1");

    let report = scan_dir(repo.path(), &rules, true, 10 << 20, &NoProgress).expect("scan");
    let paths: Vec<_> = report.findings.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["ignored/secret.env", "src/main.rs"]);
}

#[test]
fn default_output_never_contains_the_raw_secret() {
    let mut repo = Repo::new();
    let token = github_token("ghp_", 112);
    repo.write("leak.txt", format!("token={token}\n"));
    repo.commit("leak");
    let request = |no_redact| git_request(repo.path(), None, no_redact);
    let (report, rules) = run(&request(false), &NoProgress).expect("scan");
    assert_eq!(report.findings.len(), 1);
    for format in ["human", "json", "sarif"] {
        let bytes = render_to_bytes(&report, &rules, format).expect("renders");
        let text = String::from_utf8(bytes).expect("utf-8");
        assert!(!text.contains(&token), "{format} leaks the secret:\n{text}");
        assert!(!text.contains(&token[4..20]), "{format} leaks part of it");
        assert!(text.contains("github-pat"), "{format}");
    }
    let (report, rules) = run(&request(true), &NoProgress).expect("scan");
    let json = render_to_bytes(&report, &rules, "json").expect("renders");
    assert!(
        String::from_utf8_lossy(&json).contains(&token),
        "--no-redact shows it"
    );
}

#[test]
fn gitleaksignore_and_baseline_drop_known_findings() {
    let mut repo = Repo::new();
    let first = github_token("ghp_", 113);
    let second = github_token("ghp_", 114);
    repo.write("a.txt", format!("t={first}\n"));
    let commit = repo.commit("first");
    let root = repo.path().to_owned();
    let request = |baseline: Option<PathBuf>| git_request(&root, baseline, false);
    // The baseline: today's report.
    let (report, rules) = run(&request(None), &NoProgress).expect("scan");
    assert_eq!(report.findings.len(), 1);
    let baseline = repo.path().join("../baseline.json");
    std::fs::write(
        &baseline,
        render_to_bytes(&report, &rules, "json").expect("json"),
    )
    .expect("write baseline");

    repo.write("b.txt", format!("t={second}\n"));
    repo.commit("second");
    let (report, _) = run(&request(Some(baseline.clone())), &NoProgress).expect("scan");
    assert_eq!(report.findings.len(), 1);
    assert_eq!(report.findings[0].path, "b.txt");
    assert_eq!(report.stats.in_baseline, 1);

    // .gitleaksignore at the root of the work tree is read by default.
    repo.write(".gitleaksignore", format!("{commit}:a.txt:github-pat:1\n"));
    let (report, _) = run(&request(None), &NoProgress).expect("scan");
    let paths: Vec<_> = report.findings.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["b.txt"]);
    assert_eq!(report.stats.ignored, 1);
    std::fs::remove_file(baseline).expect("rm");
}

#[test]
fn gitleaks_config_in_the_repository_is_used() {
    let mut repo = Repo::new();
    repo.write(
        ".gitleaks.toml",
        "[[rules]]\nid = \"internal\"\nregex = '''internal_[a-z0-9]{12}'''\nkeywords = [\"internal_\"]\n",
    );
    repo.write("a.txt", "k = internal_a1b2c3d4e5f6\n");
    repo.write("b.txt", format!("t={}\n", github_token("ghp_", 115)));
    repo.commit("add");
    let (report, _) = run(&git_request(repo.path(), None, false), &NoProgress).expect("scan");
    let ids: Vec<_> = report.findings.iter().map(|f| f.rule_id.as_str()).collect();
    assert_eq!(ids, ["internal"], "the config replaces the defaults");
    assert_eq!(report.config.source, ".gitleaks.toml");
    let used = report.config.path.clone().expect("a file");
    assert!(used.ends_with(".gitleaks.toml"), "{used}");

    // A config chosen on the command line wins over the repository's file.
    let chosen = tempfile::tempdir().expect("temp dir");
    let flag = chosen.path().join("flag.toml");
    std::fs::write(
        &flag,
        "[[rules]]\nid = \"chosen\"\nregex = '''internal_[a-z0-9]{12}'''\n",
    )
    .expect("write");
    let mut request = git_request(repo.path(), None, false);
    request.rules = Some(RulesConfig::Flag(flag.clone()));
    let (report, _) = run(&request, &NoProgress).expect("scan");
    let ids: Vec<_> = report.findings.iter().map(|f| f.rule_id.as_str()).collect();
    assert_eq!(ids, ["chosen"]);
    assert_eq!(report.config.source, "--config");
    assert_eq!(report.config.path.as_deref(), flag.to_str());
}

#[test]
fn install_hook_writes_an_executable_pre_commit_hook() {
    let repo = Repo::new();
    let hook = install_hook(repo.path(), false).expect("installs");
    assert!(
        hook.ends_with(".git/hooks/pre-commit"),
        "{}",
        hook.display()
    );
    let text = std::fs::read_to_string(&hook).expect("read");
    assert!(text.starts_with("#!/bin/sh\n"));
    assert!(text.contains("leak-scan staged"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&hook).expect("meta").permissions().mode();
        assert_eq!(mode & 0o111, 0o111, "executable");
    }
    assert!(install_hook(repo.path(), false).is_err(), "no overwrite");
    install_hook(repo.path(), true).expect("--force replaces");
}

#[test]
fn sarif_has_the_shape_code_scanning_accepts() {
    let mut repo = Repo::new();
    repo.write(
        "a/leak.env",
        format!("\nTOKEN={}\n", github_token("ghp_", 116)),
    );
    repo.commit("leak");
    let (report, rules) = run(&git_request(repo.path(), None, false), &NoProgress).expect("scan");
    let bytes = render_to_bytes(&report, &rules, "sarif").expect("renders");
    let doc: serde_json::Value = serde_json::from_slice(&bytes).expect("valid JSON");
    assert_eq!(doc["version"], "2.1.0");
    assert!(
        doc["$schema"]
            .as_str()
            .is_some_and(|s| s.contains("sarif-2.1.0"))
    );
    assert!(doc.get("schema_version").is_none(), "no envelope");
    let run = &doc["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "leak-scan");
    let driver_rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    assert_eq!(driver_rules.len(), rules.rules().len());
    let results = run["results"].as_array().expect("results");
    assert_eq!(results.len(), 1);
    let result = &results[0];
    assert_eq!(result["ruleId"], "github-pat");
    let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
    assert_eq!(driver_rules[index]["id"], "github-pat");
    assert_eq!(result["level"], "error");
    assert!(
        result["message"]["text"]
            .as_str()
            .is_some_and(|t| !t.is_empty())
    );
    let location = &result["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "a/leak.env");
    assert_eq!(location["region"]["startLine"], 2);
    assert_eq!(location["region"]["startColumn"], 7);
    assert!(location["region"]["endColumn"].as_u64() > location["region"]["startColumn"].as_u64());
    let fingerprint = result["partialFingerprints"]["leakScanFingerprint/v1"]
        .as_str()
        .expect("fingerprint");
    assert!(
        fingerprint.ends_with(":a/leak.env:github-pat:2"),
        "{fingerprint}"
    );
}

/// (path, commit) of each finding of a history scan with `config` (gitleaks TOML).
fn places(repo: &Repo, config: &str, all_commits: bool) -> Vec<(String, String)> {
    let rules = Rules::from_gitleaks_toml(config).expect("valid config");
    let options = GitOptions {
        all_commits,
        ..options()
    };
    let report = scan_git(repo.path(), &rules, &options, &NoProgress).expect("scan succeeds");
    report
        .findings
        .iter()
        .map(|f| (f.path.clone(), f.commit.clone().unwrap_or_default()))
        .collect()
}

const FIXTURES_ALLOWED: &str =
    "[extend]\nuseDefault = true\n\n[allowlist]\npaths = ['''(^|/)fixtures/''']\n";

const FIXTURES_ALLOWED_FOR_THE_RULE: &str = r"
[[rules]]
id = 'github-pat'
regex = '''ghp_[0-9A-Za-z]{36}'''
keywords = ['ghp_']
[[rules.allowlists]]
paths = ['''(^|/)fixtures/''']
";

#[test]
fn a_blob_copied_from_an_allowlisted_path_is_reported_at_the_copy() {
    let mut repo = Repo::new();
    let content = format!("TOKEN={}\n", github_token("ghp_", 117));
    repo.write("fixtures/x.txt", &content);
    repo.commit("add a fixture");
    repo.write("README.md", "# app\n");
    repo.commit("docs");
    repo.write("src/config.env", &content);
    let copied = repo.commit("copy the fixture into the config");
    repo.write("deploy/prod.env", &content);
    let again = repo.commit("and into the deploy config");
    for config in [FIXTURES_ALLOWED, FIXTURES_ALLOWED_FOR_THE_RULE] {
        // The earliest introduction at a path that is not allow-listed.
        assert_eq!(
            places(&repo, config, false),
            [("src/config.env".to_owned(), copied.clone())],
            "config:\n{config}"
        );
        assert_eq!(
            places(&repo, config, true),
            [
                ("src/config.env".to_owned(), copied.clone()),
                ("deploy/prod.env".to_owned(), again.clone())
            ],
            "config:\n{config}"
        );
    }
    // A whole directory copied (the same tree at a new path) counts too.
    let mut tree_copy = Repo::new();
    tree_copy.write("fixtures/x.txt", &content);
    tree_copy.commit("add a fixture");
    tree_copy.write("config/x.txt", &content);
    let copied = tree_copy.commit("copy the fixtures directory");
    assert_eq!(
        places(&tree_copy, FIXTURES_ALLOWED, false),
        [("config/x.txt".to_owned(), copied)]
    );
    // A blob only ever at allow-listed paths is still skipped unread.
    let mut only_allowed = Repo::new();
    only_allowed.write("fixtures/x.txt", &content);
    only_allowed.commit("add a fixture");
    only_allowed.write("web/fixtures/y.txt", &content);
    only_allowed.commit("copy it to another fixture");
    let rules = Rules::from_gitleaks_toml(FIXTURES_ALLOWED).expect("valid config");
    let report = scan_git(only_allowed.path(), &rules, &options(), &NoProgress).expect("scan");
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
    assert_eq!(
        (report.stats.scanned, report.stats.skipped_allowlisted),
        (0, 1)
    );
}

#[test]
fn a_blob_copied_to_an_allowlisted_path_is_reported_where_it_was_first() {
    let mut repo = Repo::new();
    let content = format!("TOKEN={}\n", github_token("ghp_", 118));
    repo.write("src/config.env", &content);
    let first = repo.commit("add the config");
    repo.write("fixtures/x.txt", &content);
    repo.commit("copy the config into a fixture");
    for config in [FIXTURES_ALLOWED, FIXTURES_ALLOWED_FOR_THE_RULE] {
        for all_commits in [false, true] {
            assert_eq!(
                places(&repo, config, all_commits),
                [("src/config.env".to_owned(), first.clone())],
                "all_commits: {all_commits}, config:\n{config}"
            );
        }
    }
}

#[test]
fn a_rule_path_is_decided_at_each_place_a_blob_appears() {
    let mut repo = Repo::new();
    let content = "key = canary_0123456789abcdef\n";
    repo.write("notes.txt", content);
    repo.commit("notes");
    repo.write("src/config.env", content);
    let copied = repo.commit("copy the notes into the config");
    let config =
        "[[rules]]\nid = 'env-canary'\nregex = '''canary_[a-z0-9]{16}'''\npath = '''\\.env$'''\n";
    for all_commits in [false, true] {
        assert_eq!(
            places(&repo, config, all_commits),
            [("src/config.env".to_owned(), copied.clone())],
            "all_commits: {all_commits}"
        );
    }
}

#[test]
fn a_commit_allowlist_is_decided_at_each_commit_a_blob_appears() {
    let mut repo = Repo::new();
    let content = format!("TOKEN={}\n", github_token("ghp_", 119));
    repo.write("a.env", &content);
    let allowed = repo.commit("add a, allowed by commit");
    repo.write("b.env", &content);
    let copied = repo.commit("copy a to b");
    let config = format!(
        "[[rules]]\nid = 'github-pat'\nregex = '''ghp_[0-9A-Za-z]{{36}}'''\n\
         [[rules.allowlists]]\ncommits = ['{}']\n",
        &allowed[..12]
    );
    for all_commits in [false, true] {
        assert_eq!(
            places(&repo, &config, all_commits),
            [("b.env".to_owned(), copied.clone())],
            "all_commits: {all_commits}"
        );
    }
}

/// Scans `path` expecting a failure to read the repository: exit 3 (not "no leaks"),
/// and the message (with its causes) names every one of `names`.
fn expect_unreadable(path: &Path, options: &GitOptions, names: &[&str]) {
    let err = scan_git(path, &Rules::default_rules(), options, &NoProgress)
        .expect_err("an unreadable object must fail the scan");
    assert_eq!(
        bulwark_core::Failure::exit(&err),
        bulwark_core::Exit::Operational,
        "{err}"
    );
    let mut message = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    for name in names {
        assert!(message.contains(name), "{name} not in {message:?}");
    }
}

/// A repository of three commits, each adding a file; returns it and the commit ids.
fn three_commits() -> (Repo, Vec<String>) {
    let mut repo = Repo::new();
    let mut ids = Vec::new();
    for (n, name) in ["a.txt", "b.txt", "c.txt"].iter().enumerate() {
        repo.write(name, format!("file {n}\n"));
        ids.push(repo.commit(name));
    }
    (repo, ids)
}

#[test]
fn a_ref_to_a_missing_commit_is_exit_3_not_no_leaks() {
    let (repo, _) = three_commits();
    let ghost = "0123456789abcdef0123456789abcdef01234567";
    repo.write(".git/refs/heads/ghost", format!("{ghost}\n"));
    expect_unreadable(repo.path(), &options(), &[ghost, "refs/heads/ghost"]);
    let branch = GitOptions {
        branch: Some("ghost".to_owned()),
        ..options()
    };
    expect_unreadable(repo.path(), &branch, &[ghost]);

    // The same through a detached HEAD and no other ref.
    let lone = Repo::new();
    lone.write(".git/HEAD", format!("{ghost}\n"));
    expect_unreadable(lone.path(), &options(), &[ghost, "HEAD"]);

    // An empty repository (HEAD on an unborn branch) is not an error: nothing to read.
    let empty = Repo::new();
    let report = scan(empty.path(), &options());
    assert_eq!(report.stats.commits, 0);
}

#[test]
fn a_deleted_loose_commit_is_exit_3_naming_it() {
    let (repo, ids) = three_commits();
    let object = |id: &str| {
        repo.path()
            .join(".git/objects")
            .join(&id[..2])
            .join(&id[2..])
    };
    // A commit in the middle of the history: its child names it as a parent.
    std::fs::remove_file(object(&ids[1])).expect("rm commit object");
    expect_unreadable(repo.path(), &options(), &[&ids[1]]);
    // The tip itself.
    std::fs::remove_file(object(&ids[2])).expect("rm commit object");
    expect_unreadable(repo.path(), &options(), &[&ids[2], "refs/heads/main"]);
}

#[test]
fn a_revision_through_an_unreadable_commit_is_exit_3_and_one_past_the_root_is_exit_2() {
    let (repo, ids) = three_commits();
    let on = |spec: &str| GitOptions {
        branch: Some(spec.to_owned()),
        ..options()
    };
    let range = |spec: &str| GitOptions {
        range: Some(spec.to_owned()),
        ..options()
    };
    // Intact: `HEAD~3` names nothing in a three-commit history, a usage error.
    for options in [on("HEAD~3"), on("main^2"), range("HEAD~3..HEAD")] {
        let err = scan_git(repo.path(), &Rules::default_rules(), &options, &NoProgress)
            .expect_err("no such revision");
        assert_eq!(
            bulwark_core::Failure::exit(&err),
            bulwark_core::Exit::Usage,
            "{err}"
        );
    }
    // The middle commit is gone: `HEAD~2` should exist but cannot be reached.
    let object = repo
        .path()
        .join(".git/objects")
        .join(&ids[1][..2])
        .join(&ids[1][2..]);
    std::fs::remove_file(object).expect("rm commit object");
    for options in [on("HEAD~2"), on("main~1^1"), range("HEAD~2..HEAD")] {
        expect_unreadable(repo.path(), &options, &[&ids[1]]);
    }
    expect_unreadable(repo.path(), &on("HEAD~1"), &[&ids[1]]);
}

#[test]
fn a_corrupt_pack_index_is_exit_3() {
    for damage in ["truncate", "scribble"] {
        let (repo, _) = three_commits();
        repo.git(&["repack", "-a", "-d", "-q"]);
        repo.git(&["prune-packed"]);
        let pack_dir = repo.path().join(".git/objects/pack");
        let idx = std::fs::read_dir(&pack_dir)
            .expect("pack dir")
            .map(|entry| entry.expect("entry").path())
            .find(|path| path.extension().is_some_and(|ext| ext == "idx"))
            .expect("an .idx after repack");
        let mut bytes = std::fs::read(&idx).expect("read idx");
        if damage == "truncate" {
            bytes.truncate(bytes.len() / 2);
        } else {
            // Overwrite the fan-out table and the start of the id table.
            for byte in bytes.iter_mut().skip(8).take(1100) {
                *byte = 0xA5;
            }
        }
        let mut perms = std::fs::metadata(&idx).expect("stat").permissions();
        #[expect(clippy::permissions_set_readonly_false, reason = "test fixture")]
        perms.set_readonly(false);
        std::fs::set_permissions(&idx, perms).expect("chmod");
        std::fs::write(&idx, bytes).expect("write idx");
        expect_unreadable(repo.path(), &options(), &["refs/heads/main"]);
    }
}

#[test]
fn staged_with_a_head_commit_that_cannot_be_read_is_exit_3() {
    let (repo, ids) = three_commits();
    repo.write("d.txt", "staged\n");
    repo.git(&["add", "d.txt"]);
    let object = repo
        .path()
        .join(".git/objects")
        .join(&ids[2][..2])
        .join(&ids[2][2..]);
    std::fs::remove_file(object).expect("rm HEAD's commit object");
    let err = scan_staged(repo.path(), &Rules::default_rules(), 10 << 20)
        .expect_err("HEAD's commit is missing");
    assert_eq!(
        bulwark_core::Failure::exit(&err),
        bulwark_core::Exit::Operational,
        "{err}"
    );
    // An unborn branch is no error: everything staged is new.
    let fresh = Repo::new();
    fresh.write("e.txt", "staged\n");
    fresh.git(&["add", "e.txt"]);
    let report = scan_staged(fresh.path(), &Rules::default_rules(), 10 << 20).expect("unborn");
    assert_eq!(report.stats.scanned, 1);
}

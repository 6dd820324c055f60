//! Fail closed (issue 13): a closed stdout never changes the verdict, `--mask` never puts a
//! value where a report goes, and no encoding of a value reaches the output.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::secrets_sync::copy_dir;

const CASES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/cmd");
const STANDINS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/standins/bin");

/// A copy of the trycmd fixture `tests/cmd/<tool>/<case>.in`, removed at the end.
struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new(case: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        copy_dir(&Path::new(CASES).join(case), dir.path());
        Self { dir }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// `bin` with `args`, run in the fixture with the stand-ins first on PATH.
    fn command(&self, bin: &str, args: &[&str]) -> Command {
        let mut command = Command::new(bin);
        command
            .args(args)
            .current_dir(self.dir.path())
            .env("NO_COLOR", "1")
            .env_remove("GITHUB_ACTIONS")
            .env(
                "PATH",
                format!("{STANDINS}:{}", std::env::var("PATH").unwrap_or_default()),
            );
        command
    }
}

/// Runs `command` with `stdin`; with `closed`, its stdout is a pipe whose reading end is
/// already closed, as in `… | head -0`.
fn run(mut command: Command, stdin: &str, closed: bool) -> Output {
    let stdout = if closed {
        let (reader, writer) = std::io::pipe().expect("pipe");
        drop(reader);
        Stdio::from(writer)
    } else {
        Stdio::piped()
    };
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut input = child.stdin.take().expect("piped");
    // The binary may stop reading early; what it read is its business.
    let _ = input.write_all(stdin.as_bytes());
    drop(input);
    child.wait_with_output().expect("finishes")
}

/// A run of one binary in a copy of a trycmd fixture.
struct Case {
    bin: &'static str,
    fixture: &'static str,
    args: &'static [&'static str],
    stdin: &'static str,
    env: &'static [(&'static str, &'static str)],
    /// The exit code the run earns.
    earned: i32,
}

/// Each binary's run that finds a problem without the network, and the code it earns.
const PROBLEMS: [Case; 6] = [
    Case {
        bin: env!("CARGO_BIN_EXE_leak-scan"),
        fixture: "leak-scan/canary-rules.in",
        args: &["stdin", "--rules", "canary.toml"],
        stdin: "token = canary_test_aaaabbbbccccdddd\n",
        env: &[],
        earned: 1,
    },
    Case {
        bin: env!("CARGO_BIN_EXE_leak-scan"),
        fixture: "leak-scan/canary-rules.in",
        args: &["stdin", "--rules", "canary.toml", "--exit-code", "7"],
        stdin: "token = canary_test_aaaabbbbccccdddd\n",
        env: &[],
        earned: 7,
    },
    Case {
        bin: env!("CARGO_BIN_EXE_secrets-verify"),
        fixture: "secrets-verify/missing.in",
        args: &["--format", "json"],
        stdin: "",
        env: &[
            ("API_INGRESS_TOKEN", "canary-ingress-7f3a91c2e4b85d06"),
            ("SESSION_SIGNING_KEY", "canary-session-2b8e64d1f9a07c35"),
            ("SUPABASE_URL", "https://canary-project.supabase.invalid"),
        ],
        earned: 1,
    },
    Case {
        bin: env!("CARGO_BIN_EXE_secrets-sync"),
        fixture: "secrets-sync/plan-prune-check.in",
        args: &[
            "plan",
            "--identity",
            "key.txt",
            "--prune",
            "--check",
            "--target",
            "wrangler",
        ],
        stdin: "",
        env: &[],
        earned: 1,
    },
    Case {
        bin: env!("CARGO_BIN_EXE_migrate-dryrun"),
        fixture: "migrate-dryrun/failing.in",
        args: &["--migrations", "migrations", "--dump", "prod.sql"],
        stdin: "",
        env: &[],
        earned: 1,
    },
    Case {
        bin: env!("CARGO_BIN_EXE_db-backup"),
        fixture: "db-backup/verify-missing-manifest.in",
        args: &["verify", "."],
        stdin: "",
        env: &[],
        earned: 1,
    },
];

#[test]
fn a_closed_stdout_never_changes_the_exit_code() {
    for case in &PROBLEMS {
        let fixture = Fixture::new(case.fixture);
        let command = || {
            let mut command = fixture.command(case.bin, case.args);
            command.envs(case.env.iter().copied());
            command
        };
        // The run really earns that code when stdout is open.
        let open = run(command(), case.stdin, false);
        assert_eq!(
            open.status.code(),
            Some(case.earned),
            "{}: {open:?}",
            case.fixture
        );
        let closed = run(command(), case.stdin, true);
        assert_eq!(
            closed.status.code(),
            Some(case.earned),
            "{} {:?} with a closed stdout: {}",
            case.fixture,
            case.args,
            printed(&closed)
        );
    }
}

/// What a run printed, stdout then stderr.
fn printed(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

const SYNC: &str = env!("CARGO_BIN_EXE_secrets-sync");

/// A secrets-sync project (a copy of `apply.in`) whose store holds `plaintext`, encrypted
/// with the real `age` CLI, and whose targets are wrangler, fly and github.
fn sync_project(plaintext: &str) -> Fixture {
    let fixture = Fixture::new("secrets-sync/apply.in");
    std::fs::write(
        fixture.path("bulwark.toml"),
        "default_env = \"production\"\n\n[env.production]\nstore = \"secrets/production.env.age\"\nrecipients_file = \"secrets/.recipients\"\n\n[[env.production.targets]]\nkind = \"wrangler\"\nenvironment = \"production\"\n\n[[env.production.targets]]\nkind = \"fly\"\napp = \"demo-api-worker\"\n\n[[env.production.targets]]\nkind = \"github\"\nrepo = \"demo-org/demo-api\"\n",
    )
    .expect("config");
    let store = fixture.path("secrets/production.env.age");
    std::fs::remove_file(&store).expect("old store");
    let mut age = Command::new("age")
        .args(["-e", "-a", "-R", "secrets/.recipients", "-o"])
        .arg(&store)
        .current_dir(fixture.dir.path())
        .stdin(Stdio::piped())
        .spawn()
        .expect("the age CLI is installed (tests/setup.sh)");
    age.stdin
        .take()
        .expect("piped")
        .write_all(plaintext.as_bytes())
        .expect("plaintext written");
    assert!(age.wait().expect("age runs").success());
    fixture
}

/// Canaries in the shapes escaping changes (`$`, backslashes, quotes) and a multi-line
/// PEM; each holds `cAnary`, which no encoding or escape changes.
const SHAPED_STORE: &str = "DOLLAR='cAnary$HOME-31f0${X}`id`-aa'
BACKSLASH='cAnary\\back\\slash\\-72ad'
QUOTES=\"cAnary \\\"double\\\" 'single' -9c4e\"
PEM=\"-----BEGIN PRIVATE KEY-----
MIIcAnaryPemLine1a2b3c4d5e6f
MIIcAnaryPemLine2f6e5d4c3b2a
-----END PRIVATE KEY-----\"
";

/// A target CLI that lists no secret and rejects every write, echoing what it got on
/// stdin in the form named by the file `leak-mode` (the runner passes it no variable).
const LEAKY_CLI: &str = r#"#!/usr/bin/env bash
case " $* " in *" list "*) echo '[]'; exit 0 ;; esac
body="$(cat; echo .)"; body="${body%.}"
case "$(cat leak-mode)" in
  b64) printf '%s' "$body" | base64 -w0 ;;
  b64x) printf 'x%s' "$body" | base64 -w0 ;;
  b64xy) printf 'xy%s' "$body" | base64 -w0 ;;
  b64url) printf 'x%s' "$body" | base64 -w0 | tr '+/' '-_' ;;
  raw) printf '%s' "$body" | tr '\n' ' ' ;;
  lines) while IFS= read -r line; do printf '%s ' "$(printf '%s' "$line" | base64 -w0)"; done <<<"$body" ;;
esac >&2
printf '\nError: rejected\n' >&2
exit 1
"#;

/// Whether any run of base64 characters in `text`, read from any offset in either
/// alphabet, decodes to something that holds `marker`.
fn decodes_to(text: &str, marker: &str) -> bool {
    use base64::Engine as _;
    use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
    text.split(|c: char| !(c.is_ascii_alphanumeric() || "+/-_".contains(c)))
        .filter(|token| token.len() >= 8)
        .any(|token| {
            (0..4).any(|skip| {
                let rest = &token[skip.min(token.len())..];
                let usable = &rest[..rest.len() / 4 * 4];
                [&STANDARD_NO_PAD, &URL_SAFE_NO_PAD].iter().any(|engine| {
                    engine
                        .decode(usable)
                        .is_ok_and(|bytes| String::from_utf8_lossy(&bytes).contains(marker))
                })
            })
        })
}

#[test]
fn no_value_is_recoverable_from_what_a_failing_target_echoes() {
    let fixture = sync_project(SHAPED_STORE);
    let leaky = fixture.path("leaky-cli");
    std::fs::write(&leaky, LEAKY_CLI).expect("write the CLI");
    let mut perms = std::fs::metadata(&leaky).expect("meta").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&leaky, perms).expect("chmod");
    // The check itself finds the canary where it is.
    assert!(decodes_to(&base64_of("{\"A\":\"cAnary\\\\x\"}"), "cAnary"));
    for mode in ["b64", "b64x", "b64xy", "b64url", "raw", "lines"] {
        std::fs::write(fixture.path("leak-mode"), mode).expect("mode");
        for format in ["human", "json"] {
            let mut command = fixture.command(
                SYNC,
                &[
                    "apply",
                    "--identity",
                    "key.txt",
                    "--yes",
                    "--format",
                    format,
                ],
            );
            for tool in ["BULWARK_WRANGLER", "BULWARK_FLY", "BULWARK_GH"] {
                command.env(tool, &leaky);
            }
            let out = run(command, "", false);
            let text = printed(&out);
            assert_eq!(out.status.code(), Some(3), "{mode} {format}: {text}");
            assert!(text.contains("[redacted]"), "{mode} {format}: {text}");
            assert!(!text.contains("cAnary"), "{mode} {format}: {text}");
            assert!(
                !decodes_to(&text, "cAnary"),
                "{mode} {format}: a value decodes from\n{text}"
            );
        }
    }
}

fn base64_of(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(text)
}

#[test]
fn a_value_too_short_to_redact_is_never_stored_nor_sent() {
    let _edits = crate::edit_lock();
    let fixture = sync_project("LONG=long-enough-value-1\n");
    let store = fixture.path("secrets/production.env.age");
    let before = std::fs::read(&store).expect("store");
    // set
    let out = run(
        fixture.command(SYNC, &["set", "SHORT", "--identity", "key.txt"]),
        "e\n",
        false,
    );
    let text = printed(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("SHORT: a value shorter than 8 bytes"),
        "{text}"
    );
    assert!(
        text.contains("hint: use a value of at least 8 bytes"),
        "{text}"
    );
    assert_eq!(std::fs::read(&store).expect("store"), before, "not written");
    // edit: no terminal to offer another edit on, so it stops
    let script = fixture.path("editor.sh");
    std::fs::write(&script, "#!/bin/sh\necho 'SHORT=abc' >> \"$1\"\n").expect("editor");
    let mut perms = std::fs::metadata(&script).expect("meta").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&script, perms).expect("chmod");
    let mut edit = fixture.command(SYNC, &["edit", "--identity", "key.txt"]);
    edit.env("EDITOR", &script).env_remove("VISUAL");
    let out = run(edit, "", false);
    assert_eq!(out.status.code(), Some(2), "{}", printed(&out));
    assert!(printed(&out).contains("SHORT: a value shorter than 8 bytes"));
    assert_eq!(std::fs::read(&store).expect("store"), before, "not written");
    // apply, with a store written by other tools
    let fixture = sync_project("LONG=long-enough-value-1\nSHORT=abc\n");
    let out = run(
        fixture.command(SYNC, &["apply", "--identity", "key.txt", "--yes"]),
        "",
        false,
    );
    let text = printed(&out);
    // A value already in the store that no target may be sent is a finding, as plan
    // reports it: exit 1, and nothing is sent.
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("SHORT → wrangler: the value is shorter than 8 bytes"),
        "{text}"
    );
    let calls = std::fs::read_to_string(fixture.path("standin/calls.log")).expect("listed");
    assert!(calls.contains("secret list"), "{calls}");
    for write in ["secret bulk", "secrets import", "secret set"] {
        assert!(!calls.contains(write), "nothing is sent: {calls}");
    }
}

#[test]
fn a_value_equal_to_a_name_or_a_key_is_not_redacted_out_of_the_report_frame() {
    let fixture = sync_project("ENV_NAME=production\nKEY_NAME=environment\nLABEL=unmanaged\n");
    let out = run(
        fixture.command(
            SYNC,
            &["plan", "--identity", "key.txt", "--target", "wrangler"],
        ),
        "",
        false,
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("plan for production (secrets/production.env.age)\n"),
        "{text}"
    );
    assert!(!text.contains("[redacted]"), "{text}");
    let out = run(
        fixture.command(
            SYNC,
            &[
                "plan",
                "--identity",
                "key.txt",
                "--target",
                "wrangler",
                "--format",
                "json",
            ],
        ),
        "",
        false,
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    assert_eq!(doc["environment"], "production", "{doc}");
    assert_eq!(doc["store"], "secrets/production.env.age", "{doc}");
    assert_eq!(doc["targets"][0]["name"], "wrangler", "{doc}");
}

/// The values in the `apply-mask.in` store.
const MASK_CANARIES: [&str; 3] = [
    "canary-sync-api-5f2e9a71",
    "canary-sync-db-88c1d4",
    "canary-sync-multi-31b7",
];

/// `apply` in a copy of `apply-mask.in`, with stdout and stderr each a pipe or a file.
fn apply_with_masks(
    fixture: &Fixture,
    extra: &[&str],
    github_actions: bool,
    stdout_file: bool,
    stderr_file: bool,
) -> (Option<i32>, String, String) {
    let mut args = vec![
        "apply",
        "--identity",
        "key.txt",
        "--yes",
        "--target",
        "wrangler",
    ];
    args.extend_from_slice(extra);
    let mut command = fixture.command(SYNC, &args);
    if github_actions {
        command.env("GITHUB_ACTIONS", "true");
    }
    let sink = |name: &str, to_file: bool| {
        if to_file {
            Stdio::from(std::fs::File::create(fixture.path(name)).expect("redirect file"))
        } else {
            Stdio::piped()
        }
    };
    let out = command
        .stdin(Stdio::null())
        .stdout(sink("stdout.txt", stdout_file))
        .stderr(sink("stderr.txt", stderr_file))
        .output()
        .expect("runs");
    let read = |name: &str, to_file: bool, piped: &[u8]| {
        if to_file {
            std::fs::read_to_string(fixture.path(name)).expect("redirected output")
        } else {
            String::from_utf8_lossy(piped).into_owned()
        }
    };
    (
        out.status.code(),
        read("stdout.txt", stdout_file, &out.stdout),
        read("stderr.txt", stderr_file, &out.stderr),
    )
}

#[test]
fn masks_never_reach_the_report_nor_a_file() {
    // stdout to a file, stderr a pipe (as on a runner): the file is the JSON report alone.
    let fixture = Fixture::new("secrets-sync/apply-mask.in");
    let (code, stdout, stderr) = apply_with_masks(
        &fixture,
        &["--mask", "--format", "json"],
        false,
        true,
        false,
    );
    assert_eq!(code, Some(0), "{stderr}");
    let doc: serde_json::Value = serde_json::from_str(&stdout).expect("stdout is one document");
    assert_eq!(doc["mode"], "apply");
    for canary in MASK_CANARIES {
        assert!(!stdout.contains(canary), "{canary} in the report file");
        let masked = stderr
            .lines()
            .any(|line| line.starts_with("::add-mask::") && line.contains(canary));
        assert!(masked, "{canary} not masked: {stderr}");
    }

    // --mask with stderr to a file: refused before anything is sent, no value anywhere.
    let fixture = Fixture::new("secrets-sync/apply-mask.in");
    let (code, stdout, stderr) = apply_with_masks(&fixture, &["--mask"], false, true, true);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("stderr is a regular file, not a pipe"),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: --mask is for a GitHub Actions step"),
        "{stderr}"
    );
    let calls = std::fs::read_to_string(fixture.path("standin/calls.log")).unwrap_or_default();
    assert!(!calls.contains("secret bulk"), "nothing is sent: {calls}");
    for canary in MASK_CANARIES {
        assert!(
            !stdout.contains(canary) && !stderr.contains(canary),
            "{canary} written"
        );
    }

    // GITHUB_ACTIONS=true with stderr to a file: applied, unmasked, with a warning that
    // names no value.
    let fixture = Fixture::new("secrets-sync/apply-mask.in");
    let (code, stdout, stderr) = apply_with_masks(&fixture, &[], true, true, true);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.starts_with("warning: cannot announce values as GitHub Actions masks"),
        "{stderr}"
    );
    assert!(stdout.starts_with("apply for production"), "{stdout}");
    for canary in MASK_CANARIES {
        assert!(
            !stdout.contains(canary) && !stderr.contains(canary),
            "{canary} written"
        );
    }
}

#[test]
fn secrets_verify_keeps_its_frame_when_a_value_equals_a_name() {
    let fixture = Fixture::new("secrets-verify/missing.in");
    let mut command = fixture.command(env!("CARGO_BIN_EXE_secrets-verify"), &[]);
    command.envs([
        ("API_INGRESS_TOKEN", "production"),
        ("SESSION_SIGNING_KEY", "canary-session-2b8e64d1f9a07c35"),
        ("SUPABASE_URL", "https://canary-project.supabase.invalid"),
    ]);
    let out = run(command, "", false);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{}", printed(&out));
    assert!(text.starts_with("environment production\n"), "{text}");
    assert!(!text.contains("canary-session"), "{text}");
}

//! Fail closed (issue 13): a closed stdout never changes the verdict, `--mask` never puts a
//! value where a report goes, and no encoding of a value reaches the output.

use std::io::Write as _;
use std::path::Path;
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

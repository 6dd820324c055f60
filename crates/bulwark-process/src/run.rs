//! Running a tool: found on purpose, given only the environment it needs, stopped with
//! everything it started when it hangs, and its output scrubbed before anyone sees it.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::Write as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use bulwark_secret::{Redactor, Secret};
use rustix::process::{Pid, Signal};

use crate::{ProcessError, Tool};

/// How long the output of a tool that has exited is waited for. A process it started
/// (wrangler's `bin/wrangler.js` runs a second node process) may hold the pipes open;
/// after this the whole group is killed instead of waiting for it forever.
const LINGER: Duration = Duration::from_secs(5);

/// How often a running child is looked at.
const POLL: Duration = Duration::from_millis(20);

/// What a finished tool left behind. `stdout` is raw (callers parse it); `stderr` is
/// already scrubbed and without colours.
#[derive(Debug)]
pub struct Finished {
    /// The exit status.
    pub status: ExitStatus,
    /// Raw standard output.
    pub stdout: Vec<u8>,
    /// Standard error, scrubbed of every known value.
    pub stderr: String,
}

impl Finished {
    /// The tool's own error, on one line (see [`crate::summary`]).
    #[must_use]
    pub fn summary(&self) -> String {
        crate::summary(&self.stderr)
    }
}

/// Runs the deploy tools for one project.
#[derive(Debug)]
pub struct Runner {
    pub(crate) project_dir: PathBuf,
    timeout: Option<Duration>,
    redactor: Redactor,
    /// Our environment, read once: the lookup and every child's allowlist come from it.
    env: BTreeMap<String, OsString>,
}

impl Runner {
    /// A runner for the project in `project_dir` (where the tools run, and where
    /// `node_modules/.bin` is looked for first), stopping each child and everything it
    /// started after `timeout`. The values of every tool's credential variables are
    /// added to its redactor at once.
    #[must_use]
    pub fn new(project_dir: &Path, timeout: Duration) -> Self {
        Self::with_env(project_dir, Some(timeout), std::env::vars_os())
    }

    /// A runner without a timeout, for work that may take as long as it takes (a
    /// database export). A tool that exits is still not waited for past a few seconds
    /// when something it started holds its output open.
    #[must_use]
    pub fn untimed(project_dir: &Path) -> Self {
        Self::with_env(project_dir, None, std::env::vars_os())
    }

    /// A runner that sees `env` as our environment instead of the process's own.
    #[must_use]
    pub fn with_env(
        project_dir: &Path,
        timeout: Option<Duration>,
        env: impl IntoIterator<Item = (OsString, OsString)>,
    ) -> Self {
        let env: BTreeMap<String, OsString> = env
            .into_iter()
            .filter_map(|(name, value)| Some((name.into_string().ok()?, value)))
            .collect();
        let mut redactor = Redactor::new();
        for tool in Tool::ALL {
            for var in tool.token_vars() {
                if let Some(value) = env.get(*var).and_then(|v| v.to_str()) {
                    redactor.add_value(value);
                }
            }
        }
        Self {
            project_dir: project_dir.to_owned(),
            timeout,
            redactor,
            env,
        }
    }

    /// Learns a value to scrub from every child's output.
    pub fn hide(&mut self, value: &Secret) {
        self.redactor.add(value);
    }

    /// The redactor children's output passes through.
    #[must_use]
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// Scrubs text a child printed (its stdout, say) before it goes into a message.
    #[must_use]
    pub fn scrub(&self, bytes: &[u8]) -> String {
        self.redactor.redact_bytes(&crate::strip_ansi(bytes))
    }

    pub(crate) fn var(&self, name: &str) -> Option<OsString> {
        self.env.get(name).cloned()
    }

    /// Where `tool` is: its override variable, the project's `node_modules/.bin` (and
    /// those above it), then `PATH`.
    pub fn locate(&self, tool: Tool) -> Result<PathBuf, ProcessError> {
        tool.locate(&self.project_dir, |name| self.var(name))
    }

    /// Runs `tool` with `args` in the project directory, `stdin` (if any) written to its
    /// standard input and then closed. The child's environment is the allowlist plus
    /// this tool's own credential variables; nothing else. It runs in a process group
    /// of its own, which is killed when the timeout passes, when the tool exits but
    /// something it started keeps its output open, and after it finishes.
    pub fn run(
        &self,
        tool: Tool,
        args: &[OsString],
        stdin: Option<&[u8]>,
    ) -> Result<Finished, ProcessError> {
        let program = self.locate(tool)?;
        let command_line = || describe(tool, args);
        let mut command = Command::new(&program);
        command
            .args(args)
            .current_dir(&self.project_dir)
            .env_clear()
            .envs(tool.environment(|name| self.var(name)))
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        let mut child = command.spawn().map_err(|source| ProcessError::Spawn {
            command: command_line(),
            source,
        })?;
        let group = Pid::from_child(&child);
        if let Some(bytes) = stdin {
            let mut pipe = child.stdin.take().expect("stdin was piped");
            let bytes = zeroize::Zeroizing::new(bytes.to_vec());
            // Not joined: a child that never reads would hold it. A child that exits
            // without reading its input is reported by its status.
            thread::spawn(move || {
                let _ = pipe.write_all(&bytes);
            });
        }
        let (sender, output) = mpsc::channel();
        let stdout = child.stdout.take().expect("stdout was piped");
        let stderr = child.stderr.take().expect("stderr was piped");
        read_to_end(stdout, Stream::Out, sender.clone());
        read_to_end(stderr, Stream::Err, sender);

        let started = Instant::now();
        let deadline = self.timeout.map(|timeout| started + timeout);
        let mut exited: Option<(ExitStatus, Instant)> = None;
        let mut out: Option<Vec<u8>> = None;
        let mut err: Option<Vec<u8>> = None;
        loop {
            if exited.is_none() {
                match child.try_wait() {
                    Ok(Some(status)) => exited = Some((status, Instant::now())),
                    Ok(None) => {}
                    Err(source) => {
                        stop(group, &mut child);
                        return Err(ProcessError::Spawn {
                            command: command_line(),
                            source,
                        });
                    }
                }
            }
            if let (Some((status, _)), Some(stdout), Some(stderr)) = (exited, &mut out, &err) {
                // Anything the tool left running in the background goes too.
                stop(group, &mut child);
                return Ok(Finished {
                    status,
                    stdout: std::mem::take(stdout),
                    stderr: self.scrub(stderr),
                });
            }
            let now = Instant::now();
            if deadline.is_some_and(|deadline| now >= deadline) {
                stop(group, &mut child);
                return Err(ProcessError::Timeout {
                    command: command_line(),
                    seconds: self.timeout.unwrap_or_default().as_secs(),
                });
            }
            if let Some((status, at)) = exited
                && now >= at + LINGER
            {
                stop(group, &mut child);
                return Err(ProcessError::Lingering {
                    command: command_line(),
                    status: status.to_string(),
                    seconds: LINGER.as_secs(),
                });
            }
            match output.recv_timeout(POLL) {
                Ok((Stream::Out, bytes)) => out = Some(bytes),
                Ok((Stream::Err, bytes)) => err = Some(bytes),
                Err(_) => {}
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Stream {
    Out,
    Err,
}

/// Reads `pipe` to its end on a thread of its own and sends what it read. Not joined:
/// a process that escaped the group may hold the pipe open for ever.
fn read_to_end(
    mut pipe: impl std::io::Read + Send + 'static,
    stream: Stream,
    sender: mpsc::Sender<(Stream, Vec<u8>)>,
) {
    thread::spawn(move || {
        let mut buffer = Vec::new();
        let _ = pipe.read_to_end(&mut buffer);
        let _ = sender.send((stream, buffer));
    });
}

/// Kills the child's process group (the child and everything it started that did not
/// leave the group) and reaps the child.
fn stop(group: Pid, child: &mut Child) {
    // ESRCH when nothing is left: nothing to do.
    let _ = rustix::process::kill_process_group(group, Signal::KILL);
    let _ = child.kill();
    let _ = child.wait();
}

/// `wrangler secret list --env production`, for messages (arguments never hold values).
#[must_use]
pub fn describe(tool: Tool, args: &[OsString]) -> String {
    let mut text = tool.program().to_owned();
    for arg in args {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    text
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    /// A stand-in `wrangler` with `body` as its shell script, and a runner that finds it
    /// through `BULWARK_WRANGLER` and sees `extra` as our environment besides PATH.
    fn standin(
        dir: &Path,
        body: &str,
        timeout: Option<Duration>,
        extra: &[(&str, &str)],
    ) -> Runner {
        let script = dir.join("wrangler-standin");
        std::fs::write(&script, format!("#!/bin/sh\n{body}\n")).expect("write");
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let mut env = vec![
            (OsString::from("BULWARK_WRANGLER"), script.into_os_string()),
            (
                OsString::from("PATH"),
                std::env::var_os("PATH").unwrap_or_default(),
            ),
        ];
        env.extend(
            extra
                .iter()
                .map(|(name, value)| (OsString::from(name), OsString::from(value))),
        );
        Runner::with_env(dir, timeout, env)
    }

    /// Whether the process is gone (or a zombie nobody has reaped yet) within a second:
    /// a signal is delivered asynchronously.
    fn gone(pid: &str) -> bool {
        let dead = || {
            std::fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |stat| {
                stat.rsplit(')')
                    .next()
                    .is_some_and(|rest| rest.trim_start().starts_with('Z'))
            })
        };
        let until = Instant::now() + Duration::from_secs(1);
        while !dead() {
            if Instant::now() > until {
                return false;
            }
            thread::sleep(POLL);
        }
        true
    }

    fn grandchild_pid(dir: &Path) -> String {
        std::fs::read_to_string(dir.join("grandchild.pid"))
            .expect("the stand-in wrote its grandchild's pid")
            .trim()
            .to_owned()
    }

    const LEAVES_A_GRANDCHILD: &str = "sleep 300 &\necho $! > grandchild.pid\necho '[]'\nexit 0";

    #[test]
    fn a_standin_that_exits_but_leaves_a_grandchild_holding_stdout_stops_at_the_timeout() {
        let dir = tempfile::tempdir().expect("temp dir");
        let runner = standin(
            dir.path(),
            LEAVES_A_GRANDCHILD,
            Some(Duration::from_secs(2)),
            &[],
        );
        let started = Instant::now();
        let err = runner
            .run(Tool::Wrangler, &[OsString::from("secret")], None)
            .expect_err("the grandchild holds stdout past the timeout");
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "took {:?}",
            started.elapsed()
        );
        assert!(
            matches!(err, ProcessError::Timeout { seconds: 2, .. }),
            "{err:?}"
        );
        let pid = grandchild_pid(dir.path());
        assert!(gone(&pid), "grandchild {pid} still runs");
    }

    #[test]
    fn without_a_timeout_a_standins_lingering_grandchild_is_stopped_soon_after_it_exits() {
        let dir = tempfile::tempdir().expect("temp dir");
        let runner = standin(dir.path(), LEAVES_A_GRANDCHILD, None, &[]);
        let started = Instant::now();
        let err = runner
            .run(Tool::Wrangler, &[], None)
            .expect_err("the grandchild holds stdout");
        assert!(
            started.elapsed() < LINGER + Duration::from_secs(2),
            "took {:?}",
            started.elapsed()
        );
        assert_eq!(
            err.to_string(),
            "`wrangler` exited (exit status: 0) but left a process holding its output open; it was stopped after 5 s"
        );
        let pid = grandchild_pid(dir.path());
        assert!(gone(&pid), "grandchild {pid} still runs");
    }

    #[test]
    fn a_hanging_standin_and_its_children_are_killed_at_the_timeout() {
        let dir = tempfile::tempdir().expect("temp dir");
        let runner = standin(
            dir.path(),
            "sleep 300 &\necho $! > grandchild.pid\nsleep 300",
            Some(Duration::from_secs(1)),
            &[],
        );
        let started = Instant::now();
        let err = runner.run(Tool::Wrangler, &[], None).expect_err("hangs");
        assert!(started.elapsed() < Duration::from_secs(3));
        assert!(matches!(err, ProcessError::Timeout { .. }), "{err:?}");
        assert!(gone(&grandchild_pid(dir.path())));
    }

    #[test]
    fn a_standin_sees_only_the_allowlist_its_stdin_and_its_output_is_scrubbed() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut runner = standin(
            dir.path(),
            "env > env.txt\ncat > stdin.txt\necho \"token $CLOUDFLARE_API_TOKEN and $1\" >&2\necho out\nexit 3",
            Some(Duration::from_secs(30)),
            &[
                ("CLOUDFLARE_API_TOKEN", "canary-cf-token-51d2"),
                ("FLY_API_TOKEN", "canary-fly-token-77a0"),
                ("BULWARK_AGE_IDENTITY", "AGE-SECRET-KEY-1CANARY"),
                ("STRIPE_WEBHOOK_SECRET", "canary-app-secret-93b1"),
            ],
        );
        let value = Secret::new("canary-value-on-stdin-0c4e".to_owned());
        runner.hide(&value);
        let finished = runner
            .run(
                Tool::Wrangler,
                &[OsString::from("canary-value-on-stdin-0c4e")],
                Some(value.expose_bytes()),
            )
            .expect("runs");
        assert_eq!(finished.status.code(), Some(3));
        assert_eq!(finished.stdout, b"out\n");
        assert_eq!(finished.stderr, "token [redacted] and [redacted]\n");
        assert_eq!(finished.summary(), "token [redacted] and [redacted]");
        let env = std::fs::read_to_string(dir.path().join("env.txt")).expect("env");
        assert!(
            env.contains("CLOUDFLARE_API_TOKEN=canary-cf-token-51d2"),
            "{env}"
        );
        assert!(env.contains("CI=true"), "{env}");
        for absent in [
            "FLY_API_TOKEN",
            "BULWARK_AGE_IDENTITY",
            "STRIPE_WEBHOOK_SECRET",
            "BULWARK_WRANGLER",
        ] {
            assert!(!env.contains(absent), "{absent} reached wrangler: {env}");
        }
        assert_eq!(
            std::fs::read_to_string(dir.path().join("stdin.txt")).expect("stdin"),
            "canary-value-on-stdin-0c4e"
        );
    }

    #[test]
    fn descriptions_show_the_command_line() {
        let args = ["secret", "list", "--env", "production"].map(OsString::from);
        assert_eq!(
            describe(Tool::Wrangler, &args),
            "wrangler secret list --env production"
        );
    }
}

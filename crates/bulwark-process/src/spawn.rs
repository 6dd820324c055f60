//! A child that runs alongside us: its standard input or output streamed (a dump piped
//! into the compressor, a backup piped into a restore), or a server that runs until it is
//! stopped. The same lookup, allowlist, process group and scrubbed stderr as
//! [`Runner::run`]; the group is killed when the handle is dropped.

use std::ffi::OsString;
use std::os::unix::process::CommandExt as _;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal};

use crate::{ProcessError, Runner, Tool};

/// How a spawned child is set up.
#[derive(Debug, Default, Clone)]
pub struct SpawnOptions {
    /// Pipe its standard input (else it reads `/dev/null`).
    pub stdin: bool,
    /// Pipe its standard output (else it goes to `/dev/null`).
    pub stdout: bool,
    /// Run it as this user and group (when we are root and the tool refuses root, as
    /// PostgreSQL's server does). Supplementary groups are dropped.
    pub user: Option<(u32, u32)>,
    /// Run it in this directory instead of the project's.
    pub current_dir: Option<PathBuf>,
}

/// A running child. Dropping it kills its process group and reaps it.
#[derive(Debug)]
pub struct Spawned {
    child: Child,
    group: Pid,
    command: String,
    stderr: mpsc::Receiver<Vec<u8>>,
    /// Its standard input, when piped. Drop it (or take it) to close the pipe.
    pub stdin: Option<ChildStdin>,
    /// Its standard output, when piped.
    pub stdout: Option<ChildStdout>,
}

/// How a spawned child ended.
#[derive(Debug)]
pub struct Exited {
    /// The exit status.
    pub status: ExitStatus,
    /// Standard error, scrubbed of every known value and without colours.
    pub stderr: String,
}

impl Runner {
    /// Starts `tool` with `args` and returns at once. See [`SpawnOptions`].
    pub fn spawn(
        &self,
        tool: Tool,
        args: &[OsString],
        options: &SpawnOptions,
    ) -> Result<Spawned, ProcessError> {
        let program = self.locate(tool)?;
        let command = crate::describe(tool, args);
        let mut builder = Command::new(&program);
        builder
            .args(args)
            .current_dir(options.current_dir.as_ref().unwrap_or(&self.project_dir))
            .env_clear()
            .envs(tool.environment(|name| self.var(name)))
            .stdin(if options.stdin {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(if options.stdout {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stderr(Stdio::piped())
            .process_group(0);
        if let Some((uid, gid)) = options.user {
            builder.uid(uid).gid(gid);
        }
        let mut child = builder.spawn().map_err(|source| ProcessError::Spawn {
            command: command.clone(),
            source,
        })?;
        let group = Pid::from_child(&child);
        let (sender, stderr) = mpsc::channel();
        let mut pipe = child.stderr.take().expect("stderr was piped");
        thread::spawn(move || {
            let mut buffer = Vec::new();
            let _ = std::io::Read::read_to_end(&mut pipe, &mut buffer);
            let _ = sender.send(buffer);
        });
        Ok(Spawned {
            stdin: child.stdin.take(),
            stdout: child.stdout.take(),
            child,
            group,
            command,
            stderr,
        })
    }
}

impl Spawned {
    /// The command line, for messages.
    #[must_use]
    pub fn command(&self) -> &str {
        &self.command
    }

    /// The child's process id.
    #[must_use]
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Whether it has exited, without waiting.
    pub fn try_wait(&mut self) -> Result<Option<ExitStatus>, ProcessError> {
        self.child.try_wait().map_err(|source| ProcessError::Spawn {
            command: self.command.clone(),
            source,
        })
    }

    /// Sends `signal` to the child itself (a server's own shutdown signal).
    pub fn signal(&self, signal: Signal) {
        let _ = rustix::process::kill_process(self.group, signal);
    }

    /// Waits for it to exit, at most `timeout` when given (then its group is killed and
    /// that is a [`ProcessError::Timeout`]), and returns its status and its stderr
    /// scrubbed by `runner`'s redactor. Its stdin is closed first, so a child waiting
    /// for more input sees the end.
    pub fn wait(
        mut self,
        runner: &Runner,
        timeout: Option<Duration>,
    ) -> Result<Exited, ProcessError> {
        drop(self.stdin.take());
        let started = Instant::now();
        let status = loop {
            if let Some(status) = self.try_wait()? {
                break status;
            }
            if let Some(limit) = timeout
                && started.elapsed() >= limit
            {
                return Err(ProcessError::Timeout {
                    command: self.command.clone(),
                    seconds: limit.as_secs(),
                });
            }
            thread::sleep(Duration::from_millis(10));
        };
        // What it printed, unless something it started still holds the pipe.
        let stderr = self
            .stderr
            .recv_timeout(Duration::from_secs(5))
            .unwrap_or_default();
        let stderr = runner.scrub(&stderr);
        Ok(Exited { status, stderr })
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = rustix::process::kill_process_group(self.group, Signal::KILL);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

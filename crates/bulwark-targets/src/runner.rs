//! Running a target CLI: found on purpose, given only the environment it needs, stopped
//! when it hangs, and its output scrubbed before anyone sees it.

use std::ffi::OsString;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use bulwark_secret::{Redactor, Secret};

use crate::TargetError;

/// Variables every child gets from our own environment when set: what a CLI needs to find
/// its login, its certificates and its proxy. Nothing else of ours crosses over.
const PASS_THROUGH: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "LANG",
    "LC_ALL",
    "TMPDIR",
    "XDG_CONFIG_HOME",
    "XDG_CACHE_HOME",
    "XDG_DATA_HOME",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "NODE_EXTRA_CA_CERTS",
    "HTTPS_PROXY",
    "HTTP_PROXY",
    "NO_PROXY",
    "https_proxy",
    "http_proxy",
    "no_proxy",
];

/// Set for every child: no prompts, no colour, no telemetry.
const FIXED: &[(&str, &str)] = &[
    ("CI", "true"),
    ("NO_COLOR", "1"),
    ("FORCE_COLOR", "0"),
    ("WRANGLER_SEND_METRICS", "false"),
    ("GH_PROMPT_DISABLED", "1"),
    ("GH_NO_UPDATE_NOTIFIER", "1"),
];

/// The CLIs Bulwark drives, with the variables that carry their credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    /// Cloudflare's `wrangler` (Workers secrets and Secrets Store).
    Wrangler,
    /// Fly.io's `fly` (or `flyctl`).
    Fly,
    /// GitHub's `gh`.
    Gh,
}

impl Tool {
    /// The program name on PATH.
    #[must_use]
    pub fn program(self) -> &'static str {
        match self {
            Self::Wrangler => "wrangler",
            Self::Fly => "fly",
            Self::Gh => "gh",
        }
    }

    /// The variable that names an explicit executable, e.g. `BULWARK_WRANGLER=/opt/bin/wrangler`.
    #[must_use]
    pub fn override_var(self) -> &'static str {
        match self {
            Self::Wrangler => "BULWARK_WRANGLER",
            Self::Fly => "BULWARK_FLY",
            Self::Gh => "BULWARK_GH",
        }
    }

    /// The variables holding this tool's credentials: passed to its child only, and
    /// their values added to the redactor.
    #[must_use]
    pub fn token_vars(self) -> &'static [&'static str] {
        match self {
            Self::Wrangler => &[
                "CLOUDFLARE_API_TOKEN",
                "CLOUDFLARE_ACCOUNT_ID",
                "CLOUDFLARE_API_KEY",
                "CLOUDFLARE_EMAIL",
            ],
            Self::Fly => &["FLY_API_TOKEN", "FLY_ACCESS_TOKEN"],
            Self::Gh => &[
                "GH_TOKEN",
                "GITHUB_TOKEN",
                "GH_HOST",
                "GH_ENTERPRISE_TOKEN",
                "GITHUB_ENTERPRISE_TOKEN",
            ],
        }
    }

    /// How to install it, for the error when it is missing.
    #[must_use]
    pub fn install_hint(self) -> &'static str {
        match self {
            Self::Wrangler => {
                "install wrangler (`npm install --save-dev wrangler`) or set BULWARK_WRANGLER to its path"
            }
            Self::Fly => {
                "install flyctl (https://fly.io/docs/flyctl/install/) or set BULWARK_FLY to its path"
            }
            Self::Gh => {
                "install the GitHub CLI (https://cli.github.com) or set BULWARK_GH to its path"
            }
        }
    }

    /// Every tool.
    pub const ALL: [Self; 3] = [Self::Wrangler, Self::Fly, Self::Gh];
}

/// What a finished child left behind. `stdout` is raw (callers parse it); `stderr` is
/// already scrubbed.
#[derive(Debug)]
pub struct Finished {
    /// The exit status.
    pub status: ExitStatus,
    /// Raw standard output.
    pub stdout: Vec<u8>,
    /// Standard error, scrubbed of every known value.
    pub stderr: String,
}

/// Runs target CLIs for one project.
#[derive(Debug)]
pub struct Runner {
    project_dir: PathBuf,
    timeout: Duration,
    redactor: Redactor,
}

impl Runner {
    /// A runner for the project in `project_dir` (where `node_modules/.bin/wrangler` is
    /// looked for), stopping children after `timeout`. The values of every tool's token
    /// variables are added to its redactor at once.
    #[must_use]
    pub fn new(project_dir: &Path, timeout: Duration) -> Self {
        let mut redactor = Redactor::new();
        for tool in Tool::ALL {
            for var in tool.token_vars() {
                if let Ok(value) = std::env::var(var) {
                    redactor.add_value(&value);
                }
            }
        }
        Self {
            project_dir: project_dir.to_owned(),
            timeout,
            redactor,
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

    /// Where `tool` is: its override variable, the project's `node_modules/.bin` (for
    /// wrangler), then PATH (`flyctl` too, for fly).
    pub fn locate(&self, tool: Tool) -> Result<PathBuf, TargetError> {
        // Absolute, so a relative PATH entry still means the same file once the child
        // runs in the project directory.
        let absolute = |path: PathBuf| std::path::absolute(&path).unwrap_or(path);
        if let Some(path) = std::env::var_os(tool.override_var()).filter(|p| !p.is_empty()) {
            let path = absolute(PathBuf::from(path));
            return if is_executable(&path) {
                Ok(path)
            } else {
                Err(TargetError::Missing { tool })
            };
        }
        if tool == Tool::Wrangler {
            let local = self.project_dir.join("node_modules/.bin/wrangler");
            if is_executable(&local) {
                return Ok(absolute(local));
            }
        }
        let names: &[&str] = if tool == Tool::Fly {
            &["fly", "flyctl"]
        } else {
            &[tool.program()]
        };
        let path = std::env::var_os("PATH").unwrap_or_default();
        for dir in std::env::split_paths(&path) {
            for name in names {
                let candidate = dir.join(name);
                if is_executable(&candidate) {
                    return Ok(absolute(candidate));
                }
            }
        }
        Err(TargetError::Missing { tool })
    }

    /// Runs `tool` with `args` in the project directory, `stdin` (if any) written to its
    /// standard input and then closed. The child's environment is the allowlist plus
    /// this tool's own token variables; nothing else.
    pub fn run(
        &self,
        tool: Tool,
        args: &[OsString],
        stdin: Option<&[u8]>,
    ) -> Result<Finished, TargetError> {
        let program = self.locate(tool)?;
        let mut command = Command::new(&program);
        command
            .args(args)
            .current_dir(&self.project_dir)
            .env_clear()
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for var in PASS_THROUGH.iter().chain(tool.token_vars()) {
            if let Some(value) = std::env::var_os(var) {
                command.env(var, value);
            }
        }
        command.envs(FIXED.iter().copied());
        let describe = || describe(tool, args);
        let mut child = command.spawn().map_err(|source| TargetError::Spawn {
            command: describe(),
            source,
        })?;
        let writer = stdin.map(|bytes| {
            let mut pipe = child.stdin.take().expect("stdin was piped");
            let bytes = zeroize::Zeroizing::new(bytes.to_vec());
            thread::spawn(move || {
                // A child that exits without reading its input is reported by its status.
                let _ = pipe.write_all(&bytes);
            })
        });
        let mut out_pipe = child.stdout.take().expect("stdout was piped");
        let mut err_pipe = child.stderr.take().expect("stderr was piped");
        let out_reader = thread::spawn(move || {
            let mut buffer = Vec::new();
            let _ = out_pipe.read_to_end(&mut buffer);
            buffer
        });
        let err_reader = thread::spawn(move || {
            let mut buffer = Vec::new();
            let _ = err_pipe.read_to_end(&mut buffer);
            buffer
        });
        let deadline = Instant::now() + self.timeout;
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() >= deadline => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(TargetError::Timeout {
                        command: describe(),
                        seconds: self.timeout.as_secs(),
                    });
                }
                Ok(None) => thread::sleep(Duration::from_millis(20)),
                Err(source) => {
                    return Err(TargetError::Spawn {
                        command: describe(),
                        source,
                    });
                }
            }
        };
        if let Some(writer) = writer {
            let _ = writer.join();
        }
        let stdout = out_reader.join().unwrap_or_default();
        let stderr_raw = err_reader.join().unwrap_or_default();
        let stderr = self.redactor.redact_bytes(&strip_ansi(&stderr_raw));
        Ok(Finished {
            status,
            stdout,
            stderr,
        })
    }
}

/// `wrangler secret list --env production`, for messages (arguments never hold values).
pub(crate) fn describe(tool: Tool, args: &[OsString]) -> String {
    let mut text = tool.program().to_owned();
    for arg in args {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    text
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    path.metadata()
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

/// Removes ANSI escape sequences (wrangler colours its warnings even with `NO_COLOR`).
#[must_use]
pub fn strip_ansi(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut rest = bytes.iter().copied().peekable();
    while let Some(byte) = rest.next() {
        if byte == 0x1b && rest.peek() == Some(&b'[') {
            rest.next();
            for next in rest.by_ref() {
                if (0x40..=0x7e).contains(&next) {
                    break;
                }
            }
        } else {
            out.push(byte);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ansi_sequences_are_removed() {
        let coloured =
            b"\x1b[33m\xe2\x96\xb2 \x1b[43;33m[\x1b[43;30mWARNING\x1b[43;33m]\x1b[0m text";
        assert_eq!(strip_ansi(coloured), "▲ [WARNING] text".as_bytes());
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

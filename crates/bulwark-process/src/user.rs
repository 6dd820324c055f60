//! The user's own command (`secrets-sync exec`, the editor of `edit`): it gets the
//! terminal and the user's environment, less Bulwark's own key variables.

use std::ffi::{OsStr, OsString};
use std::process::{Command, ExitStatus};

use bulwark_secret::Secret;

/// Variables of ours that no user command gets: the key that opens the store
/// (`bulwark_vault::IDENTITY_ENV`).
pub const OWN_KEY_VARS: &[&str] = &["BULWARK_AGE_IDENTITY"];

/// A command of the user's, run with inherited stdin, stdout and stderr. It stays in
/// our process group, so the terminal's Ctrl-C reaches it as it would reach any
/// command the user starts; its exit status is handed back as it is.
#[derive(Debug)]
pub struct UserCommand<'a> {
    program: OsString,
    args: Vec<OsString>,
    env: Vec<(&'a str, &'a Secret)>,
}

impl<'a> UserCommand<'a> {
    /// `program` (looked up on `PATH` as a shell would) with no arguments yet.
    #[must_use]
    pub fn new(program: impl AsRef<OsStr>) -> Self {
        Self {
            program: program.as_ref().to_owned(),
            args: Vec::new(),
            env: Vec::new(),
        }
    }

    /// Adds arguments.
    #[must_use]
    pub fn args(mut self, args: impl IntoIterator<Item = impl AsRef<OsStr>>) -> Self {
        self.args
            .extend(args.into_iter().map(|arg| arg.as_ref().to_owned()));
        self
    }

    /// Adds one variable to this command's environment only.
    #[must_use]
    pub fn env(mut self, name: &'a str, value: &'a Secret) -> Self {
        self.env.push((name, value));
        self
    }

    /// The program, for messages.
    #[must_use]
    pub fn program(&self) -> String {
        self.program.to_string_lossy().into_owned()
    }

    /// Runs the command to its end and returns its exit status (code or signal).
    pub fn status(&self) -> std::io::Result<ExitStatus> {
        let mut command = Command::new(&self.program);
        command.args(&self.args);
        for name in OWN_KEY_VARS {
            command.env_remove(name);
        }
        for (name, value) in &self.env {
            command.env(name, value.expose());
        }
        command.status()
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::process::ExitStatusExt as _;

    use super::*;

    #[test]
    fn exit_codes_and_signals_come_back_as_they_are() {
        let code = UserCommand::new("sh")
            .args(["-c", "exit 7"])
            .status()
            .expect("runs");
        assert_eq!(code.code(), Some(7));
        let signal = UserCommand::new("sh")
            .args(["-c", "kill -TERM $$"])
            .status()
            .expect("runs");
        assert_eq!(signal.signal(), Some(15));
    }

    #[test]
    fn the_command_gets_its_values_and_never_our_key() {
        let dir = tempfile::tempdir().expect("temp dir");
        let dump = dir.path().join("env");
        let value = Secret::new("canary-user-command-value".to_owned());
        let status = UserCommand::new("sh")
            .args(["-c", "env > \"$1\"", "sh"])
            .args([&dump])
            .env("APP_SECRET", &value)
            .status()
            .expect("runs");
        assert!(status.success());
        let env = std::fs::read_to_string(&dump).expect("dumped");
        assert!(
            env.lines()
                .any(|l| l == "APP_SECRET=canary-user-command-value")
        );
        // PATH and the like are the user's own.
        assert!(env.lines().any(|l| l.starts_with("PATH=")), "{env}");
        for name in OWN_KEY_VARS {
            assert!(!env.contains(&format!("{name}=")), "{env}");
        }
    }

    #[test]
    fn a_missing_program_is_an_error() {
        let err = UserCommand::new("/nonexistent/bulwark-editor")
            .status()
            .expect_err("missing");
        assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    }
}

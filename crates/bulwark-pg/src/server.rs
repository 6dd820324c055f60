//! A throw-away PostgreSQL server: `initdb` in a private 0700 temp directory, listening
//! on a Unix socket in that directory only (no TCP), run as `nobody` when we are root,
//! stopped and removed when dropped and when SIGINT, SIGTERM or SIGHUP arrives.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};

use bulwark_process::{Runner, Signal, SpawnOptions, Spawned, Tool};

use crate::{Client, PgError};

/// The superuser `initdb` creates; it authenticates by `trust`, which is safe only
/// because the socket's directory is 0700.
const SUPERUSER: &str = "bulwark";
/// The port only names the socket file; there is no TCP listener.
const PORT: &str = "5432";
/// How long the server may take to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a fast shutdown may take before the server is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(15);

/// A running throw-away server. Dropping it stops the server and removes its directory.
#[derive(Debug)]
pub struct LocalServer {
    process: Option<Spawned>,
    runner: Runner,
    dir: Option<tempfile::TempDir>,
    socket_dir: PathBuf,
}

/// The servers alive in this process (postmaster pid, directory), for the signal
/// handler's cleanup.
static LIVE: Mutex<Vec<(u32, PathBuf)>> = Mutex::new(Vec::new());
static HANDLERS: Once = Once::new();

/// On SIGINT, SIGTERM or SIGHUP: kill every live server, remove its directory, then
/// let the signal do what it would have done.
fn install_signal_cleanup() {
    HANDLERS.call_once(|| {
        let caught = Arc::new(AtomicUsize::new(0));
        for signal in [
            signal_hook::consts::SIGINT,
            signal_hook::consts::SIGTERM,
            signal_hook::consts::SIGHUP,
        ] {
            #[expect(clippy::cast_sign_loss, reason = "signal numbers are positive")]
            let _ = signal_hook::flag::register_usize(signal, Arc::clone(&caught), signal as usize);
        }
        std::thread::spawn(move || {
            loop {
                let signal = caught.load(Ordering::SeqCst);
                if signal != 0 {
                    cleanup_all();
                    #[expect(
                        clippy::cast_possible_truncation,
                        clippy::cast_possible_wrap,
                        reason = "it was a signal number"
                    )]
                    let _ = signal_hook::low_level::emulate_default_handler(signal as i32);
                    std::process::abort();
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        });
    });
}

fn cleanup_all() {
    let live = LIVE.lock().map(|l| l.clone()).unwrap_or_default();
    for (pid, dir) in live {
        if let Some(pid) = rustix_pid(pid) {
            let _ = rustix::process::kill_process_group(pid, Signal::KILL);
        }
        // The server's backends exit once their postmaster is gone; a file they were
        // writing may reappear for a moment.
        for _ in 0..50 {
            if std::fs::remove_dir_all(&dir).is_ok() || !dir.exists() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn rustix_pid(pid: u32) -> Option<rustix::process::Pid> {
    rustix::process::Pid::from_raw(i32::try_from(pid).ok()?)
}

/// `nobody`'s uid and gid from /etc/passwd (65534 when it is not listed).
fn unprivileged_user() -> (u32, u32) {
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    passwd
        .lines()
        .find_map(|line| {
            let mut fields = line.split(':');
            let name = fields.next()?;
            let uid = fields.nth(1)?.parse().ok()?;
            let gid = fields.next()?.parse().ok()?;
            (name == "nobody").then_some((uid, gid))
        })
        .unwrap_or((65534, 65534))
}

impl LocalServer {
    /// Creates and starts a server, and waits until it accepts connections.
    pub fn start() -> Result<Self, PgError> {
        install_signal_cleanup();
        let user = rustix::process::geteuid().is_root().then(unprivileged_user);
        let dir = tempfile::Builder::new()
            .prefix("bulwark-pg-")
            .tempdir()
            .map_err(|source| PgError::Io {
                action: "create a temp directory in",
                path: std::env::temp_dir(),
                source,
            })?;
        let io = |action: &'static str, path: &Path| {
            let path = path.to_owned();
            move |source| PgError::Io {
                action,
                path,
                source,
            }
        };
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700))
                .map_err(io("restrict", dir.path()))?;
        }
        if let Some((uid, gid)) = user {
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid))
                .map_err(io("hand over", dir.path()))?;
        }
        let data = dir.path().join("data");
        let runner = Runner::with_env(
            dir.path(),
            None,
            std::env::vars_os()
                .filter(|(name, _)| !name.to_str().is_some_and(|n| n.starts_with("PG"))),
        );
        let options = SpawnOptions {
            user,
            current_dir: Some(dir.path().to_owned()),
            ..SpawnOptions::default()
        };
        let args: Vec<OsString> = vec![
            "--pgdata".into(),
            data.clone().into(),
            "--username".into(),
            SUPERUSER.into(),
            "--auth=trust".into(),
            "--encoding=UTF8".into(),
            "--no-locale".into(),
            "--no-sync".into(),
        ];
        let initdb = runner.spawn(Tool::Initdb, &args, &options)?;
        let command = initdb.command().to_owned();
        let exited = initdb.wait(&runner, Some(START_TIMEOUT))?;
        if !exited.status.success() {
            return Err(PgError::Failed {
                command,
                status: exited.status.to_string(),
                stderr: bulwark_process::summary(&exited.stderr),
            });
        }
        let socket_dir = dir.path().to_owned();
        let args: Vec<OsString> = vec![
            "-D".into(),
            data.into(),
            "-k".into(),
            socket_dir.clone().into(),
            "-p".into(),
            PORT.into(),
            "-c".into(),
            "listen_addresses=".into(),
            "-c".into(),
            "unix_socket_permissions=0700".into(),
            // Thrown away afterwards: durability buys nothing.
            "-c".into(),
            "fsync=off".into(),
            "-c".into(),
            "synchronous_commit=off".into(),
            "-c".into(),
            "full_page_writes=off".into(),
            "-c".into(),
            "max_wal_size=4GB".into(),
        ];
        let process = runner.spawn(Tool::Postgres, &args, &options)?;
        if let Ok(mut live) = LIVE.lock() {
            live.push((process.id(), dir.path().to_owned()));
        }
        let mut server = Self {
            process: Some(process),
            runner,
            dir: Some(dir),
            socket_dir,
        };
        server.wait_ready()?;
        Ok(server)
    }

    fn wait_ready(&mut self) -> Result<(), PgError> {
        let started = Instant::now();
        let socket = self.socket_dir.join(format!(".s.PGSQL.{PORT}"));
        loop {
            if let Some(process) = self.process.as_mut()
                && process.try_wait()?.is_some()
            {
                let process = self.process.take().expect("checked");
                let exited = process.wait(&self.runner, Some(Duration::from_secs(5)))?;
                return Err(PgError::Server {
                    reason: format!(
                        "it exited ({}): {}",
                        exited.status,
                        bulwark_process::summary(&exited.stderr)
                    ),
                });
            }
            if socket.exists() && self.client().psql("SELECT 1;\n").is_ok() {
                return Ok(());
            }
            if started.elapsed() > START_TIMEOUT {
                return Err(PgError::Server {
                    reason: format!(
                        "it did not accept connections within {} s",
                        START_TIMEOUT.as_secs()
                    ),
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// A client connected to its `postgres` database as its superuser.
    #[must_use]
    pub fn client(&self) -> Client {
        self.client_for("postgres")
    }

    /// A client connected to `database`.
    #[must_use]
    pub fn client_for(&self, database: &str) -> Client {
        Client::with_settings(
            vec![
                ("PGHOST".into(), self.socket_dir.clone().into()),
                ("PGPORT".into(), PORT.into()),
                ("PGUSER".into(), SUPERUSER.into()),
                ("PGDATABASE".into(), database.into()),
            ],
            Some(database),
        )
    }

    /// A protocol session with `database` as its superuser, over the Unix socket.
    pub fn session(&self, database: &str) -> Result<crate::Session, PgError> {
        self.session_as(database, SUPERUSER)
    }

    /// A protocol session with `database` as `user` (a role that may log in), over the
    /// Unix socket.
    pub fn session_as(&self, database: &str, user: &str) -> Result<crate::Session, PgError> {
        crate::Session::connect(
            &self.socket_dir.join(format!(".s.PGSQL.{PORT}")),
            user,
            database,
        )
    }

    /// The name of its superuser.
    #[must_use]
    pub fn superuser(&self) -> &'static str {
        SUPERUSER
    }

    /// The private directory holding its data and socket.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.socket_dir
    }

    /// Stops the server (fast shutdown, then a kill) and removes its directory.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(mut process) = self.process.take() {
            let pid = process.id();
            process.signal(Signal::INT);
            let until = Instant::now() + STOP_TIMEOUT;
            while Instant::now() < until && matches!(process.try_wait(), Ok(None)) {
                std::thread::sleep(Duration::from_millis(20));
            }
            drop(process); // kills whatever is left of its group
            if let Ok(mut live) = LIVE.lock() {
                live.retain(|(p, _)| *p != pid);
            }
        }
        if let Some(dir) = self.dir.take() {
            let path = dir.path().to_owned();
            if dir.close().is_err() {
                let _ = std::fs::remove_dir_all(path);
            }
        }
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

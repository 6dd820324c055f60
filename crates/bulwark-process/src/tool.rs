//! The CLIs Bulwark drives: where each is found and what environment it gets.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use crate::ProcessError;

/// Variables every tool gets from our own environment when set: what a CLI needs to find
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

/// Set for every tool: no prompts, no colour, no telemetry.
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
    /// Cloudflare's `wrangler` (Workers secrets, Secrets Store, D1, R2).
    Wrangler,
    /// Fly.io's `fly` (or `flyctl`).
    Fly,
    /// GitHub's `gh`.
    Gh,
    /// PostgreSQL's `pg_dump`.
    PgDump,
    /// PostgreSQL's `pg_restore`.
    PgRestore,
    /// PostgreSQL's `psql`.
    Psql,
    /// PostgreSQL's `initdb` (the throw-away server).
    Initdb,
    /// PostgreSQL's server, `postgres` (the throw-away server).
    Postgres,
}

/// The variables libpq reads that carry no secret: passed to the PostgreSQL programs
/// only, never added to a redactor (a port number is not a secret to scrub).
const PG_SETTINGS: &[&str] = &[
    "PGHOST",
    "PGHOSTADDR",
    "PGPORT",
    "PGDATABASE",
    "PGUSER",
    "PGSSLMODE",
    "PGSSLROOTCERT",
    "PGSSLCERT",
    "PGSSLKEY",
    "PGSSLCRL",
    "PGREQUIRESSL",
    "PGCONNECT_TIMEOUT",
    "PGTARGETSESSIONATTRS",
    "PGAPPNAME",
    "PGOPTIONS",
    "PGTZ",
];

impl Tool {
    /// The deploy CLIs, whose credential variables every binary scrubs.
    pub const ALL: [Self; 3] = [Self::Wrangler, Self::Fly, Self::Gh];

    /// The PostgreSQL programs.
    pub const POSTGRES: [Self; 5] = [
        Self::PgDump,
        Self::PgRestore,
        Self::Psql,
        Self::Initdb,
        Self::Postgres,
    ];

    fn is_postgres(self) -> bool {
        Self::POSTGRES.contains(&self)
    }

    /// The program name, as messages show it.
    #[must_use]
    pub fn program(self) -> &'static str {
        match self {
            Self::Wrangler => "wrangler",
            Self::Fly => "fly",
            Self::Gh => "gh",
            Self::PgDump => "pg_dump",
            Self::PgRestore => "pg_restore",
            Self::Psql => "psql",
            Self::Initdb => "initdb",
            Self::Postgres => "postgres",
        }
    }

    /// The file names it may have, in order (`flyctl` is fly's other name).
    fn file_names(self) -> &'static [&'static str] {
        match self {
            Self::Wrangler => &["wrangler"],
            Self::Fly => &["fly", "flyctl"],
            Self::Gh => &["gh"],
            Self::PgDump => &["pg_dump"],
            Self::PgRestore => &["pg_restore"],
            Self::Psql => &["psql"],
            Self::Initdb => &["initdb"],
            Self::Postgres => &["postgres"],
        }
    }

    /// The variable that names an explicit executable, e.g. `BULWARK_WRANGLER=/opt/bin/wrangler`.
    #[must_use]
    pub fn override_var(self) -> &'static str {
        match self {
            Self::Wrangler => "BULWARK_WRANGLER",
            Self::Fly => "BULWARK_FLY",
            Self::Gh => "BULWARK_GH",
            Self::PgDump => "BULWARK_PG_DUMP",
            Self::PgRestore => "BULWARK_PG_RESTORE",
            Self::Psql => "BULWARK_PSQL",
            Self::Initdb => "BULWARK_INITDB",
            Self::Postgres => "BULWARK_POSTGRES",
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
            Self::PgDump | Self::PgRestore | Self::Psql => &["PGPASSWORD", "PGPASSFILE"],
            Self::Initdb | Self::Postgres => &[],
        }
    }

    /// The variables this tool reads that are settings, not secrets: passed to its
    /// child, never scrubbed.
    fn setting_vars(self) -> &'static [&'static str] {
        match self {
            Self::PgDump | Self::PgRestore | Self::Psql => PG_SETTINGS,
            _ => &[],
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
            Self::PgDump | Self::PgRestore | Self::Psql | Self::Initdb | Self::Postgres => {
                "install PostgreSQL's programs (Debian and Ubuntu: `apt-get install postgresql`, which puts them in /usr/lib/postgresql/VERSION/bin) or set BULWARK_<PROGRAM> (e.g. BULWARK_PG_DUMP) to its path"
            }
        }
    }

    /// Where the tool is, in the one lookup order: its override variable, then
    /// `node_modules/.bin` in `project_dir` and each directory above it, then `PATH`.
    /// `var` reads our environment. The path returned is absolute, so a relative entry
    /// still means the same file once the child runs in the project directory.
    pub(crate) fn locate(
        self,
        project_dir: &Path,
        var: impl Fn(&str) -> Option<OsString>,
    ) -> Result<PathBuf, ProcessError> {
        let absolute = |path: PathBuf| std::path::absolute(&path).unwrap_or(path);
        if let Some(path) = var(self.override_var()).filter(|p| !p.is_empty()) {
            let path = absolute(PathBuf::from(path));
            return if is_executable(&path) {
                Ok(path)
            } else {
                Err(ProcessError::NotFound {
                    tool: self,
                    looked: format!(
                        "{} is set to {}, which is not an executable file",
                        self.override_var(),
                        path.display()
                    ),
                })
            };
        }
        let project_dir = absolute(project_dir.to_owned());
        let local: Vec<PathBuf> = if self.is_postgres() {
            postgres_bin_dirs(Path::new(POSTGRES_LIB))
        } else {
            project_dir
                .ancestors()
                .map(|dir| dir.join("node_modules/.bin"))
                .collect()
        };
        let path = var("PATH").unwrap_or_default();
        for dir in local.into_iter().chain(std::env::split_paths(&path)) {
            for name in self.file_names() {
                let candidate = dir.join(name);
                if is_executable(&candidate) {
                    return Ok(absolute(candidate));
                }
            }
        }
        if self.is_postgres() {
            return Err(ProcessError::NotFound {
                tool: self,
                looked: format!(
                    "{} is not set, and it is neither in {POSTGRES_LIB}/*/bin nor on PATH",
                    self.override_var()
                ),
            });
        }
        Err(ProcessError::NotFound {
            tool: self,
            looked: format!(
                "{} is not set, and it is neither in node_modules/.bin of {} or a directory above nor on PATH",
                self.override_var(),
                project_dir.display()
            ),
        })
    }

    /// The whole environment of this tool's child: the pass-through variables and this
    /// tool's own credentials, as `var` has them, then the fixed settings.
    pub(crate) fn environment(
        self,
        var: impl Fn(&str) -> Option<OsString>,
    ) -> Vec<(OsString, OsString)> {
        let mut env: Vec<(OsString, OsString)> = PASS_THROUGH
            .iter()
            .chain(self.token_vars())
            .chain(self.setting_vars())
            .filter_map(|name| var(name).map(|value| (OsString::from(name), value)))
            .collect();
        env.extend(
            FIXED
                .iter()
                .map(|(name, value)| (OsStr::new(name).to_owned(), OsString::from(value))),
        );
        env
    }
}

/// Where Debian and Ubuntu install each PostgreSQL major version's programs.
const POSTGRES_LIB: &str = "/usr/lib/postgresql";

/// `<lib>/<version>/bin`, newest version first: a newer `pg_dump` dumps older servers,
/// not the other way round.
fn postgres_bin_dirs(lib: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(lib) else {
        return Vec::new();
    };
    let mut versions: Vec<(u32, PathBuf)> = entries
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name();
            let major = name.to_str()?.split('.').next()?.parse::<u32>().ok()?;
            Some((major, entry.path().join("bin")))
        })
        .collect();
    versions.sort_by_key(|v| std::cmp::Reverse(v.0));
    versions.into_iter().map(|(_, dir)| dir).collect()
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    path.metadata()
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    fn executable(path: &Path) {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, "#!/bin/sh\n").expect("write");
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }

    fn env(pairs: &[(&str, &OsStr)]) -> impl Fn(&str) -> Option<OsString> + use<> {
        let map: BTreeMap<String, OsString> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn lookup_order_is_override_then_node_modules_walking_up_then_path() {
        let root = tempfile::tempdir().expect("temp dir");
        let project = root.path().join("app/worker");
        std::fs::create_dir_all(&project).expect("mkdir");
        let on_path = root.path().join("bin");
        executable(&on_path.join("wrangler"));
        let path = on_path.as_os_str();

        let found = Tool::Wrangler
            .locate(&project, env(&[("PATH", path)]))
            .expect("on PATH");
        assert_eq!(found, on_path.join("wrangler"));

        // A node_modules/.bin above the project (a monorepo's root) comes before PATH,
        // and the nearest one first.
        executable(&root.path().join("app/node_modules/.bin/wrangler"));
        let found = Tool::Wrangler
            .locate(&project, env(&[("PATH", path)]))
            .expect("above");
        assert_eq!(found, root.path().join("app/node_modules/.bin/wrangler"));
        executable(&project.join("node_modules/.bin/wrangler"));
        let found = Tool::Wrangler
            .locate(&project, env(&[("PATH", path)]))
            .expect("local");
        assert_eq!(found, project.join("node_modules/.bin/wrangler"));

        // The override wins over both.
        let explicit = root.path().join("opt/wrangler");
        executable(&explicit);
        let found = Tool::Wrangler
            .locate(
                &project,
                env(&[("PATH", path), ("BULWARK_WRANGLER", explicit.as_os_str())]),
            )
            .expect("override");
        assert_eq!(found, explicit);

        // The same order for every tool; fly is also found as flyctl.
        executable(&on_path.join("flyctl"));
        let found = Tool::Fly
            .locate(&project, env(&[("PATH", path)]))
            .expect("flyctl");
        assert_eq!(found, on_path.join("flyctl"));
    }

    #[test]
    fn not_found_says_where_it_looked_and_names_the_override() {
        let root = tempfile::tempdir().expect("temp dir");
        let err = Tool::Gh
            .locate(root.path(), env(&[("PATH", root.path().as_os_str())]))
            .expect_err("nowhere");
        let text = err.to_string();
        assert!(
            text.starts_with("`gh` was not found: BULWARK_GH is not set"),
            "{text}"
        );
        assert!(text.contains("node_modules/.bin"), "{text}");
        assert!(text.contains(&root.path().display().to_string()), "{text}");
        assert!(text.ends_with("nor on PATH"), "{text}");

        let err = Tool::Fly
            .locate(
                root.path(),
                env(&[("BULWARK_FLY", OsStr::new("/nonexistent/fly"))]),
            )
            .expect_err("not executable");
        assert_eq!(
            err.to_string(),
            "`fly` was not found: BULWARK_FLY is set to /nonexistent/fly, which is not an executable file"
        );
    }

    #[test]
    fn each_tool_gets_the_pass_through_list_and_only_its_own_credentials() {
        let ours = env(&[
            ("PATH", OsStr::new("/usr/bin")),
            ("HOME", OsStr::new("/home/me")),
            ("CLOUDFLARE_API_TOKEN", OsStr::new("cf")),
            ("CLOUDFLARE_ACCOUNT_ID", OsStr::new("acct")),
            ("FLY_API_TOKEN", OsStr::new("fly")),
            ("GH_TOKEN", OsStr::new("gh")),
            ("BULWARK_AGE_IDENTITY", OsStr::new("AGE-SECRET-KEY-1")),
            ("STRIPE_WEBHOOK_SECRET", OsStr::new("whsec")),
            ("WRANGLER_LOG", OsStr::new("debug")),
            ("CI", OsStr::new("false")),
        ]);
        let names = |tool: Tool| -> Vec<String> {
            tool.environment(&ours)
                .into_iter()
                .map(|(k, v)| format!("{}={}", k.to_string_lossy(), v.to_string_lossy()))
                .collect()
        };
        assert_eq!(
            names(Tool::Wrangler),
            [
                "PATH=/usr/bin",
                "HOME=/home/me",
                "CLOUDFLARE_API_TOKEN=cf",
                "CLOUDFLARE_ACCOUNT_ID=acct",
                "CI=true",
                "NO_COLOR=1",
                "FORCE_COLOR=0",
                "WRANGLER_SEND_METRICS=false",
                "GH_PROMPT_DISABLED=1",
                "GH_NO_UPDATE_NOTIFIER=1",
            ]
        );
        let fly = names(Tool::Fly);
        assert!(fly.contains(&"FLY_API_TOKEN=fly".to_owned()), "{fly:?}");
        assert!(
            !fly.iter()
                .any(|v| v.starts_with("CLOUDFLARE_") || v.starts_with("GH_TOKEN"))
        );
        let gh = names(Tool::Gh);
        assert!(gh.contains(&"GH_TOKEN=gh".to_owned()), "{gh:?}");
        assert!(
            !gh.iter()
                .any(|v| v.starts_with("FLY_") || v.starts_with("BULWARK_"))
        );
    }

    #[test]
    fn postgres_programs_are_found_in_the_newest_versioned_bin_dir_and_missing_ones_name_the_package()
     {
        let lib = tempfile::tempdir().expect("temp dir");
        for version in ["9.6", "15", "13"] {
            std::fs::create_dir_all(lib.path().join(version).join("bin")).expect("mkdir");
        }
        std::fs::create_dir_all(lib.path().join("not-a-version/bin")).expect("mkdir");
        assert_eq!(
            postgres_bin_dirs(lib.path()),
            [
                lib.path().join("15/bin"),
                lib.path().join("13/bin"),
                lib.path().join("9.6/bin")
            ]
        );

        let empty = tempfile::tempdir().expect("temp dir");
        if postgres_bin_dirs(Path::new(POSTGRES_LIB)).is_empty() {
            let err = Tool::Initdb
                .locate(empty.path(), env(&[("PATH", empty.path().as_os_str())]))
                .expect_err("nowhere");
            assert!(
                err.to_string().contains("/usr/lib/postgresql/*/bin"),
                "{err}"
            );
        }
        assert!(
            Tool::Initdb
                .install_hint()
                .contains("apt-get install postgresql")
        );
        let explicit = empty.path().join("pg_dump");
        executable(&explicit);
        let found = Tool::PgDump
            .locate(
                empty.path(),
                env(&[("BULWARK_PG_DUMP", explicit.as_os_str())]),
            )
            .expect("override");
        assert_eq!(found, explicit);
    }

    #[test]
    fn postgres_programs_get_libpq_settings_and_only_the_password_is_a_credential() {
        let ours = env(&[
            ("PGHOST", OsStr::new("db.internal")),
            ("PGPASSWORD", OsStr::new("pw")),
            ("CLOUDFLARE_API_TOKEN", OsStr::new("cf")),
        ]);
        let vars: Vec<String> = Tool::PgDump
            .environment(&ours)
            .into_iter()
            .map(|(k, v)| format!("{}={}", k.to_string_lossy(), v.to_string_lossy()))
            .collect();
        assert!(vars.contains(&"PGHOST=db.internal".to_owned()), "{vars:?}");
        assert!(vars.contains(&"PGPASSWORD=pw".to_owned()), "{vars:?}");
        assert!(
            !vars.iter().any(|v| v.starts_with("CLOUDFLARE")),
            "{vars:?}"
        );
        assert_eq!(Tool::PgDump.token_vars(), ["PGPASSWORD", "PGPASSFILE"]);
    }
}

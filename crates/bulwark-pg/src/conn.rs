//! A PostgreSQL URL, read from an environment variable and turned into libpq's own
//! variables (`PGHOST`, `PGPASSWORD`, …) so that no program ever gets it on its argv.

use std::ffi::OsString;

use bulwark_secret::Secret;
use percent_encoding::percent_decode_str;

use crate::PgError;

/// The URL query parameters libpq knows and the variable each becomes. Anything else
/// is refused: a setting we would silently drop could be the one that asks for TLS.
const PARAMS: &[(&str, &str)] = &[
    ("sslmode", "PGSSLMODE"),
    ("sslrootcert", "PGSSLROOTCERT"),
    ("sslcert", "PGSSLCERT"),
    ("sslkey", "PGSSLKEY"),
    ("sslcrl", "PGSSLCRL"),
    ("connect_timeout", "PGCONNECT_TIMEOUT"),
    ("application_name", "PGAPPNAME"),
    ("options", "PGOPTIONS"),
    ("target_session_attrs", "PGTARGETSESSIONATTRS"),
    ("host", "PGHOST"),
    ("hostaddr", "PGHOSTADDR"),
    ("port", "PGPORT"),
    ("user", "PGUSER"),
    ("dbname", "PGDATABASE"),
];

/// The variable `--postgres` reads the URL from, in every tool that takes it.
pub const DATABASE_URL: &str = "DATABASE_URL";

/// Hands `hide` every value of the URL in `var` that must never be printed: the whole
/// URL and its password, or the raw value when it is not a URL we can read (it may
/// still be a secret).
pub fn hide_url_in(var: &str, mut hide: impl FnMut(&str)) {
    match Connection::from_env(var) {
        Ok(conn) => {
            for secret in conn.secrets() {
                hide(secret.expose());
            }
        }
        Err(_) => {
            if let Ok(value) = std::env::var(var) {
                hide(&value);
            }
        }
    }
}

/// A database to connect to. `Debug` and [`Connection::display`] never show the
/// password.
#[derive(Debug)]
pub struct Connection {
    /// The variable it was read from, for messages.
    pub var: String,
    settings: Vec<(&'static str, String)>,
    password: Option<Secret>,
    url: Secret,
}

impl Connection {
    /// Reads the URL from our environment variable `var`.
    pub fn from_env(var: &str) -> Result<Self, PgError> {
        let name_like = !var.is_empty()
            && !var.starts_with(|c: char| c.is_ascii_digit())
            && var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !name_like {
            // Not quoted back: it may be the URL itself, pasted where its variable's name
            // belongs.
            return Err(PgError::Usage {
                message: "the name given for the PostgreSQL URL's environment variable is not a variable name".to_owned(),
                hint: "pass the NAME of the variable that holds the URL (ASCII letters, digits and `_`), never the URL".to_owned(),
            });
        }
        let value = std::env::var_os(var).ok_or_else(|| PgError::Usage {
            message: format!("the environment variable {var} is not set"),
            hint: format!(
                "put the database URL (postgres://USER:PASSWORD@HOST:PORT/DB) in {var}; it is never read from the command line"
            ),
        })?;
        let url = value.into_string().map_err(|_| PgError::Usage {
            message: format!("{var} is not valid UTF-8"),
            hint: "set it to a postgres:// URL".to_owned(),
        })?;
        Self::parse(var, Secret::new(url))
    }

    /// Parses a `postgres://` or `postgresql://` URL. Errors name the variable, never
    /// the value.
    pub fn parse(var: &str, url: Secret) -> Result<Self, PgError> {
        let bad = |what: &str| {
            PgError::Usage {
            message: format!("{var} does not hold a usable PostgreSQL URL: {what}"),
            hint: "use postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=require (percent-encode special characters)".to_owned(),
        }
        };
        let text = url.expose();
        let rest = text
            .strip_prefix("postgres://")
            .or_else(|| text.strip_prefix("postgresql://"))
            .ok_or_else(|| bad("it does not start with postgres:// or postgresql://"))?;
        let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (userinfo, hosts) = match authority.rsplit_once('@') {
            Some((userinfo, hosts)) => (Some(userinfo), hosts),
            None => (None, authority),
        };
        let decode = |part: &str, what: &str| -> Result<String, PgError> {
            percent_decode_str(part)
                .decode_utf8()
                .map(std::borrow::Cow::into_owned)
                .map_err(|_| bad(&format!("its {what} is not valid percent-encoded UTF-8")))
        };
        let mut settings: Vec<(&'static str, String)> = Vec::new();
        let mut password = None;
        if let Some(userinfo) = userinfo {
            let (user, pass) = match userinfo.split_once(':') {
                Some((user, pass)) => (user, Some(pass)),
                None => (userinfo, None),
            };
            if !user.is_empty() {
                settings.push(("PGUSER", decode(user, "user name")?));
            }
            if let Some(pass) = pass {
                password = Some(Secret::new(decode(pass, "password")?));
            }
        }
        if !hosts.is_empty() {
            let (mut names, mut ports) = (Vec::new(), Vec::new());
            for host in hosts.split(',') {
                let (name, port) = if let Some(inner) = host.strip_prefix('[') {
                    let (name, after) = inner
                        .split_once(']')
                        .ok_or_else(|| bad("an IPv6 host misses its `]`"))?;
                    (name, after.strip_prefix(':').unwrap_or(""))
                } else {
                    host.split_once(':').unwrap_or((host, ""))
                };
                if !port.is_empty() && port.parse::<u16>().is_err() {
                    return Err(bad("a port is not a number"));
                }
                names.push(decode(name, "host")?);
                ports.push(port.to_owned());
            }
            if names.iter().any(|n| !n.is_empty()) {
                settings.push(("PGHOST", names.join(",")));
            }
            if ports.iter().any(|p| !p.is_empty()) {
                settings.push(("PGPORT", ports.join(",")));
            }
        }
        if !path.is_empty() {
            settings.push(("PGDATABASE", decode(path, "database name")?));
        }
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let key = decode(key, "query")?;
            if key == "password" {
                password = Some(Secret::new(decode(value, "password")?));
                continue;
            }
            let var_name = PARAMS
                .iter()
                .find(|(name, _)| *name == key)
                .map(|(_, var)| *var)
                .ok_or_else(|| bad(&format!("the parameter `{key}` is not supported")))?;
            let value = decode(value, "query")?;
            settings.retain(|(name, _)| *name != var_name);
            settings.push((var_name, value));
        }
        Ok(Self {
            var: var.to_owned(),
            settings,
            password,
            url,
        })
    }

    /// The same connection, every transaction of it read-only: the server refuses any
    /// write (`default_transaction_read_only=on` in libpq's `PGOPTIONS`, after the URL's
    /// own `options`).
    #[must_use]
    pub fn read_only(mut self) -> Self {
        let setting = "-c default_transaction_read_only=on";
        let options = match self.setting("PGOPTIONS") {
            Some(own) if !own.trim().is_empty() => format!("{own} {setting}"),
            _ => setting.to_owned(),
        };
        self.settings.retain(|(name, _)| *name != "PGOPTIONS");
        self.settings.push(("PGOPTIONS", options));
        self
    }

    /// The connection for libpq: its variables, the password in `PGPASSWORD`.
    #[must_use]
    pub fn environment(&self) -> Vec<(OsString, OsString)> {
        let mut env: Vec<(OsString, OsString)> = self
            .settings
            .iter()
            .map(|(name, value)| (OsString::from(name), OsString::from(value)))
            .collect();
        if let Some(password) = &self.password {
            env.push((
                OsString::from("PGPASSWORD"),
                OsString::from(password.expose()),
            ));
        }
        env
    }

    /// The values to scrub from every output: the password and the whole URL.
    #[must_use]
    pub fn secrets(&self) -> Vec<&Secret> {
        let mut secrets = vec![&self.url];
        secrets.extend(self.password.as_ref());
        secrets
    }

    fn setting(&self, name: &str) -> Option<&str> {
        self.settings
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The database name, when the URL gives one.
    #[must_use]
    pub fn database(&self) -> Option<&str> {
        self.setting("PGDATABASE")
    }

    /// `user@host:port/database`, without the password, for manifests and messages.
    #[must_use]
    pub fn display(&self) -> String {
        let mut text = String::new();
        if let Some(user) = self.setting("PGUSER") {
            text.push_str(user);
            text.push('@');
        }
        text.push_str(self.setting("PGHOST").unwrap_or("localhost"));
        if let Some(port) = self.setting("PGPORT") {
            text.push(':');
            text.push_str(port);
        }
        text.push('/');
        text.push_str(self.database().unwrap_or(""));
        text
    }
}

/// `dbname='…'`: a libpq connection string that names only the database, for the one
/// program that needs `-d` (`pg_restore`, which otherwise prints a script). Quoted so a
/// name holding `=` is not read as more settings.
#[must_use]
pub fn dbname_conninfo(name: &str) -> String {
    let escaped = name.replace('\\', "\\\\").replace('\'', "\\'");
    format!("dbname='{escaped}'")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(url: &str) -> Vec<(String, String)> {
        Connection::parse("DATABASE_URL", Secret::new(url.to_owned()))
            .expect("parses")
            .environment()
            .into_iter()
            .map(|(k, v)| {
                (
                    k.to_string_lossy().into_owned(),
                    v.to_string_lossy().into_owned(),
                )
            })
            .collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_url_becomes_libpq_variables_with_the_password_decoded() {
        assert_eq!(
            env_of(
                "postgresql://postgres.ref:p%40ss%3Aw0rd@aws-0-eu.pooler.supabase.com:6543/postgres?sslmode=require"
            ),
            pairs(&[
                ("PGUSER", "postgres.ref"),
                ("PGHOST", "aws-0-eu.pooler.supabase.com"),
                ("PGPORT", "6543"),
                ("PGDATABASE", "postgres"),
                ("PGSSLMODE", "require"),
                ("PGPASSWORD", "p@ss:w0rd"),
            ])
        );
        assert_eq!(
            env_of("postgres://me@%2Fvar%2Frun%2Fpostgresql/app"),
            pairs(&[
                ("PGUSER", "me"),
                ("PGHOST", "/var/run/postgresql"),
                ("PGDATABASE", "app")
            ])
        );
        assert_eq!(
            env_of("postgres://[::1]:5433,db2:5434/x"),
            pairs(&[
                ("PGHOST", "::1,db2"),
                ("PGPORT", "5433,5434"),
                ("PGDATABASE", "x")
            ])
        );
    }

    #[test]
    fn errors_name_the_variable_and_never_the_value() {
        for url in [
            "mysql://u:canary-pw-6f1e@h/db",
            "postgres://u:canary-pw-6f1e@h:port/db",
            "postgres://u:canary-pw-6f1e@h/db?sslfoo=canary-pw-6f1e",
        ] {
            let err = Connection::parse("DATABASE_URL", Secret::new(url.to_owned()))
                .expect_err("refused");
            let text = format!("{err} {err:?} {:?}", bulwark_core::Failure::hint(&err));
            assert!(text.contains("DATABASE_URL"), "{text}");
            assert!(!text.contains("canary-pw-6f1e"), "{text}");
        }
    }

    #[test]
    fn a_url_passed_as_the_variable_name_is_refused_without_an_echo() {
        let err = Connection::from_env("postgres://u:canary-pw-a71d@h/db").expect_err("refused");
        let text = format!("{err} {err:?} {:?}", bulwark_core::Failure::hint(&err));
        assert!(text.contains("not a variable name"), "{text}");
        assert!(!text.contains("canary-pw-a71d"), "{text}");
    }

    #[test]
    fn read_only_adds_to_the_urls_own_options() {
        let conn = Connection::parse(
            "DATABASE_URL",
            Secret::new("postgres://u@h/db?options=-c%20search_path%3Dapp".to_owned()),
        )
        .expect("parses")
        .read_only();
        let env: Vec<_> = conn.environment();
        let options = env
            .iter()
            .find(|(k, _)| k == "PGOPTIONS")
            .map(|(_, v)| v.to_string_lossy().into_owned());
        assert_eq!(
            options.as_deref(),
            Some("-c search_path=app -c default_transaction_read_only=on")
        );
    }

    #[test]
    fn display_and_debug_leave_the_password_out() {
        let conn = Connection::parse(
            "DATABASE_URL",
            Secret::new("postgres://app:canary-pw-90ab@db.example.com/prod".to_owned()),
        )
        .expect("parses");
        assert_eq!(conn.display(), "app@db.example.com/prod");
        assert!(!format!("{conn:?}").contains("canary-pw-90ab"));
        assert_eq!(dbname_conninfo("a'b=c"), "dbname='a\\'b=c'");
    }
}

//! db-backup's commands as the user typed them ([`Inputs`], plain data: no clap here),
//! resolved against `[backup]` in bulwark.toml ([`Settings`]): a flag wins, the config
//! fills the gaps, and every setting works without the file.

use std::path::{Path, PathBuf};

use bulwark_config::{Backup, Config, ConfigError, Recipients};
use bulwark_core::{Exit, Progress, Report, Styles};
use bulwark_vault::{
    Identities, IdentityLookup, Recipient, load_recipients_file, parse_recipient_list,
};
use serde::Serialize;

use crate::{
    BackupError, D1Source, Encryption, ExportReport, ExportRequest, ExportSource, Lazy, ListReport,
    Policy, PostgresRestoreReport, PostgresRestoreRequest, PostgresSource, PruneReport,
    RestoreReport, RestoreRequest, Run, VerifyReport, run_now,
};

use bulwark_pg::DATABASE_URL;

/// `--config FILE` must load; a discovered one is optional (every setting has a flag).
pub fn load_config(explicit: Option<&Path>) -> Result<Option<Config>, ConfigError> {
    match Config::load_or_discover(explicit) {
        Ok(config) => Ok(Some(config)),
        Err(ConfigError::NotFound { .. }) if explicit.is_none() => Ok(None),
        Err(err) => Err(err),
    }
}

/// One command's flags.
#[derive(Debug, Clone)]
pub enum Inputs {
    /// `export`.
    Export(ExportInputs),
    /// `verify PATH`.
    Verify {
        /// A backup, or a directory of backups.
        path: PathBuf,
        /// `--identity`.
        identity: Option<PathBuf>,
    },
    /// `list [DIR]`.
    List {
        /// The backup directory.
        dir: Option<PathBuf>,
    },
    /// `prune [DIR]`.
    Prune {
        /// The backup directory.
        dir: Option<PathBuf>,
        /// The `--keep-*` flags.
        keep: Policy,
        /// `--dry-run`.
        dry_run: bool,
        /// `--yes`.
        yes: bool,
    },
    /// `restore FILE --to PATH` or `restore FILE --to-postgres-env NAME`.
    Restore {
        /// The backup.
        file: PathBuf,
        /// `--to PATH`.
        to: Option<PathBuf>,
        /// `--to-postgres-env NAME`.
        to_postgres_env: Option<String>,
        /// `--force`.
        force: bool,
        /// `--identity`.
        identity: Option<PathBuf>,
    },
}

/// `export`'s flags.
#[derive(Debug, Clone, Default)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "one field per flag of `export`"
)]
pub struct ExportInputs {
    /// `--sqlite FILE`.
    pub sqlite: Option<PathBuf>,
    /// `--d1 BINDING`.
    pub d1: Option<String>,
    /// `--postgres` (the URL in `$DATABASE_URL`).
    pub postgres: bool,
    /// `--postgres-env NAME`.
    pub postgres_env: Option<String>,
    /// `--supabase`.
    pub supabase: bool,
    /// `--remote`.
    pub remote: bool,
    /// `--env ENV` (wrangler's).
    pub env: Option<String>,
    /// `--from-export FILE` (with `--d1`).
    pub from_export: Option<PathBuf>,
    /// `--out DIR`.
    pub out: Option<PathBuf>,
    /// `--name NAME`.
    pub name: Option<String>,
    /// `--recipient`, each.
    pub recipients: Vec<String>,
    /// `--recipients-file FILE`.
    pub recipients_file: Option<PathBuf>,
    /// `--no-encrypt`.
    pub no_encrypt: bool,
    /// `--upload r2://BUCKET/PREFIX`.
    pub upload: Option<String>,
}

impl Inputs {
    /// The verb as typed, for the status file.
    #[must_use]
    pub fn verb(&self) -> &'static str {
        match self {
            Self::Export(_) => "export",
            Self::Verify { .. } => "verify",
            Self::List { .. } => "list",
            Self::Prune { .. } => "prune",
            Self::Restore { .. } => "restore",
        }
    }

    /// Where this command records its outcome: `flag` (`--status-file`), else
    /// `status_file` in `[backup]`. Only the verbs a cron runs record one: a manual
    /// `list` or `restore` must not make a dead cron look alive.
    #[must_use]
    pub fn status_file(&self, flag: Option<&Path>, config: Option<&Config>) -> Option<PathBuf> {
        match self {
            Self::Export(_) | Self::Verify { .. } | Self::Prune { .. } => flag
                .map(Path::to_owned)
                .or_else(|| config.and_then(|c| c.backup.status_file.clone())),
            Self::List { .. } | Self::Restore { .. } => None,
        }
    }

    /// Gives `hide` the PostgreSQL URLs (and their passwords) this command may read, so
    /// the output's redactor learns them before anything can print them: from
    /// `--postgres`, `--postgres-env`, `[backup] postgres_env` and `--to-postgres-env`.
    pub fn hide_postgres_urls(&self, config: Option<&Config>, mut hide: impl FnMut(&str)) {
        let vars: Vec<&str> = match self {
            Self::Export(flags) => [
                flags.postgres_env.as_deref(),
                flags.postgres.then_some(DATABASE_URL),
                config.and_then(|c| c.backup.postgres_env.as_deref()),
            ]
            .into_iter()
            .flatten()
            .collect(),
            Self::Restore {
                to_postgres_env, ..
            } => to_postgres_env.as_deref().into_iter().collect(),
            Self::Verify { .. } | Self::List { .. } | Self::Prune { .. } => Vec::new(),
        };
        for var in vars {
            bulwark_pg::hide_url_in(var, &mut hide);
        }
    }
}

/// Where the identity that decrypts a backup comes from: `--identity`, then the usual
/// lookup, with the config's default (or only) environment as the keyring user, else
/// `default`. It is looked up only when an encrypted backup needs it.
#[derive(Debug, Clone)]
pub struct IdentityFrom {
    /// `--identity`.
    pub file: Option<PathBuf>,
    /// The OS keyring's user.
    pub keyring_user: String,
}

impl IdentityFrom {
    fn new(file: Option<PathBuf>, config: Option<&Config>) -> Self {
        let keyring_user = config
            .and_then(|c| c.environment(None).ok())
            .map_or_else(|| "default".to_owned(), |env| env.name.clone());
        Self { file, keyring_user }
    }

    fn lazy(self) -> Lazy<impl FnMut() -> Result<Identities, BackupError>> {
        let Self {
            mut file,
            keyring_user,
        } = self;
        Lazy::new(move || {
            IdentityLookup::from_process(file.take(), Some(&keyring_user))
                .find()
                .map_err(BackupError::from)
        })
    }
}

/// A command with every setting resolved.
#[derive(Debug, Clone)]
pub enum Settings {
    /// `export`.
    Export(ExportRequest),
    /// `verify`.
    Verify {
        /// A backup, or a directory of backups.
        path: PathBuf,
        /// The identity.
        identity: IdentityFrom,
    },
    /// `list`.
    List {
        /// The backup directory.
        dir: PathBuf,
    },
    /// `prune`.
    Prune {
        /// The backup directory.
        dir: PathBuf,
        /// What to keep.
        policy: Policy,
        /// Delete nothing, only report.
        dry_run: bool,
    },
    /// `restore`.
    Restore {
        /// What to restore and where.
        request: RestoreRequest,
        /// The identity.
        identity: IdentityFrom,
    },
    /// `restore --to-postgres-env`.
    RestorePostgres {
        /// What to restore and into which database.
        request: PostgresRestoreRequest,
        /// The identity.
        identity: IdentityFrom,
    },
}

impl Settings {
    /// Resolves `inputs` against `[backup]` of `config` (when there is one).
    pub fn resolve(inputs: Inputs, config: Option<&Config>) -> Result<Self, BackupError> {
        let backup = config.map(|c| c.backup.clone()).unwrap_or_default();
        Ok(match inputs {
            Inputs::Export(flags) => Self::Export(export_request(flags, config, &backup)?),
            Inputs::Verify { path, identity } => Self::Verify {
                path,
                identity: IdentityFrom::new(identity, config),
            },
            Inputs::List { dir } => Self::List {
                dir: dir_or_config(dir, &backup, "DIR")?,
            },
            Inputs::Prune {
                dir,
                keep,
                dry_run,
                yes,
            } => {
                let dir = dir_or_config(dir, &backup, "DIR")?;
                if !dry_run && !yes {
                    return Err(BackupError::usage(
                        "prune deletes backups: pass --yes to delete, or --dry-run to see what would go",
                        Some("`db-backup prune --dry-run` lists what the policy keeps and why"),
                    ));
                }
                Self::Prune {
                    dir,
                    policy: policy_or_config(keep, &backup),
                    dry_run,
                }
            }
            Inputs::Restore {
                file,
                to,
                to_postgres_env,
                force,
                identity,
            } => {
                let identity = IdentityFrom::new(identity, config);
                match (to, to_postgres_env) {
                    (_, Some(env)) => Self::RestorePostgres {
                        request: PostgresRestoreRequest { file, env, force },
                        identity,
                    },
                    (Some(to), None) => Self::Restore {
                        request: RestoreRequest { file, to, force },
                        identity,
                    },
                    (None, None) => {
                        return Err(BackupError::usage(
                            "nowhere to restore to",
                            Some("pass --to PATH or --to-postgres-env NAME"),
                        ));
                    }
                }
            }
        })
    }

    /// The progress a run reports: its label and its total, if it reports any.
    #[must_use]
    pub fn progress(&self) -> Option<(&'static str, Option<u64>)> {
        match self {
            Self::Export(request) => Some(("export", source_size(request))),
            Self::Verify { .. } => Some(("verify", Some(0))),
            Self::Restore { .. } | Self::RestorePostgres { .. } => Some(("restore", Some(0))),
            Self::List { .. } | Self::Prune { .. } => None,
        }
    }

    /// Runs the command.
    pub fn run(self, progress: &dyn Progress) -> Result<Done, BackupError> {
        let done = match self {
            Self::Export(request) => Done::Export(Box::new(crate::export(&request, progress)?)),
            Self::Verify { path, identity } => {
                Done::Verify(crate::verify(&path, &mut identity.lazy(), progress)?)
            }
            Self::List { dir } => Done::List(crate::list(&dir)?),
            Self::Prune {
                dir,
                policy,
                dry_run,
            } => Done::Prune(crate::prune(&dir, policy, dry_run)?),
            Self::Restore { request, identity } => {
                Done::Restore(crate::restore(&request, &mut identity.lazy(), progress)?)
            }
            Self::RestorePostgres { request, identity } => Done::RestorePostgres(
                crate::restore_postgres(&request, &mut identity.lazy(), progress)?,
            ),
        };
        progress.finish();
        Ok(done)
    }
}

/// The size of a SQLite source, for the progress bar (a D1 export's is unknown).
fn source_size(request: &ExportRequest) -> Option<u64> {
    match &request.source {
        ExportSource::Sqlite(path) => std::fs::metadata(path).ok().map(|m| m.len()),
        ExportSource::D1(_) | ExportSource::Postgres(_) => None,
    }
}

/// A finished command's report.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Done {
    /// `export`.
    Export(Box<ExportReport>),
    /// `verify`.
    Verify(VerifyReport),
    /// `list`.
    List(ListReport),
    /// `prune`.
    Prune(PruneReport),
    /// `restore`.
    Restore(RestoreReport),
    /// `restore --to-postgres-env`.
    RestorePostgres(PostgresRestoreReport),
}

impl Done {
    /// What the status file records for this run of `verb`: the backup file it wrote,
    /// checked or restored, and for a verify that found bad backups, how many.
    #[must_use]
    pub fn status(&self, verb: &str) -> Run {
        let (file, problem) = match self {
            Self::Export(report) => (Some(report.file.as_path()), None),
            Self::Verify(report) => {
                let failed = report.backups.iter().filter(|b| !b.ok).count();
                (
                    report.backups.last().map(|b| b.file.as_path()),
                    (failed > 0).then(|| format!("{failed} backup(s) failed verification")),
                )
            }
            Self::Restore(report) => (Some(report.to.as_path()), None),
            Self::List(_) | Self::Prune(_) | Self::RestorePostgres(_) => (None, None),
        };
        run_now(
            verb,
            file.map(|f| f.display().to_string()),
            problem,
            self.exit().code(),
        )
    }
}

impl Report for Done {
    fn exit(&self) -> Exit {
        match self {
            Self::Export(report) => report.exit(),
            Self::Verify(report) => report.exit(),
            Self::List(report) => report.exit(),
            Self::Prune(report) => report.exit(),
            Self::Restore(report) => report.exit(),
            Self::RestorePostgres(report) => report.exit(),
        }
    }

    fn render_human(&self, out: &mut dyn std::io::Write, styles: &Styles) -> std::io::Result<()> {
        match self {
            Self::Export(report) => report.render_human(out, styles),
            Self::Verify(report) => report.render_human(out, styles),
            Self::List(report) => report.render_human(out, styles),
            Self::Prune(report) => report.render_human(out, styles),
            Self::Restore(report) => report.render_human(out, styles),
            Self::RestorePostgres(report) => report.render_human(out, styles),
        }
    }
}

fn dir_or_config(
    dir: Option<PathBuf>,
    backup: &Backup,
    flag: &str,
) -> Result<PathBuf, BackupError> {
    dir.or_else(|| backup.dir.clone()).ok_or_else(|| {
        BackupError::usage(
            "no backup directory given",
            Some(&format!(
                "pass {flag} DIR or set `dir` in [backup] of bulwark.toml"
            )),
        )
    })
}

/// The `--keep-*` flags, or, when none is given, `keep_*` from `[backup]`.
fn policy_or_config(flags: Policy, backup: &Backup) -> Policy {
    if flags != Policy::default() {
        return flags;
    }
    Policy {
        last: backup.keep_last,
        daily: backup.keep_daily,
        weekly: backup.keep_weekly,
        monthly: backup.keep_monthly,
    }
}

fn export_request(
    flags: ExportInputs,
    config: Option<&Config>,
    backup: &Backup,
) -> Result<ExportRequest, BackupError> {
    let source = export_source(&flags, config, backup)?;
    let name = flags
        .name
        .or_else(|| backup.name.clone())
        .unwrap_or_else(|| default_name(&source));
    let encryption = if flags.no_encrypt {
        Encryption::None
    } else {
        Encryption::To(resolve_recipients(
            &flags.recipients,
            flags.recipients_file.as_deref(),
            backup,
        )?)
    };
    Ok(ExportRequest {
        source,
        out_dir: dir_or_config(flags.out, backup, "--out")?,
        name,
        encryption,
        upload: flags.upload,
    })
}

/// `--sqlite`, `--d1` or `--postgres`/`--postgres-env` from the flags, else from
/// `[backup]` in bulwark.toml.
fn export_source(
    flags: &ExportInputs,
    config: Option<&Config>,
    backup: &Backup,
) -> Result<ExportSource, BackupError> {
    let postgres_env = flags
        .postgres_env
        .clone()
        .or_else(|| flags.postgres.then(|| DATABASE_URL.to_owned()));
    // Flags win together: `--d1 DB` is not overridden by `sqlite = …` in the config.
    let (sqlite, d1, postgres_env) =
        if flags.sqlite.is_some() || flags.d1.is_some() || postgres_env.is_some() {
            (flags.sqlite.clone(), flags.d1.clone(), postgres_env)
        } else {
            (
                backup.sqlite.clone(),
                backup.d1.clone(),
                backup.postgres_env.clone(),
            )
        };
    if flags.supabase && (sqlite.is_some() || d1.is_some() || postgres_env.is_none()) {
        return Err(BackupError::usage(
            "--supabase is for a PostgreSQL export",
            Some(
                "pass --postgres or --postgres-env NAME with it, or set `postgres_env` in [backup]",
            ),
        ));
    }
    match (sqlite, d1, postgres_env) {
        (Some(path), _, _) => Ok(ExportSource::Sqlite(path)),
        // wrangler resolves a binding or a database name itself, in the `--env` it is given.
        (None, Some(database), _) => Ok(ExportSource::D1(D1Source {
            database,
            remote: flags.remote,
            workdir: config.map_or_else(|| PathBuf::from("."), |c| c.dir().to_owned()),
            wrangler_config: config.and_then(|c| c.migrations.wrangler_config.clone()),
            env: flags.env.clone(),
            from_export: flags.from_export.clone(),
        })),
        (None, None, Some(env)) => Ok(ExportSource::Postgres(PostgresSource {
            env,
            supabase: flags.supabase || backup.supabase,
        })),
        (None, None, None) => Err(BackupError::usage(
            "nothing to export",
            Some(
                "pass --sqlite FILE, --d1 BINDING or --postgres, or set `sqlite`, `d1` or `postgres_env` in [backup]",
            ),
        )),
    }
}

/// The SQLite file's stem, or the D1 binding.
fn default_name(source: &ExportSource) -> String {
    match source {
        ExportSource::Sqlite(path) => path
            .file_stem()
            .map_or_else(|| "backup".to_owned(), |s| s.to_string_lossy().into_owned()),
        ExportSource::D1(d1) => d1.database.clone(),
        ExportSource::Postgres(_) => "postgres".to_owned(),
    }
}

/// Recipients from the flags, else from `[backup]` in bulwark.toml. Fails closed.
fn resolve_recipients(
    recipients: &[String],
    recipients_file: Option<&Path>,
    backup: &Backup,
) -> Result<Vec<Recipient>, BackupError> {
    let mut list = parse_recipient_list(recipients, "--recipient")?;
    if let Some(file) = recipients_file {
        list.extend(load_recipients_file(file)?);
    }
    if list.is_empty() && recipients_file.is_none() {
        match &backup.recipients {
            Recipients::Inline(keys) => {
                list = parse_recipient_list(keys, "[backup] recipients")?;
            }
            Recipients::File(path) => list = load_recipients_file(path)?,
            Recipients::None => {}
        }
    }
    if list.is_empty() {
        return Err(BackupError::usage(
            "refusing to write an unencrypted backup: no age recipient given",
            Some(
                "pass --recipient age1… or --recipients-file FILE (or set recipients in [backup]); --no-encrypt writes a plain backup on purpose",
            ),
        ));
    }
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECIPIENT: &str = "age1hf45zr66vwj9atsgpdq9ftrtcqfqn3eadh3he2jdam3tkkwgzy7qwzft78";

    fn config() -> Config {
        let toml = format!(
            "[backup]\ndir = \"bk\"\nname = \"cfg\"\nsqlite = \"app.db\"\n\
             recipients = [\"{RECIPIENT}\"]\nkeep_last = 2\nstatus_file = \"status.json\"\n"
        );
        Config::parse(Path::new("/project/bulwark.toml"), &toml).expect("valid config")
    }

    fn export(inputs: ExportInputs, config: Option<&Config>) -> Result<ExportRequest, BackupError> {
        match Settings::resolve(Inputs::Export(inputs), config)? {
            Settings::Export(request) => Ok(request),
            other => panic!("not an export: {other:?}"),
        }
    }

    #[test]
    fn export_flags_win_and_backup_in_bulwark_toml_fills_the_gaps() {
        let config = config();
        let from_config =
            export(ExportInputs::default(), Some(&config)).expect("all from [backup]");
        assert!(matches!(&from_config.source, ExportSource::Sqlite(p) if p.ends_with("app.db")));
        assert!(from_config.out_dir.ends_with("bk"));
        assert_eq!(from_config.name, "cfg");
        assert!(matches!(&from_config.encryption, Encryption::To(r) if r.len() == 1));

        let flags = ExportInputs {
            d1: Some("DB".to_owned()),
            out: Some(PathBuf::from("elsewhere")),
            no_encrypt: true,
            ..ExportInputs::default()
        };
        let from_flags = export(flags, Some(&config)).expect("flags");
        assert!(
            matches!(&from_flags.source, ExportSource::D1(d1) if d1.database == "DB"),
            "--d1 is not overridden by `sqlite` in the config"
        );
        assert_eq!(from_flags.out_dir, PathBuf::from("elsewhere"));
        assert_eq!(from_flags.name, "cfg");
        assert!(matches!(from_flags.encryption, Encryption::None));

        let bare = ExportInputs {
            sqlite: Some(PathBuf::from("data/app.sqlite")),
            out: Some(PathBuf::from("bk")),
            ..ExportInputs::default()
        };
        let err = export(bare, None).expect_err("no recipient anywhere");
        assert!(
            err.to_string()
                .starts_with("refusing to write an unencrypted backup")
        );
    }

    #[test]
    fn supabase_comes_from_the_flag_or_the_config_and_needs_a_postgres_source() {
        let toml = format!(
            "[backup]\ndir = \"bk\"\npostgres_env = \"PROD_DB\"\nsupabase = true\n\
             recipients = [\"{RECIPIENT}\"]\n"
        );
        let supabase = Config::parse(Path::new("/p/bulwark.toml"), &toml).expect("valid");
        let request = export(ExportInputs::default(), Some(&supabase)).expect("from [backup]");
        assert!(matches!(&request.source,
            ExportSource::Postgres(pg) if pg.env == "PROD_DB" && pg.supabase));
        let flag = ExportInputs {
            postgres: true,
            supabase: true,
            out: Some(PathBuf::from("bk")),
            no_encrypt: true,
            ..ExportInputs::default()
        };
        let request = export(flag, None).expect("--postgres --supabase");
        assert!(matches!(&request.source,
            ExportSource::Postgres(pg) if pg.env == DATABASE_URL && pg.supabase));
        let wrong = ExportInputs {
            sqlite: Some(PathBuf::from("app.db")),
            supabase: true,
            out: Some(PathBuf::from("bk")),
            no_encrypt: true,
            ..ExportInputs::default()
        };
        let err = export(wrong, None).expect_err("not PostgreSQL");
        assert!(
            err.to_string()
                .contains("--supabase is for a PostgreSQL export"),
            "{err}"
        );
    }

    #[test]
    fn only_the_verbs_a_cron_runs_record_a_status() {
        let config = config();
        let export = Inputs::Export(ExportInputs::default());
        assert!(
            export
                .status_file(None, Some(&config))
                .is_some_and(|p| p.ends_with("status.json"))
        );
        let flag = Path::new("mine.json");
        assert_eq!(
            export.status_file(Some(flag), Some(&config)).as_deref(),
            Some(flag)
        );
        let list = Inputs::List { dir: None };
        assert_eq!(list.status_file(Some(flag), Some(&config)), None);
        assert_eq!(export.status_file(None, None), None);
    }

    #[test]
    fn prune_needs_yes_and_its_keep_flags_replace_the_config_policy() {
        let config = config();
        let prune = |keep, yes| Inputs::Prune {
            dir: None,
            keep,
            dry_run: false,
            yes,
        };
        let err = Settings::resolve(prune(Policy::default(), false), Some(&config))
            .expect_err("refused without --yes");
        assert!(err.to_string().starts_with("prune deletes backups"));
        let Settings::Prune { policy, .. } =
            Settings::resolve(prune(Policy::default(), true), Some(&config)).expect("ok")
        else {
            panic!("not a prune");
        };
        assert_eq!(policy.last, Some(2), "from [backup]");
        let daily = Policy {
            daily: Some(7),
            ..Policy::default()
        };
        let Settings::Prune { policy, .. } =
            Settings::resolve(prune(daily, true), Some(&config)).expect("ok")
        else {
            panic!("not a prune");
        };
        assert_eq!(policy, daily, "the flags replace the config's rules");
    }
}

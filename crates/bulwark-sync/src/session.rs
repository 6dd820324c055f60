//! What `plan` and `apply` work with, assembled once: the decrypted store, a runner and
//! a redactor that both know every value, and the digest key of the identity in use.

use std::time::Duration;

use bulwark_config::{Config, Environment};
use bulwark_secret::Redactor;
use bulwark_targets::Runner;
use bulwark_vault::Identities;

use crate::{DigestKey, Store, Sync, SyncError, SyncState, chosen_targets};

/// One environment's store, opened for a plan or an apply.
#[derive(Debug)]
pub struct Session<'c> {
    env: &'c Environment,
    store: Store,
    key: DigestKey,
    runner: Runner,
}

impl<'c> Session<'c> {
    /// Opens `env`'s store with `identities`. Every value is hidden from then on, both
    /// in what the target CLIs print (the runner) and in what the binary prints
    /// (`redactor`), before any target CLI runs. Target CLIs that take longer than
    /// `timeout` are stopped.
    pub fn open(
        config: &'c Config,
        env: &'c Environment,
        identities: &Identities,
        timeout: Duration,
        redactor: &mut Redactor,
    ) -> Result<Self, SyncError> {
        let store = Store::open(&Store::path_of(config, env)?, identities)?;
        let mut runner = Runner::new(config.dir(), timeout);
        for (_, value) in store.document().entries() {
            runner.hide(value);
            redactor.add(value);
        }
        crate::keep_structure(redactor, env, &store);
        let key = DigestKey::derive(
            identities
                .keys()
                .first()
                .expect("a lookup that succeeded holds at least one identity"),
        );
        Ok(Self {
            env,
            store,
            key,
            runner,
        })
    }

    /// The decrypted store.
    #[must_use]
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// What the last syncs sent, from the state file beside the store.
    pub fn state(&self) -> Result<SyncState, SyncError> {
        SyncState::load(self.store.path())
    }

    /// The plan or apply for the targets `--target` names (every one when empty).
    pub fn sync(&self, targets: &[String]) -> Result<Sync<'_>, SyncError> {
        Ok(Sync {
            env: self.env,
            targets: chosen_targets(self.env, targets)?,
            store: &self.store,
            key: &self.key,
            runner: &self.runner,
        })
    }
}

#[cfg(test)]
mod tests {
    use bulwark_config::ConfigError;
    use bulwark_secret::Secret;
    use bulwark_vault::{Identity, IdentitySource};

    use super::*;
    use crate::StoreVerbs;

    const CANARY: &str = "canary-session-4d7e21b9";

    #[test]
    fn open_hides_every_value_and_sync_chooses_the_targets() {
        let dir = tempfile::tempdir().expect("temp dir");
        let identities =
            Identities::from_identities(vec![Identity::generate()], IdentitySource::Memory);
        let recipient = identities.recipients()[0].as_str().to_owned();
        let toml = format!(
            "[env.p]\nstore = \"p.env.age\"\nrecipients = [\"{recipient}\"]\n\
             [[env.p.targets]]\nkind = \"fly\"\napp = \"a\"\n\
             [[env.p.targets]]\nkind = \"env\"\n"
        );
        let path = dir.path().join("bulwark.toml");
        let config = Config::parse(&path, &toml).expect("valid config");
        let env = config.environment(None).expect("the only one");
        StoreVerbs::new(&config, env, &identities)
            .expect("the store has a path")
            .set(
                "API_KEY",
                Secret::new(CANARY.to_owned()),
                &mut Redactor::new(),
            )
            .expect("a new store is written");

        let mut redactor = Redactor::new();
        let session = Session::open(
            &config,
            env,
            &identities,
            Duration::from_secs(1),
            &mut redactor,
        )
        .expect("the store opens");
        let text = format!("echo {CANARY}");
        assert!(
            !redactor.redact(&text).contains(CANARY),
            "the binary's output"
        );
        assert!(
            !session.runner.redactor().redact(&text).contains(CANARY),
            "the target CLIs' output"
        );
        let all = session.sync(&[]).expect("every target");
        let names: Vec<_> = all.targets.iter().map(|t| t.name()).collect();
        assert_eq!(names, ["fly"], "the process environment is never written");
        let err = session
            .sync(&["vercel".to_owned()])
            .expect_err("no such target");
        assert!(matches!(
            err,
            SyncError::Config(ConfigError::UnknownTarget { .. })
        ));
    }
}

//! Where a release stands: the commit checked out in the git repository that holds a
//! directory, and who deploys it. secrets-sync's apply log and migrate-dryrun's
//! `--record` both name them the same way, read with gix (no `git` process).

use std::path::Path;

/// The commit and the deployer, for a record of a release made from `dir`.
///
/// The commit is `HEAD` of the git repository that holds `dir` (none outside one, or
/// before the first commit). The deployer is `$GITHUB_ACTOR` when it is set (in GitHub
/// Actions), else git's `user.name <user.email>` as that repository's configuration
/// resolves them (outside a repository: the user's and the system's configuration), else
/// whichever of the two is set.
#[must_use]
pub fn who_and_where(dir: &Path) -> (Option<String>, Option<String>) {
    let actor = std::env::var("GITHUB_ACTOR")
        .ok()
        .filter(|a| !a.trim().is_empty());
    let repo = gix::discover(dir).ok();
    let commit = repo
        .as_ref()
        .and_then(|repo| repo.head_id().ok())
        .map(|id| id.to_string());
    let deployer = actor.or_else(|| match &repo {
        Some(repo) => user(repo.config_snapshot().plumbing()),
        // Outside a repository, git's user is the one of the user's and the system's
        // configuration, as `git config user.name` would say.
        None => user(&gix::config::File::from_globals().ok()?),
    });
    (commit, deployer)
}

/// `name <email>` of git's `user.name` and `user.email` in `config`, or whichever of
/// the two is set.
fn user(config: &gix::config::File) -> Option<String> {
    let name = config.string("user.name").map(|s| s.to_string());
    let email = config.string("user.email").map(|s| s.to_string());
    match (name, email) {
        (Some(name), Some(email)) => Some(format!("{name} <{email}>")),
        (name, email) => name.or(email),
    }
}

#[cfg(test)]
mod tests {
    use std::process::Command;

    use super::*;

    fn git(dir: &Path, args: &[&str]) -> String {
        let out = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .expect("git is installed");
        assert!(out.status.success(), "git {args:?}");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// The commit is `HEAD` of the repository above the directory, the deployer the
    /// repository's git user (or `$GITHUB_ACTOR` where the run has one); outside a
    /// repository there is no commit.
    #[test]
    fn names_head_and_the_git_user_of_the_repository_that_holds_the_directory() {
        let dir = tempfile::tempdir().expect("temp dir");
        git(dir.path(), &["init", "-q", "-b", "main"]);
        git(dir.path(), &["config", "user.name", "Demo Dev"]);
        git(dir.path(), &["config", "user.email", "dev@demo.invalid"]);
        let sub = dir.path().join("migrations");
        std::fs::create_dir(&sub).expect("mkdir");
        std::fs::write(sub.join("0001.sql"), "CREATE TABLE a(x);").expect("write");
        git(dir.path(), &["add", "-A"]);
        git(dir.path(), &["commit", "-q", "-m", "first"]);
        let head = git(dir.path(), &["rev-parse", "HEAD"]);
        let actor = std::env::var("GITHUB_ACTOR")
            .ok()
            .filter(|a| !a.trim().is_empty());
        let (commit, deployer) = who_and_where(&sub);
        assert_eq!(commit.as_deref(), Some(head.as_str()));
        assert_eq!(
            deployer,
            Some(
                actor
                    .clone()
                    .unwrap_or_else(|| "Demo Dev <dev@demo.invalid>".to_owned())
            )
        );

        let outside = tempfile::tempdir().expect("temp dir");
        let (commit, deployer) = who_and_where(outside.path());
        assert_eq!(commit, None, "not in a repository");
        if actor.is_some() {
            assert_eq!(deployer, actor);
        }
    }
}

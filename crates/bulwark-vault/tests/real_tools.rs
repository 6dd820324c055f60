//! bulwark-vault against the real `age` / `age-keygen` CLIs and the real kernel keyring.
//! `tests/setup.sh` installs both tools; a missing tool fails these tests, never skips them.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use bulwark_vault::{
    Armor, Identities, IdentityLookup, IdentitySource, Keyring, decrypt_bytes, encrypt_bytes,
    load_recipients_file,
};
use zeroize::Zeroizing;

fn run(cmd: &mut Command, stdin: &[u8]) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("cannot run {cmd:?} ({err}): run tests/setup.sh"));
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(stdin)
        .expect("stdin");
    let out = child.wait_with_output().expect("waits");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A key made by the real age-keygen, and its public key by `age-keygen -y`.
fn keygen(dir: &Path) -> (std::path::PathBuf, String) {
    let key = dir.join("key.txt");
    run(Command::new("age-keygen").arg("-o").arg(&key), b"");
    let public = run(Command::new("age-keygen").arg("-y").arg(&key), b"");
    (
        key,
        String::from_utf8(public.stdout)
            .expect("utf8")
            .trim()
            .to_owned(),
    )
}

#[test]
fn the_age_cli_decrypts_what_we_encrypt_binary_and_armored() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (key, public) = keygen(dir.path());
    let recipients_file = dir.path().join("recipients");
    std::fs::write(&recipients_file, format!("# ops\n\n{public}\n")).expect("write");
    let recipients = load_recipients_file(&recipients_file).expect("parses");
    let canary = b"API_TOKEN=canary-vault-interop-71c2\n";
    for armor in [Armor::Binary, Armor::Armored] {
        let sealed = encrypt_bytes(&recipients, armor, canary).expect("encrypts");
        assert!(!sealed.windows(canary.len()).any(|w| w == canary));
        let file = dir.path().join("sealed.age");
        std::fs::write(&file, &sealed).expect("write");
        let out = run(
            Command::new("age").arg("-d").arg("-i").arg(&key).arg(&file),
            b"",
        );
        assert_eq!(out.stdout, canary, "{armor:?}");
    }
}

#[test]
fn we_decrypt_what_the_age_cli_encrypts_binary_and_armored() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (key, public) = keygen(dir.path());
    let canary = b"SESSION_KEY=canary-vault-interop-a9e4\n";
    let identities = Identities::read_file(&key, IdentitySource::Flag(key.clone()))
        .expect("age-keygen output parses");
    // The key file's secret line is this test's canary: it must never be shown.
    let secret_line = std::fs::read_to_string(&key)
        .expect("key")
        .lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-"))
        .expect("a key line")
        .to_owned();
    assert!(!format!("{identities:?} {}", identities.source()).contains(&secret_line));
    assert_eq!(identities.recipients()[0].as_str(), public);
    for armor in [false, true] {
        let mut cmd = Command::new("age");
        cmd.arg("-e").arg("-r").arg(&public);
        if armor {
            cmd.arg("-a");
        }
        let sealed = run(&mut cmd, canary).stdout;
        let plain = decrypt_bytes(&identities, &sealed).expect("decrypts");
        assert_eq!(plain.as_slice(), canary);
        let mut truncated = sealed.clone();
        truncated.truncate(sealed.len() - 10);
        let err = decrypt_bytes(&identities, &truncated).expect_err("truncation detected");
        assert!(!format!("{err} {err:?}").contains(&secret_line));
    }
}

const CHILD_MARKER: &str = "BULWARK_VAULT_TEST_IN_KEYCTL_SESSION";

/// Runs the keyring test body in a throw-away session keyring (`keyctl session -`), so
/// nothing lands in the developer's own session. The body is the same test, re-run.
#[test]
fn identity_lookup_reads_the_real_kernel_keyring() {
    if std::env::var_os(CHILD_MARKER).is_none() {
        let exe = std::env::current_exe().expect("test binary");
        let out = Command::new("keyctl")
            .args(["session", "-"])
            .arg(exe)
            .args([
                "--exact",
                "identity_lookup_reads_the_real_kernel_keyring",
                "--nocapture",
            ])
            .env(CHILD_MARKER, "1")
            .output()
            .unwrap_or_else(|err| {
                panic!("keyctl (keyutils) is not installed ({err}): run tests/setup.sh")
            });
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && stdout.contains("1 passed"),
            "KERNEL KEYRING TEST FAILED OR KEYUTILS IS UNUSABLE HERE (a container without a \
             session keyring, or keyctl blocked by seccomp); this is not skipped on purpose.\n\
             stdout:\n{stdout}\nstderr:\n{stderr}"
        );
        return;
    }
    keyring_body();
}

struct Forget<'a>(&'a Keyring, &'a str);

impl Drop for Forget<'_> {
    fn drop(&mut self) {
        let _ = self.0.delete(self.1);
    }
}

fn keyring_body() {
    let keyring = Keyring::system().expect("keyutils store");
    let user = format!("test-{}", std::process::id());
    let _forget = Forget(&keyring, &user);
    let identity = bulwark_vault::Identity::generate();
    let secret = identity.to_secret_text();

    // Nothing stored yet: the lookup says which sources it tried, and nothing else.
    let dir = tempfile::tempdir().expect("tempdir");
    let err = IdentityLookup::empty()
        .with_keyring(keyring.clone(), &user)
        .with_default_file(dir.path().join("identity.txt"))
        .find()
        .expect_err("empty keyring");
    assert!(
        err.to_string()
            .contains(&format!("the OS keyring (bulwark/{user}: no entry)")),
        "{err}"
    );

    keyring.set(&user, &secret).expect("stores");
    // The key is a real kernel key: keyctl can see it by its description.
    let found = Command::new("keyctl")
        .args(["search", "@s", "user", &format!("keyring:{user}@bulwark")])
        .output()
        .expect("keyctl");
    assert!(found.status.success(), "the kernel keyring has no such key");

    let identities = IdentityLookup::empty()
        .with_keyring(keyring.clone(), &user)
        .find()
        .expect("found in the keyring");
    assert_eq!(identities.recipients(), vec![identity.recipient().clone()]);
    assert_eq!(
        identities.source(),
        &IdentitySource::Keyring { user: user.clone() }
    );
    let shown = format!("{identities:?} {}", identities.source());
    assert!(!shown.contains(secret.as_str()));

    // A broken value in the keyring is an error naming the keyring, not its content.
    let canary = Zeroizing::new("canary-keyring-not-a-key-5d1f".to_owned());
    keyring.set(&user, &canary).expect("stores");
    let err = IdentityLookup::empty()
        .with_keyring(keyring.clone(), &user)
        .find()
        .expect_err("not a key");
    assert!(!format!("{err} {err:?}").contains(canary.as_str()));

    assert!(keyring.delete(&user).expect("deletes"));
    assert!(!keyring.delete(&user).expect("gone"));
    assert!(keyring.get(&user).expect("reads").is_none());
}

//! Malformed input for every file the binaries read, made by a seeded generator so that a
//! failure reproduces: truncations, flipped bytes, invalid UTF-8, NUL bytes, huge lines,
//! deep nesting and values of the wrong type, plus damaged age files, backups, manifests
//! and git objects. For every input each binary must end with a code the contract allows
//! (an error is exit 2 or 3 with an `error:` line), never panic (exit 101), never hang
//! (each run is killed after [`TIMEOUT`]) and never print a canary planted in the
//! secret-bearing inputs.
//!
//! A failure names the family, the mutation and the seed; rerun one family with
//! `cargo test --test malformed -- <family>`.

use std::fmt::Write as _;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SEED: u64 = 0x5eed_b01d_face_0013;
/// A run that takes longer is a hang: debug binaries finish any of these inputs in well
/// under a second.
/// under a second; the margin is for a CI machine shared with other jobs.
const TIMEOUT: Duration = Duration::from_secs(60);

/// Values planted in the secret-bearing inputs (store plaintext, identity, backup rows).
const STORE_CANARY: &str = "canary-malformed-store-7d3e91";
const MULTI_CANARY: &str = "canary-malformed-multi-52af0c";
const BACKUP_CANARY: &str = "canary-malformed-backup-c04b6e";

const MANIFEST_DIR: &str = env!("CARGO_MANIFEST_DIR");
const IDENTITY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/sync-identity.txt"
);

fn bin(name: &str) -> &'static str {
    match name {
        "secrets-sync" => env!("CARGO_BIN_EXE_secrets-sync"),
        "secrets-verify" => env!("CARGO_BIN_EXE_secrets-verify"),
        "leak-scan" => env!("CARGO_BIN_EXE_leak-scan"),
        "migrate-dryrun" => env!("CARGO_BIN_EXE_migrate-dryrun"),
        "db-backup" => env!("CARGO_BIN_EXE_db-backup"),
        other => panic!("no binary {other}"),
    }
}

/// xorshift64*: small, fixed and good enough to pick offsets.
struct Rng(u64);

impl Rng {
    /// The generator of family `n`: [`SEED`] spread by a golden-ratio step.
    fn new(n: u64) -> Self {
        Self(SEED.wrapping_add(n.wrapping_mul(0x9e37_79b9_7f4a_7c15)) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % (n.max(1) as u64)).expect("fits")
    }
}

/// Which exit codes a family may end with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Allowed {
    /// The input is certainly broken: 2 or 3.
    Error,
    /// Broken, or a check that reports it (a backup that does not verify): 1, 2 or 3.
    ProblemOrError,
    /// The mutation may leave a valid file (a flip inside a comment, a cut at a line
    /// end): anything but a panic, a hang or a leak.
    Any,
}

impl Allowed {
    fn admits(self, code: i32) -> bool {
        match self {
            Self::Error => matches!(code, 2 | 3),
            Self::ProblemOrError => matches!(code, 1..=3),
            Self::Any => matches!(code, 0..=3),
        }
    }
}

/// What a format promises about damage to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    /// UTF-8 text: invalid UTF-8 and binary garbage must be refused; a cut at a line end
    /// or a flip inside a comment may leave a valid file.
    Text,
    /// Text read the way the real tool reads it, invalid bytes replaced (wrangler reads
    /// migrations as lossy UTF-8): nothing is certain to break it.
    LossyText,
    /// A binary format with slack (a `SQLite` file's unused pages, trailing bytes): nothing
    /// is certain to break it.
    Opaque,
    /// Authenticated (age): every change must be refused.
    Sealed,
}

/// One malformed variant of a file.
struct Variant {
    what: String,
    bytes: Vec<u8>,
    /// Whether this mutation certainly breaks the file (otherwise [`Allowed::Any`]).
    breaks: bool,
}

/// The generic mutations of `seed`: cuts, flips, invalid UTF-8, NUL, a huge line,
/// appended garbage. `breaks` says which a reader of this format must refuse.
fn mutations(seed: &[u8], rng: &mut Rng, format: Format) -> Vec<Variant> {
    let sealed = format == Format::Sealed;
    let utf8 = format == Format::Text || sealed;
    let text = !sealed;
    let mut out = Vec::new();
    let len = seed.len();
    out.push(Variant {
        what: "empty".into(),
        bytes: Vec::new(),
        breaks: !text,
    });
    for _ in 0..6 {
        let cut = 1 + rng.below(len.saturating_sub(1));
        out.push(Variant {
            what: format!("cut at {cut}"),
            bytes: seed[..cut].to_vec(),
            breaks: !text,
        });
    }
    for _ in 0..8 {
        let at = rng.below(len);
        let bit = 1u8 << rng.below(8);
        let mut bytes = seed.to_vec();
        bytes[at] ^= bit;
        out.push(Variant {
            what: format!("flip bit {bit:#04x} at {at}"),
            bytes,
            breaks: !text,
        });
    }
    for bad in [&b"\xff\xfe"[..], b"\xc0\x80", b"\x80", b"\xed\xa0\x80"] {
        let at = rng.below(len);
        let mut bytes = seed.to_vec();
        bytes.splice(at..at, bad.iter().copied());
        out.push(Variant {
            what: format!("invalid UTF-8 {bad:x?} at {at}"),
            bytes,
            breaks: utf8,
        });
    }
    let at = rng.below(len);
    let mut nul = seed.to_vec();
    nul.splice(at..at, [0u8]);
    out.push(Variant {
        what: format!("NUL at {at}"),
        bytes: nul,
        breaks: !text,
    });
    let at = rng.below(len);
    let mut huge = seed.to_vec();
    huge.splice(at..at, std::iter::repeat_n(b'a', 1 << 20));
    out.push(Variant {
        what: format!("1 MiB line at {at}"),
        bytes: huge,
        breaks: !text,
    });
    let mut tail = seed.to_vec();
    tail.extend_from_slice(b"\x00garbage\xff");
    out.push(Variant {
        what: "garbage appended".into(),
        bytes: tail,
        breaks: utf8,
    });
    out
}

/// Structure-aware mutations of a TOML document.
fn toml_mutations(seed: &str) -> Vec<Variant> {
    let mut out = vec![
        Variant {
            what: "deep array".into(),
            bytes: format!("{seed}\nx = {}", "[".repeat(50_000)).into_bytes(),
            breaks: true,
        },
        Variant {
            what: "deep inline table".into(),
            bytes: format!("{seed}\ny = {}", "{a=".repeat(50_000)).into_bytes(),
            breaks: true,
        },
        Variant {
            what: "deep dotted key".into(),
            bytes: format!("{}= 1\n{seed}", "a.".repeat(100_000)).into_bytes(),
            breaks: true,
        },
        Variant {
            what: "unclosed string".into(),
            bytes: format!("{seed}\nz = \"never closed\n").into_bytes(),
            breaks: true,
        },
    ];
    out.extend(replacing(
        seed,
        &[
            ("= \"", "= 42 # \""),
            ("= \"", "= [1, 2] # \""),
            ("= \"", "= { a = 1 } # \""),
            ("= \"", "= true # \""),
            ("= [", "= \"a\" # ["),
            ("[[", "[ ["),
        ],
        true,
    ));
    out
}

/// The first `from` of `seed` replaced by `to`, for each pair that occurs: a value of
/// another type where the reader expects a string, a table or an array.
fn replacing(seed: &str, pairs: &[(&str, &str)], breaks: bool) -> Vec<Variant> {
    pairs
        .iter()
        .filter_map(|(from, to)| {
            let at = seed.find(from)?;
            let mut text = seed.to_owned();
            text.replace_range(at..at + from.len(), to);
            Some(Variant {
                what: format!("wrong type: `{from}` → `{to}`"),
                bytes: text.into_bytes(),
                breaks,
            })
        })
        .collect()
}

/// Structure-aware mutations of a JSON document.
fn json_mutations(seed: &str) -> Vec<Variant> {
    let mut out = vec![
        Variant {
            what: "deep arrays".into(),
            bytes: format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes(),
            breaks: true,
        },
        Variant {
            what: "deep objects".into(),
            bytes: "{\"a\":".repeat(100_000).into_bytes(),
            breaks: true,
        },
        Variant {
            what: "a bare number".into(),
            bytes: b"42".to_vec(),
            breaks: true,
        },
        Variant {
            what: "a bare string".into(),
            bytes: b"\"text\"".to_vec(),
            breaks: true,
        },
        Variant {
            what: "null".into(),
            bytes: b"null".to_vec(),
            breaks: true,
        },
    ];
    // Valid JSON either way: whether it is wrong depends on the key.
    out.extend(replacing(
        seed,
        &[
            (": \"", ": 7, \"x\": \""),
            (": [", ": {\"a\": ["),
            (": {", ": [1, {"),
        ],
        false,
    ));
    out
}

/// A command to run on one variant, in a fresh directory.
struct Family {
    name: &'static str,
    bin: &'static str,
    args: Vec<String>,
    /// The file the variants replace, relative to the work directory.
    file: &'static str,
    /// Prepares the work directory (everything but `file`).
    setup: Box<dyn Fn(&Path)>,
    /// The codes a certainly broken input may end with.
    allowed: Allowed,
    /// What damage the format is certain to show.
    format: Format,
    env: Vec<(&'static str, String)>,
}

impl Family {
    /// A family of certainly broken text inputs (exit 2 or 3), without extra environment.
    fn new(
        name: &'static str,
        bin: &'static str,
        args: Vec<String>,
        file: &'static str,
        setup: impl Fn(&Path) + 'static,
    ) -> Self {
        Self {
            name,
            bin,
            args,
            file,
            setup: Box::new(setup),
            allowed: Allowed::Error,
            format: Format::Text,
            env: Vec::new(),
        }
    }

    fn allowed(self, allowed: Allowed) -> Self {
        Self { allowed, ..self }
    }

    fn format(self, format: Format) -> Self {
        Self { format, ..self }
    }
}

/// What one run did.
struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    timed_out: bool,
}

fn run(bin: &str, args: &[String], dir: &Path, env: &[(&'static str, String)]) -> Ran {
    let standins = format!("{MANIFEST_DIR}/tests/standins/bin");
    let path = format!("{standins}:{}", std::env::var("PATH").unwrap_or_default());
    let mut command = Command::new(bin);
    command
        .args(args)
        .current_dir(dir)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .env("HOME", dir)
        .env("XDG_CONFIG_HOME", dir.join(".config"))
        .env("TMPDIR", dir)
        .env_remove("BULWARK_AGE_IDENTITY")
        .env_remove("GITHUB_ACTIONS")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("spawn the binary");
    let mut stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let out = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stdout.read_to_end(&mut bytes);
        bytes
    });
    let err = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stderr.read_to_end(&mut bytes);
        bytes
    });
    let start = Instant::now();
    let (status, timed_out) = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break (status, false);
        }
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            break (child.wait().expect("wait after kill"), true);
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    // A grandchild that still holds the pipes would block these joins; the binaries
    // here start none that outlive them.
    let stdout = String::from_utf8_lossy(&out.join().expect("reader")).into_owned();
    let stderr = String::from_utf8_lossy(&err.join().expect("reader")).into_owned();
    Ran {
        code: status.code(),
        stdout,
        stderr,
        timed_out,
    }
}

/// Checks one run against the contract; `Err` says what is wrong.
fn judge(ran: &Ran, allowed: Allowed) -> Result<(), String> {
    if ran.timed_out {
        return Err(format!("hung: killed after {TIMEOUT:?}"));
    }
    let all = format!("{}{}", ran.stdout, ran.stderr);
    for canary in [STORE_CANARY, MULTI_CANARY, BACKUP_CANARY] {
        if all.contains(canary) {
            return Err(format!("printed the canary {canary}"));
        }
    }
    if let Some(line) = identity_secret_line()
        && all.contains(&line[20..])
    {
        return Err("printed the identity".into());
    }
    if all.contains("panicked") || ran.code == Some(101) {
        return Err("panicked".into());
    }
    let Some(code) = ran.code else {
        return Err("killed by a signal (stack overflow or abort?)".into());
    };
    if !allowed.admits(code) {
        return Err(format!("exit {code}, expected {allowed:?}"));
    }
    // `db-backup verify` reports every backup it was given, each with its verdict and
    // problems, on stdout; its exit code is the worst of them. Elsewhere a 2 or a 3
    // comes with an `error:` line.
    let reported = ran.stdout.contains("FAILED ") || ran.stdout.contains("\"problems\"");
    if matches!(code, 2 | 3) && !ran.stderr.contains("error: ") && !reported {
        return Err(format!("exit {code} without an `error:` line"));
    }
    Ok(())
}

fn identity_secret_line() -> Option<String> {
    std::fs::read_to_string(IDENTITY)
        .ok()?
        .lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-"))
        .map(str::to_owned)
}

fn recipient() -> bulwark_vault::Recipient {
    let text = std::fs::read_to_string(IDENTITY).expect("identity fixture");
    let public = text
        .lines()
        .find_map(|l| l.strip_prefix("# public key: "))
        .expect("the fixture names its public key");
    bulwark_vault::parse_recipient_list(&[public.to_owned()], "fixture")
        .expect("a valid recipient")
        .remove(0)
}

fn seal(plaintext: &[u8]) -> Vec<u8> {
    bulwark_vault::encrypt_bytes(&[recipient()], bulwark_vault::Armor::Armored, plaintext)
        .expect("encrypts")
}

fn dotenv_plaintext() -> String {
    format!(
        "# the malformed suite's store\nAPI_TOKEN={STORE_CANARY}\nexport DB_URL=\"postgres://u:{STORE_CANARY}@h/db\"\nMULTI=\"first\n{MULTI_CANARY}\n\"\nSINGLE='{STORE_CANARY}' # note\n"
    )
}

const BULWARK_TOML: &str = "default_env = \"production\"\n\n[env.production]\nstore = \"secrets/production.env.age\"\nrecipients_file = \"secrets/.recipients\"\nrequired = [\"API_TOKEN\", \"DB_*\"]\n\n[[env.production.targets]]\nkind = \"wrangler\"\nenvironment = \"production\"\n\n[[env.production.targets]]\nkind = \"secrets-store\"\nstore_id = \"8f2a9c1e4b7d4e0a9c3f5b6d7e8f9a0b\"\n\n[[env.production.targets]]\nkind = \"fly\"\napp = \"demo-api-worker\"\n\n[[env.production.targets]]\nkind = \"github\"\nrepo = \"demo-org/demo-api\"\n\n[migrations]\ndatabase = \"DB\"\n\n[backup]\ndir = \"backups\"\nkeep_last = 3\n";

/// A project for secrets-sync: config, identity, recipients and a store.
fn sync_project(dir: &Path) {
    std::fs::create_dir_all(dir.join("secrets")).expect("mkdir");
    std::fs::write(dir.join("bulwark.toml"), BULWARK_TOML).expect("write");
    std::fs::copy(IDENTITY, dir.join("key.txt")).expect("copy identity");
    std::fs::write(
        dir.join("secrets/.recipients"),
        format!("{}\n", recipient().as_str()),
    )
    .expect("write");
    std::fs::write(
        dir.join("secrets/production.env.age"),
        seal(dotenv_plaintext().as_bytes()),
    )
    .expect("write");
}

const WRANGLER_JSONC: &str = "{\n  // the demo worker\n  \"name\": \"demo-api\",\n  \"main\": \"src/index.js\",\n  \"d1_databases\": [\n    { \"binding\": \"DB\", \"database_name\": \"demo-db\", \"database_id\": \"00000000-0000-0000-0000-000000000000\", \"migrations_dir\": \"migrations\" },\n  ],\n  \"env\": { \"production\": { \"name\": \"demo-api-prod\", \"vars\": { \"MODE\": \"prod\" } } },\n}\n";

const WRANGLER_TOML: &str = "name = \"demo-api\"\nmain = \"src/index.js\"\n\n[[d1_databases]]\nbinding = \"DB\"\ndatabase_name = \"demo-db\"\ndatabase_id = \"00000000-0000-0000-0000-000000000000\"\nmigrations_dir = \"migrations\"\n\n[env.production]\nname = \"demo-api-prod\"\n";

const MIGRATION: &str = "-- notes\nCREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL, created_at TEXT DEFAULT (datetime('now')));\nCREATE INDEX notes_created ON notes (created_at);\nCREATE TRIGGER notes_touch AFTER UPDATE ON notes BEGIN\n  UPDATE notes SET created_at = datetime('now') WHERE id = NEW.id;\nEND;\nINSERT INTO notes (body) VALUES ('it''s; fine'), (\"x\");\n";

/// A migrations project for migrate-dryrun (without the wrangler config).
fn migrate_project(dir: &Path) {
    std::fs::create_dir_all(dir.join("migrations")).expect("mkdir");
    std::fs::write(
        dir.join("migrations/0001_users.sql"),
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE);\n",
    )
    .expect("write");
    std::fs::write(dir.join("migrations/0002_notes.sql"), MIGRATION).expect("write");
}

fn sqlite_bytes(dir: &Path) -> Vec<u8> {
    let path = dir.join("seed.sqlite");
    let _ = std::fs::remove_file(&path);
    let db = rusqlite::Connection::open(&path).expect("open");
    db.execute_batch(&format!(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE);
         CREATE TABLE d1_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TEXT);
         INSERT INTO d1_migrations (name) VALUES ('0001_users.sql');
         CREATE TABLE tokens (id INTEGER PRIMARY KEY, value TEXT);
         INSERT INTO tokens (value) VALUES ('{BACKUP_CANARY}');
         INSERT INTO users (email) SELECT 'u' || value || '@example.com' FROM generate_series(1, 300);"
    ))
    .or_else(|_| {
        db.execute_batch(&format!(
            "CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, email TEXT UNIQUE);
             CREATE TABLE IF NOT EXISTS d1_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TEXT);
             INSERT OR IGNORE INTO d1_migrations (name) VALUES ('0001_users.sql');
             CREATE TABLE IF NOT EXISTS tokens (id INTEGER PRIMARY KEY, value TEXT);
             INSERT INTO tokens (value) VALUES ('{BACKUP_CANARY}');
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
             INSERT INTO users (email) SELECT 'u' || i || '@example.com' FROM n;"
        ))
    })
    .expect("seed database");
    drop(db);
    std::fs::read(&path).expect("read back")
}

/// Exports one encrypted backup of a small database into `dir/backups`; returns the
/// backup's file name.
fn make_backup(dir: &Path) -> String {
    std::fs::write(dir.join("app.db"), sqlite_bytes(dir)).expect("write db");
    let ran = run(
        bin("db-backup"),
        &[
            "export".into(),
            "--sqlite".into(),
            "app.db".into(),
            "--out".into(),
            "backups".into(),
            "--recipient".into(),
            recipient().as_str().to_owned(),
        ],
        dir,
        &[],
    );
    assert_eq!(ran.code, Some(0), "export failed: {}", ran.stderr);
    std::fs::read_dir(dir.join("backups"))
        .expect("backups dir")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| Path::new(n).extension().is_some_and(|ext| ext == "age"))
        .expect("a backup file")
}

/// A git repository with a few commits, made with the git CLI.
fn git_repo(dir: &Path) {
    let git = |args: &[&str]| {
        let status = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("git runs");
        assert!(status.success(), "git {args:?}");
    };
    git(&["init", "-q", "-b", "main"]);
    for i in 0..3 {
        std::fs::write(dir.join(format!("file{i}.txt")), format!("content {i}\n")).expect("w");
        git(&["add", "."]);
        git(&["commit", "-q", "-m", &format!("commit {i}")]);
    }
}

fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("bulwark-malformed-")
        .tempdir()
        .expect("temp dir")
}

/// Runs every variant of `family` and returns the failures.
fn check_family(family: &Family, variants: Vec<Variant>) -> Vec<String> {
    let mut failures = Vec::new();
    let template = tempdir();
    (family.setup)(template.path());
    for variant in variants {
        let work = tempdir();
        copy_tree(template.path(), work.path());
        let target = work.path().join(family.file);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&target, &variant.bytes).expect("write the variant");
        let ran = run(bin(family.bin), &family.args, work.path(), &family.env);
        let allowed = if variant.breaks || family.format == Format::Sealed {
            family.allowed
        } else {
            Allowed::Any
        };
        if let Err(why) = judge(&ran, allowed) {
            let mut line = format!(
                "{} ({} {}): {}: {why}",
                family.name,
                family.bin,
                family.args.join(" "),
                variant.what
            );
            let tail: String = ran.stderr.chars().take(300).collect();
            let _ = write!(line, "\n    stderr: {tail}");
            failures.push(line);
        }
    }
    failures
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from)
        .expect("read dir")
        .filter_map(Result::ok)
    {
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

fn assert_clean(failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{} malformed input(s) broke the contract (seed {SEED:#x}):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn text_variants(seed: &str, rng: &mut Rng, structure: fn(&str) -> Vec<Variant>) -> Vec<Variant> {
    let mut variants = mutations(seed.as_bytes(), rng, Format::Text);
    variants.extend(structure(seed));
    variants
}

#[test]
fn bulwark_toml() {
    let mut rng = Rng::new(0);
    let family = Family::new(
        "bulwark.toml",
        "secrets-sync",
        args(&["names", "--identity", "key.txt"]),
        "bulwark.toml",
        sync_project,
    );
    let variants = text_variants(BULWARK_TOML, &mut rng, toml_mutations);
    assert_clean(&check_family(&family, variants));
}

#[test]
fn age_store() {
    let mut rng = Rng::new(1);
    let family = Family::new(
        "age store",
        "secrets-sync",
        args(&["names", "--identity", "key.txt"]),
        "secrets/production.env.age",
        sync_project,
    )
    .format(Format::Sealed);
    let sealed = seal(dotenv_plaintext().as_bytes());
    let mut variants: Vec<Variant> = mutations(&sealed, &mut rng, Format::Sealed)
        .into_iter()
        // A flip of the armor's very last newline still leaves a valid file.
        .filter(|v| !v.what.ends_with(&format!("at {}", sealed.len() - 1)))
        .collect();
    let binary =
        bulwark_vault::encrypt_bytes(&[recipient()], bulwark_vault::Armor::Binary, b"A=1\n")
            .expect("encrypts");
    variants.push(Variant {
        what: "binary age, cut in the payload".into(),
        bytes: binary[..binary.len() - 5].to_vec(),
        breaks: true,
    });
    variants.push(Variant {
        what: "a different file's header".into(),
        bytes: [&binary[..binary.len() / 2], &sealed[sealed.len() / 2..]].concat(),
        breaks: true,
    });
    assert_clean(&check_family(&family, variants));
}

#[test]
fn store_plaintext() {
    let mut rng = Rng::new(2);
    let family = Family::new(
        "store plaintext (dotenv)",
        "secrets-sync",
        args(&["names", "--identity", "key.txt"]),
        "secrets/production.env.age",
        sync_project,
    );
    let plain = dotenv_plaintext();
    let mut variants = mutations(plain.as_bytes(), &mut rng, Format::Text);
    for (what, text) in [
        (
            "unclosed double quote",
            format!("{plain}BAD=\"{STORE_CANARY}\n"),
        ),
        (
            "unclosed single quote",
            format!("{plain}BAD='{STORE_CANARY}\n"),
        ),
        (
            "text after the quote",
            format!("{plain}BAD=\"x\"{STORE_CANARY}\n"),
        ),
        ("a name twice", format!("{plain}API_TOKEN={STORE_CANARY}\n")),
        ("no `=`", format!("{plain}{STORE_CANARY}\n")),
        ("a bad name", format!("{plain}1BAD={STORE_CANARY}\n")),
        (
            "many names",
            (0..50_000).fold(String::new(), |mut s, i| {
                let _ = writeln!(s, "N{i}={STORE_CANARY}");
                s
            }) + "N7=again\n",
        ),
    ] {
        variants.push(Variant {
            what: what.into(),
            bytes: text.into_bytes(),
            breaks: true,
        });
    }
    let variants = variants
        .into_iter()
        .map(|v| Variant {
            bytes: seal(&v.bytes),
            ..v
        })
        .collect();
    assert_clean(&check_family(&family, variants));
}

#[test]
fn identity_file() {
    let mut rng = Rng::new(3);
    let family = Family::new(
        "identity file",
        "secrets-sync",
        args(&["names", "--identity", "key.txt"]),
        "key.txt",
        sync_project,
    );
    let key = std::fs::read_to_string(IDENTITY).expect("identity");
    let variants = mutations(key.as_bytes(), &mut rng, Format::Text);
    assert_clean(&check_family(&family, variants));
}

#[test]
fn sync_state() {
    let mut rng = Rng::new(4);
    let plan_in = format!("{MANIFEST_DIR}/tests/cmd/secrets-sync/plan-after-apply.in");
    let state_name = "secrets/production.env.age.state.json";
    let seed = std::fs::read_to_string(Path::new(&plan_in).join(state_name))
        .unwrap_or_else(|_| "{\"version\": 1, \"digests\": {}}\n".to_owned());
    let family = Family::new(
        "sync state",
        "secrets-sync",
        args(&["plan", "--identity", "key.txt"]),
        state_name,
        move |dir| copy_tree(Path::new(&plan_in), dir),
    );
    let variants = text_variants(&seed, &mut rng, json_mutations);
    assert_clean(&check_family(&family, variants));
}

#[test]
fn wrangler_configs() {
    let mut failures = Vec::new();
    for (file, seed, structure) in [
        (
            "wrangler.jsonc",
            WRANGLER_JSONC,
            json_mutations as fn(&str) -> Vec<Variant>,
        ),
        ("wrangler.json", WRANGLER_JSONC, json_mutations),
        ("wrangler.toml", WRANGLER_TOML, toml_mutations),
    ] {
        let mut rng = Rng::new(0x50 + file.len() as u64);
        let family = Family::new(
            file,
            "migrate-dryrun",
            args(&["--wrangler-config", file]),
            file,
            migrate_project,
        );
        failures.extend(check_family(
            &family,
            text_variants(seed, &mut rng, structure),
        ));
    }
    assert_clean(&failures);
}

const GITLEAKS_TOML: &str = "[[rules]]\nid = \"suite-token\"\ndescription = \"a suite token\"\nregex = '''suite_[a-z0-9]{16}'''\nkeywords = [\"suite_\"]\nsecretGroup = 0\n\n[[rules.allowlists]]\npaths = ['''ignored/''']\n\n[allowlist]\nregexes = ['''example''']\n\n[extend]\nuseDefault = false\n";

fn scan_project(dir: &Path) {
    std::fs::write(dir.join("app.env"), "TOKEN=suite_0123456789abcdef\n").expect("write");
    std::fs::write(dir.join("other.txt"), "nothing here\n").expect("write");
}

#[test]
fn gitleaks_config() {
    let mut rng = Rng::new(6);
    let family = Family::new(
        "gitleaks config",
        "leak-scan",
        args(&["dir", "--rules", "rules.toml", "."]),
        "rules.toml",
        scan_project,
    );
    let mut variants = text_variants(GITLEAKS_TOML, &mut rng, toml_mutations);
    for (what, rule) in [
        ("a regex that does not compile", "regex = '''(unclosed'''"),
        (
            "a negative secretGroup",
            "regex = '''a(b)'''\nsecretGroup = -1",
        ),
        ("no regex and no path", "description = \"nothing\""),
    ] {
        variants.push(Variant {
            what: what.into(),
            bytes: format!("[[rules]]\nid = \"bad\"\n{rule}\n").into_bytes(),
            breaks: true,
        });
    }
    assert_clean(&check_family(&family, variants));
}

#[test]
fn gitleaksignore_and_baseline() {
    let mut failures = Vec::new();
    let ignore = "# fingerprints\napp.env:suite-token:1\n0123456789abcdef0123456789abcdef01234567:app.env:suite-token:1\n";
    let mut rng = Rng::new(7);
    let family = Family::new(
        ".gitleaksignore",
        "leak-scan",
        args(&["dir", "--ignore-file", "ignore.txt", "."]),
        "ignore.txt",
        scan_project,
    );
    failures.extend(check_family(
        &family,
        mutations(ignore.as_bytes(), &mut rng, Format::Text),
    ));

    let baseline = "[\n  {\n    \"RuleID\": \"suite-token\",\n    \"File\": \"app.env\",\n    \"StartLine\": 1,\n    \"Fingerprint\": \"app.env:suite-token:1\",\n    \"Secret\": \"REDACTED\"\n  }\n]\n";
    let mut rng = Rng::new(8);
    let family = Family::new(
        "baseline report",
        "leak-scan",
        args(&["dir", "--baseline", "baseline.json", "."]),
        "baseline.json",
        scan_project,
    );
    failures.extend(check_family(
        &family,
        text_variants(baseline, &mut rng, json_mutations),
    ));
    assert_clean(&failures);
}

#[test]
fn migrations_and_dumps() {
    let mut failures = Vec::new();
    // A broken migration is a failing migration (exit 1), the check's own finding.
    let mut rng = Rng::new(9);
    let family = Family::new(
        "migration SQL",
        "migrate-dryrun",
        args(&["--migrations", "migrations"]),
        "migrations/0002_notes.sql",
        migrate_project,
    )
    .allowed(Allowed::ProblemOrError)
    .format(Format::LossyText);
    let mut variants = mutations(MIGRATION.as_bytes(), &mut rng, Format::LossyText);
    for (what, sql) in [
        (
            "deep parentheses",
            format!("SELECT {}1{};", "(".repeat(20_000), ")".repeat(20_000)),
        ),
        (
            "deep CASE",
            format!(
                "SELECT {}1{};",
                "CASE WHEN 1 THEN ".repeat(5_000),
                " END".repeat(5_000)
            ),
        ),
        (
            "an unclosed string",
            "INSERT INTO users (email) VALUES ('never closed);\n".to_owned(),
        ),
        (
            "an unclosed BEGIN",
            "CREATE TRIGGER t AFTER INSERT ON users BEGIN SELECT 1;\n".to_owned(),
        ),
    ] {
        variants.push(Variant {
            what: what.into(),
            bytes: sql.into_bytes(),
            breaks: true,
        });
    }
    failures.extend(check_family(&family, variants));

    let dump = "PRAGMA defer_foreign_keys=TRUE;\nCREATE TABLE d1_migrations(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL);\nINSERT INTO \"d1_migrations\" (\"id\",\"name\") VALUES(1,'0001_users.sql');\nCREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE);\nINSERT INTO \"users\" VALUES(1,'a@example.com');\n";
    let mut rng = Rng::new(10);
    let family = Family::new(
        "SQL dump",
        "migrate-dryrun",
        args(&["--migrations", "migrations", "--dump", "dump.sql"]),
        "dump.sql",
        migrate_project,
    )
    .allowed(Allowed::ProblemOrError);
    failures.extend(check_family(
        &family,
        mutations(dump.as_bytes(), &mut rng, Format::Text),
    ));
    assert_clean(&failures);
}

#[test]
fn sqlite_files() {
    let mut failures = Vec::new();
    let seed_dir = tempdir();
    let sqlite = sqlite_bytes(seed_dir.path());
    let mut rng = Rng::new(11);
    // Pages a flip lands in may be unused: the file can stay a valid database.
    let family = Family::new(
        "SQLite snapshot",
        "migrate-dryrun",
        args(&["--migrations", "migrations", "--snapshot", "snap.sqlite"]),
        "snap.sqlite",
        migrate_project,
    )
    .allowed(Allowed::ProblemOrError)
    .format(Format::Opaque);
    let mut variants = mutations(&sqlite, &mut rng, Format::Opaque);
    let mut header = sqlite.clone();
    header[16] = 0x03; // a page size that is not a power of two
    variants.push(Variant {
        what: "bad page size".into(),
        bytes: header,
        breaks: true,
    });
    failures.extend(check_family(
        &family,
        variants.iter().map(clone_variant).collect(),
    ));
    let family = Family::new(
        "SQLite source",
        "db-backup",
        args(&[
            "export",
            "--sqlite",
            "snap.sqlite",
            "--out",
            "out",
            "--no-encrypt",
        ]),
        "snap.sqlite",
        |_| {},
    )
    .format(Format::Opaque);
    failures.extend(check_family(&family, variants));
    assert_clean(&failures);
}

fn clone_variant(v: &Variant) -> Variant {
    Variant {
        what: v.what.clone(),
        bytes: v.bytes.clone(),
        breaks: v.breaks,
    }
}

#[test]
fn backups_and_manifests() {
    let seed_dir = tempdir();
    let name = make_backup(seed_dir.path());
    let backup = std::fs::read(seed_dir.path().join("backups").join(&name)).expect("backup");
    let manifest_name = format!("{name}.manifest.json");
    let manifest = std::fs::read_to_string(seed_dir.path().join("backups").join(&manifest_name))
        .expect("manifest");
    let setup_from = |skip: String| {
        let from = seed_dir.path().to_owned();
        move |dir: &Path| {
            copy_tree(&from, dir);
            let _ = std::fs::remove_file(dir.join("backups").join(&skip));
            std::fs::copy(IDENTITY, dir.join("key.txt")).expect("identity");
        }
    };
    let verify = args(&[
        "verify",
        &format!("backups/{name}"),
        "--identity",
        "key.txt",
    ]);
    let mut failures = Vec::new();

    // Every byte of the backup is authenticated: no damaged copy may verify.
    let mut rng = Rng::new(12);
    let family = Family::new(
        "backup file",
        "db-backup",
        verify.clone(),
        Box::leak(format!("backups/{name}").into_boxed_str()),
        setup_from(name.clone()),
    )
    .allowed(Allowed::ProblemOrError)
    .format(Format::Sealed);
    failures.extend(check_family(
        &family,
        mutations(&backup, &mut rng, Format::Sealed),
    ));

    let mut rng = Rng::new(13);
    let family = Family::new(
        "backup manifest",
        "db-backup",
        verify,
        Box::leak(format!("backups/{manifest_name}").into_boxed_str()),
        setup_from(manifest_name.clone()),
    )
    .allowed(Allowed::ProblemOrError);
    failures.extend(check_family(
        &family,
        text_variants(&manifest, &mut rng, json_mutations),
    ));

    let mut rng = Rng::new(14);
    let family = Family::new(
        "backup manifest (list)",
        "db-backup",
        args(&["list", "backups"]),
        Box::leak(format!("backups/{manifest_name}").into_boxed_str()),
        setup_from(manifest_name.clone()),
    )
    .allowed(Allowed::Any);
    failures.extend(check_family(
        &family,
        text_variants(&manifest, &mut rng, json_mutations),
    ));
    assert_clean(&failures);
}

/// The loose objects of a repository, by kind.
fn loose_objects(repo: &Path) -> Vec<(String, PathBuf)> {
    let list = |kind: &str| -> Vec<PathBuf> {
        let out = Command::new("git")
            .args(["rev-list", "--objects", "--all"])
            .current_dir(repo)
            .output()
            .expect("git rev-list");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|line| line.split_whitespace().next())
            .filter(|id| {
                Command::new("git")
                    .args(["cat-file", "-t", id])
                    .current_dir(repo)
                    .output()
                    .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == kind)
            })
            .map(|id| repo.join(".git/objects").join(&id[..2]).join(&id[2..]))
            .collect()
    };
    let mut objects = Vec::new();
    for kind in ["tree", "blob"] {
        for path in list(kind) {
            objects.push((kind.to_owned(), path));
        }
    }
    objects
}

#[test]
fn git_repositories() {
    let template = tempdir();
    git_repo(template.path());
    let mut failures = Vec::new();
    for (kind, object) in loose_objects(template.path()) {
        let relative = object
            .strip_prefix(template.path())
            .expect("inside")
            .to_owned();
        let bytes = std::fs::read(&object).expect("object");
        // A flipped bit inside the deflate stream can still inflate: that case is
        // among `found_for_other_items`.
        let damaged = [
            ("cut in half", bytes[..bytes.len() / 2].to_vec()),
            ("empty", Vec::new()),
        ];
        for (what, content) in damaged {
            let work = tempdir();
            copy_tree(template.path(), work.path());
            let path = work.path().join(&relative);
            let mut permissions = std::fs::metadata(&path).expect("meta").permissions();
            #[expect(
                clippy::permissions_set_readonly_false,
                reason = "a test's own temp file"
            )]
            permissions.set_readonly(false);
            std::fs::set_permissions(&path, permissions).expect("chmod");
            std::fs::write(&path, content).expect("write");
            let ran = run(bin("leak-scan"), &args(&["git"]), work.path(), &[]);
            if let Err(why) = judge(&ran, Allowed::Error) {
                failures.push(format!(
                    "git {kind} object {}: {what}: {why}\n    stdout: {}\n    stderr: {}",
                    relative.display(),
                    ran.stdout.trim(),
                    ran.stderr.trim()
                ));
            }
        }
    }
    assert_clean(&failures);
}

/// Inputs the generator found that other items of issue 13 fix (a commit git cannot read,
/// a rule gitleaks would refuse) and issue 14's time bound (a migration that never ends
/// stops at migrate-dryrun's default --timeout of 30 s, exit 3).
#[test]
fn found_for_other_items() {
    let mut failures = Vec::new();
    let template = tempdir();
    git_repo(template.path());
    let head = std::fs::read_to_string(template.path().join(".git/refs/heads/main")).expect("ref");
    let head = head.trim();
    let commit = Path::new(".git/objects").join(&head[..2]).join(&head[2..]);
    let mut rng = Rng::new(15);
    let blob = loose_objects(template.path())
        .into_iter()
        .find(|(kind, _)| kind == "blob")
        .map(|(_, path)| {
            path.strip_prefix(template.path())
                .expect("inside")
                .to_owned()
        })
        .expect("a blob");
    for (what, damage) in [
        ("a ref to a missing commit", None),
        ("the head commit cut in half", Some((commit, false))),
        ("a blob with a flipped bit", Some((blob, true))),
    ] {
        let work = tempdir();
        copy_tree(template.path(), work.path());
        match damage {
            None => std::fs::write(
                work.path().join(".git/refs/heads/main"),
                "0123456789abcdef0123456789abcdef01234567\n",
            )
            .expect("write ref"),
            Some((object, flip)) => {
                let path = work.path().join(object);
                let mut bytes = std::fs::read(&path).expect("object");
                std::fs::remove_file(&path).expect("rm");
                if flip {
                    let at = 2 + rng.below(bytes.len() - 2);
                    bytes[at] ^= 0x10;
                } else {
                    bytes.truncate(bytes.len() / 2);
                }
                std::fs::write(&path, &bytes).expect("write");
            }
        }
        let ran = run(bin("leak-scan"), &args(&["git"]), work.path(), &[]);
        if let Err(why) = judge(&ran, Allowed::Error) {
            failures.push(format!("item 1, git: {what}: {why}: {}", ran.stdout.trim()));
        }
    }
    let scan = tempdir();
    scan_project(scan.path());
    for (what, rule) in [
        ("a huge regex", "regex = '''(a{1000}){1000}'''"),
        (
            "secretGroup past the groups",
            "regex = '''a(b)'''\nsecretGroup = 5",
        ),
    ] {
        std::fs::write(
            scan.path().join("rules.toml"),
            format!("[[rules]]\nid = \"bad\"\n{rule}\n"),
        )
        .expect("write");
        let ran = run(
            bin("leak-scan"),
            &args(&["dir", "--rules", "rules.toml", "."]),
            scan.path(),
            &[],
        );
        if let Err(why) = judge(&ran, Allowed::Error) {
            failures.push(format!("item 3, gitleaks config: {what}: {why}"));
        }
    }
    let project = tempdir();
    migrate_project(project.path());
    std::fs::write(
        project.path().join("migrations/0003_forever.sql"),
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n;\n",
    )
    .expect("write");
    let ran = run(
        bin("migrate-dryrun"),
        &args(&["--migrations", "migrations"]),
        project.path(),
        &[],
    );
    if let Err(why) = judge(&ran, Allowed::ProblemOrError) {
        failures.push(format!("item 15, a migration that never ends: {why}"));
    }
    assert_clean(&failures);
}

/// Cases the contract needs beyond the generator: one per row of docs/exit-codes.md, the
/// edit error, and config values that would reach a child CLI as options.
mod contract {
    use super::{MANIFEST_DIR, args, bin, copy_tree, run, sync_project, tempdir};
    use std::path::Path;
    use std::process::{Command, Stdio};
    use std::time::Duration;

    fn fixture(name: &str) -> tempfile::TempDir {
        let dir = tempdir();
        copy_tree(
            &Path::new(MANIFEST_DIR)
                .join("tests/cmd/secrets-sync")
                .join(name),
            dir.path(),
        );
        dir
    }

    /// Runs `case` for the code of each row of docs/exit-codes.md, so that a row without
    /// a case (or a case that ends otherwise) fails.
    #[test]
    fn every_row_of_the_exit_code_table_has_a_case() {
        let doc = std::fs::read_to_string(Path::new(MANIFEST_DIR).join("docs/exit-codes.md"))
            .expect("docs/exit-codes.md");
        let codes: Vec<i32> = doc
            .lines()
            .filter_map(|line| line.strip_prefix("| ")?.split(" |").next()?.parse().ok())
            .collect();
        assert_eq!(codes, [0, 1, 2, 3, 130, 101], "the table's rows changed");
        for code in codes {
            let cases = cases_for(code);
            if code == 101 {
                // A panic is a bug, so no binary can be made to panic on purpose: the
                // row is Rust's own panic status, and the malformed families above fail
                // on it. bulwark_core::harden's test checks what such a run prints.
                assert!(cases.is_empty());
                continue;
            }
            assert!(!cases.is_empty(), "no case for exit {code}");
            for (what, ran_code, output) in cases {
                assert_eq!(ran_code, Some(code), "{what}:\n{output}");
            }
        }
    }

    type Case = (&'static str, Option<i32>, String);

    fn case(what: &'static str, ran: &super::Ran) -> Case {
        (what, ran.code, format!("{}{}", ran.stdout, ran.stderr))
    }

    fn cases_for(code: i32) -> Vec<Case> {
        let project = tempdir();
        sync_project(project.path());
        let names = args(&["names", "--identity", "key.txt"]);
        match code {
            0 => {
                let ran = run(bin("secrets-sync"), &names, project.path(), &[]);
                let clean = tempdir();
                std::fs::write(clean.path().join("a.txt"), "nothing\n").expect("write");
                let scan = run(bin("leak-scan"), &args(&["dir", "."]), clean.path(), &[]);
                vec![
                    case("names of a good store", &ran),
                    case("a clean tree", &scan),
                ]
            }
            1 => {
                let leak = tempdir();
                super::scan_project(leak.path());
                std::fs::write(leak.path().join("rules.toml"), super::GITLEAKS_TOML)
                    .expect("write");
                let scan = run(
                    bin("leak-scan"),
                    &args(&["dir", "--rules", "rules.toml", "."]),
                    leak.path(),
                    &[],
                );
                let refused = fixture("apply-refuses-bad-values.in");
                let apply = run(
                    bin("secrets-sync"),
                    &args(&[
                        "apply",
                        "--identity",
                        "key.txt",
                        "--yes",
                        "--target",
                        "wrangler",
                    ]),
                    refused.path(),
                    &[],
                );
                vec![
                    case("a leak", &scan),
                    case("apply with an empty value (refused, nothing sent)", &apply),
                ]
            }
            2 => {
                let mut out = Vec::new();
                let store = project.path().join("secrets/production.env.age");
                let sealed = std::fs::read(&store).expect("store");
                for (what, bytes) in [
                    ("a truncated store", sealed[..sealed.len() - 40].to_vec()),
                    ("an extended store", [&sealed[..], b"trailing"].concat()),
                    ("a store of another key's", seal_other(b"A=1\n")),
                ] {
                    std::fs::write(&store, bytes).expect("write");
                    out.push(case(
                        what,
                        &run(bin("secrets-sync"), &names, project.path(), &[]),
                    ));
                }
                std::fs::write(&store, &sealed).expect("restore");
                std::fs::write(project.path().join("bulwark.toml"), "[env.p]\nstroe = 1\n")
                    .expect("write");
                out.push(case(
                    "a bad bulwark.toml",
                    &run(bin("secrets-sync"), &names, project.path(), &[]),
                ));
                out.push(case(
                    "an unknown flag",
                    &run(
                        bin("leak-scan"),
                        &args(&["dir", "--nope"]),
                        project.path(),
                        &[],
                    ),
                ));
                out
            }
            3 => {
                let ran = run(
                    bin("secrets-sync"),
                    &args(&["plan", "--identity", "key.txt", "--target", "wrangler"]),
                    project.path(),
                    &[("BULWARK_WRANGLER", "/nonexistent/wrangler".to_owned())],
                );
                vec![case("a target CLI that is missing", &ran)]
            }
            130 => vec![interrupted_edit(project.path())],
            _ => Vec::new(),
        }
    }

    fn seal_other(plaintext: &[u8]) -> Vec<u8> {
        let other = bulwark_vault::Identity::generate();
        bulwark_vault::encrypt_bytes(
            &[other.recipient().clone()],
            bulwark_vault::Armor::Armored,
            plaintext,
        )
        .expect("encrypts")
    }

    fn editor(dir: &Path, body: &str) -> String {
        let script = dir.join("editor.sh");
        std::fs::write(&script, format!("#!/bin/sh\n{body}\n")).expect("write");
        let mut permissions = std::fs::metadata(&script).expect("meta").permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
        std::fs::set_permissions(&script, permissions).expect("chmod");
        script.display().to_string()
    }

    /// `edit` whose editor is still open when SIGINT arrives: 130 once the editor ends.
    fn interrupted_edit(dir: &Path) -> Case {
        let marker = dir.join("editor-started");
        let script = editor(dir, &format!("touch {}; sleep 2", marker.display()));
        let child = Command::new(bin("secrets-sync"))
            .args(["edit", "--identity", "key.txt"])
            .current_dir(dir)
            .env("EDITOR", &script)
            .env_remove("VISUAL")
            .env("TMPDIR", dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let started = std::time::Instant::now();
        while !marker.exists() && started.elapsed() < Duration::from_secs(30) {
            std::thread::sleep(Duration::from_millis(20));
        }
        let killed = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .expect("kill");
        assert!(killed.success());
        let out = child.wait_with_output().expect("wait");
        (
            "edit interrupted by SIGINT",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// An edit saved as invalid dotenv blames the edited text, not the store, and leaves
    /// the store as it was.
    #[test]
    fn an_invalid_edit_blames_the_edited_text_and_keeps_the_store() {
        let project = tempdir();
        sync_project(project.path());
        let store = project.path().join("secrets/production.env.age");
        let before = std::fs::read(&store).expect("store");
        let script = editor(project.path(), "printf 'not a dotenv line\\n' > \"$1\"");
        let ran = run(
            bin("secrets-sync"),
            &args(&["edit", "--identity", "key.txt"]),
            project.path(),
            &[("EDITOR", script), ("VISUAL", String::new())],
        );
        assert_eq!(ran.code, Some(2), "{}", ran.stderr);
        assert!(
            ran.stderr.starts_with("error: the edited text is not a valid dotenv, so ")
                && ran.stderr.contains(
                    "production.env.age was left unchanged\n  caused by: line 1: expected NAME=VALUE\n"
                ),
            "{}",
            ran.stderr
        );
        assert!(!ran.stderr.contains("the store"), "{}", ran.stderr);
        assert_eq!(std::fs::read(&store).expect("store"), before);
    }

    /// `store_id = "--help"` (or any value starting with `-`, or empty) is refused at
    /// load with the file and line, before any CLI runs.
    #[test]
    fn config_values_that_would_be_options_are_refused_before_any_cli_runs() {
        for (field, kind, value) in [
            ("store_id", "secrets-store", "--help"),
            ("store_id", "secrets-store", ""),
            ("app", "fly", "-a"),
            ("repo", "github", "owner/--help"),
            ("environment", "wrangler", "--remote"),
        ] {
            let project = tempdir();
            sync_project(project.path());
            let log = project.path().join("calls.log");
            std::fs::write(
                project.path().join("bulwark.toml"),
                format!(
                    "[env.production]\nstore = \"secrets/production.env.age\"\nrecipients_file = \"secrets/.recipients\"\n\n[[env.production.targets]]\nkind = \"{kind}\"\n{field} = \"{value}\"\n"
                ),
            )
            .expect("write");
            let spy = editor(project.path(), &format!("echo \"$@\" >> {}", log.display()));
            let ran = run(
                bin("secrets-sync"),
                &args(&["plan", "--identity", "key.txt"]),
                project.path(),
                &[
                    ("BULWARK_WRANGLER", spy.clone()),
                    ("BULWARK_FLY", spy.clone()),
                    ("BULWARK_GH", spy),
                ],
            );
            assert_eq!(ran.code, Some(2), "{field} = {value:?}: {}", ran.stderr);
            assert!(
                ran.stderr
                    .contains(&format!("bulwark.toml:7:{}: `{field}` ", field.len() + 4)),
                "{field} = {value:?}: {}",
                ran.stderr
            );
            assert!(
                !log.exists(),
                "a CLI ran: {:?}",
                std::fs::read_to_string(&log)
            );
        }
    }
}

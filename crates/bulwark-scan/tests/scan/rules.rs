//! Each default rule: a true positive and a near miss. Every token is generated here at
//! run time from a fixed seed (canaries, never real credentials), so this file holds no
//! secret-shaped literal that a scanner of this repository would flag.

use bulwark_scan::Rules;

use crate::common::{BECH32, Canary, DIGITS, HEX, LOWER, UPPER, github_token};

/// An age identity with a valid bech32 checksum.
fn age_identity(seed: u64) -> String {
    let data: Vec<u8> = {
        let mut canary = Canary::new(seed);
        (0..52).map(|_| (canary.next() % 32) as u8).collect()
    };
    // bech32 checksum over hrp "age-secret-key-" (lower case) and the data.
    let hrp = "age-secret-key-";
    let mut values: Vec<u8> = hrp.bytes().map(|b| b >> 5).collect();
    values.push(0);
    values.extend(hrp.bytes().map(|b| b & 31));
    values.extend(&data);
    values.extend([0; 6]);
    let polymod = polymod(&values) ^ 1;
    let checksum: Vec<u8> = (0..6)
        .map(|i| ((polymod >> (5 * (5 - i))) & 31) as u8)
        .collect();
    let charset = BECH32.as_bytes();
    let body: String = data
        .iter()
        .chain(&checksum)
        .map(|&v| char::from(charset[v as usize]))
        .collect();
    format!("AGE-SECRET-KEY-1{}", body.to_ascii_uppercase())
}

fn polymod(values: &[u8]) -> u32 {
    const GEN: [u32; 5] = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
    let mut chk = 1_u32;
    for &v in values {
        let top = chk >> 25;
        chk = ((chk & 0x1ffffff) << 5) ^ u32::from(v);
        for (i, g) in GEN.iter().enumerate() {
            if (top >> i) & 1 == 1 {
                chk ^= g;
            }
        }
    }
    chk
}

fn b64url(data: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(data)
}

/// (rule id, text that must match, near miss that must not).
fn cases() -> Vec<(&'static str, String, String)> {
    let mut c = Canary::new(0x5eed);
    let aws_id = format!("AKIA{}", c.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16));
    let aws_secret = c.text(&format!("{UPPER}{LOWER}{DIGITS}/+"), 40);
    let ghp = github_token("ghp_", 11);
    let mut ghp_bad = ghp.clone();
    ghp_bad.replace_range(10..11, if &ghp[10..11] == "Q" { "R" } else { "Q" });
    let stripe_body = c.alnum(24);
    let slack_tail = c.alnum(24);
    let google = format!("AIza{}", c.text(&format!("{UPPER}{LOWER}{DIGITS}_-"), 35));
    let openai = format!(
        "sk-proj-{}",
        c.text(&format!("{UPPER}{LOWER}{DIGITS}_-"), 100)
    );
    let anthropic = format!(
        "sk-ant-api03-{}AA",
        c.text(&format!("{UPPER}{LOWER}{DIGITS}_-"), 93)
    );
    let cf_token = c.text(&format!("{UPPER}{LOWER}{DIGITS}_-"), 40);
    let cf_global = c.text(HEX, 37);
    let sendgrid = format!(
        "SG.{}.{}",
        c.text(&format!("{UPPER}{LOWER}{DIGITS}_-"), 22),
        c.text(&format!("{UPPER}{LOWER}{DIGITS}_-"), 43)
    );
    let twilio_key = format!("SK{}", c.text(HEX, 32));
    let twilio_token = c.text(HEX, 32);
    let shopify = format!("shpat_{}", c.text(HEX, 32));
    let supabase = format!("sbp_{}", c.text(HEX, 40));
    let fly = format!("fo1_{}", c.text(&format!("{UPPER}{LOWER}{DIGITS}_-"), 43));
    let telegram = format!(
        "{}:AA{}",
        c.text(DIGITS, 10),
        c.text(&format!("{UPPER}{LOWER}{DIGITS}_-"), 33)
    );
    let jwt = format!(
        "{}.{}.{}",
        b64url(r#"{"alg":"HS256","typ":"JWT"}"#),
        b64url(r#"{"sub":"canary-user","iat":1700000000}"#),
        c.text(&format!("{UPPER}{LOWER}{DIGITS}_-"), 43)
    );
    let jwt_fake = format!(
        "{}.{}.{}",
        b64url(r#"{"kind":"not-a-jwt"}"#),
        b64url(r#"{"sub":"canary-user"}"#),
        c.text(&format!("{UPPER}{LOWER}{DIGITS}_-"), 43)
    );
    let pem_body = c.text(&format!("{UPPER}{LOWER}{DIGITS}+/"), 64 * 4);
    let age = age_identity(7);
    let mut age_bad = age.clone();
    let last = age_bad.pop().expect("non-empty");
    age_bad.push(if last == 'Q' { 'P' } else { 'Q' });
    let db_password = c.alnum(16);
    let generic = c.text(&format!("{UPPER}{LOWER}{DIGITS}"), 24);
    let gitlab = format!("glpat-{}", c.text(&format!("{UPPER}{LOWER}{DIGITS}_-"), 20));
    let fine = format!("github_pat_{}_{}", c.alnum(22), c.alnum(59));
    let pypi = format!(
        "pypi-AgEIcHlwaS5vcmc{}",
        c.text(&format!("{UPPER}{LOWER}{DIGITS}_-"), 70)
    );
    let npm = github_token("npm_", 12);
    let origin = format!("v1.0-{}-{}", c.text(HEX, 24), c.text(HEX, 146));
    let gocspx = format!(
        "GOCSPX-{}",
        c.text(&format!("{UPPER}{LOWER}{DIGITS}_-"), 28)
    );
    let webhook_tail = format!(
        "T{}/B{}/{}",
        c.text(&format!("{UPPER}{DIGITS}"), 10),
        c.text(&format!("{UPPER}{DIGITS}"), 10),
        c.alnum(24)
    );
    let flyv1 = format!("fm2_{}", c.text(&format!("{UPPER}{LOWER}{DIGITS}+/="), 120));
    vec![
        (
            "aws-access-key-id",
            format!("key = {aws_id}"),
            "key = AKIAIOSFODNN7EXAMPLE".to_owned(),
        ),
        (
            "aws-secret-access-key",
            format!("aws_secret_access_key = {aws_secret}"),
            format!("aws_region = {aws_secret}"),
        ),
        (
            "github-pat",
            format!("token: {ghp}"),
            format!("token: {ghp_bad}"),
        ),
        (
            "github-oauth",
            github_token("gho_", 13),
            format!("gho_{}", c.alnum(20)),
        ),
        (
            "github-app-token",
            github_token("ghs_", 14),
            format!("ghx_{}", &github_token("ghs_", 14)[4..]),
        ),
        (
            "github-refresh-token",
            github_token("ghr_", 15),
            github_token("ghr_", 15)[..30].to_owned(),
        ),
        (
            "github-fine-grained-pat",
            fine.clone(),
            fine.replace("github_pat_", "github_cat_"),
        ),
        (
            "gitlab-token",
            gitlab.clone(),
            gitlab.replace("glpat-", "glpxt-"),
        ),
        (
            "slack-token",
            format!("xoxb-1234567890-1234567890123-{slack_tail}"),
            format!("xoxz-1234567890-1234567890123-{slack_tail}"),
        ),
        (
            "slack-webhook",
            format!("https://hooks.slack.com/services/{webhook_tail}"),
            "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"
                .to_owned(),
        ),
        (
            "stripe-secret-key",
            format!("sk_live_{stripe_body}"),
            format!("pk_live_{stripe_body}"),
        ),
        (
            "google-api-key",
            google.clone(),
            google.replace("AIza", "AIzb"),
        ),
        (
            "google-oauth-client-secret",
            gocspx.clone(),
            gocspx[..20].to_owned(),
        ),
        ("openai-api-key", openai.clone(), openai[..40].to_owned()),
        (
            "anthropic-api-key",
            anthropic.clone(),
            anthropic.replace("sk-ant-", "sk-xnt-"),
        ),
        (
            "cloudflare-api-token",
            format!("CLOUDFLARE_API_TOKEN={cf_token}"),
            format!("SOMETHING_ELSE={cf_token}"),
        ),
        (
            "cloudflare-global-api-key",
            format!("cloudflare_api_key: {cf_global}"),
            format!("commit_sha: {cf_global}"),
        ),
        (
            "cloudflare-origin-ca-key",
            origin.clone(),
            origin.replace("v1.0-", "v2.0-"),
        ),
        (
            "npm-token",
            format!("//registry.npmjs.org/:_authToken={npm}"),
            format!("npm_{}", &github_token("npm_", 99)[4..39]),
        ),
        (
            "pypi-token",
            pypi.clone(),
            pypi.replace("pypi-AgEIcHlwaS5vcmc", "pypi-AgEIcHlwaS5vcmX"),
        ),
        (
            "sendgrid-api-key",
            sendgrid.clone(),
            sendgrid.replace("SG.", "SX."),
        ),
        (
            "twilio-api-key",
            twilio_key.clone(),
            twilio_key.to_ascii_uppercase().replace("SK", "ZZ"),
        ),
        (
            "twilio-auth-token",
            format!("TWILIO_AUTH_TOKEN={twilio_token}"),
            format!("TWILIO_ACCOUNT_REGION={twilio_token}"),
        ),
        (
            "shopify-token",
            shopify.clone(),
            shopify.replace("shpat_", "shpxx_"),
        ),
        (
            "supabase-secret-key",
            supabase.clone(),
            supabase[..20].to_owned(),
        ),
        ("flyio-token", fly.clone(), fly.replace("fo1_", "fo9_")),
        (
            "flyio-token",
            format!("FlyV1 {flyv1}"),
            "FlyV1 fm2_short".to_owned(),
        ),
        (
            "telegram-bot-token",
            telegram.clone(),
            telegram.replace(":AA", ":BB"),
        ),
        ("jwt", jwt, jwt_fake),
        (
            "private-key",
            format!("-----BEGIN RSA PRIVATE KEY-----\n{pem_body}\n-----END RSA PRIVATE KEY-----\n"),
            format!("-----BEGIN PUBLIC KEY-----\n{pem_body}\n-----END PUBLIC KEY-----\n"),
        ),
        (
            "private-key",
            // Escaped inside a JSON string.
            format!(
                "{{\"key\": \"-----BEGIN PRIVATE KEY-----\\n{}\\n-----END PRIVATE KEY-----\\n\"}}",
                &pem_body[..128]
            ),
            // Code that builds a PEM string is not a key.
            format!(
                "let pem = format!(\"-----BEGIN RSA PRIVATE KEY-----{{}}{{body}}{{}}\", line_ending);\n{}\nlet end = \"-----END RSA PRIVATE KEY-----\";",
                "write(out, &encode(der), wrap(64, 76));".repeat(3)
            ),
        ),
        ("age-secret-key", age, age_bad),
        (
            "database-url-password",
            format!("DATABASE_URL=postgres://app:{db_password}@db.internal:5432/app"),
            "DATABASE_URL=postgres://app:postgres@localhost:5432/app".to_owned(),
        ),
        (
            "generic-secret",
            format!("api_key = \"{generic}\""),
            "api_key = \"${{ secrets.API_KEY }}\"".to_owned(),
        ),
        (
            "generic-secret",
            format!("database:\n  db_password: {generic}\n"),
            "database:\n  password_file: /run/secrets/db\n  token: ${TOKEN}\n".to_owned(),
        ),
        (
            "generic-secret",
            format!("export SESSION_SECRET={generic}"),
            "password = \"aaaaaaaaaaaaaaaa\"".to_owned(),
        ),
    ]
}

#[test]
fn every_default_rule_has_a_true_positive_and_a_near_miss() {
    let rules = Rules::default_rules();
    let mut covered = std::collections::HashSet::new();
    for (id, positive, negative) in cases() {
        let hits = rules.scan_text(&positive);
        assert!(
            hits.iter().any(|m| &*m.rule_id == id),
            "{id} missed its true positive; found {:?}",
            hits.iter().map(|m| &m.rule_id).collect::<Vec<_>>()
        );
        let misses = rules.scan_text(&negative);
        assert!(
            misses.iter().all(|m| &*m.rule_id != id),
            "{id} fired on its near miss {negative:?}"
        );
        covered.insert(id);
    }
    for rule in rules.rules() {
        assert!(covered.contains(&*rule.id), "no test case for {}", rule.id);
    }
}

#[test]
fn secret_position_is_reported_in_lines_and_columns() {
    let rules = Rules::default_rules();
    let token = github_token("ghp_", 21);
    let text = format!("first line\n  token = {token}\n");
    let hits = rules.scan_text(&text);
    assert_eq!(hits.len(), 1, "{hits:?}");
    let hit = &hits[0];
    assert_eq!(&*hit.rule_id, "github-pat");
    assert_eq!(hit.secret, token);
    assert_eq!((hit.start_line, hit.end_line), (2, 2));
    assert_eq!(hit.start_column, 11);
    assert_eq!(hit.end_column, 11 + token.len() - 1);
    assert_eq!(&text[hit.start..hit.end], token);
    assert!(hit.entropy > 3.0);
}

#[test]
fn inline_allow_comment_silences_a_line() {
    let rules = Rules::default_rules();
    let token = github_token("ghp_", 22);
    assert!(rules.matches_value(&token));
    assert!(!rules.matches_value(&format!("t = \"{token}\" # gitleaks:allow")));
    assert_eq!(
        rules
            .matching_rule_ids(&token)
            .iter()
            .map(|id| &**id)
            .collect::<Vec<_>>(),
        ["github-pat"]
    );
}

#[test]
fn lock_files_are_skipped_by_path() {
    let rules = Rules::default_rules();
    assert!(rules.path_allowed("web/package-lock.json"));
    assert!(rules.path_allowed("Cargo.lock"));
    assert!(!rules.path_allowed("src/lock.rs"));
}

// ---- gitleaks compatibility ----

#[test]
fn gitleaks_config_rules_with_secret_group_entropy_and_keywords() {
    let config = r#"
title = "team config"
[[rules]]
id = "canary-internal"
description = "Internal canary token"
regex = '''canary_(?:live|test)_([a-z0-9]{16})'''
secretGroup = 1
keywords = ["canary_"]
entropy = 2.0
tags = ["internal"]
"#;
    let rules = Rules::from_gitleaks_toml(config).expect("valid config");
    assert_eq!(rules.rules().len(), 1, "no defaults without useDefault");
    let hits = rules.scan_text("x = canary_live_a1b2c3d4e5f6g7h8");
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].secret, "a1b2c3d4e5f6g7h8");
    assert!(
        rules
            .scan_text("x = canary_live_aaaaaaaaaaaaaaaa")
            .is_empty(),
        "entropy"
    );
    // The ghp default is absent without useDefault.
    assert!(!rules.matches_value(&github_token("ghp_", 3)));
}

#[test]
fn gitleaks_extend_use_default_and_disabled_rules() {
    let config = r#"
[extend]
useDefault = true
disabledRules = ["github-oauth"]

[[rules]]
id = "canary-internal"
regex = '''canary_[a-z0-9]{16}'''
"#;
    let rules = Rules::from_gitleaks_toml(config).expect("valid config");
    assert!(rules.get("github-pat").is_some());
    assert!(rules.get("github-oauth").is_none());
    assert!(rules.matches_value(&github_token("ghp_", 3)));
    assert!(!rules.matches_value(&github_token("gho_", 3)));
    assert!(rules.matches_value("canary_0123456789abcdef"));
}

#[test]
fn gitleaks_allowlists_global_rule_and_targeted() {
    let config = r#"
[[rules]]
id = "canary"
regex = '''canary_[a-z0-9]{16}'''
[rules.allowlist]
regexes = ['''canary_0{16}''']
stopwords = ["deadbeef"]

[[rules]]
id = "other"
regex = '''other_[a-z0-9]{8}'''

[allowlist]
paths = ['''(^|/)fixtures/''']
regexTarget = "line"
regexes = ['''ALLOWED-LINE''']

[[allowlists]]
targetRules = ["other"]
condition = "AND"
regexes = ['''other_1''']
paths = ['''docs/''']
"#;
    let rules = Rules::from_gitleaks_toml(config).expect("valid config");
    assert!(rules.matches_value("canary_0123456789abcdef"));
    assert!(
        !rules.matches_value("canary_0000000000000000"),
        "rule regex allowlist"
    );
    assert!(!rules.matches_value("canary_00deadbeef000000"), "stopword");
    assert!(
        !rules.matches_value("canary_0123456789abcdef ALLOWED-LINE"),
        "line target"
    );
    let path_hits = rules.scan_bytes(
        b"canary_0123456789abcdef",
        Some("test/fixtures/a.txt"),
        None,
    );
    assert!(path_hits.is_empty(), "global path allowlist");
    // AND: both the regex and the path must match.
    assert!(
        rules
            .scan_bytes(b"other_12345678", Some("docs/a.md"), None)
            .is_empty()
    );
    assert_eq!(
        rules
            .scan_bytes(b"other_12345678", Some("src/a.rs"), None)
            .len(),
        1
    );
    assert_eq!(
        rules
            .scan_bytes(b"other_22345678", Some("docs/a.md"), None)
            .len(),
        1
    );
}

#[test]
fn gitleaks_path_rules_and_commit_allowlists() {
    let config = r#"
[[rules]]
id = "pkcs12-file"
path = '''\.p12$'''

[[rules]]
id = "canary"
regex = '''canary_[a-z0-9]{16}'''
path = '''\.env$'''
[[rules.allowlists]]
commits = ["abc123"]
"#;
    let rules = Rules::from_gitleaks_toml(config).expect("valid config");
    assert_eq!(
        rules
            .scan_bytes(b"binary", Some("keys/store.p12"), None)
            .len(),
        1
    );
    assert!(
        rules
            .scan_bytes(b"binary", Some("keys/store.pem"), None)
            .is_empty()
    );
    let text = b"canary_0123456789abcdef";
    assert_eq!(
        rules
            .scan_bytes(text, Some("prod.env"), Some("fff000"))
            .len(),
        1
    );
    assert!(
        rules
            .scan_bytes(text, Some("prod.env"), Some("abc123def"))
            .is_empty()
    );
    assert!(rules.scan_bytes(text, Some("prod.txt"), None).is_empty());
}

#[test]
fn gitleaks_config_errors_are_reported_not_panicked() {
    for bad in [
        "[[rules]]\nid = \"x\"\nregex = '''(unclosed'''\n",
        "[[rules]]\nregex = '''x'''\n",
        "[[rules]]\nid = \"x\"\n",
        "not toml at all = = =",
        "",
        "[extend]\npath = \"other.toml\"\n",
        "[[rules]]\nid = \"x\"\nregex = 'x'\n[[allowlists]]\ntargetRules = [\"missing\"]\nregexes = ['y']\n",
        "[[rules]]\nid = \"x\"\nregex = 'x'\n[rules.allowlist]\nregexTarget = \"file\"\nregexes = ['y']\n",
    ] {
        assert!(Rules::from_gitleaks_toml(bad).is_err(), "accepted {bad:?}");
    }
}

#[test]
fn go_re2_syntax_compiles() {
    // Go-style named groups, (?i) flags, ASCII classes and POSIX classes.
    let config = r#"
[[rules]]
id = "re2"
regex = '''(?i)(?P<name>key)[[:space:]]*=[[:space:]]*(\w{8})\b'''
secretGroup = 2
"#;
    let rules = Rules::from_gitleaks_toml(config).expect("valid config");
    let hits = rules.scan_text("KEY = abcd1234");
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].secret, "abcd1234");
}

#[test]
fn gitleaksignore_matches_fingerprints() {
    let list = bulwark_scan::IgnoreList::parse(
        "# comment\n\nabc123:src/a.rs:github-pat:4\nconfig/.env:generic-secret:2\n",
    );
    assert_eq!(list.len(), 2);
    assert!(list.contains("abc123:src/a.rs:github-pat:4", Some("abc123")));
    assert!(!list.contains("abc124:src/a.rs:github-pat:4", Some("abc124")));
    assert!(list.contains("def456:config/.env:generic-secret:2", Some("def456")));
    assert!(list.contains("config/.env:generic-secret:2", None));
}

#[test]
fn a_secret_group_the_regex_lacks_is_refused_with_the_rule_id() {
    let config = |group: u32| {
        format!(
            "[[rules]]\nid = \"two-groups\"\nregex = '''(tok)_([a-z0-9]{{12}})'''\nsecretGroup = {group}\n"
        )
    };
    let err = Rules::from_gitleaks_toml(&config(3)).expect_err("group 3 of 2");
    assert_eq!(bulwark_core::Failure::exit(&err), bulwark_core::Exit::Usage);
    let message = err.to_string();
    assert!(
        message.contains("two-groups") && message.contains("secretGroup = 3"),
        "{message}"
    );
    // The last group that exists is fine, and finds the secret.
    let rules = Rules::from_gitleaks_toml(&config(2)).expect("group 2 of 2");
    let hits = rules.scan_text("x = tok_abcdef123456");
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].secret, "abcdef123456");
}

#[test]
fn nested_repetitions_beyond_re2s_bound_are_refused_at_load_and_quickly() {
    for (pattern, refused) in [
        ("(a{1000}){1000}", true),
        ("a{1001}", true),
        ("((ab){10,20}c){51}", true),
        ("(?:x{2,}){501}", true),
        ("(a{10}){100}", false),
        ("a{1000}", false),
        ("(a{0}){1000}", false),
        ("(a{0}){5000}", true),
        ("[a-z]{1,1000}|(b{30}){33}", false),
    ] {
        let config = format!("[[rules]]\nid = \"rep\"\nregex = '''{pattern}'''\n");
        let started = std::time::Instant::now();
        let loaded = Rules::from_gitleaks_toml(&config);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{pattern} took {:?} to load",
            started.elapsed()
        );
        match loaded {
            Err(err) if refused => {
                assert_eq!(bulwark_core::Failure::exit(&err), bulwark_core::Exit::Usage);
                assert!(err.to_string().contains("rep "), "{err}");
            }
            Ok(_) if !refused => {}
            other => panic!("{pattern}: {:?}", other.map(|_| "loaded")),
        }
    }
}

//! Each default rule: a true positive and a near miss. Every token is generated here at
//! run time from a fixed seed (canaries, never real credentials), so this file holds no
//! secret-shaped literal that a scanner of this repository would flag.

use bulwark_scan::{Rules, default_rule_examples, default_rules_table, is_filler};

use crate::common::{expand, github_token};

/// Seeds per example: each template is expanded this many times.
const SEEDS: u64 = 4;

#[test]
fn every_default_rule_finds_its_example_and_not_its_near_miss() {
    let rules = Rules::default_rules();
    let mut covered = std::collections::HashSet::new();
    let mut failures = Vec::new();
    for (id, positive, negative) in default_rule_examples() {
        assert!(
            !positive.is_empty() && !negative.is_empty(),
            "{id} has no examples"
        );
        for seed in 0..SEEDS {
            let text = expand(positive, seed * 7919 + 1);
            let hits = rules.scan_text(&text);
            if !hits.iter().any(|m| &*m.rule_id == id) {
                failures.push(format!(
                    "{id} missed {text:?}; found {:?}",
                    hits.iter().map(|m| &*m.rule_id).collect::<Vec<_>>()
                ));
            }
            let text = expand(negative, seed * 7919 + 1);
            if rules.scan_text(&text).iter().any(|m| &*m.rule_id == id) {
                failures.push(format!("{id} fired on its near miss {text:?}"));
            }
        }
        covered.insert(id);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    for rule in rules.rules() {
        assert!(covered.contains(&*rule.id), "no example for {}", rule.id);
    }
}

#[test]
fn the_docs_table_is_the_generated_one() {
    let page = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/leak-scan.md"
    ))
    .expect("docs/leak-scan.md");
    let table = default_rules_table();
    assert!(
        page.contains(&table),
        "docs/leak-scan.md's rules table is stale; replace it with:\n{table}"
    );
}

#[test]
fn placeholders_and_public_values_are_not_findings() {
    let rules = Rules::default_rules();
    for text in PLACEHOLDERS {
        let found = rules.scan_text(text);
        assert!(found.is_empty(), "{text:?}: {found:?}");
    }
    assert!(is_filler("AKIAXXXXXXXXXXXXXXXX"));
}

#[test]
fn bulwark_sync_state_digests_are_not_findings() {
    let rules = Rules::default_rules();
    let digest = crate::common::Canary::new(77).text(crate::common::HEX, 64);
    let state = format!(
        "{{\n  \"version\": 1,\n  \"digests\": {{\n    \"age1canary\": {{\n      \"fly\": {{\n        \"API_TOKEN\": \"{digest}\",\n        \"DB_PASSWORD\": \"{digest}\"\n      }}\n    }}\n  }}\n}}\n"
    );
    let at_state = rules.scan_bytes(
        state.as_bytes(),
        Some("secrets/production.env.age.state.json"),
        None,
    );
    assert!(at_state.is_empty(), "{at_state:?}");
    // The same text anywhere else is still a finding, and a real token in a state file
    // still is one.
    assert!(
        !rules
            .scan_bytes(state.as_bytes(), Some("config.json"), None)
            .is_empty()
    );
    let leaked = format!("{{\"API_TOKEN\": \"{}\"}}", github_token("ghp_", 5));
    assert!(
        !rules
            .scan_bytes(leaked.as_bytes(), Some("x.env.age.state.json"), None)
            .is_empty()
    );
}

#[test]
fn the_generic_rule_reads_values_of_any_length() {
    let rules = Rules::default_rules();
    for len in [101, 106, 187, 400] {
        let value = crate::common::Canary::new(len).alnum(usize::try_from(len).expect("small"));
        let text = format!("VAULT_TOKEN_FOR_CI={value}\n");
        let found = rules.scan_text(&text);
        assert!(
            found.iter().any(|m| m.secret == value),
            "{len}-character value missed: {found:?}"
        );
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

// ---- decoding ----

fn pem_key(seed: u64) -> String {
    expand(
        "-----BEGIN PRIVATE KEY-----\n{pem}\n-----END PRIVATE KEY-----\n",
        seed,
    )
}

#[test]
fn a_base64_encoded_pem_key_in_an_env_var_is_found_at_the_encoded_span() {
    let rules = Rules::default_rules();
    let encoded = crate::common::b64(pem_key(3).as_bytes());
    let text = format!("# deploy settings\nSIGNING_KEY_B64={encoded}\nREGION=eu\n");
    let found = rules.scan_text(&text);
    assert_eq!(found.len(), 1, "{found:?}");
    let hit = &found[0];
    assert_eq!(&*hit.rule_id, "private-key");
    assert!(hit.description.contains("base64"), "{}", hit.description);
    assert_eq!(&text[hit.start..hit.end], encoded);
    assert_eq!((hit.start_line, hit.start_column), (2, 17));
}

#[test]
fn nested_hex_and_percent_encodings_are_decoded_up_to_the_depth_limit() {
    let rules = Rules::default_rules();
    let token = github_token("ghp_", 31);
    let hex: String = token
        .bytes()
        .flat_map(|b| {
            let digits = b"0123456789abcdef";
            [digits[usize::from(b >> 4)], digits[usize::from(b & 15)]]
        })
        .map(char::from)
        .collect();
    let hex_b64 = crate::common::b64(hex.as_bytes());
    let percent: String = format!("token%3D{}", &token);
    let b64_b64_b64 = crate::common::b64(
        crate::common::b64(crate::common::b64(token.as_bytes()).as_bytes()).as_bytes(),
    );
    let four_deep = crate::common::b64(b64_b64_b64.as_bytes());
    for (name, text, expected) in [
        ("hex", format!("value: {hex}\n"), true),
        ("base64 of hex", format!("value: {hex_b64}\n"), true),
        (
            "percent",
            format!("https://example.invalid/cb?{percent}\n"),
            true,
        ),
        ("three deep", format!("value: {b64_b64_b64}\n"), true),
        ("four deep", format!("value: {four_deep}\n"), false),
    ] {
        let found = rules.scan_text(&text);
        let github = found.iter().filter(|m| &*m.rule_id == "github-pat").count();
        assert_eq!(github == 1, expected, "{name}: {found:?}");
    }
    // An encoded placeholder stays a placeholder; an allowed line stays allowed.
    let filler = crate::common::b64(b"AWS_ACCESS_KEY_ID=AKIAXXXXXXXXXXXXXXXX");
    assert!(rules.scan_text(&filler).is_empty());
    let allowed = format!("{} # gitleaks:allow", crate::common::b64(token.as_bytes()));
    assert!(rules.scan_text(&allowed).is_empty());
}

// ---- the recall corpus of bench/recall.sh ----

/// Placeholders and public values that look like keys: no rule may report them.
const PLACEHOLDERS: &[&str] = &[
    "AWS_ACCESS_KEY_ID=AKIAXXXXXXXXXXXXXXXX",
    "key = AKIAIOSFODNN7EXAMPLE",
    "SLACK_BOT_TOKEN=xoxb-0000000000-0000000000000-000000000000000000000000",
    "token: xoxp-0000000000-0000000000-0000000000-00000000000000000000000000000000",
    "apiKey: \"AIzaSyabcdefghijklmnopqrstuvwxyz1234567\"",
    // Firebase's documentation sample and a variant of it.
    "apiKey: \"AIzaSyDOCAbC123dEf456GhI789jKl01-MnO\"",
    "apiKey: \"AIzaSyDOCAbC123dEf456GhI789jKl012-MnO\"",
    "STRIPE_SECRET_KEY=sk_test_xxxxxxxxxxxxxxxxxxxxxxxx",
    "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
    "GITHUB_TOKEN=ghp_000000000000000000000000000000000000",
    "OPENAI_API_KEY=sk-proj-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
];

/// The corpus: every rule's example expanded with a few seeds (`positive/`), the same
/// texts base64-encoded behind a variable (`encoded/`), and the placeholders
/// (`negative/`). File name: `<rule id>-<seed>.txt`.
fn recall_corpus() -> Vec<(String, String)> {
    let mut files = Vec::new();
    for (id, positive, _) in default_rule_examples() {
        for seed in 0..SEEDS {
            let text = expand(positive, 1000 + seed);
            files.push((
                format!("encoded/{id}-{seed}.txt"),
                format!("CONFIG_B64={}\n", crate::common::b64(text.as_bytes())),
            ));
            files.push((format!("positive/{id}-{seed}.txt"), format!("{text}\n")));
        }
    }
    for (i, text) in PLACEHOLDERS.iter().enumerate() {
        files.push((format!("negative/placeholder-{i}.txt"), format!("{text}\n")));
    }
    files
}

#[test]
fn the_recall_corpus_is_found_whole_and_its_negatives_not_at_all() {
    let rules = Rules::default_rules();
    let corpus = recall_corpus();
    let mut missed = Vec::new();
    for (name, text) in &corpus {
        let found = rules.scan_bytes(text.as_bytes(), Some(name), None);
        let negative = name.starts_with("negative/");
        if found.is_empty() != negative {
            missed.push(format!("{name}: {text:?} -> {found:?}"));
        }
    }
    assert!(missed.is_empty(), "{}", missed.join("\n"));
    // bench/recall.sh asks for the corpus on disk.
    if let Some(dir) = std::env::var_os("BULWARK_RECALL_CORPUS") {
        let dir = std::path::PathBuf::from(dir);
        for (name, text) in &corpus {
            let path = dir.join(name);
            std::fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
            std::fs::write(&path, text).expect("write corpus file");
        }
    }
}

/// The formats the vendors document (or, where they document less, the part they do):
/// each case failed with the rules as first written from memory.
#[test]
fn rules_follow_the_vendors_documented_formats() {
    let rules = Rules::default_rules();
    let found = |text: &str, id: &str| rules.scan_text(text).iter().any(|m| &*m.rule_id == id);
    for seed in 0..SEEDS {
        // Netlify's build tokens (`nfb_`) are one of its five documented prefixes.
        let text = expand("NETLIFY_BUILD=nfb_{A36}", seed);
        assert!(found(&text, "netlify-access-token"), "{text}");
        // Infisical's service-token id is a 24-hex-digit object id in older tokens.
        let text = expand("INFISICAL_TOKEN=st.{H24}.{H32}.{H32}", seed);
        assert!(found(&text, "infisical-token"), "{text}");
        // Upstash documents no token format; its docs' sample token is 33 characters of
        // lower-case letters and digits.
        let text = expand("UPSTASH_REDIS_REST_TOKEN=\"{a33}\"", seed);
        assert!(found(&text, "upstash-redis-token"), "{text}");
        // GitLab's routable tokens end in exactly 9 base36 digits (length and CRC32),
        // and the CRC32 must be right.
        let mut canary = crate::common::Canary::new(seed + 1);
        let token = crate::common::gitlab_routable(&mut canary, false);
        assert!(bulwark_scan::gitlab_routable_ok(&token), "{token}");
        assert!(
            found(&format!("GITLAB_TOKEN={token}"), "gitlab-pat-routable"),
            "{token}"
        );
        let short = &token[..token.len() - 1];
        assert!(
            !found(&format!("GITLAB_TOKEN={short}"), "gitlab-pat-routable"),
            "{short}"
        );
        let bad = crate::common::gitlab_routable(&mut crate::common::Canary::new(seed + 1), true);
        assert!(
            !found(&format!("GITLAB_TOKEN={bad}"), "gitlab-pat-routable"),
            "{bad}"
        );
    }
}

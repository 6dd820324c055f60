//! gitleaks configs are written for Go's RE2: every difference from the `regex` crate's
//! syntax, exercised by a config rule that must find one text and not another; and
//! gitleaks' own default config, which must load.

use std::path::PathBuf;

use bulwark_scan::Rules;

/// A one-rule config with `regex` (a TOML literal string).
fn rule(regex: &str) -> Rules {
    let toml = format!("[[rules]]\nid = \"re2-case\"\nregex = '''{regex}'''\n");
    Rules::from_gitleaks_toml(&toml).unwrap_or_else(|err| panic!("{regex} loads: {err:?}"))
}

/// The secrets `regex` finds in `text`.
fn secrets(regex: &str, text: &str) -> Vec<String> {
    rule(regex)
        .scan_text(text)
        .into_iter()
        .map(|found| found.secret)
        .collect()
}

#[test]
fn a_brace_that_starts_no_repetition_is_a_literal() {
    let regex = r"\${SECRET_([0-9]{4})}";
    assert_eq!(secrets(regex, "x = ${SECRET_1234}"), ["1234"]);
    assert!(secrets(regex, "x = ${SECRET_12}").is_empty());
    let regex = r"id{,3}=([a-z0-9]{8})";
    assert_eq!(secrets(regex, "id{,3}=abcd1234"), ["abcd1234"]);
    assert!(secrets(regex, "iddd=abcd1234").is_empty());
    // A leading zero makes `{01}` a literal in RE2 too.
    assert_eq!(secrets(r"k{01}=(\w{6})", "k{01}=abcdef"), ["abcdef"]);
}

#[test]
fn quoted_text_is_literal() {
    let regex = r"\Qapi.key+\E=([0-9a-f]{8})";
    assert_eq!(secrets(regex, "api.key+=deadbeef"), ["deadbeef"]);
    assert!(secrets(regex, "apiXkey+=deadbeef").is_empty());
    assert!(secrets(regex, "api.keyy=deadbeef").is_empty());
}

#[test]
fn perl_classes_and_word_boundaries_are_ascii_even_in_unicode_patterns() {
    // `\p{Lu}` makes the pattern Unicode; `\d` stays ASCII, as in RE2.
    let regex = r"\p{Lu}KEY=(\d{6})";
    assert_eq!(secrets(regex, "AKEY=123456"), ["123456"]);
    assert!(secrets(regex, "AKEY=١٢٣٤٥٦").is_empty());
    let regex = r"(?:\bTOK|\p{Greek}{9})_([A-Z]{8})";
    assert_eq!(secrets(regex, "éTOK_ABCDEFGH"), ["ABCDEFGH"]);
    let regex = r"\p{Lu}W=(\w{4})";
    assert!(secrets(regex, "AW=éééé").is_empty());
    // RE2's `\s` has no vertical tab.
    let regex = r"pw:\s([a-z]{8})";
    assert_eq!(secrets(regex, "pw: abcdefgh"), ["abcdefgh"]);
    assert!(secrets(regex, "pw:\u{b}abcdefgh").is_empty());
}

#[test]
fn escapes_that_the_regex_crate_reads_otherwise() {
    assert_eq!(
        secrets(r"\<key\>=([a-z]{8})", "<key>=abcdefgh"),
        ["abcdefgh"]
    );
    // `\075` is an octal `=`.
    assert_eq!(
        secrets(r"pass\075([a-z]{8})", "pass=abcdefgh"),
        ["abcdefgh"]
    );
    let regex = r"tok\p{^L}([0-9]{6})";
    assert_eq!(secrets(regex, "tok:123456"), ["123456"]);
    assert!(secrets(regex, "tokx123456").is_empty());
}

#[test]
fn class_brackets_and_set_operators_are_literals() {
    let regex = r"k[[&&~-]v=([a-z]{6})";
    assert_eq!(secrets(regex, "k&v=abcdef"), ["abcdef"]);
    assert_eq!(secrets(regex, "k[v=abcdef"), ["abcdef"]);
    assert_eq!(secrets(regex, "k~v=abcdef"), ["abcdef"]);
    assert!(secrets(regex, "kxv=abcdef").is_empty());
    let regex = r"[[:upper:]]{3}_KEY=([[:xdigit:]]{8})";
    assert_eq!(secrets(regex, "ABC_KEY=deadbeef"), ["deadbeef"]);
    assert!(secrets(regex, "ABC_KEY=deadbeeg").is_empty());
}

#[test]
fn flags_and_text_anchors() {
    let regex = r"(?i)secret(?-i:X)=([a-z]{6})";
    assert_eq!(secrets(regex, "SeCrEtX=abcdef"), ["abcdef"]);
    assert!(secrets(regex, "secretx=abcdef").is_empty());
    let regex = r"end=([a-z]{6})\z";
    assert_eq!(secrets(regex, "x\nend=abcdef"), ["abcdef"]);
    assert!(secrets(regex, "end=abcdef\n").is_empty());
}

#[test]
fn what_re2_refuses_is_refused() {
    for regex in [r"(?x) a b", r"(a)\1", r"[[:nope:]]", r"[z-a]", r"\e"] {
        let toml = format!("[[rules]]\nid = \"bad\"\nregex = '''{regex}'''\n");
        let err = Rules::from_gitleaks_toml(&toml).expect_err(regex);
        assert!(format!("{err}").contains("bad"), "{regex}: {err}");
    }
}

/// gitleaks' own default config, beside the repository (`../shared/fixtures`).
fn gitleaks_default_config() -> Option<PathBuf> {
    bulwark_test_support::shared_fixture("gitleaks-v8.30.1.toml")
}

#[test]
fn gitleaks_default_config_loads_and_finds_with_gitleaks_rule_ids() {
    let Some(path) = gitleaks_default_config() else {
        return;
    };
    let text = std::fs::read_to_string(&path).expect("readable");
    let rules = Rules::from_gitleaks_toml(&text).expect("gitleaks' default config loads");
    let declared = text
        .lines()
        .filter(|line| line.trim() == "[[rules]]")
        .count();
    assert!(declared > 200, "{declared} rules in the file");
    assert_eq!(rules.rules().len(), declared);
    // Made up here, in pieces, so that no secret-shaped literal sits in this file.
    let text = format!(
        "AWS_ACCESS_KEY_ID={}\ntoken: {}\napi_key = \"{}\"\n",
        ["AK", "IA", "QYLPMN5HHHFPZAM2"].concat(),
        ["gh", "p_", "R4nd0mT0k3nV4lu3F0rT3st1ngAbCdEfGh12"].concat(),
        ["9f8e7d6c5b4a3928", "1706f5e4d3c2b1a0"].concat(),
    );
    let found = rules.scan_text(&text);
    let ids: Vec<&str> = found.iter().map(|found| &*found.rule_id).collect();
    assert_eq!(ids, ["aws-access-token", "github-pat", "generic-api-key"]);
}

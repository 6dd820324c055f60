//! Recognising values that were never really set.

/// Words that are never a real secret when they are the whole value.
const PLACEHOLDER_WORDS: [&str; 27] = [
    "changeme",
    "change-me",
    "change_me",
    "changeit",
    "todo",
    "tbd",
    "fixme",
    "placeholder",
    "example",
    "sample",
    "dummy",
    "test",
    "testing",
    "secret",
    "password",
    "passwd",
    "none",
    "null",
    "nil",
    "undefined",
    "default",
    "replaceme",
    "replace-me",
    "replace_me",
    "redacted",
    "xxx",
    "foo",
];

/// Why `value` (of the variable `name`) is a placeholder, or `None` when it looks real.
/// The reason never contains the value.
#[must_use]
pub fn placeholder_reason(name: &str, value: &str, min_length: usize) -> Option<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Some("empty".to_owned());
    }
    let lower = trimmed.to_ascii_lowercase();
    if trimmed.eq_ignore_ascii_case(name) {
        return Some("equal to its name".to_owned());
    }
    if PLACEHOLDER_WORDS.contains(&lower.as_str()) {
        return Some("a placeholder word".to_owned());
    }
    let mut chars = trimmed.chars();
    let first = chars.next().expect("not empty");
    if trimmed.chars().count() >= 3 && chars.all(|c| c == first) {
        return Some("one character repeated".to_owned());
    }
    let wrapped = [
        ("<", ">"),
        ("${", "}"),
        ("{{", "}}"),
        ("[[", "]]"),
        ("%", "%"),
    ]
    .iter()
    .any(|(open, close)| {
        trimmed.len() > open.len() + close.len()
            && trimmed.starts_with(open)
            && trimmed.ends_with(close)
    });
    if wrapped {
        return Some("a template placeholder".to_owned());
    }
    let phrases = [
        "changeme",
        "change_me",
        "change-me",
        "placeholder",
        "your_",
        "your-",
        "insert_",
        "insert-",
        "replace_with",
        "replace-with",
        "xxxx",
        "example",
    ];
    if phrases.iter().any(|phrase| lower.contains(phrase)) {
        return Some("placeholder text".to_owned());
    }
    if trimmed.chars().count() < min_length {
        return Some(format!("shorter than {min_length} characters"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::placeholder_reason;

    #[test]
    fn placeholders_are_caught() {
        let cases = [
            ("", "empty"),
            ("   ", "empty"),
            ("API_TOKEN", "equal to its name"),
            ("api_token", "equal to its name"),
            ("changeme", "a placeholder word"),
            ("TODO", "a placeholder word"),
            ("xxxxxxxxxxxx", "one character repeated"),
            ("************", "one character repeated"),
            ("<your token here>", "a template placeholder"),
            ("${API_TOKEN}", "a template placeholder"),
            ("{{ secrets.API_TOKEN }}", "a template placeholder"),
            ("your-api-token-goes-here", "placeholder text"),
            ("sk_test_example_value_123", "placeholder text"),
            ("abc123", "shorter than 8 characters"),
        ];
        for (value, reason) in cases {
            assert_eq!(
                placeholder_reason("API_TOKEN", value, 8).as_deref(),
                Some(reason),
                "{value:?}"
            );
        }
    }

    #[test]
    fn real_looking_values_pass() {
        for value in [
            "q8Zr2Lx0Vb7Nc4Tp",
            "https://demo-project.supabase.invalid",
            "correct horse battery staple",
        ] {
            assert_eq!(placeholder_reason("API_TOKEN", value, 8), None, "{value:?}");
        }
    }
}

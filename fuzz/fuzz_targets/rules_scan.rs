//! The rule engine over arbitrary bytes: no panic, and every match lies inside the input
//! with sane line and column numbers.
#![no_main]

use std::sync::OnceLock;

use bulwark_scan::Rules;
use libfuzzer_sys::fuzz_target;

static RULES: OnceLock<Rules> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let rules = RULES.get_or_init(Rules::default_rules);
    for found in rules.scan_bytes(data, Some("fuzz/input.env"), Some("0123abcd")) {
        assert!(found.start <= found.end && found.end <= data.len());
        assert!(found.start_line >= 1 && found.start_line <= found.end_line);
        assert!(found.start_column >= 1 && found.end_column >= 1);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = rules.matches_value(text);
    }
});

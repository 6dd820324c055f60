//! The gitleaks TOML config loader: arbitrary text must give a rule set or an error, never
//! a panic; a rule set that loads must scan its own text without panicking.
#![no_main]

use bulwark_scan::Rules;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(rules) = Rules::from_gitleaks_toml(text) {
        let _ = rules.scan_bytes(data, Some("config.toml"), None);
    }
    let _ = bulwark_scan::IgnoreList::parse(text);
});

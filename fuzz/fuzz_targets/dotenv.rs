//! The store's dotenv parser: arbitrary text gives a document or an error, never a panic;
//! a document writes back the very text it was parsed from, parses again to the same
//! names and values, and an error names a line inside the text.
#![no_main]

use bulwark_secret::Secret;
use bulwark_sync::Dotenv;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Dotenv::parse(text) {
        Ok(mut document) => {
            assert_eq!(document.to_text().as_str(), text, "untouched lines round-trip");
            let again = Dotenv::parse(&document.to_text()).expect("its own text parses");
            assert_eq!(again.names(), document.names());
            let names: Vec<String> = document.names().iter().map(|n| (*n).to_owned()).collect();
            // A value set through the API must survive a write and a parse, whatever it holds.
            if let Some(first) = names.first() {
                let value = String::from_utf8_lossy(&data[..data.len().min(64)]).into_owned();
                document.set(first, Secret::from(value.clone()));
                let written = Dotenv::parse(&document.to_text()).expect("a set value parses");
                assert_eq!(written.get(first).map(|v| v.expose().to_owned()), Some(value));
            }
        }
        Err(err) => {
            assert!(err.line >= 1 && err.line <= text.matches('\n').count() + 1);
        }
    }
});

//! wrangler's statement splitter as migrate-dryrun reproduces it: arbitrary SQL text gives
//! chunks or the several-transactions refusal, never a panic, and every chunk starts on a
//! line that exists in the text that was split.
#![no_main]

use bulwark_migrate::split::{split, with_migration_record};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(sql) = std::str::from_utf8(data) else {
        return;
    };
    for text in [sql.to_owned(), with_migration_record(sql, "d1_migrations", "0001_x.sql")] {
        if let Ok(chunks) = split(&text) {
            let lines = text.matches('\n').count() + 1;
            assert!(!chunks.is_empty());
            for chunk in &chunks {
                assert!(chunk.line >= 1 && chunk.line <= lines, "{} of {lines}", chunk.line);
            }
        }
    }
});

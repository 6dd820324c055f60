//! db-backup's manifest (`<backup>.manifest.json`): arbitrary bytes give a manifest or an
//! error, never a panic, and a manifest that parses writes back to JSON that parses to the
//! same manifest (nothing is lost or invented between a read and a write).
#![no_main]

use bulwark_backup::Manifest;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(manifest) = serde_json::from_slice::<Manifest>(data) {
        let written = serde_json::to_vec_pretty(&manifest).expect("a manifest serializes");
        let again: Manifest = serde_json::from_slice(&written).expect("its own JSON parses");
        assert_eq!(again, manifest);
    }
});

//! Helpers shared by the unit tests of the dry run and the list.

use std::path::Path;

use crate::report::DryRunReport;
use crate::{Request, Source, run};

pub(crate) fn write(dir: &Path, name: &str, sql: &str) {
    std::fs::write(dir.join(name), sql).expect("write migration");
}

pub(crate) fn dry_run(dir: &Path, source: Source) -> DryRunReport {
    run(&request(dir, source), &bulwark_core::NoProgress).expect("dry run")
}

pub(crate) fn request(dir: &Path, source: Source) -> Request {
    Request {
        migrations_dir: dir.to_owned(),
        table: "d1_migrations".to_owned(),
        source,
        strict: false,
        keep: None,
        lock: None,
        update_lock: false,
        timeout: None,
        save_export: None,
    }
}

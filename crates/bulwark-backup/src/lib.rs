//! db-backup's engine: encrypted, verified, pruned backups of a SQLite, D1 or PostgreSQL
//! database.
//!
//! A backup is a plain age file whose plaintext is a zstd stream of the database file (or
//! of D1's SQL dump), so stock tools restore it: `age -d -i KEY FILE | zstd -d > db`.
//! Beside it, `<file>.manifest.json` ([`Manifest`]) records sizes, SHA-256s, tables and
//! row counts; a successful [`verify`] adds `<file>.verified.json`.
//!
//! - [`export`]: snapshot (SQLite's backup API in 64 MiB steps inside one read
//!   transaction, or `wrangler d1 export`, around virtual tables), compress with
//!   multithreaded zstd, encrypt to age recipients (fail closed without them unless
//!   [`Encryption::None`]), write atomically under a directory lock, upload to R2.
//! - [`verify`]: strict manifest, checksum, decrypt, decompress (never past the
//!   manifest's size), compare the manifest with its authenticated copy in the payload,
//!   restore into a private temp database (a SQL dump sandboxed), `integrity_check`, row
//!   counts against the manifest.
//! - PostgreSQL: `pg_dump --format=custom` streamed into the same pipeline, exact row
//!   counts taken in the dump's exported snapshot; verify restores into a throw-away
//!   local server (`bulwark-pg`); [`restore_postgres`] in one transaction.
//! - [`list`], [`prune`] (restic's rules), [`restore`] (atomic, never over a file
//!   without `force`), [`record_status`] for monitors.
//!
//! This crate never prints; reports implement [`bulwark_core::Report`].
#![expect(
    clippy::doc_markdown,
    reason = "SQLite, WAL and ORed are names in prose, not code"
)]

mod error;
mod export;
mod interrupt;
pub mod layout;
mod pipeline;
mod postgres;
mod retention;
mod settings;
mod sqlite;
mod status;
mod verify;

use std::io::{self, Write};

use bulwark_core::{Exit, Report, Styles};

pub use error::{BackupError, ChildOutput};
pub use export::{D1Source, Encryption, ExportReport, ExportRequest, ExportSource, export};
pub use layout::{BackupName, Kind, Manifest, PostgresInfo};
pub use postgres::{
    PostgresRestoreReport, PostgresRestoreRequest, PostgresSource, SUPABASE_EXCLUDED_SCHEMAS,
    SUPABASE_EXCLUDED_TABLE_DATA, compare_restored, restore_postgres,
};
pub use retention::{Kept, ListReport, Listed, Policy, PruneReport, list, plan, prune};
pub use settings::{Done, ExportInputs, IdentityFrom, Inputs, Settings, load_config};
pub use status::{Run, Status, record_status, run_now};
pub use verify::{
    IdentityProvider, Lazy, RestoreReport, RestoreRequest, Verified, VerifyReport, restore, verify,
};

/// `1.2 MiB`.
fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    #[expect(clippy::cast_precision_loss, reason = "a size shown to one decimal")]
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

impl Report for ExportReport {
    fn exit(&self) -> Exit {
        Exit::Ok
    }

    fn render_human(&self, out: &mut dyn Write, styles: &Styles) -> io::Result<()> {
        let m = &self.manifest;
        let (ok, warn) = (styles.ok, styles.warning);
        writeln!(out, "{ok}wrote{ok:#} {}", self.file.display())?;
        let rows: u64 = m.tables.iter().map(|t| t.rows).sum();
        writeln!(
            out,
            "  {} tables, {rows} rows; {} → {}{}",
            m.tables.len(),
            human_size(m.plaintext.size),
            human_size(m.ciphertext.size),
            if m.encrypted {
                format!(", encrypted to {} recipient(s)", m.recipients.len())
            } else {
                ", NOT encrypted (--no-encrypt)".to_owned()
            }
        )?;
        writeln!(out, "  manifest {}", self.manifest_file.display())?;
        for warning in &m.warnings {
            writeln!(out, "  {warn}warning:{warn:#} {warning}")?;
        }
        for object in &self.uploaded {
            writeln!(out, "  uploaded r2://{object}")?;
        }
        Ok(())
    }
}

impl Report for VerifyReport {
    /// 2 when a manifest is in a format this version does not read, else 1 when any
    /// backup failed, else 0: every backup is checked either way.
    fn exit(&self) -> Exit {
        if self.backups.iter().any(|b| b.unsupported) {
            Exit::Usage
        } else if self.backups.iter().all(|b| b.ok) {
            Exit::Ok
        } else {
            Exit::Problem
        }
    }

    fn render_human(&self, out: &mut dyn Write, styles: &Styles) -> io::Result<()> {
        let (ok, error, warn) = (styles.ok, styles.error, styles.warning);
        for backup in &self.backups {
            if backup.ok {
                writeln!(
                    out,
                    "{ok}ok{ok:#}     {} ({} tables, {} rows)",
                    backup.file.display(),
                    backup.tables,
                    backup.rows
                )?;
                for warning in &backup.warnings {
                    writeln!(out, "  {warn}warning:{warn:#} {warning}")?;
                }
            } else {
                writeln!(out, "{error}FAILED{error:#} {}", backup.file.display())?;
                for problem in &backup.problems {
                    writeln!(out, "  {problem}")?;
                }
            }
        }
        Ok(())
    }
}

impl Report for ListReport {
    /// 1 when a manifest is there but refused (damaged, or in a format this version does
    /// not read): fail closed, never a listing that looks merely unverified.
    fn exit(&self) -> Exit {
        if self.backups.iter().any(|b| b.manifest_problem.is_some()) {
            Exit::Problem
        } else {
            Exit::Ok
        }
    }

    fn render_human(&self, out: &mut dyn Write, styles: &Styles) -> io::Result<()> {
        if self.backups.is_empty() {
            return writeln!(out, "no backups in {}", self.dir.display());
        }
        let bold = styles.bold;
        writeln!(
            out,
            "{bold}{:<22} {:>10}  {:<11} FILE{bold:#}",
            "TIME", "SIZE", "VERIFIED"
        )?;
        for b in &self.backups {
            let state = match (b.manifest, b.verified) {
                (_, true) => "yes",
                (true, false) => "no",
                (false, false) if b.manifest_problem.is_some() => "bad manifest",
                (false, false) => "no manifest",
            };
            writeln!(
                out,
                "{:<22} {:>10}  {:<11} {}",
                b.created_at,
                human_size(b.size),
                state,
                b.file
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            )?;
        }
        let error = styles.error;
        for b in &self.backups {
            if let Some(problem) = &b.manifest_problem {
                writeln!(out, "{error}bad manifest:{error:#} {problem}")?;
            }
        }
        Ok(())
    }
}

impl Report for PruneReport {
    fn exit(&self) -> Exit {
        Exit::Ok
    }

    fn render_human(&self, out: &mut dyn Write, styles: &Styles) -> io::Result<()> {
        let (ok, warn) = (styles.ok, styles.warning);
        for kept in &self.keep {
            writeln!(
                out,
                "{ok}keep{ok:#}   {} ({})",
                kept.file.display(),
                kept.reasons.join(", ")
            )?;
        }
        let verb = if self.dry_run {
            "would remove"
        } else {
            "remove"
        };
        for file in &self.remove {
            writeln!(out, "{warn}{verb}{warn:#} {}", file.display())?;
        }
        writeln!(
            out,
            "{} kept, {} {}{}",
            self.keep.len(),
            self.remove.len(),
            if self.dry_run { "to remove" } else { "removed" },
            if self.dry_run {
                " (dry run: nothing deleted)"
            } else {
                ""
            }
        )
    }
}

impl Report for PostgresRestoreReport {
    fn exit(&self) -> Exit {
        Exit::Ok
    }

    fn render_human(&self, out: &mut dyn Write, styles: &Styles) -> io::Result<()> {
        let ok = styles.ok;
        let rows: u64 = self.tables.iter().map(|t| t.rows).sum();
        writeln!(
            out,
            "{ok}restored{ok:#} {} → {} ({} tables, {rows} rows{})",
            self.file.display(),
            self.to,
            self.tables.len(),
            if self.checked_against_manifest {
                ", checked against the manifest"
            } else {
                ", NO manifest to check against"
            }
        )
    }
}

impl Report for RestoreReport {
    fn exit(&self) -> Exit {
        Exit::Ok
    }

    fn render_human(&self, out: &mut dyn Write, styles: &Styles) -> io::Result<()> {
        let ok = styles.ok;
        writeln!(
            out,
            "{ok}restored{ok:#} {} → {} ({}{})",
            self.file.display(),
            self.to.display(),
            human_size(self.size),
            if self.checked_against_manifest {
                ", checked against the manifest"
            } else {
                ", NO manifest to check against"
            }
        )
    }
}

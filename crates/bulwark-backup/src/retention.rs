//! `list` and `prune` (restic's retention: rules are ORed, calendar periods, and the newest
//! verified backup of each name is never deleted).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::Serialize;

use crate::layout::{
    self, BackupName, DirLock, Kind, ManifestFile, VerifiedStamp, manifest_path, verified_path,
};
use crate::{BackupError, pipeline};

/// One backup in a directory.
#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    /// The file.
    pub file: PathBuf,
    /// Its name prefix.
    pub name: String,
    /// RFC 3339 UTC time of the snapshot.
    pub created_at: String,
    /// sqlite or sql.
    pub kind: Kind,
    /// Size of the backup file.
    pub size: u64,
    /// Whether it is age-encrypted.
    pub encrypted: bool,
    /// Whether its manifest is there (and readable).
    pub manifest: bool,
    /// Why its manifest is refused: damaged, or in a format this version does not read.
    /// `list` then exits 1.
    pub manifest_problem: Option<String>,

    /// Whether a verify passed on exactly these bytes: the stamp's SHA-256 is the file's
    /// SHA-256 now (hashed by `list`) and the manifest's.
    pub verified: bool,
    #[serde(skip)]
    time: Timestamp,
}

/// `db-backup list`.
#[derive(Debug, Clone, Serialize)]
pub struct ListReport {
    /// The directory.
    pub dir: PathBuf,
    /// Its backups, newest first.
    pub backups: Vec<Listed>,
}

/// Lists the backups in `dir`, newest first.
pub fn list(dir: &Path) -> Result<ListReport, BackupError> {
    let entries = std::fs::read_dir(dir).map_err(|source| BackupError::Input {
        path: dir.to_owned(),
        source,
    })?;
    let mut backups = Vec::new();
    for entry in entries.flatten() {
        let Some(name) = BackupName::parse(&entry.file_name().to_string_lossy()) else {
            continue;
        };
        let file = entry.path();
        let size = entry.metadata().map_or(0, |m| m.len());
        let mut problem = None;
        let (manifest, manifest_sha256) = match layout::read_manifest(&file) {
            ManifestFile::Read(manifest, sha) => (Some(manifest), Some(sha)),
            ManifestFile::Missing => (None, None),
            // Nothing can be said of this backup: the listing fails (exit 3).
            ManifestFile::Unreadable(reason) => {
                return Err(BackupError::Io {
                    action: "list",
                    path: dir.to_owned(),
                    source: std::io::Error::other(reason),
                });
            }
            ManifestFile::Refused(refused) => {
                problem = Some(refused.reason);
                (None, None)
            }
        };
        let verified = match (
            &manifest,
            layout::read_json::<VerifiedStamp>(&verified_path(&file)),
        ) {
            (Some(m), Ok(Some(stamp))) => {
                stamp.ciphertext_sha256 == m.ciphertext.sha256
                    && m.ciphertext.size == size
                    && stamp
                        .manifest_sha256
                        .as_ref()
                        .is_none_or(|sha| Some(sha) == manifest_sha256.as_ref())
                    // The stamp holds for these bytes only: hash the file as it is now.
                    && pipeline::digest_file(&file)
                        .is_ok_and(|d| d.sha256 == stamp.ciphertext_sha256)
            }
            _ => false,
        };
        let time = manifest
            .as_ref()
            .and_then(|m| m.created_at.parse::<Timestamp>().ok())
            .unwrap_or(name.time);
        backups.push(Listed {
            file,
            name: name.name,
            created_at: time.to_string(),
            kind: name.kind,
            size,
            encrypted: name.encrypted,
            manifest: manifest.is_some(),
            manifest_problem: problem,
            verified,
            time,
        });
    }
    backups.sort_by(|a, b| b.time.cmp(&a.time).then_with(|| b.file.cmp(&a.file)));
    Ok(ListReport {
        dir: dir.to_owned(),
        backups,
    })
}

/// How many backups to keep (restic's `--keep-*`). Unset rules keep nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Policy {
    /// The newest N.
    pub last: Option<u32>,
    /// The newest of each of the last N days that have backups.
    pub daily: Option<u32>,
    /// The newest of each of the last N ISO weeks that have backups.
    pub weekly: Option<u32>,
    /// The newest of each of the last N months that have backups.
    pub monthly: Option<u32>,
}

impl Policy {
    fn is_empty(&self) -> bool {
        [self.last, self.daily, self.weekly, self.monthly]
            .iter()
            .all(|rule| rule.is_none_or(|n| n == 0))
    }
}

/// A backup the policy keeps, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Kept {
    /// The file.
    pub file: PathBuf,
    /// RFC 3339 UTC time.
    pub created_at: String,
    /// `last`, `daily 2026-11-24`, `weekly 2026-W48`, `monthly 2026-11`, `newest verified`.
    pub reasons: Vec<String>,
}

/// `db-backup prune`.
#[derive(Debug, Clone, Serialize)]
pub struct PruneReport {
    /// Whether anything was deleted.
    pub dry_run: bool,
    /// What stays.
    pub keep: Vec<Kept>,
    /// What goes (or would go, in a dry run).
    pub remove: Vec<PathBuf>,
}

/// The calendar period a backup falls in, for one rule.
type BucketOf = fn(Timestamp) -> String;

/// Decides, for backups sorted newest first, which to keep and why.
#[must_use]
pub fn plan(backups: &[(Timestamp, bool)], policy: Policy) -> Vec<Vec<String>> {
    let mut reasons: Vec<Vec<String>> = vec![Vec::new(); backups.len()];
    let buckets: [(&str, Option<u32>, BucketOf); 4] = [
        ("last", policy.last, |t| t.as_second().to_string()),
        ("daily", policy.daily, |t| {
            t.to_zoned(TimeZone::UTC).date().to_string()
        }),
        ("weekly", policy.weekly, |t| {
            let week = t.to_zoned(TimeZone::UTC).date().iso_week_date();
            format!("{:04}-W{:02}", week.year(), week.week())
        }),
        ("monthly", policy.monthly, |t| {
            let date = t.to_zoned(TimeZone::UTC).date();
            format!("{:04}-{:02}", date.year(), date.month())
        }),
    ];
    for (rule, limit, bucket_of) in buckets {
        let Some(limit) = limit else { continue };
        let mut kept = 0;
        let mut last_bucket: Option<String> = None;
        for (index, (time, _)) in backups.iter().enumerate() {
            if kept >= limit {
                break;
            }
            let bucket = bucket_of(*time);
            if last_bucket.as_ref() != Some(&bucket) {
                reasons[index].push(if rule == "last" {
                    "last".to_owned()
                } else {
                    format!("{rule} {bucket}")
                });
                kept += 1;
                last_bucket = Some(bucket);
            }
        }
    }
    if let Some(index) = backups.iter().position(|(_, verified)| *verified) {
        reasons[index].push("newest verified".to_owned());
    }
    reasons
}

/// Deletes (unless `dry_run`) the backups of `dir` that `policy` does not keep, per name
/// prefix. Holds the directory lock.
pub fn prune(dir: &Path, policy: Policy, dry_run: bool) -> Result<PruneReport, BackupError> {
    if policy.is_empty() {
        return Err(BackupError::usage(
            "no retention rule given: refusing to delete every backup",
            Some(
                "pass --keep-last, --keep-daily, --keep-weekly or --keep-monthly (or set keep_* in [backup])",
            ),
        ));
    }
    let _lock = DirLock::acquire(dir)?;
    let listed = list(dir)?;
    let mut groups: BTreeMap<&str, Vec<&Listed>> = BTreeMap::new();
    for backup in &listed.backups {
        groups.entry(backup.name.as_str()).or_default().push(backup);
    }
    let mut keep = Vec::new();
    let mut remove = Vec::new();
    for backups in groups.values() {
        let facts: Vec<(Timestamp, bool)> = backups.iter().map(|b| (b.time, b.verified)).collect();
        for (backup, reasons) in backups.iter().zip(plan(&facts, policy)) {
            if reasons.is_empty() {
                remove.push(backup.file.clone());
            } else {
                keep.push(Kept {
                    file: backup.file.clone(),
                    created_at: backup.created_at.clone(),
                    reasons,
                });
            }
        }
    }
    if !dry_run {
        for file in &remove {
            // The backup first: a prune killed half-way leaves sidecars without a backup
            // (ignored by list and verify), never a backup without its manifest.
            for path in [file.clone(), verified_path(file), manifest_path(file)] {
                match std::fs::remove_file(&path) {
                    Ok(()) => {}
                    Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
                    Err(source) => {
                        return Err(BackupError::Io {
                            action: "delete",
                            path,
                            source,
                        });
                    }
                }
            }
        }
        if !remove.is_empty() {
            layout::sync_dir(dir)?;
        }
    }
    Ok(PruneReport {
        dry_run,
        keep,
        remove,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().expect("valid time")
    }

    #[test]
    fn daily_weekly_monthly_over_a_synthetic_calendar() {
        // Two backups a day (00:30 and 12:30) from 2026-09-01 to 2026-11-24, newest first.
        let mut backups = Vec::new();
        let mut day = jiff::civil::date(2026, 11, 24);
        while day >= jiff::civil::date(2026, 9, 1) {
            for hour in [12, 0] {
                let time = day
                    .at(hour, 30, 0, 0)
                    .to_zoned(TimeZone::UTC)
                    .expect("valid")
                    .timestamp();
                backups.push((time, false));
            }
            day = day.yesterday().expect("in range");
        }
        let reasons = plan(
            &backups,
            Policy {
                last: Some(3),
                daily: Some(7),
                weekly: Some(4),
                monthly: Some(3),
            },
        );
        let kept: Vec<String> = backups
            .iter()
            .zip(&reasons)
            .filter(|(_, r)| !r.is_empty())
            .map(|((t, _), r)| format!("{t} {}", r.join(",")))
            .collect();
        assert_eq!(
            kept,
            [
                "2026-11-24T12:30:00Z last,daily 2026-11-24,weekly 2026-W48,monthly 2026-11",
                "2026-11-24T00:30:00Z last",
                "2026-11-23T12:30:00Z last,daily 2026-11-23",
                "2026-11-22T12:30:00Z daily 2026-11-22,weekly 2026-W47",
                "2026-11-21T12:30:00Z daily 2026-11-21",
                "2026-11-20T12:30:00Z daily 2026-11-20",
                "2026-11-19T12:30:00Z daily 2026-11-19",
                "2026-11-18T12:30:00Z daily 2026-11-18",
                "2026-11-15T12:30:00Z weekly 2026-W46",
                "2026-11-08T12:30:00Z weekly 2026-W45",
                "2026-10-31T12:30:00Z monthly 2026-10",
                "2026-09-30T12:30:00Z monthly 2026-09",
            ]
        );
    }

    #[test]
    fn rules_count_only_periods_that_have_backups_and_keep_the_newest_verified() {
        let backups = [
            (at("2026-11-24T00:00:00Z"), false),
            (at("2026-11-10T00:00:00Z"), true),
            (at("2026-11-01T00:00:00Z"), true),
            (at("2026-06-01T00:00:00Z"), false),
        ];
        let reasons = plan(
            &backups,
            Policy {
                daily: Some(3),
                ..Policy::default()
            },
        );
        // Three days with backups, however far apart; the fourth goes; newest verified is
        // also the second, so nothing extra is kept.
        assert_eq!(reasons[0], ["daily 2026-11-24"]);
        assert_eq!(reasons[1], ["daily 2026-11-10", "newest verified"]);
        assert_eq!(reasons[2], ["daily 2026-11-01"]);
        assert!(reasons[3].is_empty());
        let reasons = plan(
            &backups,
            Policy {
                last: Some(1),
                ..Policy::default()
            },
        );
        assert_eq!(reasons[1], ["newest verified"], "never deleted");
        assert!(reasons[2].is_empty() && reasons[3].is_empty());
    }
}

//! The other sources: files on disk, the staged changes, stdin; and the pre-commit hook.

use std::collections::{HashMap, HashSet};
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use bulwark_core::Progress;
use gix::ObjectId;
use gix::index::entry::Mode;

use crate::error::ScanError;
use crate::git::{BlobStats, is_binary, lock};
use crate::report::{Finding, ScanReport};
use crate::rules::Rules;

/// Scans the files under `root` (or the single file `root`). `.gitignore`, `.ignore` and
/// git's exclude files are honoured unless `no_ignore`; `.git` directories are never
/// entered. Paths in findings are relative to `root`.
pub fn scan_dir(
    root: &Path,
    rules: &Rules,
    no_ignore: bool,
    max_size: u64,
    progress: &dyn Progress,
) -> Result<ScanReport, ScanError> {
    let metadata = std::fs::metadata(root).map_err(|source| ScanError::Read {
        path: root.to_owned(),
        source,
    })?;
    let mut report = ScanReport::new("dir", &root.display().to_string());
    let mut files = if metadata.is_file() {
        vec![(root.to_owned(), root.display().to_string())]
    } else {
        collect_files(root, no_ignore, &mut report.warnings)
    };
    files.sort_by(|a, b| a.1.cmp(&b.1));
    progress.set_total(files.len() as u64);
    let next = AtomicUsize::new(0);
    let counters = BlobStats::default();
    let results: Mutex<Vec<(usize, Vec<Finding>)>> = Mutex::new(Vec::new());
    let warnings: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some((path, relative)) = files.get(index) else {
                        break;
                    };
                    progress.advance(1);
                    if rules.path_allowed(relative) {
                        counters.allowlisted.fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                    match std::fs::metadata(path) {
                        Ok(meta) if meta.len() > max_size => {
                            counters.large.fetch_add(1, Ordering::Relaxed);
                            continue;
                        }
                        Ok(_) => {}
                        Err(err) => {
                            lock(&warnings).push(format!("skipped {relative}: {err}"));
                            continue;
                        }
                    }
                    let data = match std::fs::read(path) {
                        Ok(data) => data,
                        Err(err) => {
                            lock(&warnings).push(format!("skipped {relative}: {err}"));
                            continue;
                        }
                    };
                    if is_binary(&data) {
                        counters.binary.fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                    counters.scanned.fetch_add(1, Ordering::Relaxed);
                    counters
                        .bytes
                        .fetch_add(data.len() as u64, Ordering::Relaxed);
                    let found: Vec<Finding> = rules
                        .scan_bytes(&data, Some(relative), None)
                        .iter()
                        .map(|m| Finding::new(m, relative, None))
                        .collect();
                    if !found.is_empty() {
                        lock(&results).push((index, found));
                    }
                }
            });
        }
    });
    counters.add_to(&mut report);
    report.warnings.extend(
        warnings
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    );
    let mut results = results
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    results.sort_by_key(|(index, _)| *index);
    report.findings = results.into_iter().flat_map(|(_, found)| found).collect();
    progress.finish();
    Ok(report)
}

/// The files under `root` as (path, path relative to `root` with `/` separators).
fn collect_files(
    root: &Path,
    no_ignore: bool,
    warnings: &mut Vec<String>,
) -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    let walker = ignore::WalkBuilder::new(root)
        .hidden(false)
        .git_ignore(!no_ignore)
        .git_exclude(!no_ignore)
        .git_global(!no_ignore)
        .ignore(!no_ignore)
        .parents(!no_ignore)
        .require_git(false)
        .filter_entry(|entry| entry.file_name() != ".git")
        .build();
    for entry in walker {
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                warnings.push(format!("skipped: {err}"));
                continue;
            }
        };
        if !entry.file_type().is_some_and(|kind| kind.is_file()) {
            continue;
        }
        let path = entry.into_path();
        let relative = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        files.push((path, relative));
    }
    files
}

/// Scans standard input (or any reader), reporting it as `label`.
pub fn scan_reader(
    mut input: impl std::io::Read,
    label: &str,
    rules: &Rules,
    max_size: u64,
) -> Result<ScanReport, ScanError> {
    let mut data = Vec::new();
    input
        .by_ref()
        .take(max_size.saturating_add(1))
        .read_to_end(&mut data)
        .map_err(|source| ScanError::Read {
            path: PathBuf::from(label),
            source,
        })?;
    let mut report = ScanReport::new("stdin", label);
    if data.len() as u64 > max_size {
        report.stats.skipped_large = 1;
        report.warnings.push(format!(
            "the input is larger than {max_size} bytes and was not scanned (raise --max-size)"
        ));
        return Ok(report);
    }
    report.stats.scanned = 1;
    report.stats.bytes = data.len() as u64;
    report.findings = rules
        .scan_bytes(&data, Some(label), None)
        .iter()
        .map(|m| Finding::new(m, label, None))
        .collect();
    Ok(report)
}

/// Scans what is staged in the repository at `path`: every index entry whose blob
/// differs from HEAD's. Line numbers are those of the staged file; a match whose whole
/// line is already in HEAD's version of the file is not new and is not reported.
pub fn scan_staged(path: &Path, rules: &Rules, max_size: u64) -> Result<ScanReport, ScanError> {
    let repo = gix::discover(path).map_err(|source| ScanError::OpenRepo {
        path: path.to_owned(),
        source: Box::new(source),
    })?;
    let git = |what: String, source: Box<dyn std::error::Error + Send + Sync>| ScanError::Git {
        what,
        source,
    };
    let index = repo
        .index_or_empty()
        .map_err(|source| git("failed to read the index".to_owned(), Box::new(source)))?;
    let head = repo
        .head()
        .map_err(|source| git("failed to read HEAD".to_owned(), Box::new(source)))?;
    // On an unborn branch everything staged is new; a HEAD whose commit cannot be read
    // is an error, not an empty history.
    let head_tree: Option<ObjectId> = if head.is_unborn() {
        None
    } else {
        let commit = repo
            .head_commit()
            .map_err(|source| git("failed to read HEAD's commit".to_owned(), Box::new(source)))?;
        Some(
            commit
                .tree_id()
                .map_err(|source| git("failed to read HEAD's tree".to_owned(), Box::new(source)))?
                .detach(),
        )
    };
    // HEAD's blobs by path, read once (one pass over HEAD's trees, instead of a path
    // lookup per index entry).
    let mut head_blobs: HashMap<String, ObjectId> = HashMap::new();
    if let Some(tree) = head_tree {
        list_blobs(&repo, tree, &mut Vec::new(), &mut head_blobs)?;
    }
    let mut report = ScanReport::new("staged", &path.display().to_string());
    let mut seen = HashSet::new();
    for entry in index.entries() {
        let entry_path = entry.path(&index).to_string();
        let mode = entry.mode;
        if mode != Mode::FILE && mode != Mode::FILE_EXECUTABLE && mode != Mode::SYMLINK {
            continue;
        }
        if !seen.insert((entry_path.clone(), entry.id)) {
            continue;
        }
        let old = head_blobs.get(entry_path.as_str()).copied();
        if old == Some(entry.id) {
            continue;
        }
        if rules.path_allowed(&entry_path) {
            report.stats.skipped_allowlisted += 1;
            continue;
        }
        let header = repo.find_header(entry.id).map_err(|source| {
            git(
                format!("failed to read the staged {entry_path}"),
                Box::new(source),
            )
        })?;
        if header.size() > max_size {
            report.stats.skipped_large += 1;
            continue;
        }
        let object = repo.find_object(entry.id).map_err(|source| {
            git(
                format!("failed to read the staged {entry_path}"),
                Box::new(source),
            )
        })?;
        if is_binary(&object.data) {
            report.stats.skipped_binary += 1;
            continue;
        }
        report.stats.scanned += 1;
        report.stats.bytes += object.data.len() as u64;
        let old_lines: HashSet<Vec<u8>> = match old {
            Some(old) => repo
                .find_object(old)
                .map_err(|source| {
                    git(
                        format!("failed to read HEAD's {entry_path}"),
                        Box::new(source),
                    )
                })?
                .data
                .split(|&b| b == b'\n')
                .map(<[u8]>::to_vec)
                .collect(),
            None => HashSet::new(),
        };
        let data = &object.data;
        let lines: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
        for found in rules.scan_bytes(data, Some(&entry_path), None) {
            let first = lines.get(found.start_line - 1).copied().unwrap_or_default();
            if old_lines.contains(first) {
                continue;
            }
            report
                .findings
                .push(Finding::new(&found, &entry_path, None));
        }
    }
    Ok(report)
}

/// Every blob (and symlink) under `tree`, by its path.
fn list_blobs(
    repo: &gix::Repository,
    tree: ObjectId,
    prefix: &mut Vec<u8>,
    out: &mut HashMap<String, ObjectId>,
) -> Result<(), ScanError> {
    let object = repo.find_object(tree).map_err(|source| ScanError::Git {
        what: format!("failed to read tree {tree}"),
        source: Box::new(source),
    })?;
    for entry in gix::objs::TreeRefIter::from_bytes(&object.data, repo.object_hash()) {
        let entry = entry.map_err(|source| ScanError::Git {
            what: format!("failed to decode tree {tree}"),
            source: Box::new(source),
        })?;
        let len = prefix.len();
        prefix.extend_from_slice(entry.filename);
        if entry.mode.is_tree() {
            prefix.push(b'/');
            list_blobs(repo, entry.oid.to_owned(), prefix, out)?;
        } else if entry.mode.is_blob_or_symlink() {
            out.insert(
                String::from_utf8_lossy(prefix).into_owned(),
                entry.oid.to_owned(),
            );
        }
        prefix.truncate(len);
    }
    Ok(())
}

/// The pre-commit hook `install-hook` writes.
pub const PRE_COMMIT_HOOK: &str = "#!/bin/sh\n\
# Installed by `leak-scan install-hook`: refuse commits that add a secret.\n\
# Skip once with `git commit --no-verify`; silence a line with a `gitleaks:allow` comment.\n\
exec leak-scan staged --color never\n";

/// Writes the pre-commit hook into the repository at `path` (its hooks directory,
/// honouring a bare repository). Refuses to replace an existing hook unless `force`.
/// Returns the hook's path.
pub fn install_hook(path: &Path, force: bool) -> Result<PathBuf, ScanError> {
    let repo = gix::discover(path).map_err(|source| ScanError::OpenRepo {
        path: path.to_owned(),
        source: Box::new(source),
    })?;
    let hooks = repo.common_dir().join("hooks");
    let hook = hooks.join("pre-commit");
    if hook.exists() && !force {
        return Err(ScanError::HookExists { path: hook });
    }
    std::fs::create_dir_all(&hooks).map_err(|source| ScanError::Write {
        path: hooks.clone(),
        source,
    })?;
    crate::write_atomic(&hook, PRE_COMMIT_HOOK.as_bytes(), 0o755)?;
    Ok(hook)
}

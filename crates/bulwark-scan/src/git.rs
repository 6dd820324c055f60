//! The git history source.
//!
//! 1. Collect the commits reachable from the chosen tips (all refs by default), stopping
//!    at the shallow boundary, and order them topologically (parents first; among
//!    commits that are ready, the oldest committer date first).
//! 2. Walk the commits in that order and diff each commit's tree against all of its
//!    parents' trees: a blob is *introduced* at a path when no parent has the same blob at
//!    that path (so a merge's conflict resolution counts, a blob kept unchanged does not).
//!    Every introduction is recorded, also of a blob already seen (a copy, a rename, a
//!    revert). Subtrees equal to a parent's are skipped, and so are subtrees already seen
//!    at the same path in an earlier commit: their blobs were introduced there, at the
//!    same paths. (Without `all_commits`, that is: with it, every commit's own
//!    introductions are recorded.)
//! 3. Scan every unique blob once, on all cores, from its content alone: the rules give
//!    the same hits wherever the blob sits. The one exception is a blob whose first
//!    introduction is at a path that a global path allow-list skips (a lock file): it is
//!    put aside, and once the diff is done it is scanned only if one of its later
//!    introductions is at a path that is not skipped, else counted as allow-listed.
//! 4. Decide the blobs with hits at their introductions, in commit order: a skipped
//!    path, a rule's `path` filter and the allow-lists' `paths` and `commits` apply per
//!    introduction (path and commit), without reading the blob again. Each match is
//!    attributed to the earliest introduction where it stands (or, with `all_commits`,
//!    to every introduction where it stands).

use std::collections::{BinaryHeap, HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bulwark_core::Progress;
use gix::ObjectId;
use gix::hashtable::HashMap as IdMap;
use gix::objs::tree::EntryRef;
use gix::objs::{CommitRef, TreeRefIter};

use crate::error::ScanError;
use crate::report::{CommitInfo, Finding, ScanReport};
use crate::rules::{Hit, Rules};
use crate::time::rfc3339;

/// How to scan a repository's history.
#[derive(Debug, Clone, Default)]
pub struct GitOptions {
    /// `A..B`: commits reachable from B and not from A.
    pub range: Option<String>,
    /// Only commits with a committer date on or after this Unix time.
    pub since: Option<i64>,
    /// Only this branch (or any revision) instead of all refs.
    pub branch: Option<String>,
    /// Report every commit that introduced a secret's blob, not only the first.
    pub all_commits: bool,
    /// Skip blobs larger than this many bytes.
    pub max_size: u64,
    /// Worker threads; 0 means one per core.
    pub threads: usize,
}

struct CommitNode {
    id: ObjectId,
    tree: ObjectId,
    parents: Vec<ObjectId>,
    commit_time: i64,
}

/// Where a blob was introduced: commit index (in topological order) and path number
/// (in [`Paths`]). Eight bytes, held for every introduction of every blob.
#[derive(Debug, Clone, Copy)]
struct Introduction {
    commit: u32,
    path: u32,
}

/// Every path that introduced a blob, each stored once (a history has far fewer paths
/// than blobs: git/git has a few thousand files and a few hundred thousand blobs).
#[derive(Default)]
struct Paths {
    numbers: HashMap<Arc<str>, u32>,
    texts: Vec<Arc<str>>,
}

impl Paths {
    fn number(&mut self, path: &[u8]) -> u32 {
        let text = String::from_utf8_lossy(path);
        if let Some(&number) = self.numbers.get(&*text) {
            return number;
        }
        #[expect(
            clippy::cast_possible_truncation,
            reason = "fewer than 4 billion paths"
        )]
        let number = self.texts.len() as u32;
        let text: Arc<str> = Arc::from(text.into_owned());
        self.numbers.insert(Arc::clone(&text), number);
        self.texts.push(text);
        number
    }

    fn text(&self, number: u32) -> &Arc<str> {
        &self.texts[number as usize]
    }
}

fn git_error(
    what: impl Into<String>,
    source: impl std::error::Error + Send + Sync + 'static,
) -> ScanError {
    ScanError::Git {
        what: what.into(),
        source: Box::new(source),
    }
}

/// Opens a repository (a work tree, a bare repository, or a directory inside one).
fn open(path: &Path) -> Result<gix::Repository, ScanError> {
    gix::discover(path).map_err(|source| ScanError::OpenRepo {
        path: path.to_owned(),
        source: Box::new(source),
    })
}

/// What the tree diffs found: the scanned commits in order, and every unique blob with
/// where it was introduced. About 60 bytes per unique blob (its id twice, a map slot,
/// its first introduction) and 12 per later introduction; nothing of its content.
#[derive(Default)]
struct History {
    commits: Vec<ObjectId>,
    /// Each unique blob's number: its place in `blob_order`.
    numbers: IdMap<ObjectId, u32>,
    /// Unique blobs in order of first introduction.
    blob_order: Vec<ObjectId>,
    /// Each blob's first introduction, by number.
    first: Vec<Introduction>,
    /// Later introductions (a copy, a rename, a revert) with their blob's number, in
    /// commit order; sorted by blob number (stably) once the diff is done.
    more: Vec<(u32, Introduction)>,
    paths: Paths,
}

impl History {
    /// Every introduction of blob `number`, in commit order (after `finish`).
    fn introductions(&self, number: usize) -> impl Iterator<Item = Introduction> + '_ {
        #[expect(
            clippy::cast_possible_truncation,
            reason = "fewer than 4 billion blobs"
        )]
        let key = number as u32;
        let start = self.more.partition_point(|&(blob, _)| blob < key);
        let end = self.more.partition_point(|&(blob, _)| blob <= key);
        std::iter::once(self.first[number]).chain(self.more[start..end].iter().map(|&(_, i)| i))
    }

    /// Sorts the later introductions by blob, keeping each blob's in commit order.
    fn finish(&mut self) {
        self.more.sort_by_key(|&(blob, _)| blob);
        self.more.shrink_to_fit();
    }
}

/// Scans the history of the repository at `path`.
pub fn scan_git(
    path: &Path,
    rules: &Rules,
    options: &GitOptions,
    progress: &dyn Progress,
) -> Result<ScanReport, ScanError> {
    let mut repo = open(path)?;
    tune(&mut repo, DIFF_PACK_CACHE);
    repo.object_cache_size_if_unset(DIFF_OBJECT_CACHE);
    let mut report = ScanReport::new("git", &path.display().to_string());
    // Steps 2 and 3 overlap: the tree diff (one thread) sends each new blob to the
    // scanning workers (one per core) as soon as it finds it.
    let stats = BlobStats::default();
    let (history, mut results) = diff_and_scan(
        &repo,
        rules,
        options,
        &stats,
        progress,
        &mut report.warnings,
    )?;
    report.stats.commits = history.commits.len() as u64;
    stats.add_to(&mut report);

    progress.set_message("attributing");
    results.sort_by_key(|(index, _)| *index);
    let mut infos: HashMap<u32, CommitInfo> = HashMap::new();
    let mut hunks: HashMap<(u32, u32), Vec<(usize, usize)>> = HashMap::new();
    // With each finding: whether its commit added the lines it stands on.
    let mut findings: Vec<(u32, (bool, Finding))> = Vec::new();
    for (index, hits) in results {
        // Each match (rule and range) goes to the first introduction where it stands.
        let distinct: HashSet<(usize, usize, usize)> = hits
            .iter()
            .map(|hit| (hit.found.rule, hit.found.start, hit.found.end))
            .collect();
        let mut attributed = HashSet::new();
        for intro in history.introductions(index) {
            if !options.all_commits && attributed.len() == distinct.len() {
                break;
            }
            let path = history.paths.text(intro.path);
            if rules.path_allowed(path) {
                continue;
            }
            let commit = history.commits[intro.commit as usize];
            let standing = rules.place(&hits, Some(path), Some(&commit.to_string()));
            for found in standing {
                if !attributed.insert((found.rule, found.start, found.end)) && !options.all_commits
                {
                    continue;
                }
                let info = match infos.entry(intro.commit) {
                    std::collections::hash_map::Entry::Occupied(entry) => entry.into_mut(),
                    std::collections::hash_map::Entry::Vacant(entry) => {
                        entry.insert(commit_info(&repo, commit)?)
                    }
                };
                let mut finding = Finding::new(&found, path, Some(info));
                let added = hunks
                    .entry((intro.commit, intro.path))
                    .or_insert_with(|| added_lines(&repo, commit, path, history.blob_order[index]));
                let hunk = added.iter().find(|&&(start, end)| {
                    start <= found.whole.start_line && found.whole.end_line < end
                });
                finding.fragment_start = hunk.map_or(1, |&(start, _)| start);
                findings.push((intro.commit, (hunk.is_some(), finding)));
            }
        }
    }
    findings.sort_by(|(a, (_, fa)), (b, (_, fb))| {
        a.cmp(b)
            .then_with(|| fa.path.cmp(&fb.path))
            .then_with(|| fa.start_line.cmp(&fb.start_line))
            .then_with(|| fa.start_column.cmp(&fb.start_column))
    });
    if !options.all_commits {
        // One finding per unique secret per location: a secret kept in a file through
        // later edits (new blobs) is reported where it first appeared, not again; one
        // that a commit writes on lines it adds is reported there too, as gitleaks does.
        let mut seen = HashSet::new();
        findings.retain(|(_, (added, f))| {
            seen.insert((f.rule_id.clone(), f.path.clone(), f.secret.clone())) || *added
        });
    }
    report.findings = findings
        .into_iter()
        .map(|(_, (_, finding))| finding)
        .collect();
    report.dedup();
    progress.finish();
    Ok(report)
}

/// Steps 1 and 2: the commits, in topological order, and the blobs they introduced.
fn read_history(
    repo: &gix::Repository,
    options: &GitOptions,
    progress: &dyn Progress,
    warnings: &mut Vec<String>,
    sender: std::sync::mpsc::SyncSender<Job>,
) -> Result<History, ScanError> {
    progress.set_message("listing commits");
    let (tips, hidden) = tips(repo, options, warnings)?;
    let shallow: HashSet<ObjectId> = repo
        .shallow_commits()
        .map_err(|source| git_error("failed to read the shallow file", source))?
        .map(|commits| commits.iter().copied().collect())
        .unwrap_or_default();
    let nodes = collect_commits(repo, &tips, &shallow)?;
    if !shallow.is_empty() {
        warnings.push(format!(
            "shallow clone: the history behind {} boundary commit(s) is not in this repository \
             and was not scanned (fetch it with `git fetch --unshallow`)",
            shallow.len()
        ));
    }
    let mut excluded: HashSet<ObjectId> = HashSet::new();
    if !hidden.is_empty() {
        let hidden_nodes = collect_commits(repo, &hidden, &shallow)?;
        excluded.extend(hidden_nodes.iter().map(|node| node.id));
    }
    if let Some(since) = options.since {
        excluded.extend(
            nodes
                .iter()
                .filter(|node| node.commit_time < since)
                .map(|node| node.id),
        );
    }
    let order = topological_order(&nodes);
    let tree_of: HashMap<ObjectId, ObjectId> =
        nodes.iter().map(|node| (node.id, node.tree)).collect();

    let mut history = History::default();
    let mut seen_trees = SeenTrees::default();
    progress.set_message("scanning");
    for &index in &order {
        let node = &nodes[index];
        if excluded.contains(&node.id) {
            continue;
        }
        #[expect(
            clippy::cast_possible_truncation,
            reason = "fewer than 4 billion commits"
        )]
        let commit_index = history.commits.len() as u32;
        history.commits.push(node.id);
        let parent_trees: Vec<ObjectId> = node
            .parents
            .iter()
            // Every parent was read by `collect_commits` (or the scan failed there).
            .filter_map(|parent| tree_of.get(parent).copied())
            .collect();
        let mut ctx = DiffContext {
            repo,
            commit: commit_index,
            all_commits: options.all_commits,
            seen_trees: &mut seen_trees,
            history: &mut history,
            sender: &sender,
        };
        let mut prefix = Vec::new();
        ctx.diff(node.tree, &parent_trees, &mut prefix)?;
    }
    // No more blobs: the workers stop once they have drained the queue.
    drop(sender);
    history.finish();
    Ok(history)
}

/// A blob for the scanning workers: its index in first-introduction order, id, and
/// the path that first introduced it (shared with [`Paths`], not copied).
struct Job {
    index: usize,
    id: ObjectId,
    path: Arc<str>,
}

/// Jobs waiting for a worker, per worker. The queue is bounded so that a tree diff
/// running ahead of the scan waits instead of queueing up every blob of the history.
const QUEUE_PER_THREAD: usize = 256;

/// What the workers found: (blob index, hits) for blobs with hits.
type BlobHits = Vec<(usize, Vec<Hit>)>;

/// Steps 2 and 3: the tree diff on this thread, feeding a pool of scanning workers.
fn diff_and_scan(
    repo: &gix::Repository,
    rules: &Rules,
    options: &GitOptions,
    stats: &BlobStats,
    progress: &dyn Progress,
    warnings: &mut Vec<String>,
) -> Result<(History, BlobHits), ScanError> {
    let threads = if options.threads == 0 {
        std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
    } else {
        options.threads
    };
    let sync_repo = repo.clone().into_sync();
    let (sender, receiver) = std::sync::mpsc::sync_channel::<Job>(threads * QUEUE_PER_THREAD);
    // Only the workers hold the receiver: should they all be gone (a panic), it is
    // dropped and the diff's next send fails instead of waiting on a full queue forever.
    let receiver = Arc::new(Mutex::new(receiver));
    let results: Mutex<BlobHits> = Mutex::new(Vec::new());
    // Blobs first introduced at a skipped path, decided once every introduction is known.
    let put_aside: Mutex<Vec<usize>> = Mutex::new(Vec::new());
    let first_error: Mutex<Option<ScanError>> = Mutex::new(None);
    let (results_ref, put_aside_ref, first_error_ref) = (&results, &put_aside, &first_error);
    let sync_repo = &sync_repo;
    let history = std::thread::scope(|scope| {
        for _ in 0..threads {
            let receiver = Arc::clone(&receiver);
            scope.spawn(move || {
                let mut repo = sync_repo.to_thread_local();
                tune(&mut repo, WORKER_PACK_CACHE);
                repo.object_cache_size(None);
                let mut local = Vec::new();
                let mut aside = Vec::new();
                loop {
                    // The lock is held only while waiting for the next job.
                    let job = lock(&receiver).recv();
                    let Ok(job) = job else { break };
                    progress.advance(1);
                    if rules.path_allowed(&job.path) {
                        aside.push(job.index);
                        continue;
                    }
                    match scan_blob(&repo, job.id, &job.path, rules, options, stats) {
                        Ok(hits) if !hits.is_empty() => local.push((job.index, hits)),
                        Ok(_) => {}
                        Err(err) => {
                            lock(first_error_ref).get_or_insert(err);
                        }
                    }
                }
                lock(results_ref).extend(local);
                lock(put_aside_ref).extend(aside);
            });
        }
        drop(receiver);
        // `sender` moves into the diff and is dropped when it returns, which stops the
        // workers once the queue is empty.
        read_history(repo, options, progress, warnings, sender)
    })?;
    if let Some(err) = first_error
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
    {
        return Err(err);
    }
    let mut results = results
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let put_aside = put_aside
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    for index in put_aside {
        let id = history.blob_order[index];
        let Some(path) = history
            .introductions(index)
            .map(|intro| history.paths.text(intro.path))
            .find(|path| !rules.path_allowed(path))
        else {
            stats.allowlisted.fetch_add(1, Ordering::Relaxed);
            continue;
        };
        let hits = scan_blob(repo, id, path, rules, options, stats)?;
        if !hits.is_empty() {
            results.push((index, hits));
        }
    }
    Ok((history, results))
}

/// The delta-base cache of the tree diff's thread (trees and commits). The caches are
/// what a scan's memory holds besides the history's index of blobs, and they are
/// bounded: on a git/git-sized history (75,000 commits, 248,000 blobs, `bench/leak-scan.sh
/// SHAPE=git`) 4 to 64 MiB caches took the same CPU time, while 64 MiB ones (three
/// threads) kept 200 MiB more resident.
const DIFF_PACK_CACHE: usize = 16 << 20;
/// The object cache of the tree diff's thread: the trees of the commits before.
const DIFF_OBJECT_CACHE: usize = 8 << 20;
/// Each scanning worker's delta-base cache (blobs).
const WORKER_PACK_CACHE: usize = 8 << 20;

/// A memory-capped delta-base cache of `bytes` (gix's default is a 64-entry list
/// searched linearly, which showed up at 8% of a profile).
fn tune(repo: &mut gix::Repository, bytes: usize) {
    repo.objects.set_pack_cache(move || {
        Box::new(gix::odb::pack::cache::lru::MemoryCappedHashmap::new(bytes))
    });
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The commits to start from and the commits to hide (`--range A..B` hides A's history).
/// Every ref and HEAD is read: one that points to an object that cannot be read fails
/// the scan (exit 3), as `git log --all` does, instead of scanning less than asked.
fn tips(
    repo: &gix::Repository,
    options: &GitOptions,
    warnings: &mut Vec<String>,
) -> Result<(Vec<ObjectId>, Vec<ObjectId>), ScanError> {
    let resolve = |spec: &str| -> Result<ObjectId, ScanError> {
        // A ref name is read like `--all` reads refs, so a ref to a missing commit is
        // an unreadable object, not a bad revision.
        if let Ok(Some(mut reference)) = repo.try_find_reference(spec) {
            let name = reference.name().as_bstr().to_string();
            let id = reference
                .follow_to_object()
                .map_err(|source| git_error(format!("failed to read {name}"), source))?;
            return peel_to_commit(repo, id.detach(), &name)?.ok_or_else(|| {
                ScanError::BadRevision {
                    spec: spec.to_owned(),
                    source: format!("{name} does not point to a commit").into(),
                }
            });
        }
        let id = match repo.rev_parse_single(spec) {
            Ok(id) => id,
            Err(source) => {
                return Err(unreadable_on_the_way(repo, spec).unwrap_or_else(|| {
                    ScanError::BadRevision {
                        spec: spec.to_owned(),
                        source: Box::new(source),
                    }
                }));
            }
        };
        peel_to_commit(repo, id.detach(), spec)?.ok_or_else(|| ScanError::BadRevision {
            spec: spec.to_owned(),
            source: "not a commit".into(),
        })
    };
    if let Some(range) = &options.range {
        let Some((from, to)) = range.split_once("..") else {
            return Err(ScanError::BadInput {
                message: format!("--range {range:?} is not of the form A..B"),
            });
        };
        let to = if to.is_empty() { "HEAD" } else { to };
        let from = resolve(from.trim_start_matches('.'))?;
        return Ok((vec![resolve(to)?], vec![from]));
    }
    if let Some(branch) = &options.branch {
        return Ok((vec![resolve(branch)?], Vec::new()));
    }
    let mut tips = Vec::new();
    let platform = repo
        .references()
        .map_err(|source| git_error("failed to list references", source))?;
    let iter = platform
        .all()
        .map_err(|source| git_error("failed to list references", source))?;
    let head = repo
        .find_reference("HEAD")
        .map_err(|source| git_error("failed to read HEAD", source))?;
    // HEAD last: a branch it names is then reported under the branch's own name.
    for reference in iter.chain(std::iter::once(Ok(head))) {
        let mut reference = reference.map_err(|source| ScanError::Git {
            what: "failed to read a reference".to_owned(),
            source,
        })?;
        let mut name = reference.name().as_bstr().to_string();
        if let gix::refs::TargetRef::Symbolic(target) = reference.target() {
            name = format!("{name} ({})", target.as_bstr());
        }
        let id = match reference.follow_to_object() {
            Ok(id) => id.detach(),
            Err(source) => {
                // A symbolic ref to a ref that does not exist points to no object: HEAD
                // on an unborn branch, or a dangling `refs/remotes/origin/HEAD`.
                if let gix::refs::TargetRef::Symbolic(target) = reference.target() {
                    let target = target.as_bstr().to_string();
                    if matches!(repo.try_find_reference(target.as_str()), Ok(None)) {
                        if !name.starts_with("HEAD ") {
                            warnings.push(format!(
                                "{name} points to {target}, which does not exist; skipped"
                            ));
                        }
                        continue;
                    }
                }
                return Err(git_error(format!("failed to read {name}"), source));
            }
        };
        if let Some(commit) = peel_to_commit(repo, id, &name)? {
            tips.push(commit);
        }
    }
    tips.sort();
    tips.dedup();
    Ok((tips, Vec::new()))
}

/// Why `spec`, which did not resolve, could not be checked rather than named wrongly: its
/// base (`main` in `main~2^2`) resolves, and walking its `~N`/`^N` steps reaches a commit
/// that cannot be read (a missing or corrupt object, or the edge of a shallow clone).
/// `None` when the walk reads every commit it needs: then the revision names nothing
/// (`HEAD~5` in a three-commit history), a usage error.
fn unreadable_on_the_way(repo: &gix::Repository, spec: &str) -> Option<ScanError> {
    let mut cut = spec.len();
    while let Some(at) = spec[..cut].rfind(['~', '^']) {
        cut = at;
        let Ok(base) = repo.rev_parse_single(&spec[..cut]) else {
            continue;
        };
        let mut id = match peel_to_commit(repo, base.detach(), &spec[..cut]) {
            Ok(Some(id)) => id,
            Ok(None) => return None,
            Err(err) => return Some(err),
        };
        let mut rest = &spec[cut..];
        while let Some(op) = rest.chars().next() {
            let digits = rest[1..].bytes().take_while(u8::is_ascii_digit).count();
            let count: usize = if digits == 0 {
                1
            } else {
                rest[1..=digits].parse().ok()?
            };
            rest = &rest[1 + digits..];
            let steps = match op {
                '~' => count,
                '^' if count == 0 => 0,
                '^' => 1,
                _ => return None,
            };
            let parent_index = if op == '^' {
                count.saturating_sub(1)
            } else {
                0
            };
            for _ in 0..steps {
                let object = match repo.find_object(id) {
                    Ok(object) => object,
                    Err(source) => {
                        return Some(git_error(
                            format!("failed to read commit {id}, on the way to {spec}"),
                            source,
                        ));
                    }
                };
                let commit = match CommitRef::from_bytes(&object.data, repo.object_hash()) {
                    Ok(commit) => commit,
                    Err(source) => {
                        return Some(git_error(
                            format!("failed to decode commit {id}, on the way to {spec}"),
                            source,
                        ));
                    }
                };
                id = commit.parents().nth(parent_index)?;
            }
        }
        return match repo.find_object(id) {
            Err(source) => Some(git_error(
                format!("failed to read commit {id}, which {spec} names"),
                source,
            )),
            Ok(_) => None,
        };
    }
    None
}

/// The runs of lines (1-based, end exclusive) that `commit` added to `blob` at `path`,
/// against its first parent: the hunks of `git diff -U0`, which gitleaks scans each as
/// one piece (so its columns count afresh in each). All lines for a file the parent
/// lacks, or when an object cannot be read (the scan itself has read them).
fn added_lines(
    repo: &gix::Repository,
    commit: ObjectId,
    path: &str,
    blob: ObjectId,
) -> Vec<(usize, usize)> {
    let parent_blob = || -> Option<Vec<u8>> {
        let parent = repo.find_commit(commit).ok()?.parent_ids().next()?;
        let tree = repo.find_commit(parent).ok()?.tree().ok()?;
        let entry = tree.lookup_entry_by_path(path).ok()??;
        Some(repo.find_object(entry.object_id()).ok()?.detach().data)
    };
    let (Some(old), Ok(new)) = (parent_blob(), repo.find_object(blob)) else {
        return vec![(1, usize::MAX)];
    };
    let old = String::from_utf8_lossy(&old);
    let new = String::from_utf8_lossy(&new.data);
    // A bound for pathological files: past it the diff may call more lines changed than
    // git would, which can report a kept secret again but never hides one.
    let diff = similar::TextDiff::configure()
        .algorithm(similar::Algorithm::Myers)
        .timeout(std::time::Duration::from_secs(2))
        .diff_lines(&old, &new);
    diff.ops()
        .iter()
        .filter(|op| {
            matches!(
                op,
                similar::DiffOp::Insert { .. } | similar::DiffOp::Replace { .. }
            )
        })
        .map(|op| (op.new_range().start + 1, op.new_range().end + 1))
        .collect()
}

/// The commit that `id` (which `name` points to) is or peels to through tags, or `None`
/// for a tree or a blob. An object that cannot be read or decoded is an error.
fn peel_to_commit(
    repo: &gix::Repository,
    mut id: ObjectId,
    name: &str,
) -> Result<Option<ObjectId>, ScanError> {
    // Tags of tags are allowed, cycles are not possible (ids are hashes), but a bound
    // keeps a corrupt chain from running long.
    for _ in 0..64 {
        let object = repo.find_object(id).map_err(|source| {
            git_error(
                format!("failed to read object {id}, which {name} points to"),
                source,
            )
        })?;
        match object.kind {
            gix::object::Kind::Commit => {
                CommitRef::from_bytes(&object.data, repo.object_hash()).map_err(|source| {
                    git_error(
                        format!("failed to decode commit {id}, which {name} points to"),
                        source,
                    )
                })?;
                return Ok(Some(id));
            }
            gix::object::Kind::Tag => {
                let tag = gix::objs::TagRef::from_bytes(&object.data, repo.object_hash()).map_err(
                    |source| {
                        git_error(
                            format!("failed to decode tag {id}, which {name} points to"),
                            source,
                        )
                    },
                )?;
                id = tag.target();
            }
            gix::object::Kind::Tree | gix::object::Kind::Blob => return Ok(None),
        }
    }
    Err(ScanError::Git {
        what: format!("{name} is a chain of more than 64 tags"),
        source: "too many tags".into(),
    })
}

/// Every commit reachable from `tips`. A commit that cannot be read (a parent missing
/// from the object database, outside a shallow clone's boundary) fails the scan: git
/// says "fatal: cannot read commit" there, and scanning on would leave its history out.
fn collect_commits(
    repo: &gix::Repository,
    tips: &[ObjectId],
    shallow: &HashSet<ObjectId>,
) -> Result<Vec<CommitNode>, ScanError> {
    let mut nodes = Vec::new();
    let mut seen: HashSet<ObjectId> = tips.iter().copied().collect();
    // Each commit to read with the child that named it as a parent (none for a tip).
    let mut stack: Vec<(ObjectId, Option<ObjectId>)> =
        tips.iter().map(|&tip| (tip, None)).collect();
    let hash_kind = repo.object_hash();
    while let Some((id, child)) = stack.pop() {
        let what = match child {
            Some(child) => format!("commit {id}, a parent of {child}"),
            None => format!("commit {id}"),
        };
        let object = repo
            .find_object(id)
            .map_err(|source| git_error(format!("failed to read {what}"), source))?;
        let commit = CommitRef::from_bytes(&object.data, hash_kind)
            .map_err(|source| git_error(format!("failed to decode {what}"), source))?;
        let parents: Vec<ObjectId> = if shallow.contains(&id) {
            Vec::new()
        } else {
            commit.parents().collect()
        };
        let commit_time = commit.committer().map_or(0, |sig| sig.seconds());
        for parent in &parents {
            if seen.insert(*parent) {
                stack.push((*parent, Some(id)));
            }
        }
        nodes.push(CommitNode {
            id,
            tree: commit.tree(),
            parents,
            commit_time,
        });
    }
    Ok(nodes)
}

/// Indices of `nodes` in topological order: parents first; among ready commits, the
/// oldest committer date first (then the id, for a stable order).
fn topological_order(nodes: &[CommitNode]) -> Vec<usize> {
    let index: HashMap<ObjectId, usize> =
        nodes.iter().enumerate().map(|(i, n)| (n.id, i)).collect();
    let mut pending = vec![0_usize; nodes.len()];
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    for (i, node) in nodes.iter().enumerate() {
        let mut unique = node.parents.clone();
        unique.sort();
        unique.dedup();
        for parent in unique {
            if let Some(&p) = index.get(&parent) {
                pending[i] += 1;
                children[p].push(i);
            }
        }
    }
    let mut ready: BinaryHeap<std::cmp::Reverse<(i64, ObjectId, usize)>> = BinaryHeap::new();
    for (i, node) in nodes.iter().enumerate() {
        if pending[i] == 0 {
            ready.push(std::cmp::Reverse((node.commit_time, node.id, i)));
        }
    }
    let mut order = Vec::with_capacity(nodes.len());
    while let Some(std::cmp::Reverse((_, _, i))) = ready.pop() {
        order.push(i);
        for &child in &children[i] {
            pending[child] -= 1;
            if pending[child] == 0 {
                let node = &nodes[child];
                ready.push(std::cmp::Reverse((node.commit_time, node.id, child)));
            }
        }
    }
    order
}

/// The subtrees already diffed, each with the directory path it was diffed at.
#[derive(Default)]
struct SeenTrees {
    /// Directory paths (with their trailing `/`), numbered.
    directories: HashMap<Vec<u8>, u32>,
    /// Each tree with the number of the first directory it was seen at.
    first: IdMap<ObjectId, u32>,
    /// Trees seen at more directories than one (a directory copied or moved).
    more: HashSet<(ObjectId, u32)>,
}

impl SeenTrees {
    fn directory(&mut self, path: &[u8]) -> u32 {
        if let Some(&number) = self.directories.get(path) {
            return number;
        }
        #[expect(
            clippy::cast_possible_truncation,
            reason = "fewer than 4 billion directories"
        )]
        let number = self.directories.len() as u32;
        self.directories.insert(path.to_vec(), number);
        number
    }

    fn contains(&self, tree: ObjectId, directory: u32) -> bool {
        self.first.get(&tree) == Some(&directory) || self.more.contains(&(tree, directory))
    }

    fn insert(&mut self, tree: ObjectId, directory: u32) {
        match self.first.get(&tree) {
            None => {
                self.first.insert(tree, directory);
            }
            Some(&first) if first != directory => {
                self.more.insert((tree, directory));
            }
            Some(_) => {}
        }
    }
}

struct DiffContext<'a> {
    repo: &'a gix::Repository,
    commit: u32,
    all_commits: bool,
    seen_trees: &'a mut SeenTrees,
    history: &'a mut History,
    /// Where new blobs go to be scanned.
    sender: &'a std::sync::mpsc::SyncSender<Job>,
}

/// Git's tree order: byte order of names, where a tree's name compares as if it ended
/// in `/`. Both sides of a diff are in this order, so they can be merged in one pass.
fn git_order(a: &[u8], a_tree: bool, b: &[u8], b_tree: bool) -> std::cmp::Ordering {
    let common = a.len().min(b.len());
    a[..common].cmp(&b[..common]).then_with(|| {
        let end = |name: &[u8], tree: bool| {
            name.get(common)
                .copied()
                .unwrap_or(if tree { b'/' } else { 0 })
        };
        end(a, a_tree).cmp(&end(b, b_tree))
    })
}

impl<'a> DiffContext<'a> {
    fn read(&self, id: ObjectId) -> Result<gix::Object<'a>, ScanError> {
        self.repo
            .find_object(id)
            .map_err(|source| git_error(format!("failed to read tree {id}"), source))
    }

    fn entries<'d>(&self, id: ObjectId, data: &'d [u8]) -> Result<Vec<EntryRef<'d>>, ScanError> {
        TreeRefIter::from_bytes(data, self.repo.object_hash())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|source| git_error(format!("failed to decode tree {id}"), source))
    }

    /// Records the blobs `tree` introduces relative to `parents` (the parents' trees at
    /// the same path), recursing into subtrees that differ from every parent's.
    fn diff(
        &mut self,
        tree: ObjectId,
        parents: &[ObjectId],
        prefix: &mut Vec<u8>,
    ) -> Result<(), ScanError> {
        let object = self.read(tree)?;
        let parent_objects = parents
            .iter()
            .map(|&parent| self.read(parent))
            .collect::<Result<Vec<_>, _>>()?;
        let mut parent_entries = Vec::with_capacity(parents.len());
        for (object, &id) in parent_objects.iter().zip(parents) {
            parent_entries.push(self.entries(id, &object.data)?);
        }
        let mut cursors = vec![0_usize; parents.len()];
        let mut same_path: Vec<ObjectId> = Vec::with_capacity(parents.len());
        for entry in TreeRefIter::from_bytes(&object.data, self.repo.object_hash()) {
            let entry = entry
                .map_err(|source| git_error(format!("failed to decode tree {tree}"), source))?;
            let is_tree = entry.mode.is_tree();
            let id = entry.oid.to_owned();
            // The parents' entries with this name and kind (merge join in git order).
            same_path.clear();
            for (entries, cursor) in parent_entries.iter().zip(cursors.iter_mut()) {
                while let Some(other) = entries.get(*cursor) {
                    match git_order(
                        other.filename,
                        other.mode.is_tree(),
                        entry.filename,
                        is_tree,
                    ) {
                        std::cmp::Ordering::Less => *cursor += 1,
                        std::cmp::Ordering::Equal => {
                            same_path.push(other.oid.to_owned());
                            break;
                        }
                        std::cmp::Ordering::Greater => break,
                    }
                }
            }
            if same_path.contains(&id) {
                continue;
            }
            if is_tree {
                let len = prefix.len();
                prefix.extend_from_slice(entry.filename);
                prefix.push(b'/');
                let subtrees = same_path.clone();
                if self.all_commits {
                    self.diff(id, &subtrees, prefix)?;
                } else {
                    let directory = self.seen_trees.directory(prefix);
                    if !self.seen_trees.contains(id, directory) {
                        self.diff(id, &subtrees, prefix)?;
                        self.seen_trees.insert(id, directory);
                    }
                }
                prefix.truncate(len);
            } else if entry.mode.is_blob_or_symlink() {
                let len = prefix.len();
                prefix.extend_from_slice(entry.filename);
                let path = self.history.paths.number(prefix);
                prefix.truncate(len);
                let intro = Introduction {
                    commit: self.commit,
                    path,
                };
                let history = &mut *self.history;
                if let Some(&number) = history.numbers.get(&id) {
                    history.more.push((number, intro));
                } else {
                    let index = history.blob_order.len();
                    #[expect(
                        clippy::cast_possible_truncation,
                        reason = "fewer than 4 billion blobs"
                    )]
                    history.numbers.insert(id, index as u32);
                    history.blob_order.push(id);
                    history.first.push(intro);
                    let job = Job {
                        index,
                        id,
                        path: Arc::clone(history.paths.text(path)),
                    };
                    // A send waits while the queue is full; it fails only when every
                    // worker is gone (a panic, which the scope then reports).
                    let _ = self.sender.send(job);
                }
            }
        }
        Ok(())
    }
}

/// What a scan looked at and skipped, counted from many threads.
#[derive(Default)]
pub(crate) struct BlobStats {
    pub(crate) scanned: AtomicU64,
    pub(crate) bytes: AtomicU64,
    pub(crate) binary: AtomicU64,
    pub(crate) large: AtomicU64,
    pub(crate) allowlisted: AtomicU64,
}

impl BlobStats {
    pub(crate) fn add_to(&self, report: &mut ScanReport) {
        report.stats.scanned += self.scanned.load(Ordering::Relaxed);
        report.stats.bytes += self.bytes.load(Ordering::Relaxed);
        report.stats.skipped_binary += self.binary.load(Ordering::Relaxed);
        report.stats.skipped_large += self.large.load(Ordering::Relaxed);
        report.stats.skipped_allowlisted += self.allowlisted.load(Ordering::Relaxed);
    }
}

/// Whether `data` looks binary: a NUL byte in its first 8000 bytes (git's own test).
pub(crate) fn is_binary(data: &[u8]) -> bool {
    memchr::memchr(0, &data[..data.len().min(8000)]).is_some()
}

/// The hits in blob `id` (`path` is one place it sits, for errors), from its content
/// alone.
fn scan_blob(
    repo: &gix::Repository,
    id: ObjectId,
    path: &str,
    rules: &Rules,
    options: &GitOptions,
    stats: &BlobStats,
) -> Result<Vec<Hit>, ScanError> {
    let header = repo
        .find_header(id)
        .map_err(|source| git_error(format!("failed to read blob {id} ({path})"), source))?;
    if header.size() > options.max_size {
        stats.large.fetch_add(1, Ordering::Relaxed);
        return Ok(Vec::new());
    }
    let object = repo
        .find_object(id)
        .map_err(|source| git_error(format!("failed to read blob {id} ({path})"), source))?;
    if is_binary(&object.data) {
        stats.binary.fetch_add(1, Ordering::Relaxed);
        return Ok(Vec::new());
    }
    stats.scanned.fetch_add(1, Ordering::Relaxed);
    stats
        .bytes
        .fetch_add(object.data.len() as u64, Ordering::Relaxed);
    Ok(rules.scan_content(&object.data))
}

fn commit_info(repo: &gix::Repository, id: ObjectId) -> Result<CommitInfo, ScanError> {
    let object = repo
        .find_object(id)
        .map_err(|source| git_error(format!("failed to read commit {id}"), source))?;
    let commit = CommitRef::from_bytes(&object.data, repo.object_hash())
        .map_err(|source| git_error(format!("failed to decode commit {id}"), source))?;
    let author = commit
        .author()
        .map_err(|source| git_error(format!("failed to decode the author of {id}"), source))?;
    let time = author.time().unwrap_or_default();
    Ok(CommitInfo {
        id: id.to_string(),
        author: author.name.to_string().trim().to_owned(),
        email: author.email.to_string().trim().to_owned(),
        date: rfc3339(time.seconds, time.offset),
        utc_date: rfc3339(time.seconds, 0),
        message: commit.message.to_string().trim_end().to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use std::cmp::Ordering::{Equal, Greater, Less};

    use super::git_order;

    #[test]
    fn tree_order_sorts_directories_as_if_they_ended_in_a_slash() {
        // git sorts "foo.txt" < "foo/" (a tree) < "foo0": '.' < '/' < '0'.
        assert_eq!(git_order(b"foo.txt", false, b"foo", true), Less);
        assert_eq!(git_order(b"foo", true, b"foo0", false), Less);
        assert_eq!(git_order(b"foo", false, b"foo", true), Less);
        assert_eq!(git_order(b"foo", true, b"foo", true), Equal);
        assert_eq!(git_order(b"b", false, b"a", false), Greater);
    }

    #[test]
    fn a_blob_costs_an_id_a_number_and_an_eight_byte_introduction() {
        use super::{History, Introduction};
        // What the history keeps per introduction: no path text, no content.
        assert_eq!(std::mem::size_of::<Introduction>(), 8);
        let mut history = History::default();
        let a = history.paths.number(b"src/a.rs");
        assert_eq!(
            history.paths.number(b"src/a.rs"),
            a,
            "a path is stored once"
        );
        let b = history.paths.number(b"src/b.rs");
        assert_eq!(history.paths.texts.len(), 2);
        let intro = |commit, path| Introduction { commit, path };
        history.first = vec![intro(0, a), intro(1, b)];
        // Later introductions arrive in commit order, interleaved between blobs.
        history.more = vec![(1, intro(2, a)), (0, intro(3, b)), (1, intro(4, b))];
        history.finish();
        let of = |n| {
            history
                .introductions(n)
                .map(|i| (i.commit, &**history.paths.text(i.path)))
                .collect::<Vec<_>>()
        };
        assert_eq!(of(0), [(0, "src/a.rs"), (3, "src/b.rs")]);
        assert_eq!(of(1), [(1, "src/b.rs"), (2, "src/a.rs"), (4, "src/b.rs")]);
    }

    #[test]
    fn binary_means_a_nul_in_the_first_8000_bytes() {
        assert!(super::is_binary(b"abc\0def"));
        assert!(!super::is_binary(b"plain text\n"));
        let mut late = vec![b'a'; 9000];
        late[8500] = 0;
        assert!(!super::is_binary(&late), "as git decides");
    }
}

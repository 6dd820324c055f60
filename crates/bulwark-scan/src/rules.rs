//! The rule engine: rules (id, regex, secret group, keywords, entropy, path, allow-lists),
//! an Aho-Corasick keyword prefilter, and the matcher that turns text into [`Match`]es.

use std::sync::Arc;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use regex::bytes::{Regex, RegexBuilder};

use crate::checks::{
    base64_len_ok, bech32_ok, discord_id_ok, github_checksum_ok, gitlab_routable_ok, is_filler,
    json_payload_ok, jwt_claim_ok, jwt_header_ok, shannon_entropy,
};
use crate::decode;
use crate::error::ScanError;

/// The inline comment that silences a finding on its line (as in gitleaks).
pub const INLINE_ALLOW: &str = "gitleaks:allow";

/// A check a candidate must pass besides its regex, for formats that carry one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validator {
    /// GitHub and npm tokens: CRC32 of the random part in the last six base62 digits.
    GithubCrc32,
    /// age identities: a bech32 string with a valid checksum.
    Bech32,
    /// JSON Web Tokens: the header decodes to a JSON object with `alg`.
    JwtHeader,
    /// Generic assignments: the value is not a plain identifier or placeholder.
    NotPlaceholder,
    /// Every built-in token rule: the secret is not filler (`XXXXXX`, `000000`,
    /// `abcdefg`).
    NotFiller,
    /// The secret is base64 of exactly this many bytes.
    Base64Bytes(usize),
    /// After `skip` bytes, base64 of a JSON object holding `key` (any object if empty).
    JsonPayload {
        /// Bytes of prefix before the payload.
        skip: usize,
        /// A member the object must have.
        key: &'static str,
    },
    /// A JWT whose payload has the string claim `.0` equal to `.1`.
    JwtClaim(&'static str, &'static str),
    /// A Discord bot token: the first segment is base64 of a numeric user id.
    DiscordId,
    /// A GitLab routable token: its base36 payload length and CRC32 are right.
    GitlabRoutable,
}

impl Validator {
    fn accepts(self, secret: &str) -> bool {
        match self {
            Self::GithubCrc32 => github_checksum_ok(secret),
            Self::Bech32 => bech32_ok(secret),
            Self::JwtHeader => jwt_header_ok(secret),
            Self::NotPlaceholder => !looks_like_placeholder(secret),
            Self::NotFiller => !is_filler(secret),
            Self::Base64Bytes(bytes) => base64_len_ok(secret, bytes),
            Self::JsonPayload { skip, key } => json_payload_ok(secret, skip, key),
            Self::JwtClaim(claim, value) => jwt_claim_ok(secret, claim, value),
            Self::DiscordId => discord_id_ok(secret),
            Self::GitlabRoutable => gitlab_routable_ok(secret),
        }
    }
}

/// Values that are references or placeholders rather than secrets: identifiers
/// (`config.password`), environment lookups, template expressions, masks.
fn looks_like_placeholder(secret: &str) -> bool {
    let lower = secret.to_ascii_lowercase();
    let identifier = secret
        .bytes()
        .all(|b| b.is_ascii_alphabetic() || matches!(b, b'_' | b'.' | b'-' | b'/' | b'$'));
    identifier
        || lower.contains("${")
        || lower.contains("{{")
        || lower.contains("process.env")
        || lower.contains("os.environ")
        || lower.contains("getenv")
        || lower.starts_with('<')
        || lower.contains("xxxx")
        || lower.contains("****")
        || lower.contains("....")
        || lower.contains("example")
        || lower.contains("changeme")
        || lower.contains("placeholder")
        || lower.contains("your_")
        || lower.contains("your-")
        || lower.contains("redacted")
        || lower.contains("dummy")
}

/// Where an allow-list's `regexes` look: the secret, the whole match or the whole line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RegexTarget {
    /// The extracted secret (the default).
    #[default]
    Secret,
    /// The whole regex match.
    Match,
    /// The line the match starts on.
    Line,
}

/// An allow-list: a finding is dropped when it matches (any one criterion with `OR`, the
/// default; all given criteria with `AND`).
#[derive(Debug, Clone, Default)]
pub struct Allowlist {
    /// What the allow-list is for.
    pub description: String,
    /// Every given criterion must match, instead of any one.
    pub require_all: bool,
    /// Commits (full or abbreviated ids) whose findings are allowed.
    pub commits: Vec<String>,
    /// Path regexes.
    pub paths: Vec<Regex>,
    /// Regexes over [`Allowlist::regex_target`].
    pub regexes: Vec<Regex>,
    /// What `regexes` look at.
    pub regex_target: RegexTarget,
    /// Lower-case words: a secret containing one is allowed.
    pub stopwords: Vec<String>,
}

/// What an allow-list says about a match from its content alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// Allowed wherever the content sits.
    Allowed,
    /// Never allowed by this list.
    NotAllowed,
    /// Allowed or not depending on the path and commit (see [`Allowlist::allows_place`]).
    ByPlace,
}

impl Allowlist {
    fn is_empty(&self) -> bool {
        self.commits.is_empty()
            && self.paths.is_empty()
            && self.regexes.is_empty()
            && self.stopwords.is_empty()
    }

    /// Whether this list names paths or commits.
    fn has_place(&self) -> bool {
        !self.commits.is_empty() || !self.paths.is_empty()
    }

    /// The verdict of the criteria that look at the content (`regexes`, `stopwords`),
    /// given the secret, the whole regex match and its line; the place criteria
    /// (`paths`, `commits`) are left to [`Allowlist::allows_place`].
    fn judge_content(&self, secret: &[u8], full_match: &[u8], line: &[u8]) -> Verdict {
        if self.is_empty() {
            return Verdict::NotAllowed;
        }
        let mut results = Vec::with_capacity(2);
        if !self.regexes.is_empty() {
            let target = match self.regex_target {
                RegexTarget::Secret => secret,
                RegexTarget::Match => full_match,
                RegexTarget::Line => line,
            };
            results.push(self.regexes.iter().any(|re| re.is_match(target)));
        }
        if !self.stopwords.is_empty() {
            let secret = String::from_utf8_lossy(secret).to_ascii_lowercase();
            results.push(
                self.stopwords
                    .iter()
                    .any(|word| secret.contains(word.as_str())),
            );
        }
        let place = if self.has_place() {
            Verdict::ByPlace
        } else if self.require_all {
            // Only content criteria, and (`is_empty` above) at least one.
            Verdict::Allowed
        } else {
            Verdict::NotAllowed
        };
        if self.require_all {
            if results.iter().all(|&hit| hit) {
                place
            } else {
                Verdict::NotAllowed
            }
        } else if results.iter().any(|&hit| hit) {
            Verdict::Allowed
        } else {
            place
        }
    }

    /// Whether the place criteria (`paths`, `commits`) allow a match at `path` in
    /// `commit`; asked only when [`Allowlist::judge_content`] left it to them.
    fn allows_place(&self, path: Option<&str>, commit: Option<&str>) -> bool {
        let mut results = Vec::with_capacity(2);
        if !self.commits.is_empty() {
            results.push(commit.is_some_and(|commit| {
                self.commits
                    .iter()
                    .any(|allowed| !allowed.is_empty() && commit.starts_with(allowed.as_str()))
            }));
        }
        if !self.paths.is_empty() {
            results.push(
                path.is_some_and(|path| self.paths.iter().any(|re| re.is_match(path.as_bytes()))),
            );
        }
        if self.require_all {
            results.iter().all(|&hit| hit)
        } else {
            results.iter().any(|&hit| hit)
        }
    }
}

/// One detection rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Stable id, e.g. `github-pat`; part of every fingerprint.
    pub id: Arc<str>,
    /// What the rule finds, for people.
    pub description: Arc<str>,
    /// The pattern; `None` for a path-only rule (the file's presence is the finding).
    pub regex: Option<Regex>,
    /// The capture group that holds the secret; 0 means the first non-empty group, or
    /// the whole match when the regex has none (gitleaks' `secretGroup`).
    pub secret_group: usize,
    /// Lower-case keywords; the regex only runs on text that contains one. Empty means
    /// always run.
    pub keywords: Vec<String>,
    /// Minimum Shannon entropy of the secret.
    pub entropy: Option<f64>,
    /// Only files whose path matches.
    pub path: Option<Regex>,
    /// Rule-specific allow-lists.
    pub allowlists: Vec<Allowlist>,
    /// Extra format checks.
    pub validators: Vec<Validator>,
    /// Labels from a gitleaks config's `tags`, carried into gitleaks-format reports.
    pub tags: Vec<String>,
}

impl Rule {
    /// A rule with `id`, `description` and `pattern`, no keywords, entropy or
    /// allow-lists.
    pub fn new(id: &str, description: &str, pattern: &str) -> Result<Self, ScanError> {
        Ok(Self {
            id: Arc::from(id),
            description: Arc::from(description),
            regex: Some(compile(pattern, id)?),
            secret_group: 0,
            keywords: Vec::new(),
            entropy: None,
            path: None,
            allowlists: Vec::new(),
            validators: Vec::new(),
            tags: Vec::new(),
        })
    }
}

/// Compiles a rule pattern. Go's RE2 (which gitleaks configs are written for) treats
/// `\w`, `\d`, `\s` and `\b` as ASCII; so does this, unless the pattern needs Unicode
/// (a non-ASCII literal or `\p{…}`), in which case it is compiled Unicode-aware.
pub(crate) fn compile(pattern: &str, rule: &str) -> Result<Regex, ScanError> {
    compile_as(pattern, rule, false)
}

/// Compiles a pattern written for Go's RE2, as gitleaks configs are: rewritten with the
/// same meaning in the `regex` crate's syntax first (see `re2`).
pub(crate) fn compile_re2(pattern: &str, rule: &str) -> Result<Regex, ScanError> {
    let translated = crate::re2::translate(pattern).map_err(|reason| ScanError::Config {
        message: format!("the regex of {rule} is not valid RE2: {reason}"),
    })?;
    compile_as(&translated.pattern, rule, translated.unicode)
}

/// Compiles `pattern`, ASCII-only unless `unicode` or the pattern needs it.
fn compile_as(pattern: &str, rule: &str, unicode: bool) -> Result<Regex, ScanError> {
    let build = |unicode: bool| {
        RegexBuilder::new(pattern)
            .unicode(unicode)
            .size_limit(64 << 20)
            .dfa_size_limit(16 << 20)
            .build()
    };
    // Before compiling: the compiler would spend seconds on such a regex. (One that
    // does not parse is left to the compiler, which says why.)
    if let Ok(ast) = regex_syntax::ast::parse::Parser::new().parse(pattern)
        && !repeat_is_valid(&ast, MAX_REPEAT)
    {
        return Err(ScanError::Config {
            message: format!(
                "the regex of {rule} repeats more than {MAX_REPEAT} times (counting nested \
                 {{n}} repetitions multiplied), which RE2 and so gitleaks refuse, and which \
                 would run for minutes on long input"
            ),
        });
    }
    let regex = build(unicode)
        .or_else(|_| build(true))
        .map_err(|source| ScanError::BadRegex {
            rule: rule.to_owned(),
            source: Box::new(source),
        })?;
    Ok(regex)
}

/// RE2's bound on `{n}` repetition counts, nested ones multiplied: `(a{1000}){1000}`
/// compiles to a million states that take minutes per megabyte to run.
const MAX_REPEAT: u32 = 1000;

/// Go's `regexp/syntax.repeatIsValid`: every `{n,m}` (counting `m`, or `n` when
/// unbounded) divides the budget `n` left for the repetitions nested inside it.
fn repeat_is_valid(ast: &regex_syntax::ast::Ast, mut budget: u32) -> bool {
    use regex_syntax::ast::{Ast, RepetitionKind, RepetitionRange};
    match ast {
        Ast::Repetition(repetition) => {
            if let RepetitionKind::Range(range) = &repetition.op.kind {
                let most = match *range {
                    RepetitionRange::Exactly(n) | RepetitionRange::AtLeast(n) => n,
                    RepetitionRange::Bounded(_, m) => m,
                };
                if most > budget {
                    return false;
                }
                // `{0}` leaves the budget as it is.
                budget = budget.checked_div(most).unwrap_or(budget);
            }
            repeat_is_valid(&repetition.ast, budget)
        }
        Ast::Group(group) => repeat_is_valid(&group.ast, budget),
        Ast::Alternation(alternation) => alternation
            .asts
            .iter()
            .all(|ast| repeat_is_valid(ast, budget)),
        Ast::Concat(concat) => concat.asts.iter().all(|ast| repeat_is_valid(ast, budget)),
        _ => true,
    }
}

/// One secret found in a text.
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    /// Index of the rule in [`Rules::rules`].
    pub rule: usize,
    /// The rule's id.
    pub rule_id: Arc<str>,
    /// The rule's description.
    pub description: Arc<str>,
    /// The secret (the rule's secret group). Treat it as sensitive: redact it before it
    /// is shown.
    pub secret: String,
    /// Byte range of the secret in the scanned text.
    pub start: usize,
    /// End of the byte range (exclusive).
    pub end: usize,
    /// 1-based line of the secret's first byte.
    pub start_line: usize,
    /// 1-based line of the secret's last byte.
    pub end_line: usize,
    /// 1-based column (in bytes) of the secret's first byte.
    pub start_column: usize,
    /// 1-based column of the secret's last byte.
    pub end_column: usize,
    /// Shannon entropy of the secret.
    pub entropy: f64,
    /// Where the whole regex match stands (gitleaks reports locate it, not the secret).
    pub whole: WholeMatch,
}

/// The whole regex match around a secret, as gitleaks reports it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WholeMatch {
    /// The matched text. Treat it as sensitive: it holds the secret.
    pub text: String,
    /// 1-based line of its first byte.
    pub start_line: usize,
    /// 1-based line of its last byte.
    pub end_line: usize,
    /// 1-based column (in bytes) of its first byte.
    pub start_column: usize,
    /// 1-based column of its last byte.
    pub end_column: usize,
}

/// A match found from a content alone, before the decisions that depend on where the
/// content sits: a rule's path filter, and the allow-lists whose verdict turns on the
/// path or the commit.
#[derive(Debug, Clone)]
pub(crate) struct Hit {
    /// The match.
    pub(crate) found: Match,
    /// The allow-lists that still decide, from the path and commit alone.
    place_lists: Vec<ListRef>,
}

/// One of the allow-lists that apply to a match: its rule's or a global one.
#[derive(Debug, Clone, Copy)]
enum ListRef {
    Rule(usize),
    Global(usize),
}

/// A compiled rule set with its keyword prefilter and global allow-list.
#[derive(Debug, Clone)]
pub struct Rules {
    list: Vec<Rule>,
    global: Vec<Allowlist>,
    prefilter: Option<AhoCorasick>,
    /// For each prefilter pattern, the rules that listed it.
    by_keyword: Vec<Vec<usize>>,
    /// Rules without keywords: they always run.
    unconditional: Vec<usize>,
    /// How a generic rule's match gives way to a specific rule's.
    generic: GenericRule,
}

/// When a generic rule's match (a rule whose id contains `generic`) is dropped because a
/// specific rule found the same secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum GenericRule {
    /// When the two matched secrets overlap (the built-in rules).
    #[default]
    Overlapping,
    /// As gitleaks decides it: when a specific rule's secret whose match starts on the
    /// same line contains the generic secret (gitleaks configs).
    Gitleaks,
}

impl Rules {
    /// Builds a rule set from `rules` and global allow-lists.
    pub fn new(rules: Vec<Rule>, global: Vec<Allowlist>) -> Result<Self, ScanError> {
        let mut keywords: Vec<String> = Vec::new();
        let mut by_keyword: Vec<Vec<usize>> = Vec::new();
        let mut unconditional = Vec::new();
        for (index, rule) in rules.iter().enumerate() {
            if rule.keywords.is_empty() {
                unconditional.push(index);
            }
            for keyword in &rule.keywords {
                let keyword = keyword.to_ascii_lowercase();
                if let Some(slot) = keywords.iter().position(|k| *k == keyword) {
                    by_keyword[slot].push(index);
                } else {
                    keywords.push(keyword);
                    by_keyword.push(vec![index]);
                }
            }
        }
        let (keywords, by_keyword) = minimal_keywords(&keywords, &by_keyword);
        let prefilter = if keywords.is_empty() {
            None
        } else {
            Some(
                AhoCorasickBuilder::new()
                    .kind(Some(AhoCorasickKind::DFA))
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::LeftmostFirst)
                    .build(&keywords)
                    .map_err(|source| ScanError::Prefilter {
                        source: Box::new(source),
                    })?,
            )
        };
        Ok(Self {
            list: rules,
            global,
            prefilter,
            by_keyword,
            unconditional,
            generic: GenericRule::default(),
        })
    }

    /// Decides generic matches as `generic` says.
    pub(crate) fn set_generic_rule(&mut self, generic: GenericRule) {
        self.generic = generic;
    }

    /// The rules, in order.
    #[must_use]
    pub fn rules(&self) -> &[Rule] {
        &self.list
    }

    /// The global allow-lists.
    #[must_use]
    pub fn global_allowlists(&self) -> &[Allowlist] {
        &self.global
    }

    /// The rule with `id`.
    #[must_use]
    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.list.iter().find(|rule| &*rule.id == id)
    }

    /// Every secret in `text`, in order of position. `gitleaks:allow` on a line and the
    /// allow-lists apply; path-specific rules and path allow-lists do not (there is no
    /// path).
    #[must_use]
    pub fn scan_text(&self, text: &str) -> Vec<Match> {
        self.scan_bytes(text.as_bytes(), None, None)
    }

    /// Whether `value` (one secret value, or a short text) matches any rule. For
    /// `secrets-verify`: "does this value look like a real credential".
    #[must_use]
    pub fn matches_value(&self, value: &str) -> bool {
        !self.scan_text(value).is_empty()
    }

    /// The ids of the rules that `value` matches, without duplicates.
    #[must_use]
    pub fn matching_rule_ids(&self, value: &str) -> Vec<Arc<str>> {
        let mut ids: Vec<Arc<str>> = Vec::new();
        for found in self.scan_text(value) {
            if !ids.contains(&found.rule_id) {
                ids.push(found.rule_id);
            }
        }
        ids
    }

    /// Whether a file at `path` is skipped entirely by a global path allow-list.
    #[must_use]
    pub fn path_allowed(&self, path: &str) -> bool {
        self.global.iter().any(|list| {
            !list.paths.is_empty()
                && list.regexes.is_empty()
                && list.stopwords.is_empty()
                && list.commits.is_empty()
                && list.paths.iter().any(|re| re.is_match(path.as_bytes()))
        })
    }

    /// Every secret in `data` (a file or blob) at `path`, found in `commit`: what the
    /// content holds, decided at that one place.
    #[must_use]
    pub fn scan_bytes(&self, data: &[u8], path: Option<&str>, commit: Option<&str>) -> Vec<Match> {
        // The place is known: rules whose path filter rejects it need not run.
        let hits = self.hits(data, |rule| {
            rule.path
                .as_ref()
                .is_none_or(|filter| path.is_some_and(|path| filter.is_match(path.as_bytes())))
        });
        self.place(&hits, path, commit)
    }

    /// Every secret in `data`, found from the content alone: the same content at any path
    /// and in any commit gives the same hits. [`Rules::place`] then decides which of
    /// them stand at one place.
    pub(crate) fn scan_content(&self, data: &[u8]) -> Vec<Hit> {
        self.hits(data, |_| true)
    }

    /// The hits of the rules that `run` accepts, in `data` and in what its encoded
    /// segments decode to.
    fn hits(&self, data: &[u8], run: impl Fn(&Rule) -> bool) -> Vec<Hit> {
        self.hits_at(data, &run, 0)
    }

    /// The hits in `data`, `depth` decodings deep: its own, then each decoded segment's,
    /// reported at the segment's place with the decoded secret's rule.
    fn hits_at(&self, data: &[u8], run: &dyn Fn(&Rule) -> bool, depth: u8) -> Vec<Hit> {
        let mut found = self.plain_hits(data, run);
        if depth >= decode::MAX_DEPTH {
            return found;
        }
        let segments = decode::segments(data);
        if segments.is_empty() {
            return found;
        }
        let lines = LineIndex::new(data);
        for segment in segments {
            let inner = self.hits_at(&segment.decoded, run, depth + 1);
            if inner.is_empty()
                || contains_ascii_ci(
                    lines.line_text(data, segment.start),
                    INLINE_ALLOW.as_bytes(),
                )
            {
                continue;
            }
            for hit in inner {
                // The same rule found it in the text as it stands: nothing new.
                let seen = found.iter().any(|plain| {
                    plain.found.rule == hit.found.rule
                        && plain.found.start >= segment.start
                        && plain.found.end <= segment.end
                });
                if seen {
                    continue;
                }
                // The encoded run is both the secret and the whole match here.
                let span = (segment.start, segment.end);
                let mut found_here =
                    self.make_match(hit.found.rule, data, &lines, span, span, hit.found.entropy);
                found_here.description = Arc::from(format!(
                    "{} ({}-encoded)",
                    hit.found.description,
                    segment.encoding.name()
                ));
                found.push(Hit {
                    found: found_here,
                    place_lists: hit.place_lists,
                });
            }
        }
        found
    }

    /// The hits of the rules that `run` accepts in `data` itself.
    fn plain_hits(&self, data: &[u8], run: &dyn Fn(&Rule) -> bool) -> Vec<Hit> {
        let candidates = self.candidate_rules(data);
        let mut found = Vec::new();
        if candidates.is_empty() {
            return found;
        }
        // Built on the first match only: most files have none.
        let line_index = std::cell::OnceCell::new();
        let lines = || line_index.get_or_init(|| LineIndex::new(data));
        for index in candidates {
            let rule = &self.list[index];
            if !run(rule) {
                continue;
            }
            let Some(regex) = &rule.regex else {
                // A path-only rule: the file itself is the finding; no allow-list applies.
                found.push(Hit {
                    found: self.make_match(index, data, lines(), (0, 0), (0, 0), 0.0),
                    place_lists: Vec::new(),
                });
                continue;
            };
            for caps in regex.captures_iter(data) {
                let Some(whole) = caps.get(0) else { continue };
                let group = if rule.secret_group > 0 {
                    caps.get(rule.secret_group)
                } else {
                    caps.iter()
                        .skip(1)
                        .flatten()
                        .find(|group| !group.is_empty())
                        .or(Some(whole))
                };
                let Some(secret) = group else { continue };
                if secret.is_empty() {
                    continue;
                }
                let secret_bytes = secret.as_bytes();
                let entropy = shannon_entropy(secret_bytes);
                if rule.entropy.is_some_and(|minimum| entropy < minimum) {
                    continue;
                }
                let secret_text = String::from_utf8_lossy(secret_bytes);
                if !rule
                    .validators
                    .iter()
                    .all(|validator| validator.accepts(&secret_text))
                {
                    continue;
                }
                let line = lines().line_text(data, whole.start());
                if contains_ascii_ci(line, INLINE_ALLOW.as_bytes()) {
                    continue;
                }
                let lists = rule
                    .allowlists
                    .iter()
                    .enumerate()
                    .map(|(i, list)| (ListRef::Rule(i), list))
                    .chain(
                        self.global
                            .iter()
                            .enumerate()
                            .map(|(i, list)| (ListRef::Global(i), list)),
                    );
                let mut place_lists = Vec::new();
                let mut allowed = false;
                for (at, list) in lists {
                    match list.judge_content(secret_bytes, whole.as_bytes(), line) {
                        Verdict::Allowed => {
                            allowed = true;
                            break;
                        }
                        Verdict::ByPlace => place_lists.push(at),
                        Verdict::NotAllowed => {}
                    }
                }
                if allowed {
                    continue;
                }
                found.push(Hit {
                    found: self.make_match(
                        index,
                        data,
                        lines(),
                        (secret.start(), secret.end()),
                        (whole.start(), whole.end()),
                        entropy,
                    ),
                    place_lists,
                });
            }
        }
        found
    }

    /// The matches among `hits` (of one content) that stand at `path` in `commit`: the
    /// rules' path filters and the allow-lists' paths and commits decide, then one match
    /// per rule and range is kept and a generic rule's match that a specific rule also
    /// found is dropped.
    pub(crate) fn place(
        &self,
        hits: &[Hit],
        path: Option<&str>,
        commit: Option<&str>,
    ) -> Vec<Match> {
        let mut found: Vec<Match> =
            hits.iter()
                .filter(|hit| {
                    let rule = &self.list[hit.found.rule];
                    let in_path = rule.path.as_ref().is_none_or(|filter| {
                        path.is_some_and(|path| filter.is_match(path.as_bytes()))
                    });
                    in_path
                        && !hit.place_lists.iter().any(|&at| {
                            let list = match at {
                                ListRef::Rule(i) => &rule.allowlists[i],
                                ListRef::Global(i) => &self.global[i],
                            };
                            list.allows_place(path, commit)
                        })
                })
                .map(|hit| hit.found.clone())
                .collect();
        found.sort_by_key(|m| (m.start, m.rule));
        found.dedup_by(|later, earlier| {
            later.start == earlier.start && later.end == earlier.end && later.rule == earlier.rule
        });
        // A generic rule that found what a specific rule found says nothing new: drop it.
        // Built-in rules: the generic ones (id `generic…`, and the plain `jwt`) give way
        // to any specific match they overlap; gitleaks configs: gitleaks' own rule (same
        // line, the specific secret holds the generic one).
        let is_generic = |m: &Match| match self.generic {
            GenericRule::Overlapping => m.rule_id.starts_with("generic") || &*m.rule_id == "jwt",
            GenericRule::Gitleaks => m.rule_id.to_ascii_lowercase().contains("generic"),
        };
        let specific: Vec<&Match> = found.iter().filter(|m| !is_generic(m)).collect();
        let keep: Vec<bool> = found
            .iter()
            .map(|m| {
                !is_generic(m)
                    || !specific.iter().any(|other| match self.generic {
                        GenericRule::Overlapping => other.start < m.end && m.start < other.end,
                        GenericRule::Gitleaks => {
                            other.whole.start_line == m.whole.start_line
                                && other.secret.contains(m.secret.as_str())
                        }
                    })
            })
            .collect();
        let mut keep = keep.into_iter();
        found.retain(|_| keep.next().unwrap_or(true));
        found
    }

    fn make_match(
        &self,
        index: usize,
        data: &[u8],
        lines: &LineIndex,
        (start, end): (usize, usize),
        (whole_start, whole_end): (usize, usize),
        entropy: f64,
    ) -> Match {
        let rule = &self.list[index];
        let (start_line, start_column) = lines.position(start);
        let (end_line, end_column) = lines.position(end.saturating_sub(1).max(start));
        // gitleaks trims newlines off both ends of a match, and locates what is left.
        let mut whole_start = whole_start;
        let mut whole_end = whole_end;
        while whole_end > whole_start && data[whole_end - 1] == b'\n' {
            whole_end -= 1;
        }
        while whole_start < whole_end && data[whole_start] == b'\n' {
            whole_start += 1;
        }
        let (whole_start_line, whole_start_column) = lines.position(whole_start);
        let (whole_end_line, whole_end_column) =
            lines.position(whole_end.saturating_sub(1).max(whole_start));
        let whole = WholeMatch {
            text: String::from_utf8_lossy(&data[whole_start..whole_end]).into_owned(),
            start_line: whole_start_line,
            end_line: whole_end_line,
            start_column: whole_start_column,
            end_column: whole_end_column,
        };
        Match {
            rule: index,
            rule_id: Arc::clone(&rule.id),
            description: Arc::clone(&rule.description),
            secret: String::from_utf8_lossy(&data[start..end]).into_owned(),
            start,
            end,
            start_line,
            end_line,
            start_column,
            end_column,
            entropy,
            whole,
        }
    }

    /// The rules whose keywords occur in `data`, plus those without keywords.
    fn candidate_rules(&self, data: &[u8]) -> Vec<usize> {
        let mut wanted = vec![false; self.list.len()];
        for &index in &self.unconditional {
            wanted[index] = true;
        }
        if let Some(prefilter) = &self.prefilter {
            let mut seen = vec![false; self.by_keyword.len()];
            let mut remaining = seen.len();
            for hit in prefilter.find_iter(data) {
                let pattern = hit.pattern().as_usize();
                if !seen[pattern] {
                    seen[pattern] = true;
                    for &index in &self.by_keyword[pattern] {
                        wanted[index] = true;
                    }
                    remaining -= 1;
                    if remaining == 0 {
                        break;
                    }
                }
            }
        }
        wanted
            .iter()
            .enumerate()
            .filter_map(|(index, &want)| want.then_some(index))
            .collect()
    }
}

/// Drops every keyword that contains another keyword, handing its rules to the one it
/// contains: a text that holds `age-secret-key-1` holds `secret`. Then no keyword can hide
/// inside another, and the prefilter can use a fast non-overlapping search. (Two keywords
/// that overlap only partly, a suffix of one being a prefix of the other, could still
/// hide each other where they overlap in the text; no built-in pair does.)
fn minimal_keywords(
    keywords: &[String],
    by_keyword: &[Vec<usize>],
) -> (Vec<String>, Vec<Vec<usize>>) {
    let minimal: Vec<bool> = keywords
        .iter()
        .enumerate()
        .map(|(i, keyword)| {
            !keywords.iter().enumerate().any(|(j, other)| {
                i != j && other.len() < keyword.len() && keyword.contains(other.as_str())
            })
        })
        .collect();
    let mut kept: Vec<String> = Vec::new();
    let mut kept_rules: Vec<Vec<usize>> = Vec::new();
    let mut slot_of = vec![usize::MAX; keywords.len()];
    for (i, keyword) in keywords.iter().enumerate() {
        if minimal[i] {
            slot_of[i] = kept.len();
            kept.push(keyword.clone());
            kept_rules.push(by_keyword[i].clone());
        }
    }
    for (i, keyword) in keywords.iter().enumerate() {
        if minimal[i] {
            continue;
        }
        // The shortest minimal keyword it contains.
        let target = keywords
            .iter()
            .enumerate()
            .filter(|&(j, other)| minimal[j] && keyword.contains(other.as_str()))
            .min_by_key(|(_, other)| other.len())
            .map(|(j, _)| slot_of[j]);
        if let Some(slot) = target {
            for &rule in &by_keyword[i] {
                if !kept_rules[slot].contains(&rule) {
                    kept_rules[slot].push(rule);
                }
            }
        }
    }
    (kept, kept_rules)
}

fn contains_ascii_ci(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window.eq_ignore_ascii_case(needle))
}

/// Byte offsets of line starts, to turn offsets into 1-based line and column.
#[derive(Debug)]
pub(crate) struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub(crate) fn new(data: &[u8]) -> Self {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', data).map(|at| at + 1));
        Self { starts }
    }

    /// 1-based (line, column) of byte `offset`.
    pub(crate) fn position(&self, offset: usize) -> (usize, usize) {
        let line = self.starts.partition_point(|&start| start <= offset);
        let start = self.starts[line.saturating_sub(1)];
        (line, offset - start + 1)
    }

    /// The line containing `offset`, without its newline.
    pub(crate) fn line_text<'a>(&self, data: &'a [u8], offset: usize) -> &'a [u8] {
        let line = self.starts.partition_point(|&start| start <= offset);
        let start = self.starts[line.saturating_sub(1)];
        let end = self
            .starts
            .get(line)
            .map_or(data.len(), |&next| next.saturating_sub(1));
        &data[start..end.max(start)]
    }
}

#[cfg(test)]
mod tests {
    use super::minimal_keywords;

    #[test]
    fn keywords_that_contain_another_hand_their_rules_to_it() {
        let keywords: Vec<String> = ["secret", "age-secret-key-1", "ghp_", "sb_secret_"]
            .iter()
            .map(|k| (*k).to_owned())
            .collect();
        let rules = vec![vec![0], vec![1], vec![2], vec![3, 0]];
        let (kept, kept_rules) = minimal_keywords(&keywords, &rules);
        assert_eq!(kept, ["secret", "ghp_"]);
        assert_eq!(kept_rules, [vec![0, 1, 3], vec![2]]);
    }
}

//! Bulwark's default rules, written from the public token formats (prefix, length,
//! alphabet, checksum). Patterns use the `regex` crate's syntax and are compiled
//! ASCII-only, like Go's RE2. Each rule lists the keywords the prefilter looks for.

use crate::rules::{Allowlist, RegexTarget, Rule, Rules, Validator, compile};

/// One default rule, as data.
struct Spec {
    id: &'static str,
    description: &'static str,
    pattern: &'static str,
    keywords: &'static [&'static str],
    entropy: Option<f64>,
    validators: &'static [Validator],
    /// Secrets matching these (regexes over the secret) are allowed.
    allow: &'static [&'static str],
    /// Secrets containing these lower-case words are allowed.
    stopwords: &'static [&'static str],
}

const fn spec(
    id: &'static str,
    description: &'static str,
    pattern: &'static str,
    keywords: &'static [&'static str],
) -> Spec {
    Spec {
        id,
        description,
        pattern,
        keywords,
        entropy: None,
        validators: &[],
        allow: &[],
        stopwords: &[],
    }
}

impl Spec {
    const fn entropy(mut self, minimum: f64) -> Self {
        self.entropy = Some(minimum);
        self
    }
    const fn validate(mut self, validators: &'static [Validator]) -> Self {
        self.validators = validators;
        self
    }
    const fn allow(mut self, regexes: &'static [&'static str]) -> Self {
        self.allow = regexes;
        self
    }
    const fn stopwords(mut self, words: &'static [&'static str]) -> Self {
        self.stopwords = words;
        self
    }
}

/// Words in a generic value that mark it as a placeholder, not a secret.
const PLACEHOLDER_WORDS: &[&str] = &[
    "example",
    "changeme",
    "change_me",
    "placeholder",
    "dummy",
    "sample",
    "xxxx",
    "****",
    "redacted",
    "your_",
    "your-",
    "insert",
    "replace",
    "todo",
    "fixme",
    "secrets.",
    "env.",
    "getenv",
    "environ",
    "${",
    "{{",
    "%s",
    "<",
    // Deliberately fake test values say so.
    "canary",
];

/// Database passwords that are dev defaults or placeholders, not secrets: the whole
/// password is one of these words, or it holds a template expression or a mask.
const DATABASE_PLACEHOLDERS: &[&str] = &[
    r"(?i)^(?:password|passwd|pass|secret|changeme|postgres|root|admin|example|user|pwd|test|mysql|redis|guest|dev)$",
    r"\$\{|\$\(|\{\{|%s|<|(?i:xxxx)|\*\*\*",
    // Format-string and shell placeholders: `{password}`, `$DB_PASSWORD`, `%(password)s`.
    r"^(?:\{[A-Za-z_][A-Za-z0-9_]*\}|\$[A-Za-z_][A-Za-z0-9_]*|%\([A-Za-z_]+\)s)$",
];

const SPECS: &[Spec] = &[
    spec(
        "aws-access-key-id",
        "AWS access key id",
        r"\b((?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z2-7]{16})\b",
        &["akia", "asia", "abia", "acca", "a3t"],
    )
    .allow(&[r"EXAMPLE$"]),
    spec(
        "aws-secret-access-key",
        "AWS secret access key",
        r#"(?i)aws.{0,20}(?:secret|sk|private).{0,20}?['"=:\s]{1,5}([A-Za-z0-9/+=]{40})(?:[^A-Za-z0-9/+=]|$)"#,
        &["aws"],
    )
    .entropy(3.5)
    .allow(&[r"EXAMPLEKEY$"]),
    spec(
        "github-pat",
        "GitHub personal access token (classic)",
        r"\b(ghp_[A-Za-z0-9]{36})\b",
        &["ghp_"],
    )
    .validate(&[Validator::GithubCrc32]),
    spec(
        "github-oauth",
        "GitHub OAuth access token",
        r"\b(gho_[A-Za-z0-9]{36})\b",
        &["gho_"],
    )
    .validate(&[Validator::GithubCrc32]),
    spec(
        "github-app-token",
        "GitHub App user-to-server or server-to-server token",
        r"\b((?:ghu|ghs)_[A-Za-z0-9]{36})\b",
        &["ghu_", "ghs_"],
    )
    .validate(&[Validator::GithubCrc32]),
    spec(
        "github-refresh-token",
        "GitHub refresh token",
        r"\b(ghr_[A-Za-z0-9]{36})\b",
        &["ghr_"],
    )
    .validate(&[Validator::GithubCrc32]),
    spec(
        "github-fine-grained-pat",
        "GitHub fine-grained personal access token",
        r"\b(github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})\b",
        &["github_pat_"],
    )
    .entropy(3.0),
    spec(
        "gitlab-token",
        "GitLab access, deploy, runner or trigger token",
        r"\b((?:glpat|gldt|glrt|glptt|glcbt|glft|glsoat|glimt|glagent)-[0-9A-Za-z_-]{20,}(?:\.[0-9a-z]{2}\.[0-9a-z]{7,10})?)\b",
        &["glpat-", "gldt-", "glrt-", "glptt-", "glcbt-", "glft-", "glsoat-", "glimt-", "glagent-"],
    )
    .entropy(3.0),
    spec(
        "slack-token",
        "Slack bot, user, app or configuration token",
        r"\b(xox[abposr]-\d{6,15}-\d{6,15}(?:-\d{6,15})?-[0-9A-Za-z]{24,34}|xapp-\d-[A-Z0-9]{9,12}-\d{10,15}-[a-f0-9]{32,64}|xoxe\.xox[bp]-\d-[A-Za-z0-9]{100,})\b",
        &["xoxa-", "xoxb-", "xoxp-", "xoxo-", "xoxs-", "xoxr-", "xoxe", "xapp-"],
    ),
    spec(
        "slack-webhook",
        "Slack incoming webhook URL",
        r"(https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/]{40,100})",
        &["hooks.slack.com"],
    )
    .allow(&[r"X{8}", r"(?i)/T0+/B0+/"]),
    spec(
        "stripe-secret-key",
        "Stripe secret or restricted API key",
        r"\b((?:sk|rk)_(?:live|test|prod)_[0-9A-Za-z]{24,247})\b",
        &["sk_live_", "sk_test_", "sk_prod_", "rk_live_", "rk_test_", "rk_prod_"],
    )
    .entropy(3.0),
    spec(
        "google-api-key",
        "Google API key",
        r"\b(AIza[0-9A-Za-z_-]{35})(?:[^0-9A-Za-z_-]|$)",
        &["aiza"],
    )
    .entropy(3.0),
    spec(
        "google-oauth-client-secret",
        "Google OAuth client secret",
        r"\b(GOCSPX-[0-9A-Za-z_-]{28})(?:[^0-9A-Za-z_-]|$)",
        &["gocspx-"],
    ),
    spec(
        "openai-api-key",
        "OpenAI API key",
        r"\b(sk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{58,}|[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}))(?:[^A-Za-z0-9_-]|$)",
        &["sk-proj-", "sk-svcacct-", "sk-admin-", "t3blbkfj"],
    )
    .entropy(3.5),
    spec(
        "anthropic-api-key",
        "Anthropic API key",
        r"\b(sk-ant-(?:api|admin|oat)\d{2}-[A-Za-z0-9_-]{80,120}AA)(?:[^A-Za-z0-9_-]|$)",
        &["sk-ant-"],
    ),
    spec(
        "cloudflare-api-token",
        "Cloudflare API token (by context)",
        r#"(?i)(?:cloudflare|\bcf)[\w.-]{0,25}(?:token|key|secret|auth)[\w.-]{0,10}["']?\s*(?:[:=]|:=|=>)\s*["']?([A-Za-z0-9_-]{40})(?:[^A-Za-z0-9_-]|$)"#,
        &["cloudflare", "cf_", "cf-", "cf."],
    )
    .entropy(3.5)
    .stopwords(PLACEHOLDER_WORDS),
    spec(
        "cloudflare-global-api-key",
        "Cloudflare global API key (by context)",
        r#"(?i)(?:cloudflare|\bcf)[\w.-]{0,25}(?:key|secret|auth)[\w.-]{0,10}["']?\s*(?:[:=]|:=|=>)\s*["']?([a-f0-9]{37})(?:[^A-Za-z0-9_-]|$)"#,
        &["cloudflare", "cf_", "cf-", "cf."],
    )
    .entropy(3.0),
    spec(
        "cloudflare-origin-ca-key",
        "Cloudflare Origin CA key",
        r"\b(v1\.0-[a-f0-9]{24}-[a-f0-9]{146})\b",
        &["v1.0-"],
    ),
    spec(
        "npm-token",
        "npm access token",
        r"\b(npm_[A-Za-z0-9]{36})\b",
        &["npm_"],
    )
    .validate(&[Validator::GithubCrc32]),
    spec(
        "pypi-token",
        "PyPI upload token",
        r"\b(pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,})",
        &["pypi-ageichlwas5vcmc"],
    ),
    spec(
        "sendgrid-api-key",
        "SendGrid API key",
        r"\b(SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43})(?:[^A-Za-z0-9_-]|$)",
        // No keyword: "sg." is in every `msg.`; the regex searches for its literal itself.
        &[],
    )
    .entropy(3.5),
    spec(
        "twilio-api-key",
        "Twilio API key SID",
        r"\b(SK[0-9a-f]{32})\b",
        // No keyword: "sk" is in every other word; the regex's own literal search is faster.
        &[],
    )
    .entropy(3.0),
    spec(
        "twilio-auth-token",
        "Twilio auth token (by context)",
        r#"(?i)twilio[\w.-]{0,20}(?:token|secret|auth)[\w.-]{0,10}["']?\s*(?:[:=]|:=|=>)\s*["']?([a-f0-9]{32})\b"#,
        &["twilio"],
    )
    .entropy(3.0),
    spec(
        "shopify-token",
        "Shopify access token or shared secret",
        r"\b((?:shpat|shpca|shppa|shpss)_[a-fA-F0-9]{32})\b",
        &["shpat_", "shpca_", "shppa_", "shpss_"],
    ),
    spec(
        "supabase-secret-key",
        "Supabase secret key or personal access token",
        r"\b(sb_secret_[A-Za-z0-9_-]{31,}|sbp_[a-f0-9]{40})\b",
        &["sb_secret_", "sbp_"],
    )
    .entropy(3.0),
    spec(
        "flyio-token",
        "Fly.io access token",
        r"(?:\b|FlyV1 )((?:fm1[ar]|fm2|fo1)_[A-Za-z0-9+/=_-]{40,})",
        &["fm1a_", "fm1r_", "fm2_", "fo1_"],
    )
    .entropy(3.5),
    spec(
        "telegram-bot-token",
        "Telegram bot token",
        r"\b(\d{8,10}:AA[0-9A-Za-z_-]{33})(?:[^0-9A-Za-z_-]|$)",
        &[":aa"],
    ),
    spec(
        "jwt",
        "JSON Web Token",
        r"\b(eyJ[A-Za-z0-9_-]{10,}={0,2}\.eyJ[A-Za-z0-9_-]{2,}={0,2}\.[A-Za-z0-9_-]{10,}={0,2})",
        &["eyj"],
    )
    .validate(&[Validator::JwtHeader]),
    spec(
        "private-key",
        "Private key (PEM block)",
        // The body: optional `Name: value` headers (encrypted PEM), then base64, also as an
        // escaped string (`\n`, quotes); code that builds a PEM string does not match.
        r#"(-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----(?:\s*[A-Za-z-]+:[^\n]*)*[A-Za-z0-9+/=\s\\",']{64,}?-----END[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----)"#,
        &["-----begin"],
    ),
    spec(
        "age-secret-key",
        "age secret key (identity)",
        r"\b(AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58})\b",
        &["age-secret-key-1"],
    )
    .validate(&[Validator::Bech32]),
    spec(
        "database-url-password",
        "Database URL with a password",
        r#"(?i)\b(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql|sqlserver|clickhouse|cockroachdb)://[^:/\s@'"]+:([^@\s/'"]{3,})@[^\s'"]+"#,
        // No keyword: "://" is in every doc comment with a link; the regex's literal
        // alternation of schemes is a faster filter.
        &[],
    )
    .allow(DATABASE_PLACEHOLDERS),
    spec(
        "generic-secret",
        "Generic secret assignment (password, secret, token, api key)",
        concat!(
            r#"(?i)(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|auth[_-]?key|client[_-]?secret|private[_-]?key)[\w.-]{0,20}["']?\s*(?:[:=]|:=|=>|==)\s*["'`]([A-Za-z0-9+/=_.~!@#$%^&*-]{10,100})["'`]"#,
            // dotenv and YAML style, unquoted: `export API_TOKEN=…`, `  db_password: …`
            r#"|(?im)^[ \t]*(?:export[ \t]+)?[A-Z0-9_]*(?:PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|AUTH_?KEY)[A-Z0-9_]*[ \t]*[=:][ \t]*([A-Za-z0-9+/=_.~!@#$%^&*-]{10,100})[ \t]*$"#,
        ),
        &["password", "passwd", "pwd", "secret", "token", "api_key", "api-key", "apikey", "access_key", "auth_key", "private_key"],
    )
    .entropy(3.5)
    .validate(&[Validator::NotPlaceholder])
    .stopwords(PLACEHOLDER_WORDS),
];

/// Paths skipped by the default global allow-list: lock files (integrity hashes) and
/// minified or vendored bundles.
const ALLOWED_PATHS: &[&str] = &[
    r"(?:^|/)(?:package-lock\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.yaml|bun\.lockb|Cargo\.lock|go\.sum|poetry\.lock|Pipfile\.lock|composer\.lock|Gemfile\.lock|uv\.lock|flake\.lock)$",
    r"(?:^|/)\.gitleaksignore$",
];

/// Secrets allowed everywhere: CI secret references, env lookups and lock-file
/// integrity hashes.
const ALLOWED_SECRETS: &[&str] = &[
    r"^\$\{\{\s*secrets\.",
    r"^(?:process\.env|import\.meta\.env|os\.environ|env)\b",
    r"^sha(?:1|256|384|512)-",
];

impl Rules {
    /// Bulwark's built-in rules (see `docs/leak-scan.md` for the list), written from the
    /// public token formats, with the default allow-list for placeholders, documented
    /// example keys and lock files.
    #[must_use]
    pub fn default_rules() -> Self {
        // The patterns are constants covered by tests, so a failure to compile is a bug,
        // not an input error.
        let rules = SPECS.iter().map(build).collect::<Vec<_>>();
        Self::new(rules, vec![default_allowlist(), default_secret_allowlist()])
            .expect("the default keywords build an Aho-Corasick automaton")
    }
}

/// The default global allow-list (added when a gitleaks config says `useDefault`).
fn default_allowlist() -> Allowlist {
    Allowlist {
        description: "Bulwark defaults: lock files, CI secret references, env lookups".to_owned(),
        paths: ALLOWED_PATHS
            .iter()
            .map(|pattern| {
                compile(pattern, "default allowlist").expect("default path regex compiles")
            })
            .collect(),
        ..Allowlist::default()
    }
}

/// The default allow-list for secrets (kept apart so that a path-only list still
/// skips whole files; see [`Rules::path_allowed`]).
fn default_secret_allowlist() -> Allowlist {
    Allowlist {
        description: "Bulwark defaults: placeholders and references".to_owned(),
        regexes: ALLOWED_SECRETS
            .iter()
            .map(|pattern| compile(pattern, "default allowlist").expect("default regex compiles"))
            .collect(),
        regex_target: RegexTarget::Secret,
        ..Allowlist::default()
    }
}

fn build(spec: &Spec) -> Rule {
    let mut rule = Rule::new(spec.id, spec.description, spec.pattern)
        .expect("default rule patterns compile (tested)");
    rule.keywords = spec.keywords.iter().map(|k| (*k).to_owned()).collect();
    rule.entropy = spec.entropy;
    rule.validators = spec.validators.to_vec();
    if !spec.allow.is_empty() || !spec.stopwords.is_empty() {
        rule.allowlists.push(Allowlist {
            description: format!("{} placeholders", spec.id),
            regexes: spec
                .allow
                .iter()
                .map(|pattern| compile(pattern, spec.id).expect("default allow regex compiles"))
                .collect(),
            stopwords: spec.stopwords.iter().map(|w| (*w).to_owned()).collect(),
            ..Allowlist::default()
        });
    }
    rule
}

/// The built-in rules' ids and descriptions, for documentation and `--help`.
#[must_use]
pub fn default_rule_ids() -> Vec<(&'static str, &'static str)> {
    SPECS
        .iter()
        .map(|spec| (spec.id, spec.description))
        .collect()
}

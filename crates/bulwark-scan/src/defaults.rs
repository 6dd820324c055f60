//! Bulwark's default rules, written from the public token formats (prefix, length,
//! alphabet, checksum). Patterns use the `regex` crate's syntax and are compiled
//! ASCII-only, like Go's RE2. Each rule lists the keywords the prefilter looks for.

use std::fmt::Write as _;

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
    /// Whether the filler check ([`Validator::NotFiller`]) applies; off for formats whose
    /// body is base64 of binary data, where `AAAAAA` is a run of zero bytes.
    filler: bool,
    /// A text the rule finds and one it must not find, as templates (see
    /// [`EXAMPLE_LEGEND`]); the tests expand and check both, the docs table shows them.
    positive: &'static str,
    negative: &'static str,
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
        filler: true,
        positive: "",
        negative: "",
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
    const fn binary_body(mut self) -> Self {
        self.filler = false;
        self
    }
    const fn examples(mut self, positive: &'static str, negative: &'static str) -> Self {
        self.positive = positive;
        self.negative = negative;
        self
    }
}

/// How to read the example templates of [`default_rule_examples`] and the docs table:
/// `{X<n>}` is `n` random characters of class `X`, and a few named pieces stand for
/// structured parts that the tests build with valid checksums.
pub const EXAMPLE_LEGEND: &[(&str, &str)] = &[
    ("A", "letters and digits"),
    ("a", "lower-case letters and digits"),
    ("U", "upper-case letters and digits"),
    ("M", "letters"),
    ("H", "lower-case hex digits"),
    ("D", "digits"),
    ("B", "base64 characters (`A-Za-z0-9+/`)"),
    ("W", "base64url characters (`A-Za-z0-9_-`)"),
    ("Z", "base32 characters (`A-Z2-7`)"),
    (
        "{gh}",
        "30 letters and digits, then their CRC32 in six base62 digits",
    ),
    ("{age}", "52 bech32 characters and a valid bech32 checksum"),
    ("{age-bad}", "the same with a wrong checksum"),
    ("{uuid}", "a random UUID"),
    (
        "{jwt}",
        "a JWT: JSON header with `alg`, JSON payload, signature",
    ),
    (
        "{jwt-service-role}",
        "a JWT whose payload says `\"role\": \"service_role\"`",
    ),
    (
        "{jwt-anon}",
        "a JWT whose payload says `\"role\": \"anon\"`",
    ),
    ("{b64:N}", "base64 of N random bytes"),
    (
        "{sentry-payload}",
        "base64 of a JSON object with `iat`, `url` and `org`",
    ),
    (
        "{op-payload}",
        "base64url of a JSON object (a 1Password service account)",
    ),
    ("{discord-id}", "base64 of an 18-digit user id"),
    (
        "{glpat-routable}",
        "a GitLab routable token built as GitLab builds one, with its length and CRC32",
    ),
    ("{glpat-routable-bad}", "the same with a wrong CRC32"),
    ("{pem}", "a PEM body: lines of base64"),
];

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
    // ---- cloud providers ----
    spec(
        "aws-access-token",
        "AWS access key id",
        r"\b((?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z2-7]{16})\b",
        &["akia", "asia", "abia", "acca", "a3t"],
    )
    .allow(&[r"EXAMPLE$"])
    .examples("key = AKIA{Z16}", "key = AKIAXXXXXXXXXXXXXXXX"),
    spec(
        "aws-secret-access-key",
        "AWS secret access key",
        r#"(?i)aws.{0,20}(?:secret|sk|private).{0,20}?['"=:\s]{1,5}([A-Za-z0-9/+=]{40})(?:[^A-Za-z0-9/+=]|$)"#,
        &["aws"],
    )
    .entropy(3.5)
    .allow(&[r"EXAMPLEKEY$"])
    .examples("aws_secret_access_key = {B40}", "aws_region = {B40}"),
    spec(
        "azure-ad-client-secret",
        "Azure Entra ID (AAD) application client secret",
        r#"(?:^|[\\'"`\s>=:(,)])([a-zA-Z0-9_~.]{3}\dQ~[a-zA-Z0-9_~.-]{31,34})(?:$|[\\'"`\s<),])"#,
        &["q~"],
    )
    .entropy(3.0)
    .examples("AZURE_CLIENT_SECRET={A3}8Q~{A34}", "AZURE_CLIENT_SECRET={A3}8Q~{A20}"),
    spec(
        "azure-storage-account-key",
        "Azure storage account key in a connection string (`AccountKey=`)",
        r"(?i)\bAccountKey=([A-Za-z0-9+/]{86}==)",
        &["accountkey="],
    )
    .validate(&[Validator::Base64Bytes(64)])
    .entropy(4.0)
    .binary_body()
    .examples(
        "DefaultEndpointsProtocol=https;AccountName=canary;AccountKey={b64:64};EndpointSuffix=core.windows.net",
        "AccountKey={b64:32}",
    ),
    spec(
        "azure-app-configuration-connection-string",
        "Azure App Configuration connection string secret (`Secret=`)",
        r"(?i)Endpoint=https://[\w.-]+\.azconfig\.io;Id=[\w/+=.:-]+;Secret=([A-Za-z0-9+/]{43}=)",
        &["azconfig.io"],
    )
    .validate(&[Validator::Base64Bytes(32)])
    .entropy(3.5)
    .binary_body()
    .examples(
        "Endpoint=https://canary.azconfig.io;Id={A4}-l0-s0:{A20};Secret={b64:32}",
        "Endpoint=https://canary.azconfig.io;Id={A4}-l0-s0:{A20};Secret=",
    ),
    spec(
        "azure-service-key",
        "Azure Cognitive Search, AI services or OpenAI key next to its host name",
        r#"(?i)(?:\.search\.windows\.net|\.cognitiveservices\.azure\.com|\.openai\.azure\.com|\.api\.cognitive\.microsoft\.com)[\s\S]{0,200}?(?:api[_-]?key|key|secret)[\w.-]{0,10}["']?\s*(?:[:=]|:=|=>)\s*["']?([A-Za-z0-9]{84}|[A-Za-z0-9]{52}|[A-Za-z0-9]{32})\b"#,
        &[".search.windows.net", ".cognitiveservices.azure.com", ".openai.azure.com", ".api.cognitive.microsoft.com"],
    )
    .entropy(3.0)
    .examples(
        "endpoint: https://canary.search.windows.net\napi_key: {A32}",
        "endpoint: https://canary.search.windows.net\napi_version: {A32}",
    ),
    spec(
        "gcp-api-key",
        "Google API key",
        r"\b(AIza[0-9A-Za-z_-]{35})(?:[^0-9A-Za-z_-]|$)",
        &["aiza"],
    )
    .entropy(3.0)
    .examples("AIza{W35}", "AIzaSyabcdefghijklmnopqrstuvwxyz1234567"),
    spec(
        "google-oauth-client-secret",
        "Google OAuth client secret",
        r"\b(GOCSPX-[0-9A-Za-z_-]{28})(?:[^0-9A-Za-z_-]|$)",
        &["gocspx-"],
    )
    .examples("GOCSPX-{W28}", "GOCSPX-{W20}"),
    spec(
        "google-oauth-access-token",
        "Google OAuth access token",
        r"\b(ya29\.[0-9A-Za-z_-]{30,})",
        &["ya29."],
    )
    .entropy(3.5)
    .examples("Authorization: Bearer ya29.{W120}", "ya29.{W10}"),
    spec(
        "gcp-service-account",
        "Google Cloud service-account JSON key (its `private_key_id`)",
        r#"(?s)"type"\s*:\s*"service_account".{0,300}?"private_key_id"\s*:\s*"([a-f0-9]{40})""#,
        &["service_account"],
    )
    .examples(
        "{\"type\": \"service_account\", \"project_id\": \"canary\", \"private_key_id\": \"{H40}\"}",
        "{\"type\": \"authorized_user\", \"private_key_id\": \"{H40}\"}",
    ),
    spec(
        "cloudflare-api-key",
        "Cloudflare API token (by context, also under a bare `cloudflare:` key)",
        r#"(?i)(?:cloudflare|\bcf)(?:[\w.-]{0,25}(?:token|key|secret|auth))?[\w.-]{0,10}["']?\s*(?:[:=]|:=|=>)\s*["']?([A-Za-z0-9_-]{40})(?:[^A-Za-z0-9_-]|$)"#,
        &["cloudflare", "cf_", "cf-", "cf."],
    )
    .entropy(3.5)
    .stopwords(PLACEHOLDER_WORDS)
    .examples("cloudflare: {W40}", "SOMETHING_ELSE={W40}"),
    spec(
        "cloudflare-global-api-key",
        "Cloudflare global API key (by context)",
        r#"(?i)(?:cloudflare|\bcf)[\w.-]{0,25}(?:key|secret|auth)[\w.-]{0,10}["']?\s*(?:[:=]|:=|=>)\s*["']?([a-f0-9]{37})(?:[^A-Za-z0-9_-]|$)"#,
        &["cloudflare", "cf_", "cf-", "cf."],
    )
    .entropy(3.0)
    .examples("cloudflare_api_key: {H37}", "commit_sha: {H37}"),
    spec(
        "cloudflare-origin-ca-key",
        "Cloudflare Origin CA key",
        r"\b(v1\.0-[a-f0-9]{24}-[a-f0-9]{146})\b",
        &["v1.0-"],
    )
    .examples("v1.0-{H24}-{H146}", "v2.0-{H24}-{H146}"),
    spec(
        "cloudflare-r2-access-key",
        "Cloudflare R2 access key id or secret access key (by context)",
        r#"(?i)\br2[\w.-]{0,25}(?:secret|access)[\w.-]{0,20}["']?\s*(?:[:=]|:=|=>)\s*["']?([a-f0-9]{64}|[a-f0-9]{32})\b"#,
        &["r2"],
    )
    .entropy(3.0)
    .examples("R2_SECRET_ACCESS_KEY={H64}", "R2_BUCKET_NAME={H64}"),
    spec(
        "flyio-access-token",
        "Fly.io access token (`fo1_`, `fm1a_`, `fm1r_`, `fm2_`, and `FlyV1` macaroon lists)",
        r"\b((?:fm1[ar]|fm2|fo1)_[A-Za-z0-9+/=_-]{40,}(?:,(?:fm1[ar]|fm2|fo1)_[A-Za-z0-9+/=_-]{40,})*)",
        &["fm1a_", "fm1r_", "fm2_", "fo1_"],
    )
    .entropy(3.5)
    .binary_body()
    .examples("FLY_API_TOKEN=\"FlyV1 fm2_{B120},fm2_{B80}\"", "FlyV1 fm2_short"),
    spec(
        "supabase-secret-key",
        "Supabase secret API key (`sb_secret_`; the `sb_publishable_` key is public)",
        r"\b(sb_secret_[A-Za-z0-9_-]{31,})",
        &["sb_secret_"],
    )
    .entropy(3.0)
    .examples("sb_secret_{W40}", "sb_publishable_{W40}"),
    spec(
        "supabase-pat",
        "Supabase personal access token",
        r"\b(sbp_(?:oauth_)?[a-f0-9]{40})\b",
        &["sbp_"],
    )
    .examples("sbp_{H40}", "sbp_{H20}"),
    spec(
        "supabase-service-role-key",
        "Supabase service-role key (a JWT whose `role` claim is `service_role`; `anon` keys are public)",
        r"\b(eyJ[A-Za-z0-9_-]{10,}={0,2}\.eyJ[A-Za-z0-9_-]{2,}={0,2}\.[A-Za-z0-9_-]{10,}={0,2})",
        &["eyj"],
    )
    .validate(&[Validator::JwtClaim("role", "service_role")])
    .binary_body()
    .examples("SUPABASE_SERVICE_ROLE_KEY={jwt-service-role}", "SUPABASE_ANON_KEY={jwt-anon}"),
    spec(
        "heroku-api-key",
        "Heroku API key (a UUID next to `heroku`)",
        r#"(?i)heroku[\w.-]{0,20}(?:key|token|secret|auth)[\w.-]{0,10}["']?\s*(?:[:=]|:=|=>)\s*["']?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b"#,
        &["heroku"],
    )
    .examples("HEROKU_API_KEY={uuid}", "HEROKU_APP_ID={uuid}"),
    spec(
        "heroku-api-key-v2",
        "Heroku API key (`HRKU-`)",
        r"\b(HRKU-AA[0-9A-Za-z_-]{58})(?:[^0-9A-Za-z_-]|$)",
        &["hrku-"],
    )
    .examples("HRKU-AA{W58}", "HRKU-AA{W20}"),
    spec(
        "digitalocean-pat",
        "DigitalOcean personal access token",
        r"\b(dop_v1_[a-f0-9]{64})\b",
        &["dop_v1_"],
    )
    .examples("dop_v1_{H64}", "dop_v2_{H64}"),
    spec(
        "digitalocean-access-token",
        "DigitalOcean OAuth access token",
        r"\b(doo_v1_[a-f0-9]{64})\b",
        &["doo_v1_"],
    )
    .examples("doo_v1_{H64}", "doo_v1_{H32}"),
    spec(
        "digitalocean-refresh-token",
        "DigitalOcean OAuth refresh token",
        r"\b(dor_v1_[a-f0-9]{64})\b",
        &["dor_v1_"],
    )
    .examples("dor_v1_{H64}", "dor_v1_{H60}"),
    spec(
        "netlify-access-token",
        "Netlify access token (`nfp_`/`nfc_`/`nfo_`/`nfu_`/`nfb_`, 40 characters in all; or next to `netlify`)",
        r#"\b(nf[pcoub]_[A-Za-z0-9]{36})\b|(?i)netlify[\w.-]{0,20}(?:token|key|secret|auth)[\w.-]{0,10}["']?\s*(?:[:=]|:=|=>)\s*["']?([A-Za-z0-9_-]{40,46})\b"#,
        &["nfp_", "nfc_", "nfo_", "nfu_", "nfb_", "netlify"],
    )
    .entropy(3.0)
    .examples("nfb_{A36}", "nfp_{A20}"),
    spec(
        "vercel-access-token",
        "Vercel access token (`vcp_`/`vci_`/`vca_`/`vcr_`/`vck_`, or next to `vercel`); Vercel documents the prefixes only, not the length or alphabet after them",
        r#"\b(vc[piark]_[A-Za-z0-9]{40,80})\b|(?i)vercel[\w.-]{0,20}(?:token|key|secret|auth)[\w.-]{0,10}["']?\s*(?:[:=]|:=|=>)\s*["']?([A-Za-z0-9]{24})\b"#,
        &["vcp_", "vci_", "vca_", "vcr_", "vck_", "vercel"],
    )
    .entropy(3.0)
    .examples("VERCEL_TOKEN={A24}", "VERCEL_ORG={A24}"),
    spec(
        "railway-api-token",
        "Railway API or project token (a UUID next to `railway`)",
        r#"(?i)railway[\w.-]{0,20}(?:token|key|secret)[\w.-]{0,10}["']?\s*(?:[:=]|:=|=>)\s*["']?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b"#,
        &["railway"],
    )
    .examples("RAILWAY_TOKEN={uuid}", "RAILWAY_PROJECT_ID={uuid}"),
    spec(
        "render-api-key",
        "Render API key",
        r"\b(rnd_[A-Za-z0-9]{32})\b",
        &["rnd_"],
    )
    .entropy(3.0)
    .examples("rnd_{A32}", "rnd_{A16}"),
    // ---- source hosting and CI ----
    spec(
        "github-pat",
        "GitHub personal access token (classic)",
        r"\b(ghp_[A-Za-z0-9]{36})\b",
        &["ghp_"],
    )
    .validate(&[Validator::GithubCrc32])
    .examples("token: ghp_{gh}", "token: ghp_{A36}"),
    spec(
        "github-oauth",
        "GitHub OAuth access token",
        r"\b(gho_[A-Za-z0-9]{36})\b",
        &["gho_"],
    )
    .validate(&[Validator::GithubCrc32])
    .examples("gho_{gh}", "gho_{A20}"),
    spec(
        "github-app-token",
        "GitHub App user-to-server or server-to-server token",
        r"\b((?:ghu|ghs)_[A-Za-z0-9]{36})\b",
        &["ghu_", "ghs_"],
    )
    .validate(&[Validator::GithubCrc32])
    .examples("ghs_{gh}", "ghx_{gh}"),
    spec(
        "github-refresh-token",
        "GitHub refresh token",
        r"\b(ghr_[A-Za-z0-9]{36})\b",
        &["ghr_"],
    )
    .validate(&[Validator::GithubCrc32])
    .examples("ghr_{gh}", "ghr_{A36}"),
    spec(
        "github-fine-grained-pat",
        "GitHub fine-grained personal access token",
        r"\b(github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})\b",
        &["github_pat_"],
    )
    .entropy(3.0)
    .examples("github_pat_{A22}_{A59}", "github_pat_{A22}_{A20}"),
    spec(
        "gitlab-pat",
        "GitLab personal, project or group access token",
        r"\b(glpat-[0-9A-Za-z_-]{20})(?:[^0-9A-Za-z_.-]|$)",
        &["glpat-"],
    )
    .entropy(3.0)
    .examples("glpat-{W20}", "glpxt-{W20}"),
    spec(
        "gitlab-pat-routable",
        "GitLab routable access token (`glpat-`, base64url payload, `.`, version, `.`, payload length and CRC32 in 2, 2 and 7 base36 digits)",
        r"\b(glpat-[0-9A-Za-z_-]{27,300}\.[0-9a-z]{2}\.[0-9a-z]{9})\b",
        &["glpat-"],
    )
    .validate(&[Validator::GitlabRoutable])
    .entropy(3.0)
    .examples("{glpat-routable}", "{glpat-routable-bad}"),
    spec(
        "gitlab-deploy-token",
        "GitLab deploy token",
        r"\b(gldt-[0-9A-Za-z_-]{20,})(?:[^0-9A-Za-z_-]|$)",
        &["gldt-"],
    )
    .entropy(3.0)
    .examples("gldt-{W20}", "gldt-{W10}"),
    spec(
        "gitlab-runner-authentication-token",
        "GitLab runner authentication token",
        r"\b(glrt-(?:t\d_)?[0-9A-Za-z_-]{20,})(?:[^0-9A-Za-z_-]|$)",
        &["glrt-"],
    )
    .entropy(3.0)
    .examples("glrt-t1_{W27}", "glrt-{W12}"),
    spec(
        "gitlab-rrt",
        "GitLab runner registration token",
        r"\b(GR1348941[0-9A-Za-z_-]{20})(?:[^0-9A-Za-z_-]|$)",
        &["gr1348941"],
    )
    .entropy(3.0)
    .examples("GR1348941{W20}", "GR1348942{W20}"),
    spec(
        "gitlab-ptt",
        "GitLab pipeline trigger token",
        r"\b(glptt-[0-9a-f]{40})\b",
        &["glptt-"],
    )
    .examples("glptt-{H40}", "glptt-{H20}"),
    spec(
        "gitlab-cicd-job-token",
        "GitLab CI/CD job token",
        r"\b(glcbt-(?:[0-9a-zA-Z]{1,5}_)?[0-9A-Za-z_-]{20,})(?:[^0-9A-Za-z_-]|$)",
        &["glcbt-"],
    )
    .entropy(3.0)
    .examples("glcbt-64_{W20}", "glcbt-{W10}"),
    spec(
        "gitlab-feed-token",
        "GitLab feed token",
        r"\b(glft-[0-9A-Za-z_-]{20,})(?:[^0-9A-Za-z_-]|$)",
        &["glft-"],
    )
    .entropy(3.0)
    .examples("glft-{W20}", "glft-{W12}"),
    spec(
        "gitlab-incoming-mail-token",
        "GitLab incoming mail token",
        r"\b(glimt-[0-9A-Za-z_-]{25})(?:[^0-9A-Za-z_-]|$)",
        &["glimt-"],
    )
    .entropy(3.0)
    .examples("glimt-{W25}", "glimt-{W12}"),
    spec(
        "gitlab-kubernetes-agent-token",
        "GitLab agent for Kubernetes token",
        r"\b(glagent-[0-9A-Za-z_-]{50,})(?:[^0-9A-Za-z_-]|$)",
        &["glagent-"],
    )
    .entropy(3.0)
    .examples("glagent-{W50}", "glagent-{W20}"),
    spec(
        "gitlab-scim-token",
        "GitLab SCIM token",
        r"\b(glsoat-[0-9A-Za-z_-]{20,})(?:[^0-9A-Za-z_-]|$)",
        &["glsoat-"],
    )
    .entropy(3.0)
    .examples("glsoat-{W20}", "glsoat-{W10}"),
    spec(
        "gitlab-oauth-app-secret",
        "GitLab OAuth application secret",
        r"\b(gloas-[0-9A-Za-z_-]{64})(?:[^0-9A-Za-z_-]|$)",
        &["gloas-"],
    )
    .entropy(3.0)
    .examples("gloas-{W64}", "gloas-{W30}"),
    spec(
        "gitlab-feature-flag-client-token",
        "GitLab feature flags client token",
        r"\b(glffct-[0-9A-Za-z_-]{20,})(?:[^0-9A-Za-z_-]|$)",
        &["glffct-"],
    )
    .entropy(3.0)
    .examples("glffct-{W20}", "glffct-{W10}"),
    spec(
        "npm-access-token",
        "npm access token",
        r"\b(npm_[A-Za-z0-9]{36})\b",
        &["npm_"],
    )
    .validate(&[Validator::GithubCrc32])
    .examples("//registry.npmjs.org/:_authToken=npm_{gh}", "npm_{A35}"),
    spec(
        "pypi-upload-token",
        "PyPI upload token",
        r"\b(pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,})",
        &["pypi-ageichlwas5vcmc"],
    )
    .entropy(3.5)
    .binary_body()
    .examples("pypi-AgEIcHlwaS5vcmc{W70}", "pypi-AgEIcHlwaS5vcmX{W70}"),
    // ---- secrets managers ----
    spec(
        "vault-service-token",
        "HashiCorp Vault service token (`hvs.`)",
        r"\b(hvs\.[\w-]{90,120})(?:[^\w-]|$)",
        &["hvs."],
    )
    .entropy(3.5)
    .examples("VAULT_TOKEN=hvs.{A94}", "hvs.{A20}"),
    spec(
        "vault-legacy-service-token",
        "HashiCorp Vault legacy service token (`s.` + 24, next to `vault`)",
        r#"(?i)vault[\w.-]{0,20}["']?\s*(?:[:=]|:=|=>)\s*["']?(s\.[A-Za-z0-9]{24})\b"#,
        &["vault"],
    )
    .entropy(3.5)
    .examples("VAULT_TOKEN=s.{A24}", "VAULT_ADDR=s.{A10}"),
    spec(
        "vault-batch-token",
        "HashiCorp Vault batch token (`hvb.`)",
        r"\b(hvb\.[\w-]{138,300})(?:[^\w-]|$)",
        &["hvb."],
    )
    .entropy(3.5)
    .examples("hvb.{A150}", "hvb.{A40}"),
    spec(
        "vault-recovery-token",
        "HashiCorp Vault recovery token (`hvr.`)",
        r"\b(hvr\.[\w-]{90,120})(?:[^\w-]|$)",
        &["hvr."],
    )
    .entropy(3.5)
    .examples("hvr.{A94}", "hvr.{A30}"),
    spec(
        "vault-unseal-key",
        "HashiCorp Vault unseal key share (base64 of 33 bytes, next to `unseal`)",
        r#"(?i)unseal[\w .-]{0,20}["']?\s*(?:[:=]|:=|=>)\s*["']?([A-Za-z0-9+/]{44})(?:[^A-Za-z0-9+/=]|$)"#,
        &["unseal"],
    )
    .validate(&[Validator::Base64Bytes(33)])
    .entropy(3.5)
    .binary_body()
    .examples("Unseal Key 1: {b64:33}", "Unseal Key 1: {b64:32}"),
    spec(
        "doppler-api-token",
        "Doppler token (personal, service, service account, CLI, SCIM, audit)",
        r"\b(dp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9_]{40,44})\b",
        &["dp.pt.", "dp.st.", "dp.sa.", "dp.ct.", "dp.scim.", "dp.audit."],
    )
    .entropy(3.0)
    .examples("dp.st.{A43}", "dp.zz.{A43}"),
    spec(
        "infisical-token",
        "Infisical service token (`st.` and three more dot-separated parts, the last a hex key; the id (a UUID or 24 hex digits) and the hex lengths are as observed, not documented)",
        r"\b(st\.(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{24})\.[0-9a-f]{32,64}\.[0-9a-f]{32,64})\b",
        &["st."],
    )
    .examples("st.{uuid}.{H32}.{H32}", "st.{uuid}.{H32}"),
    spec(
        "1password-service-account-token",
        "1Password service-account token (`ops_` + base64 JSON)",
        r"\b(ops_eyJ[A-Za-z0-9+/=_-]{100,})",
        &["ops_eyj"],
    )
    .validate(&[Validator::JsonPayload { skip: 4, key: "" }])
    .binary_body()
    .examples("OP_SERVICE_ACCOUNT_TOKEN=ops_{op-payload}", "ops_eyJ{W120}"),
    spec(
        "1password-secret-key",
        "1Password account secret key",
        r"\b(A3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5})\b",
        &["a3-"],
    )
    .entropy(3.0)
    .examples("A3-{U6}-{U11}-{U5}-{U5}-{U5}", "A3-{U6}-{U5}-{U5}"),
    spec(
        "age-secret-key",
        "age secret key (identity)",
        r"\b(AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58})\b",
        &["age-secret-key-1"],
    )
    .validate(&[Validator::Bech32])
    .examples("AGE-SECRET-KEY-1{age}", "AGE-SECRET-KEY-1{age-bad}"),
    // ---- chat, mail, payments, monitoring ----
    spec(
        "slack-bot-token",
        "Slack bot token",
        r"\b(xoxb-[0-9]{10,13}-[0-9]{10,13}-[A-Za-z0-9]{24,34})\b",
        &["xoxb-"],
    )
    .examples("https://slack.com/api/chat.postMessage?token=xoxb-{D10}-{D13}-{A24}", "xoxb-0000000000-0000000000000-{A24}"),
    spec(
        "slack-legacy-bot-token",
        "Slack legacy bot token",
        r"\b(xoxb-[0-9]{8,14}-[A-Za-z0-9]{18,26})\b",
        &["xoxb-"],
    )
    .examples("xoxb-{D12}-{A24}", "xoxb-{D12}-{A10}"),
    spec(
        "slack-user-token",
        "Slack user token (`xoxp-`, `xoxe.xoxp-`)",
        r"\b((?:xoxe\.)?xoxp-[0-9]{1,13}-[0-9]{10,13}-[0-9]{10,13}-[A-Za-z0-9]{28,34})\b",
        &["xoxp-"],
    )
    .examples("SLACK_TOKEN=xoxp-{D10}-{D12}-{D13}-{H32}", "xoxp-{D10}-{D12}"),
    spec(
        "slack-config-access-token",
        "Slack configuration access token (`xoxe.xoxb-`/`xoxe.xoxp-` + long)",
        r"\b(xoxe\.xox[bp]-\d-[A-Za-z0-9]{100,200})\b",
        &["xoxe.xox"],
    )
    .examples("xoxe.xoxp-1-{U163}", "xoxe.xoxp-1-{U40}"),
    spec(
        "slack-config-refresh-token",
        "Slack configuration refresh token (`xoxe-1-`)",
        r"\b(xoxe-\d-[A-Za-z0-9]{100,200})\b",
        &["xoxe-"],
    )
    .examples("xoxe-1-{U146}", "xoxe-1-{U40}"),
    spec(
        "slack-app-token",
        "Slack app-level token (`xapp-`)",
        r"\b(xapp-\d-[A-Z0-9]{9,12}-\d{10,15}-[a-f0-9]{32,64})\b",
        &["xapp-"],
    )
    .examples("xapp-1-{U11}-{D13}-{H64}", "xapp-1-{U11}-{D13}"),
    spec(
        "slack-legacy-token",
        "Slack legacy token (`xoxs-`, `xoxo-`)",
        r"\b(xox[os]-\d{3,15}-\d{3,15}-\d{3,15}-[a-fA-F0-9]{12,64})\b",
        &["xoxs-", "xoxo-"],
    )
    .examples("xoxs-{D10}-{D10}-{D12}-{H64}", "xoxs-{D10}-{D10}"),
    spec(
        "slack-legacy-workspace-token",
        "Slack legacy workspace or refresh token (`xoxa-`, `xoxr-`)",
        r"\b(xox[ar]-(?:\d-)?[0-9a-zA-Z]{8,48})\b",
        &["xoxa-", "xoxr-"],
    )
    .entropy(3.0)
    .examples("xoxa-2-{A40}", "xoxa-2-{A4}"),
    spec(
        "slack-webhook-url",
        "Slack incoming webhook URL (`https://` or `http://`)",
        r"((?:https?://)?hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/]{40,100})",
        &["hooks.slack.com"],
    )
    .allow(&[r"X{8}", r"(?i)/T0+/B0+/"])
    .examples(
        "http://hooks.slack.com/services/T{U10}/B{U10}/{A24}",
        "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
    ),
    spec(
        "discord-bot-token",
        "Discord bot token (next to `discord` or `Bot`)",
        r#"(?i:discord[\w.-]{0,20}(?:token|key|secret|auth)?[\w.-]{0,10}["']?\s*(?:[:=]|:=|=>)\s*["']?|\bBot\s+)([MNO][A-Za-z0-9_-]{23,25}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,38})(?:[^A-Za-z0-9_-]|$)"#,
        &["discord", "bot "],
    )
    .validate(&[Validator::DiscordId])
    .examples("DISCORD_TOKEN={discord-id}.{W6}.{W38}", "DISCORD_TOKEN=M{W23}.{W6}.{W38}"),
    spec(
        "telegram-bot-api-token",
        "Telegram bot token",
        r"\b(\d{8,10}:AA[0-9A-Za-z_-]{33})(?:[^0-9A-Za-z_-]|$)",
        &[":aa"],
    )
    .examples("{D10}:AA{W33}", "{D10}:BB{W33}"),
    spec(
        "sendgrid-api-token",
        "SendGrid API key",
        r"\b(SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43})(?:[^A-Za-z0-9_-]|$)",
        // No keyword: "sg." is in every `msg.`; the regex searches for its literal itself.
        &[],
    )
    .entropy(3.5)
    .examples("SG.{W22}.{W43}", "SX.{W22}.{W43}"),
    spec(
        "mailgun-private-api-token",
        "Mailgun private API key (`key-` + 32 hex, or the newer form next to `mailgun`)",
        r#"\b(key-[a-f0-9]{32})\b|(?i)mailgun[\w.-]{0,20}(?:key|token|secret)[\w.-]{0,10}["']?\s*(?:[:=]|:=|=>)\s*["']?([a-f0-9]{32}-[a-f0-9]{8}-[a-f0-9]{8})\b"#,
        &["key-", "mailgun"],
    )
    .entropy(3.0)
    .examples("MAILGUN_API_KEY={H32}-{H8}-{H8}", "key-{H20}"),
    spec(
        "mailchimp-api-key",
        "Mailchimp API key (32 hex + data center)",
        r"\b([a-f0-9]{32}-us\d{1,2})\b",
        &["-us"],
    )
    .entropy(3.0)
    .examples("{H32}-us21", "{H32}-eu21"),
    spec(
        "postmark-server-token",
        "Postmark server or account token (a UUID next to `postmark`)",
        r#"(?i)postmark[\w.-]{0,20}(?:token|key|secret)[\w.-]{0,10}["']?\s*(?:[:=]|:=|=>)\s*["']?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b"#,
        &["postmark"],
    )
    .examples("POSTMARK_SERVER_TOKEN={uuid}", "POSTMARK_MESSAGE_ID={uuid}"),
    spec(
        "resend-api-key",
        "Resend API key (`re_`; Resend documents the prefix only, the `<8>_<24>` body is as observed)",
        r"\b(re_[A-Za-z0-9]{8,10}_[A-Za-z0-9]{20,30})\b",
        &["re_"],
    )
    .entropy(3.0)
    .examples("re_{A8}_{A24}", "re_{A8}"),
    spec(
        "stripe-access-token",
        "Stripe secret or restricted API key, long or short (not the publishable `pk_`)",
        r"\b((?:sk|rk)_(?:live|test|prod)_[0-9A-Za-z]{16,247})\b",
        &["sk_live_", "sk_test_", "sk_prod_", "rk_live_", "rk_test_", "rk_prod_"],
    )
    .entropy(3.0)
    .examples("sk_live_{A24}", "pk_live_{A24}"),
    spec(
        "stripe-webhook-secret",
        "Stripe webhook signing secret",
        r"\b(whsec_[A-Za-z0-9+/]{32,})",
        &["whsec_"],
    )
    .entropy(3.5)
    .examples("STRIPE_WEBHOOK_SECRET=whsec_{A32}", "whsec_{A12}"),
    spec(
        "twilio-api-key",
        "Twilio API key SID",
        r"\b(SK[0-9a-f]{32})\b",
        // No keyword: "sk" is in every other word; the regex's own literal search is faster.
        &[],
    )
    .entropy(3.0)
    .examples("SK{H32}", "ZZ{H32}"),
    spec(
        "twilio-auth-token",
        "Twilio auth token (next to `twilio`, or beside an account SID)",
        r#"(?i:twilio[\w.-]{0,20}(?:token|secret|auth)[\w.-]{0,10}["']?\s*(?:[:=]|:=|=>)\s*["']?)([a-f0-9]{32})\b|\bAC[a-f0-9]{32}[:/|,\s"']{1,4}([a-f0-9]{32})\b"#,
        // The keyword is looked for in the whole file: an SID and token pair sits in a
        // file that names Twilio (its variables, its API host).
        &["twilio"],
    )
    .entropy(3.0)
    .examples("https://AC{H32}:{H32}@api.twilio.com/", "TWILIO_ACCOUNT_REGION={H32}"),
    spec(
        "sentry-org-token",
        "Sentry organization auth token (`sntrys_` + base64 JSON)",
        r"\b(sntrys_eyJ[A-Za-z0-9+/=]{30,}_[A-Za-z0-9+/]{43})",
        &["sntrys_"],
    )
    .validate(&[Validator::JsonPayload { skip: 7, key: "iat" }])
    .binary_body()
    .examples("SENTRY_AUTH_TOKEN=sntrys_{sentry-payload}_{B43}", "sntrys_eyJ{B60}_{B43}"),
    spec(
        "sentry-user-token",
        "Sentry user auth token (`sntryu_`)",
        r"\b(sntryu_[a-f0-9]{64})\b",
        &["sntryu_"],
    )
    .examples("sntryu_{H64}", "sntryu_{H32}"),
    spec(
        "sentry-access-token",
        "Sentry legacy auth token (64 hex next to `sentry`)",
        r#"(?i)sentry[\w.-]{0,20}(?:token|key|auth)[\w.-]{0,10}["']?\s*(?:[:=]|:=|=>)\s*["']?([a-f0-9]{64})\b"#,
        &["sentry"],
    )
    .entropy(3.0)
    .examples("SENTRY_AUTH_TOKEN={H64}", "SENTRY_RELEASE={H64}"),
    spec(
        "sentry-dsn-secret",
        "Sentry DSN with its (legacy) secret key",
        r"\bhttps?://[a-f0-9]{32}:([a-f0-9]{32})@[\w.-]*sentry[\w.-]*/\d+",
        &["sentry"],
    )
    .examples(
        "SENTRY_DSN=https://{H32}:{H32}@o{D6}.ingest.sentry.io/{D7}",
        "SENTRY_DSN=https://{H32}@o{D6}.ingest.sentry.io/{D7}",
    ),
    spec(
        "datadog-access-token",
        "Datadog API or application key (next to `datadog` or `dd_`)",
        r#"(?i)(?:datadog|\bdd)[\w.-]{0,20}(?:key|token)[\w.-]{0,10}["']?\s*(?:[:=]|:=|=>)\s*["']?([a-f0-9]{40}|[a-f0-9]{32})\b"#,
        &["datadog", "dd_", "dd-"],
    )
    .entropy(3.0)
    .examples("DD_API_KEY={H32}", "DD_SITE={H32}"),
    // ---- commerce and productivity ----
    spec(
        "shopify-access-token",
        "Shopify access token (`shpat_`)",
        r"\b(shpat_[a-fA-F0-9]{32})\b",
        &["shpat_"],
    )
    .examples("shpat_{H32}", "shpxx_{H32}"),
    spec(
        "shopify-custom-access-token",
        "Shopify custom app access token (`shpca_`)",
        r"\b(shpca_[a-fA-F0-9]{32})\b",
        &["shpca_"],
    )
    .examples("shpca_{H32}", "shpca_{H16}"),
    spec(
        "shopify-private-app-access-token",
        "Shopify private app access token (`shppa_`)",
        r"\b(shppa_[a-fA-F0-9]{32})\b",
        &["shppa_"],
    )
    .examples("shppa_{H32}", "shppa_{H16}"),
    spec(
        "shopify-shared-secret",
        "Shopify shared secret (`shpss_`)",
        r"\b(shpss_[a-fA-F0-9]{32})\b",
        &["shpss_"],
    )
    .examples("shpss_{H32}", "shpss_{H16}"),
    spec(
        "linear-api-key",
        "Linear API key or OAuth token",
        r"\b(lin_api_[A-Za-z0-9]{40}|lin_oauth_[a-f0-9]{64})\b",
        &["lin_api_", "lin_oauth_"],
    )
    .entropy(3.0)
    .examples("lin_api_{A40}", "lin_api_{A20}"),
    spec(
        "notion-api-token",
        "Notion integration token (`ntn_`, legacy `secret_`)",
        r"\b(ntn_[0-9]{11}[A-Za-z0-9]{35}|secret_[A-Za-z0-9]{43})\b",
        &["ntn_", "secret_"],
    )
    .entropy(3.5)
    .examples("ntn_{D11}{A35}", "ntn_{D11}"),
    // ---- data platforms ----
    spec(
        "planetscale-api-token",
        "PlanetScale service token",
        r"\b(pscale_tkn_[\w=.-]{32,64})\b",
        &["pscale_tkn_"],
    )
    .entropy(3.0)
    .examples("pscale_tkn_{W43}", "pscale_tkn_{W10}"),
    spec(
        "planetscale-oauth-token",
        "PlanetScale OAuth token",
        r"\b(pscale_oauth_[\w=.-]{32,64})\b",
        &["pscale_oauth_"],
    )
    .entropy(3.0)
    .examples("pscale_oauth_{W43}", "pscale_oauth_{W10}"),
    spec(
        "planetscale-password",
        "PlanetScale database password",
        r"\b(pscale_pw_[\w=.-]{32,64})\b",
        &["pscale_pw_"],
    )
    .entropy(3.0)
    .examples("pscale_pw_{W43}", "pscale_pw_{W10}"),
    spec(
        "neon-api-key",
        "Neon API key",
        r"\b(napi_[a-z0-9]{64})\b",
        &["napi_"],
    )
    .entropy(3.0)
    .examples("napi_{a64}", "napi_{a30}"),
    spec(
        "turso-auth-token",
        "Turso database or platform token (a JWT next to `turso`)",
        r#"(?i)turso[\w.-]{0,20}(?:token|key|auth)[\w.-]{0,10}["']?\s*(?:[:=]|:=|=>)\s*["']?(eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{10,})"#,
        &["turso"],
    )
    .validate(&[Validator::JwtHeader])
    .binary_body()
    .examples("TURSO_AUTH_TOKEN={jwt}", "TURSO_DATABASE_URL={jwt}"),
    spec(
        "upstash-redis-token",
        "Upstash Redis REST token (next to `upstash…token`; Upstash documents no format, so any 30 or more base64url characters)",
        r#"(?i)upstash[\w.-]{0,25}token[\w.-]{0,10}["']?\s*(?:[:=]|:=|=>)\s*["']?([A-Za-z0-9_-]{30,200}={0,2})(?:[^A-Za-z0-9_=-]|$)"#,
        &["upstash"],
    )
    .entropy(3.5)
    .examples("UPSTASH_REDIS_REST_TOKEN={a33}", "UPSTASH_REDIS_REST_URL=A{A60}"),
    spec(
        "pinecone-api-key",
        "Pinecone API key",
        r"\b(pcsk_[A-Za-z0-9]{4,8}_[A-Za-z0-9]{50,80})\b",
        &["pcsk_"],
    )
    .entropy(3.0)
    .examples("pcsk_{A6}_{A64}", "pcsk_{A6}_{A20}"),
    spec(
        "database-url-password",
        "Database URL with a password",
        r#"(?i)\b(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql|sqlserver|clickhouse|cockroachdb|libsql)://[^:/\s@'"]+:([^@\s/'"]{3,})@[^\s'"]+"#,
        // No keyword: "://" is in every doc comment with a link; the regex's literal
        // alternation of schemes is a faster filter.
        &[],
    )
    .allow(DATABASE_PLACEHOLDERS)
    .examples(
        "DATABASE_URL=postgres://app:{A16}@db.internal:5432/app",
        "DATABASE_URL=postgres://app:postgres@localhost:5432/app",
    ),
    // ---- AI providers ----
    spec(
        "openai-api-key",
        "OpenAI API key",
        r"\b(sk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{58,}|[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}))(?:[^A-Za-z0-9_-]|$)",
        &["sk-proj-", "sk-svcacct-", "sk-admin-", "t3blbkfj"],
    )
    .entropy(3.5)
    .examples("sk-proj-{W100}", "sk-proj-{W30}"),
    spec(
        "anthropic-api-key",
        "Anthropic API key",
        r"\b(sk-ant-(?:api|oat)\d{2}-[A-Za-z0-9_-]{80,120}AA)(?:[^A-Za-z0-9_-]|$)",
        &["sk-ant-"],
    )
    .examples("sk-ant-api03-{W93}AA", "sk-xnt-api03-{W93}AA"),
    spec(
        "anthropic-admin-api-key",
        "Anthropic admin API key",
        r"\b(sk-ant-admin\d{2}-[A-Za-z0-9_-]{80,120}AA)(?:[^A-Za-z0-9_-]|$)",
        &["sk-ant-"],
    )
    .examples("sk-ant-admin01-{W93}AA", "sk-ant-admin01-{W20}AA"),
    spec(
        "huggingface-access-token",
        "Hugging Face access token",
        r"\b(hf_[a-zA-Z]{34})\b",
        &["hf_"],
    )
    .entropy(3.0)
    .examples("hf_{M34}", "hf_{M20}"),
    spec(
        "huggingface-organization-api-token",
        "Hugging Face organization API token",
        r"\b(api_org_[a-zA-Z]{34})\b",
        &["api_org_"],
    )
    .entropy(3.0)
    .examples("api_org_{M34}", "api_org_{M20}"),
    spec(
        "replicate-api-token",
        "Replicate API token",
        r"\b(r8_[A-Za-z0-9]{37})\b",
        &["r8_"],
    )
    .entropy(3.0)
    .examples("r8_{A37}", "r8_{A20}"),
    spec(
        "groq-api-key",
        "Groq API key",
        r"\b(gsk_[A-Za-z0-9]{52})\b",
        &["gsk_"],
    )
    .entropy(3.0)
    .examples("gsk_{A52}", "gsk_{A30}"),
    spec(
        "mistral-api-key",
        "Mistral AI API key (next to `mistral`)",
        r#"(?i)mistral[\w.-]{0,20}(?:key|token|secret)[\w.-]{0,10}["']?\s*(?:[:=]|:=|=>)\s*["']?([A-Za-z0-9]{32})\b"#,
        &["mistral"],
    )
    .entropy(3.0)
    .examples("MISTRAL_API_KEY={A32}", "MISTRAL_MODEL={A32}"),
    spec(
        "cohere-api-token",
        "Cohere API key (next to `cohere`/`co_api_key`)",
        r#"(?i)(?:cohere|\bco_api)[\w.-]{0,20}(?:key|token|secret)?[\w.-]{0,10}["']?\s*(?:[:=]|:=|=>)\s*["']?([A-Za-z0-9]{40})\b"#,
        &["cohere", "co_api"],
    )
    .entropy(3.0)
    .examples("COHERE_API_KEY={A40}", "COHERENT_MODEL={A20}"),
    spec(
        "xai-api-key",
        "xAI API key",
        r"\b(xai-[A-Za-z0-9]{80})\b",
        &["xai-"],
    )
    .entropy(3.0)
    .examples("xai-{A80}", "xai-{A40}"),
    spec(
        "perplexity-api-key",
        "Perplexity API key",
        r"\b(pplx-[A-Za-z0-9]{48})\b",
        &["pplx-"],
    )
    .entropy(3.0)
    .examples("pplx-{A48}", "pplx-{A20}"),
    // ---- keys and tokens of no one vendor ----
    spec(
        "jwt",
        "JSON Web Token",
        r"\b(eyJ[A-Za-z0-9_-]{10,}={0,2}\.eyJ[A-Za-z0-9_-]{2,}={0,2}\.[A-Za-z0-9_-]{10,}={0,2})",
        &["eyj"],
    )
    .validate(&[Validator::JwtHeader])
    .binary_body()
    .examples("{jwt}", "eyJ{W20}.eyJ{W20}.{W43}"),
    spec(
        "private-key",
        "Private key (PEM block)",
        // The body: optional `Name: value` headers (encrypted PEM), then base64, also as an
        // escaped string (`\n`, quotes); code that builds a PEM string does not match.
        r#"(-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----(?:\s*[A-Za-z-]+:[^\n]*)*[A-Za-z0-9+/=\s\\",']{64,}?-----END[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----)"#,
        &["-----begin"],
    )
    .entropy(4.0)
    .binary_body()
    .examples(
        "-----BEGIN RSA PRIVATE KEY-----\n{pem}\n-----END RSA PRIVATE KEY-----",
        "-----BEGIN PUBLIC KEY-----\n{pem}\n-----END PUBLIC KEY-----",
    ),
    spec(
        "generic-api-key",
        "Generic secret assignment (password, secret, token, api key), of any length",
        concat!(
            r#"(?i)(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|auth[_-]?key|client[_-]?secret|private[_-]?key)[\w.-]{0,20}["']?\s*(?:[:=]|:=|=>|==)\s*["'`]([A-Za-z0-9+/=_.~!@#$%^&*-]{10,})["'`]"#,
            // dotenv and YAML style, unquoted: `export API_TOKEN=…`, `  db_password: …`
            r#"|(?im)^[ \t]*(?:export[ \t]+)?[A-Z0-9_]*(?:PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|AUTH_?KEY)[A-Z0-9_]*[ \t]*[=:][ \t]*([A-Za-z0-9+/=_.~!@#$%^&*-]{10,})[ \t]*$"#,
        ),
        &["password", "passwd", "pwd", "secret", "token", "api_key", "api-key", "apikey", "access_key", "auth_key", "private_key"],
    )
    .entropy(3.5)
    .validate(&[Validator::NotPlaceholder])
    .stopwords(PLACEHOLDER_WORDS)
    .examples("export SESSION_TOKEN={A187}", "password = \"aaaaaaaaaaaaaaaa\""),
];
/// Paths skipped by the default global allow-list: lock files (integrity hashes) and
/// minified or vendored bundles.
const ALLOWED_PATHS: &[&str] = &[
    r"(?:^|/)(?:package-lock\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.yaml|bun\.lockb|Cargo\.lock|go\.sum|poetry\.lock|Pipfile\.lock|composer\.lock|Gemfile\.lock|uv\.lock|flake\.lock)$",
    r"(?:^|/)\.gitleaksignore$",
];

/// Secrets allowed everywhere: CI secret references, env lookups, lock-file integrity
/// hashes and published sample keys.
const ALLOWED_SECRETS: &[&str] = &[
    r"^\$\{\{\s*secrets\.",
    r"^(?:process\.env|import\.meta\.env|os\.environ|env)\b",
    r"^sha(?:1|256|384|512)-",
    // The sample key of Firebase's documentation and its variants: public on purpose.
    r"^AIzaSyDOCAbC123dEf456GhI789jKl0",
];

/// Bulwark's own sync state (`<store>.state.json`, committed on purpose) holds keyed
/// digests: 64 hex characters that no one can turn back into a value.
const SYNC_STATE_PATH: &str = r"(?:^|/)[^/]+\.state\.json$";
const SYNC_STATE_DIGEST: &str = r"^[0-9a-f]{64}$";

impl Rules {
    /// Bulwark's built-in rules (see `docs/leak-scan.md` for the list), written from the
    /// public token formats, with the default allow-list for placeholders, documented
    /// example keys and lock files.
    #[must_use]
    pub fn default_rules() -> Self {
        // The patterns are constants covered by tests, so a failure to compile is a bug,
        // not an input error.
        let rules = SPECS.iter().map(build).collect::<Vec<_>>();
        Self::new(
            rules,
            vec![
                default_allowlist(),
                default_secret_allowlist(),
                sync_state_allowlist(),
            ],
        )
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

/// The keyed digests in Bulwark's sync state files: allowed when both the path and the
/// secret's shape say so.
fn sync_state_allowlist() -> Allowlist {
    Allowlist {
        description: "Bulwark's sync state: keyed digests".to_owned(),
        require_all: true,
        paths: vec![
            compile(SYNC_STATE_PATH, "default allowlist").expect("state path regex compiles"),
        ],
        regexes: vec![
            compile(SYNC_STATE_DIGEST, "default allowlist").expect("digest regex compiles"),
        ],
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
    if spec.filler {
        rule.validators.push(Validator::NotFiller);
    }
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

/// Each built-in rule's id with a text it finds and one it must not, as templates
/// ([`EXAMPLE_LEGEND`] says how to read them).
#[must_use]
pub fn default_rule_examples() -> Vec<(&'static str, &'static str, &'static str)> {
    SPECS
        .iter()
        .map(|spec| (spec.id, spec.positive, spec.negative))
        .collect()
}

/// What a rule checks besides its regex, in words.
fn validation(spec: &Spec) -> String {
    let mut checks: Vec<String> = Vec::new();
    for validator in spec.validators {
        checks.push(
            match validator {
                Validator::GithubCrc32 => "CRC32 checksum (last 6 base62 digits)",
                Validator::Bech32 => "bech32 checksum",
                Validator::JwtHeader => "header decodes to JSON with `alg`",
                Validator::NotPlaceholder => "not an identifier, reference or placeholder",
                Validator::NotFiller => "not filler",
                Validator::Base64Bytes(_) => "decodes to the key's exact length",
                Validator::JsonPayload { .. } => "payload decodes to a JSON object",
                Validator::JwtClaim(..) => "a JWT with that claim",
                Validator::DiscordId => "first part decodes to a numeric user id",
                Validator::GitlabRoutable => "CRC32 checksum and payload length (base36)",
            }
            .to_owned(),
        );
    }
    if let Some(minimum) = spec.entropy {
        checks.push(format!("entropy ≥ {minimum}"));
    }
    if spec.filler {
        checks.push("no filler".to_owned());
    }
    if !spec.allow.is_empty() {
        checks.push("documented sample values allowed".to_owned());
    }
    if !spec.stopwords.is_empty() {
        checks.push("placeholder words allowed".to_owned());
    }
    checks.join("; ")
}

/// The rules table of `docs/leak-scan.md`, generated from the rules themselves (a test
/// checks that the page holds exactly this).
#[must_use]
pub fn default_rules_table() -> String {
    let code = |text: &str| {
        if text.is_empty() {
            String::new()
        } else {
            format!("`{}`", text.replace('\n', "⏎").replace('|', "\\|"))
        }
    };
    let mut table = String::from(
        "| Rule id | Finds | Keywords | Validation | Found | Not found |\n|---|---|---|---|---|---|\n",
    );
    for spec in SPECS {
        let keywords = if spec.keywords.is_empty() {
            "(regex literal)".to_owned()
        } else {
            spec.keywords
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let _ = writeln!(
            table,
            "| `{}` | {} | {} | {} | {} | {} |",
            spec.id,
            spec.description.replace('|', "\\|"),
            keywords,
            validation(spec),
            code(spec.positive),
            code(spec.negative),
        );
    }
    table.push_str("\nIn the examples, ");
    let legend: Vec<String> = EXAMPLE_LEGEND
        .iter()
        .map(|(piece, meaning)| {
            if piece.starts_with('{') {
                format!("`{piece}` is {meaning}")
            } else {
                format!("`{{{piece}n}}` is n {meaning}")
            }
        })
        .collect();
    table.push_str(&legend.join(", "));
    table.push_str(", and `⏎` a line break.\n");
    table
}

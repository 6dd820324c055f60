//! Checks of one wrangler config that need no target and no other worker: no secret in
//! `vars`, every non-inherited binding repeated in each deployed environment, no
//! placeholder ids. secrets-verify and deploy-lint both call these.

use std::collections::BTreeSet;

use bulwark_config::{Location, WranglerConfig};
use bulwark_scan::Rules;
use serde::Serialize;
use serde_json::Value;

/// Keys a wrangler environment does not inherit from the top level, as wrangler 4.86.0
/// declares them (its config validation calls each `notInheritable`).
pub const NON_INHERITABLE_KEYS: [&str; 38] = [
    "ai",
    "ai_search",
    "ai_search_namespaces",
    "analytics_engine_datasets",
    "artifacts",
    "browser",
    "cloudchamber",
    "containers",
    "d1_databases",
    "define",
    "dispatch_namespaces",
    "durable_objects",
    "flagship",
    "hyperdrive",
    "images",
    "kv_namespaces",
    "media",
    "mtls_certificates",
    "pipelines",
    "queues",
    "r2_buckets",
    "ratelimits",
    "secrets",
    "secrets_store_secrets",
    "send_email",
    "services",
    "stream",
    "streaming_tail_consumers",
    "tail_consumers",
    "unsafe",
    "unsafe_hello_world",
    "vars",
    "vectorize",
    "version_metadata",
    "vpc_networks",
    "vpc_services",
    "worker_loaders",
    "workflows",
];

/// How bad a lint is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Fails the check (exit 1).
    Error,
}

/// One problem found in a config file, with its place.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Lint {
    /// Stable id: `secret-in-vars`, `binding-not-inherited`, `placeholder-binding-id`.
    pub rule: &'static str,
    /// How bad.
    pub severity: Severity,
    /// The file.
    pub file: String,
    /// 1-based line, 0 when unknown.
    pub line: u32,
    /// 1-based column, 0 when unknown.
    pub column: u32,
    /// What is wrong (names only, never a value).
    pub message: String,
    /// What to do.
    pub hint: String,
}

impl Lint {
    /// An error at `location` of `config`.
    #[must_use]
    pub fn new(
        rule: &'static str,
        config: &WranglerConfig,
        location: Location,
        message: String,
        hint: String,
    ) -> Self {
        Self {
            rule,
            severity: Severity::Error,
            file: bulwark_core::display_path(config.path()),
            line: location.line,
            column: location.column,
            message,
            hint,
        }
    }
}

/// Whether a variable name says it holds a secret (`*_TOKEN`, `*_SECRET`, `*_KEY`,
/// `*PASSWORD*`, …). Names that say they are public (`*_PUBLISHABLE_KEY`,
/// `*_PUBLIC_KEY`) do not.
#[must_use]
pub fn looks_like_secret_name(name: &str) -> bool {
    const SUFFIXES: [&str; 12] = [
        "_TOKEN",
        "_SECRET",
        "_KEY",
        "_PASSWORD",
        "_PASS",
        "_PWD",
        "_PASSPHRASE",
        "_CREDENTIALS",
        "_CREDENTIAL",
        "_SALT",
        "_DSN",
        "_AUTH",
    ];
    const PARTS: [&str; 7] = [
        "PASSWORD",
        "PASSWD",
        "SECRET",
        "PRIVATE_KEY",
        "CREDENTIAL",
        "APIKEY",
        "API_KEY",
    ];
    const WHOLE: [&str; 4] = ["TOKEN", "KEY", "PASSWORD", "SECRET"];
    let upper = name.to_ascii_uppercase();
    if upper.contains("PUBLIC") || upper.contains("PUBLISHABLE") {
        return false;
    }
    SUFFIXES.iter().any(|suffix| upper.ends_with(suffix))
        || PARTS.iter().any(|part| upper.contains(part))
        || WHOLE.contains(&upper.as_str())
}

/// Every `vars` entry, at the top level and in each environment, whose name looks like a
/// secret or whose value a leak-scan rule matches.
#[must_use]
pub fn secrets_in_vars(config: &WranglerConfig, rules: &Rules) -> Vec<Lint> {
    let mut lints = Vec::new();
    let tables = std::iter::once((None, &config.top)).chain(
        config
            .envs
            .iter()
            .map(|(name, env)| (Some(name.as_str()), env)),
    );
    for (env_name, env) in tables {
        let table_name = env_name.map_or_else(|| "vars".to_owned(), |e| format!("env.{e}.vars"));
        let env_flag = env_name.map(|e| format!(" --env {e}")).unwrap_or_default();
        for (name, value) in &env.vars {
            let text = value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_owned);
            let rule_ids = rules.matching_rule_ids(&text);
            let reason = if let Some(rule) = rule_ids.first() {
                format!("its value matches the leak-scan rule `{rule}`")
            } else if looks_like_secret_name(name) {
                "its name says it is a secret".to_owned()
            } else {
                continue;
            };
            lints.push(Lint::new(
                "secret-in-vars",
                config,
                config.location(&format!("{}/{name}", env.pointer_to("vars"))),
                format!("`{name}` in `{table_name}` looks like a secret ({reason}); vars are deployed and shown in plain text"),
                format!("remove it from `{table_name}` and run `wrangler secret put {name}{env_flag}`"),
            ));
        }
    }
    lints
}

/// Each non-inheritable key set at the top level but missing from `env.NAME`, and each
/// top-level `vars` name missing from the environment's `vars`.
#[must_use]
pub fn binding_parity(config: &WranglerConfig, env_name: &str) -> Vec<Lint> {
    let Some(env) = config.envs.get(env_name) else {
        return Vec::new();
    };
    let mut lints = Vec::new();
    let env_location = config.location(&env.pointer);
    for key in NON_INHERITABLE_KEYS {
        if config.top.keys.contains(key) && !env.keys.contains(key) {
            lints.push(Lint::new(
                "binding-not-inherited",
                config,
                env_location,
                format!("`{key}` is set at the top level but not in `env.{env_name}`; environments do not inherit it, so the `{env_name}` worker deploys without it"),
                format!("repeat `{key}` inside `env.{env_name}` with the {env_name} resources"),
            ));
        }
    }
    for key in BINDING_ARRAY_KEYS {
        if !env.keys.contains(key) {
            continue;
        }
        let env_names = binding_names(config, &env.pointer_to(key));
        for name in binding_names(config, &config.top.pointer_to(key)) {
            if !env_names.contains(&name) {
                lints.push(Lint::new(
                    "binding-not-inherited",
                    config,
                    config.location(&env.pointer_to(key)),
                    format!("the `{key}` binding `{name}` is set at the top level but not in `env.{env_name}.{key}`; bindings are not inherited"),
                    format!("add a `{key}` entry with `\"binding\": \"{name}\"` to `env.{env_name}`"),
                ));
            }
        }
    }
    if env.keys.contains("define") {
        let pointer = env.pointer_to("define");
        let present = object_keys(config, &pointer);
        for name in object_keys(config, &config.top.pointer_to("define")) {
            if !present.contains(&name) {
                lints.push(Lint::new(
                    "binding-not-inherited",
                    config,
                    config.location(&pointer),
                    format!("`define.{name}` is set at the top level but not in `env.{env_name}.define`; define is not inherited"),
                    format!("add `{name}` to `env.{env_name}.define`"),
                ));
            }
        }
    }
    if env.keys.contains("vars") {
        let present: BTreeSet<&String> = env.vars.keys().collect();
        for name in config
            .top
            .vars
            .keys()
            .filter(|name| !present.contains(name))
        {
            lints.push(Lint::new(
                "binding-not-inherited",
                config,
                config.location(&env.pointer_to("vars")),
                format!("`vars.{name}` is set at the top level but not in `env.{env_name}.vars`; vars are not inherited"),
                format!("add `{name}` to `env.{env_name}.vars`"),
            ));
        }
    }
    lints
}

/// The keys whose entries wrangler checks binding by binding (its `validateBindingArray`):
/// a name at the top level but missing from an environment that sets the key is warned
/// about by name.
pub const BINDING_ARRAY_KEYS: [&str; 22] = [
    "ai_search",
    "ai_search_namespaces",
    "analytics_engine_datasets",
    "artifacts",
    "d1_databases",
    "dispatch_namespaces",
    "flagship",
    "hyperdrive",
    "kv_namespaces",
    "mtls_certificates",
    "pipelines",
    "r2_buckets",
    "ratelimits",
    "secrets_store_secrets",
    "send_email",
    "services",
    "unsafe_hello_world",
    "vectorize",
    "vpc_networks",
    "vpc_services",
    "worker_loaders",
    "workflows",
];

/// The `binding` names of the array at `pointer`.
fn binding_names(config: &WranglerConfig, pointer: &str) -> Vec<String> {
    config
        .document
        .pointer(pointer)
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|item| item.get("binding").and_then(Value::as_str))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// The keys of the table at `pointer`.
fn object_keys(config: &WranglerConfig, pointer: &str) -> Vec<String> {
    config
        .document
        .pointer(pointer)
        .and_then(Value::as_object)
        .map(|table| table.keys().cloned().collect())
        .unwrap_or_default()
}

/// Binding ids left as placeholders (all zeros, `<...>`, `your-…`, empty) at the top
/// level and in every environment.
#[must_use]
pub fn placeholder_ids(config: &WranglerConfig) -> Vec<Lint> {
    let mut lints = Vec::new();
    let tables = std::iter::once(&config.top).chain(config.envs.values());
    for env in tables {
        for key in NON_INHERITABLE_KEYS {
            let pointer = env.pointer_to(key);
            if let Some(value) = config.document.pointer(&pointer) {
                find_placeholder_ids(config, value, &pointer, &mut lints);
            }
        }
    }
    lints
}

fn find_placeholder_ids(
    config: &WranglerConfig,
    value: &Value,
    pointer: &str,
    lints: &mut Vec<Lint>,
) {
    match value {
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                find_placeholder_ids(config, item, &format!("{pointer}/{index}"), lints);
            }
        }
        Value::Object(fields) => {
            for (field, inner) in fields {
                let child = format!("{pointer}/{field}");
                let is_id = field == "id" || field.ends_with("_id");
                match inner.as_str() {
                    Some(text) if is_id && is_placeholder_id(text) => {
                        let path = child.trim_start_matches('/').replace('/', ".");
                        lints.push(Lint::new(
                            "placeholder-binding-id",
                            config,
                            config.location(&child),
                            format!("`{path}` is a placeholder id, not a real resource"),
                            "create the resource (e.g. `wrangler d1 create`, `wrangler kv namespace create`) and put its id here".to_owned(),
                        ));
                    }
                    _ => find_placeholder_ids(config, inner, &child, lints),
                }
            }
        }
        _ => {}
    }
}

/// All zeros (dashes allowed), `<…>`, `{{…}}`, `${…}`, `your-…`, `xxxx`, or empty.
#[must_use]
pub fn is_placeholder_id(id: &str) -> bool {
    let id = id.trim();
    let lower = id.to_ascii_lowercase();
    id.is_empty()
        || (id.contains('0') && id.chars().all(|c| c == '0' || c == '-'))
        || (id.starts_with('<') && id.ends_with('>'))
        || id.starts_with("{{")
        || id.starts_with("${")
        || lower.starts_with("your")
        || lower.contains("xxxx")
        || lower.contains("replace")
        || lower.contains("placeholder")
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn wrangler(text: &str) -> WranglerConfig {
        WranglerConfig::parse(Path::new("wrangler.jsonc"), text).expect("valid jsonc")
    }

    #[test]
    fn secret_names_are_recognised_and_public_ones_are_not() {
        for name in [
            "API_TOKEN",
            "STRIPE_SECRET_KEY",
            "DB_PASSWORD",
            "SESSION_SECRET",
            "SIGNING_KEY",
            "token",
            "SENTRY_DSN",
            "GOOGLE_APPLICATION_CREDENTIALS",
        ] {
            assert!(looks_like_secret_name(name), "{name}");
        }
        for name in [
            "LOG_LEVEL",
            "STRIPE_PUBLISHABLE_KEY",
            "VAPID_PUBLIC_KEY",
            "KEY_PREFIX",
            "TOKEN_TTL_SECONDS",
            "API_URL",
        ] {
            assert!(!looks_like_secret_name(name), "{name}");
        }
    }

    #[test]
    fn a_secret_named_var_is_an_error_with_its_line() {
        let config = wrangler(
            "{\n  \"vars\": { \"LOG_LEVEL\": \"info\" },\n  \"env\": { \"production\": {\n    \"vars\": {\n      \"STRIPE_SECRET_KEY\": \"not-a-real-value\"\n    }\n  } }\n}",
        );
        let lints = secrets_in_vars(&config, &Rules::default_rules());
        assert_eq!(lints.len(), 1, "{lints:?}");
        let lint = &lints[0];
        assert_eq!(
            (lint.rule, lint.line, lint.column),
            ("secret-in-vars", 5, 7)
        );
        assert!(
            lint.message
                .contains("`STRIPE_SECRET_KEY` in `env.production.vars`")
        );
        assert!(
            lint.hint
                .contains("wrangler secret put STRIPE_SECRET_KEY --env production")
        );
        assert!(
            !lint.message.contains("not-a-real-value") && !lint.hint.contains("not-a-real-value")
        );
    }

    #[test]
    fn a_var_whose_value_matches_a_rule_is_an_error_whatever_its_name() {
        // A Slack webhook URL shape, assembled so no literal token sits in the source.
        let value = format!(
            "https://hooks.slack.com/services/T{}/B{}/{}",
            "0A1B2C3D4", "5E6F7G8H9", "aBcDeFgHiJkLmNoPqRsTuVwX"
        );
        let text = format!("{{ \"vars\": {{ \"NOTIFY_URL\": \"{value}\" }} }}");
        let lints = secrets_in_vars(&wrangler(&text), &Rules::default_rules());
        assert_eq!(lints.len(), 1, "{lints:?}");
        assert!(
            lints[0].message.contains("matches the leak-scan rule"),
            "{}",
            lints[0].message
        );
        assert!(!lints[0].message.contains(&value));
        let clean = secrets_in_vars(
            &wrangler("{ \"vars\": { \"NOTIFY_URL\": \"https://example.com/hook\" } }"),
            &Rules::default_rules(),
        );
        assert!(clean.is_empty(), "{clean:?}");
    }

    #[test]
    fn non_inherited_bindings_missing_in_an_environment_are_errors() {
        let config = wrangler(
            "{\n  \"vars\": { \"A\": \"1\", \"B\": \"2\" },\n  \"kv_namespaces\": [{ \"binding\": \"C\", \"id\": \"5b1f8c2d\" }],\n  \"d1_databases\": [{ \"binding\": \"DB\", \"database_id\": \"7e6d5c4b\" }],\n  \"env\": {\n    \"production\": {\n      \"vars\": { \"A\": \"1\" },\n      \"d1_databases\": [{ \"binding\": \"DB\", \"database_id\": \"9a9a9a9a\" }]\n    }\n  }\n}",
        );
        let lints = binding_parity(&config, "production");
        let messages: Vec<_> = lints.iter().map(|l| (l.line, l.message.as_str())).collect();
        assert_eq!(lints.len(), 2, "{messages:?}");
        assert!(
            lints[0]
                .message
                .starts_with("`kv_namespaces` is set at the top level but not in `env.production`")
        );
        assert_eq!(lints[0].line, 6);
        assert!(
            lints[1]
                .message
                .starts_with("`vars.B` is set at the top level")
        );
        assert_eq!(lints[1].line, 7);
        assert!(
            binding_parity(&config, "staging").is_empty(),
            "no such environment"
        );
    }

    #[test]
    fn binding_and_define_names_missing_in_an_environment_are_errors_by_name() {
        let config = wrangler(
            "{\n  \"services\": [{ \"binding\": \"API_SERVICE\", \"service\": \"api\" }, { \"binding\": \"AUTH\", \"service\": \"auth\" }],\n  \"define\": { \"DEBUG\": \"true\", \"BUILD\": \"1\" },\n  \"env\": { \"production\": {\n    \"services\": [{ \"binding\": \"AUTH\", \"service\": \"auth-prod\" }],\n    \"define\": { \"BUILD\": \"2\" }\n  } }\n}",
        );
        let lints = binding_parity(&config, "production");
        let messages: Vec<_> = lints.iter().map(|l| (l.line, l.message.as_str())).collect();
        assert_eq!(lints.len(), 2, "{messages:?}");
        assert!(lints.iter().all(|l| l.rule == "binding-not-inherited"));
        assert!(
            messages[0]
                .1
                .starts_with("the `services` binding `API_SERVICE` is set at the top level"),
            "{messages:?}"
        );
        assert_eq!(messages[0].0, 5);
        assert!(
            messages[1]
                .1
                .starts_with("`define.DEBUG` is set at the top level"),
            "{messages:?}"
        );
        assert_eq!(messages[1].0, 6);
    }

    #[test]
    fn complete_environments_pass_parity() {
        let config = wrangler(include_str!("../../../examples/demo/wrangler.jsonc"));
        assert_eq!(binding_parity(&config, "production"), Vec::<Lint>::new());
        assert_eq!(placeholder_ids(&config), Vec::<Lint>::new());
        assert_eq!(
            secrets_in_vars(&config, &Rules::default_rules()),
            Vec::<Lint>::new()
        );
    }

    #[test]
    fn placeholder_ids_are_found() {
        for id in [
            "00000000-0000-0000-0000-000000000000",
            "<DATABASE_ID>",
            "",
            "your-kv-id",
            "xxxxxxxx",
            "${KV_ID}",
        ] {
            assert!(is_placeholder_id(id), "{id:?}");
        }
        for id in [
            "2a7c9e1b-4d3f-4a8b-9c0d-1e2f3a4b5c6d",
            "5b1f8c2d9e3a4b7c8d0e1f2a3b4c5d6e",
            "0a1b",
        ] {
            assert!(!is_placeholder_id(id), "{id:?}");
        }
        let config = wrangler(
            "{\n  \"kv_namespaces\": [\n    { \"binding\": \"C\", \"id\": \"<KV_ID>\", \"preview_id\": \"0000\" }\n  ]\n}",
        );
        let lints = placeholder_ids(&config);
        let paths: Vec<_> = lints.iter().map(|l| (l.line, l.message.as_str())).collect();
        assert_eq!(lints.len(), 2, "{paths:?}");
        assert!(lints[0].message.contains("`kv_namespaces.0.id`"));
        assert_eq!(lints[0].line, 3);
    }
}

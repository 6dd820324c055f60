//! The parts of `fly.toml` Bulwark reads: the app name and the plain-text `[env]`.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::{ConfigError, Document};

/// A parsed `fly.toml`.
#[derive(Debug, Clone)]
pub struct FlyConfig {
    /// The parsed file, with key locations.
    pub document: Document,
    /// `app`.
    pub app: Option<String>,
    /// `primary_region`.
    pub primary_region: Option<String>,
    /// `[env]`: values deployed in plain text (a secret here is a leak).
    pub env: BTreeMap<String, String>,
}

impl FlyConfig {
    /// Reads `fly.toml` at `path`.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let source = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(path, &source)
    }

    /// Parses `source` as the `fly.toml` at `path`. Keys Bulwark does not use are allowed:
    /// the file belongs to flyctl.
    pub fn parse(path: &Path, source: &str) -> Result<Self, ConfigError> {
        let document = Document::parse_toml(path, source)?;
        let text = |key: &str| {
            document
                .pointer(&format!("/{key}"))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let env = match document.pointer("/env") {
            None => BTreeMap::new(),
            Some(Value::Object(vars)) => vars
                .iter()
                .map(|(name, value)| {
                    let value = value
                        .as_str()
                        .map_or_else(|| value.to_string(), str::to_owned);
                    (name.clone(), value)
                })
                .collect(),
            Some(_) => {
                return Err(ConfigError::invalid(
                    path,
                    document.location("/env"),
                    "`env` must be a table",
                ));
            }
        };
        Ok(Self {
            app: text("app"),
            primary_region: text("primary_region"),
            env,
            document,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_app_and_env_and_ignores_the_rest() {
        let text = "app = \"demo\"\nprimary_region = \"ams\"\n\n[env]\n  LOG_LEVEL = \"info\"\n  WORKERS = 4\n\n[http_service]\n  internal_port = 8080\n";
        let fly = FlyConfig::parse(Path::new("fly.toml"), text).expect("valid");
        assert_eq!(fly.app.as_deref(), Some("demo"));
        assert_eq!(fly.primary_region.as_deref(), Some("ams"));
        assert_eq!(fly.env["LOG_LEVEL"], "info");
        assert_eq!(fly.env["WORKERS"], "4");
        assert_eq!(fly.document.location("/env/WORKERS").line, 6);
    }

    #[test]
    fn env_must_be_a_table() {
        let err = FlyConfig::parse(Path::new("fly.toml"), "env = 3\n").expect_err("not a table");
        assert_eq!(err.to_string(), "fly.toml:1:1: `env` must be a table");
    }
}

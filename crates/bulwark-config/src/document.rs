//! A parsed config file that remembers the line of every key, so later checks (a secret
//! in `vars`, a binding missing from an environment) can name `file:line`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use jsonc_parser::ast;
use jsonc_parser::common::Ranged as _;
use serde_json::Value;

use crate::ConfigError;

/// A line and column (1-based) in a file, or nowhere in particular.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Location {
    /// 1-based line, 0 when unknown.
    pub line: u32,
    /// 1-based column in characters, 0 when unknown.
    pub column: u32,
}

impl Location {
    /// The line and column of byte `offset` in `source`.
    #[must_use]
    pub fn of_offset(source: &str, offset: usize) -> Self {
        let before = &source[..offset.min(source.len())];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |at| at + 1);
        let column = before[line_start..].chars().count() + 1;
        Self {
            line: u32::try_from(line).unwrap_or(u32::MAX),
            column: u32::try_from(column).unwrap_or(u32::MAX),
        }
    }

    /// Whether the place is known.
    #[must_use]
    pub fn is_known(self) -> bool {
        self.line > 0
    }
}

/// Renders as `:LINE:COLUMN` (or nothing when unknown), to follow a path.
impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (0, _) => Ok(()),
            (line, 0) => write!(f, ":{line}"),
            (line, column) => write!(f, ":{line}:{column}"),
        }
    }
}

/// A JSON-like tree parsed from JSONC or TOML, with the location of every key.
#[derive(Debug, Clone)]
pub struct Document {
    path: PathBuf,
    value: Value,
    /// JSON pointer (`/env/production/vars/API_KEY`) of each key → where the key is.
    keys: BTreeMap<String, Location>,
}

impl Document {
    /// Parses JSON with comments and trailing commas (wrangler's `.jsonc` / `.json`).
    /// A leading byte-order mark is dropped first, as wrangler does.
    pub fn parse_jsonc(path: &Path, source: &str) -> Result<Self, ConfigError> {
        let source = source.strip_prefix('\u{feff}').unwrap_or(source);
        let options = jsonc_parser::ParseOptions {
            allow_comments: true,
            allow_trailing_commas: true,
            allow_loose_object_property_names: false,
            allow_missing_commas: false,
            allow_single_quoted_strings: false,
            allow_hexadecimal_numbers: false,
            allow_unary_plus_numbers: false,
            allow_bare_decimal_point_numbers: false,
            allow_non_finite_numbers: false,
            allow_extended_string_escapes: false,
        };
        let parsed =
            jsonc_parser::parse_to_ast(source, &jsonc_parser::CollectOptions::default(), &options)
                .map_err(|err| {
                    ConfigError::invalid(
                        path,
                        Location::of_offset(source, err.range().start),
                        err.kind(),
                    )
                })?;
        let mut keys = BTreeMap::new();
        let value = parsed.value.map_or(Value::Null, |root| {
            jsonc_to_value(source, &root, "", &mut keys)
        });
        Ok(Self {
            path: path.to_owned(),
            value,
            keys,
        })
    }

    /// Parses TOML (`wrangler.toml`, `fly.toml`).
    pub fn parse_toml(path: &Path, source: &str) -> Result<Self, ConfigError> {
        let to_error = |err: toml::de::Error| {
            let location = err
                .span()
                .map(|span| Location::of_offset(source, span.start))
                .unwrap_or_default();
            ConfigError::invalid(path, location, err.message().trim_end())
        };
        let table: toml::Table = toml::from_str(source).map_err(to_error)?;
        let spanned = toml::de::DeTable::parse(source).map_err(to_error)?;
        let mut keys = BTreeMap::new();
        record_toml_keys(source, spanned.get_ref(), "", &mut keys);
        Ok(Self {
            path: path.to_owned(),
            value: toml_to_value(toml::Value::Table(table)),
            keys,
        })
    }

    /// The file this was read from.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The whole tree.
    #[must_use]
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// The value at a JSON pointer, e.g. `/env/production/vars`.
    #[must_use]
    pub fn pointer(&self, pointer: &str) -> Option<&Value> {
        self.value.pointer(pointer)
    }

    /// Where the key at `pointer` is written; unknown for a key the file does not spell
    /// out (a TOML table implied by a dotted key still has a place: the dotted key).
    #[must_use]
    pub fn location(&self, pointer: &str) -> Location {
        self.keys.get(pointer).copied().unwrap_or_default()
    }
}

/// Escapes one key for a JSON pointer (RFC 6901).
#[must_use]
pub(crate) fn pointer_segment(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn jsonc_to_value(
    source: &str,
    node: &ast::Value<'_>,
    pointer: &str,
    keys: &mut BTreeMap<String, Location>,
) -> Value {
    match node {
        ast::Value::StringLit(lit) => Value::String(lit.value.to_string()),
        ast::Value::NumberLit(lit) => serde_json::from_str::<serde_json::Number>(lit.value)
            .map_or_else(|_| Value::String(lit.value.to_owned()), Value::Number),
        ast::Value::BooleanLit(lit) => Value::Bool(lit.value),
        ast::Value::NullKeyword(_) => Value::Null,
        ast::Value::Array(array) => Value::Array(
            array
                .elements
                .iter()
                .enumerate()
                .map(|(index, element)| {
                    let child = format!("{pointer}/{index}");
                    keys.insert(
                        child.clone(),
                        Location::of_offset(source, element.range().start),
                    );
                    jsonc_to_value(source, element, &child, keys)
                })
                .collect(),
        ),
        ast::Value::Object(object) => {
            let mut map = serde_json::Map::new();
            for prop in &object.properties {
                let name = prop.name.as_str().to_owned();
                let child = format!("{pointer}/{}", pointer_segment(&name));
                keys.insert(child.clone(), Location::of_offset(source, prop.range.start));
                let value = jsonc_to_value(source, &prop.value, &child, keys);
                map.insert(name, value);
            }
            Value::Object(map)
        }
    }
}

fn record_toml_keys(
    source: &str,
    table: &toml::de::DeTable<'_>,
    pointer: &str,
    keys: &mut BTreeMap<String, Location>,
) {
    for (key, value) in table {
        let child = format!("{pointer}/{}", pointer_segment(key.get_ref()));
        keys.entry(child.clone())
            .or_insert_with(|| Location::of_offset(source, key.span().start));
        record_toml_value(source, value, &child, keys);
    }
}

fn record_toml_value(
    source: &str,
    value: &toml::Spanned<toml::de::DeValue<'_>>,
    pointer: &str,
    keys: &mut BTreeMap<String, Location>,
) {
    match value.get_ref() {
        toml::de::DeValue::Table(table) => record_toml_keys(source, table, pointer, keys),
        toml::de::DeValue::Array(array) => {
            for (index, element) in array.iter().enumerate() {
                let child = format!("{pointer}/{index}");
                keys.entry(child.clone())
                    .or_insert_with(|| Location::of_offset(source, element.span().start));
                record_toml_value(source, element, &child, keys);
            }
        }
        _ => {}
    }
}

fn toml_to_value(value: toml::Value) -> Value {
    match value {
        toml::Value::String(text) => Value::String(text),
        toml::Value::Integer(int) => Value::from(int),
        toml::Value::Float(float) => {
            serde_json::Number::from_f64(float).map_or(Value::Null, Value::Number)
        }
        toml::Value::Boolean(flag) => Value::Bool(flag),
        toml::Value::Datetime(datetime) => Value::String(datetime.to_string()),
        toml::Value::Array(items) => Value::Array(items.into_iter().map(toml_to_value).collect()),
        toml::Value::Table(table) => Value::Object(
            table
                .into_iter()
                .map(|(key, value)| (key, toml_to_value(value)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_become_lines_and_columns() {
        let text = "ab\ncdé\nf";
        assert_eq!(
            Location::of_offset(text, 0),
            Location { line: 1, column: 1 }
        );
        assert_eq!(
            Location::of_offset(text, 4),
            Location { line: 2, column: 2 }
        );
        assert_eq!(
            Location::of_offset(text, text.len()),
            Location { line: 3, column: 2 }
        );
        assert_eq!(Location { line: 3, column: 0 }.to_string(), ":3");
        assert_eq!(Location::default().to_string(), "");
    }

    #[test]
    fn jsonc_with_comments_and_trailing_commas_keeps_key_lines() {
        let text = "{\n  // the worker\n  \"name\": \"api\", /* inline */\n  \"vars\": {\n    \"A/B\": 1,\n  },\n}\n";
        let doc = Document::parse_jsonc(Path::new("wrangler.jsonc"), text).expect("valid jsonc");
        assert_eq!(doc.pointer("/name"), Some(&Value::from("api")));
        assert_eq!(doc.location("/name").line, 3);
        assert_eq!(doc.location("/vars/A~1B"), Location { line: 5, column: 5 });
    }

    #[test]
    fn jsonc_errors_name_the_line() {
        let err = Document::parse_jsonc(Path::new("w.jsonc"), "{\n  \"a\": 1\n  \"b\": 2\n}")
            .expect_err("a missing comma is an error");
        assert!(err.to_string().starts_with("w.jsonc:2:9: "), "{err}");
    }

    #[test]
    fn toml_keys_have_lines_including_arrays_of_tables() {
        let text =
            "name = \"api\"\n\n[vars]\nTOKEN = \"x\"\n\n[[d1_databases]]\nbinding = \"DB\"\n";
        let doc = Document::parse_toml(Path::new("wrangler.toml"), text).expect("valid toml");
        assert_eq!(doc.location("/vars/TOKEN").line, 4);
        assert_eq!(doc.location("/d1_databases/0/binding").line, 7);
        assert_eq!(
            doc.pointer("/d1_databases/0/binding"),
            Some(&Value::from("DB"))
        );
    }

    #[test]
    fn toml_errors_name_the_line() {
        let err = Document::parse_toml(Path::new("fly.toml"), "app = \"x\"\napp = \"y\"\n")
            .expect_err("a duplicate key is an error");
        assert!(err.to_string().starts_with("fly.toml:2:"), "{err}");
    }
}

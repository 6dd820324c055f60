//! Stand-ins for the Supabase platform's objects that a plain dump leaves out.
//!
//! `supabase db dump` skips the schemas the platform manages (`auth`, `storage`,
//! `extensions`, …), so a copy made from its output lacks `auth.users`, `auth.uid()` or
//! `storage.buckets`, and migrations that use them (a foreign key to `auth.users`, an RLS
//! policy calling `auth.uid()`, a bucket inserted into `storage.buckets`) would fail in
//! the copy while they succeed in production. For each of the three schemas the dump does
//! not create, the copy gets a small stand-in, written here from Supabase's documented
//! schema: the tables and functions migrations commonly reference, their owners and the
//! grants to the platform's roles. A migration checked against a stand-in is checked
//! against Bulwark's approximation, not production's objects: each one that references
//! them gets a `pg-stand-in` finding, and `postgres.stand_ins` lists what was created.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::{BufRead as _, BufReader, Read as _};
use std::path::Path;

use bulwark_pg::Client;

use crate::MigrateError;
use crate::lint::Finding;

/// One stand-in schema: its name, the SQL that creates it and its objects, and the
/// names migrations reference it by (lower case, unquoted).
struct StandIn {
    schema: &'static str,
    sql: &'static str,
    references: &'static [&'static str],
}

/// `auth`: Supabase Auth's users table (the columns its documentation lists) and the
/// helpers RLS policies call, which read the request's JWT claims from the settings
/// PostgREST sets (`request.jwt.claims`, and the older `request.jwt.claim.*`).
const AUTH: &str = r"
CREATE SCHEMA auth AUTHORIZATION supabase_auth_admin;
GRANT USAGE ON SCHEMA auth TO anon, authenticated, service_role, postgres;
CREATE TABLE auth.users (
  instance_id uuid,
  id uuid NOT NULL PRIMARY KEY,
  aud varchar(255),
  role varchar(255),
  email varchar(255),
  encrypted_password varchar(255),
  email_confirmed_at timestamptz,
  invited_at timestamptz,
  confirmation_token varchar(255),
  confirmation_sent_at timestamptz,
  recovery_token varchar(255),
  recovery_sent_at timestamptz,
  email_change varchar(255),
  email_change_sent_at timestamptz,
  last_sign_in_at timestamptz,
  raw_app_meta_data jsonb,
  raw_user_meta_data jsonb,
  is_super_admin boolean,
  created_at timestamptz,
  updated_at timestamptz,
  phone text UNIQUE,
  phone_confirmed_at timestamptz,
  phone_change text DEFAULT '',
  confirmed_at timestamptz GENERATED ALWAYS AS (LEAST(email_confirmed_at, phone_confirmed_at)) STORED,
  banned_until timestamptz,
  deleted_at timestamptz,
  is_sso_user boolean NOT NULL DEFAULT false,
  is_anonymous boolean NOT NULL DEFAULT false
);
ALTER TABLE auth.users OWNER TO supabase_auth_admin;
GRANT ALL ON auth.users TO postgres, service_role;
CREATE FUNCTION auth.jwt() RETURNS jsonb LANGUAGE sql STABLE AS $standin$
  SELECT coalesce(nullif(current_setting('request.jwt.claim', true), ''),
                  nullif(current_setting('request.jwt.claims', true), ''))::jsonb
$standin$;
CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $standin$
  SELECT nullif(coalesce(current_setting('request.jwt.claim.sub', true), auth.jwt() ->> 'sub'), '')::uuid
$standin$;
CREATE FUNCTION auth.role() RETURNS text LANGUAGE sql STABLE AS $standin$
  SELECT nullif(coalesce(current_setting('request.jwt.claim.role', true), auth.jwt() ->> 'role'), '')
$standin$;
CREATE FUNCTION auth.email() RETURNS text LANGUAGE sql STABLE AS $standin$
  SELECT nullif(coalesce(current_setting('request.jwt.claim.email', true), auth.jwt() ->> 'email'), '')
$standin$;
ALTER FUNCTION auth.jwt() OWNER TO supabase_auth_admin;
ALTER FUNCTION auth.uid() OWNER TO supabase_auth_admin;
ALTER FUNCTION auth.role() OWNER TO supabase_auth_admin;
ALTER FUNCTION auth.email() OWNER TO supabase_auth_admin;
";

/// `storage`: buckets and objects (the columns Supabase Storage documents; RLS on, as
/// the platform has it) and the path helpers storage policies call.
const STORAGE: &str = r"
CREATE SCHEMA storage AUTHORIZATION supabase_storage_admin;
GRANT USAGE ON SCHEMA storage TO anon, authenticated, service_role, postgres;
CREATE TABLE storage.buckets (
  id text NOT NULL PRIMARY KEY,
  name text NOT NULL UNIQUE,
  owner uuid,
  owner_id text,
  public boolean DEFAULT false,
  avif_autodetection boolean DEFAULT false,
  file_size_limit bigint,
  allowed_mime_types text[],
  created_at timestamptz DEFAULT now(),
  updated_at timestamptz DEFAULT now()
);
CREATE TABLE storage.objects (
  id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
  bucket_id text REFERENCES storage.buckets (id),
  name text,
  owner uuid,
  owner_id text,
  metadata jsonb,
  user_metadata jsonb,
  version text,
  path_tokens text[] GENERATED ALWAYS AS (string_to_array(name, '/')) STORED,
  created_at timestamptz DEFAULT now(),
  updated_at timestamptz DEFAULT now(),
  last_accessed_at timestamptz DEFAULT now(),
  UNIQUE (bucket_id, name)
);
ALTER TABLE storage.buckets ENABLE ROW LEVEL SECURITY;
ALTER TABLE storage.objects ENABLE ROW LEVEL SECURITY;
ALTER TABLE storage.buckets OWNER TO supabase_storage_admin;
ALTER TABLE storage.objects OWNER TO supabase_storage_admin;
GRANT ALL ON storage.buckets, storage.objects TO anon, authenticated, service_role, postgres;
CREATE FUNCTION storage.foldername(name text) RETURNS text[] LANGUAGE sql IMMUTABLE AS $standin$
  SELECT (string_to_array(name, '/'))[1:cardinality(string_to_array(name, '/')) - 1]
$standin$;
CREATE FUNCTION storage.filename(name text) RETURNS text LANGUAGE sql IMMUTABLE AS $standin$
  SELECT (string_to_array(name, '/'))[cardinality(string_to_array(name, '/'))]
$standin$;
CREATE FUNCTION storage.extension(name text) RETURNS text LANGUAGE sql IMMUTABLE AS $standin$
  SELECT CASE WHEN storage.filename(name) LIKE '%.%'
    THEN reverse(split_part(reverse(storage.filename(name)), '.', 1)) ELSE '' END
$standin$;
ALTER FUNCTION storage.foldername(text) OWNER TO supabase_storage_admin;
ALTER FUNCTION storage.filename(text) OWNER TO supabase_storage_admin;
ALTER FUNCTION storage.extension(text) OWNER TO supabase_storage_admin;
";

/// `extensions`: where Supabase installs extensions, with the two every project has
/// (`uuid-ossp`, `pgcrypto`) when the copy's database lacks them; on the database's
/// search path as on the platform.
const EXTENSIONS: &str = r#"
CREATE SCHEMA extensions AUTHORIZATION postgres;
GRANT USAGE ON SCHEMA extensions TO anon, authenticated, service_role;
CREATE EXTENSION IF NOT EXISTS "uuid-ossp" WITH SCHEMA extensions;
CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA extensions;
"#;

const STAND_INS: [StandIn; 3] = [
    StandIn {
        schema: "auth",
        sql: AUTH,
        references: &[
            "auth.users",
            "auth.uid(",
            "auth.jwt(",
            "auth.role(",
            "auth.email(",
        ],
    },
    StandIn {
        schema: "storage",
        sql: STORAGE,
        references: &[
            "storage.buckets",
            "storage.objects",
            "storage.foldername(",
            "storage.filename(",
            "storage.extension(",
        ],
    },
    StandIn {
        schema: "extensions",
        sql: EXTENSIONS,
        references: &["extensions."],
    },
];

/// The platform's roles a dump's grants and policies name; created without login (and
/// without a password) before any dump is restored.
pub const ROLES: &[&str] = &["anon", "authenticated", "service_role"];

/// The schemas among `auth`, `storage` and `extensions` that the dump at `path` creates
/// (`CREATE SCHEMA` in a plain dump, a `SCHEMA` entry in an archive's table of
/// contents).
pub(crate) fn schemas_in_dump(
    path: &Path,
    archive: bool,
    copy: &Client,
) -> Result<BTreeSet<String>, MigrateError> {
    let text = if archive {
        table_of_contents(path, copy)?
    } else {
        create_schema_lines(path)?
    };
    Ok(STAND_INS
        .iter()
        .map(|s| s.schema)
        .filter(|schema| text.iter().any(|name| name == schema))
        .map(str::to_owned)
        .collect())
}

/// The schema names of a plain dump's `CREATE SCHEMA` lines.
fn create_schema_lines(path: &Path) -> Result<Vec<String>, MigrateError> {
    let read = |source| MigrateError::ReadFile {
        path: path.to_owned(),
        source,
    };
    let mut reader = BufReader::new(std::fs::File::open(path).map_err(read)?);
    let mut names = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).map_err(read)? == 0 {
            break;
        }
        let text = String::from_utf8_lossy(&line);
        let words: Vec<&str> = text.split_whitespace().collect();
        let starts = |keywords: &[&str]| {
            words.len() > keywords.len()
                && keywords
                    .iter()
                    .zip(&words)
                    .all(|(k, w)| w.eq_ignore_ascii_case(k))
        };
        let rest = if starts(&["CREATE", "SCHEMA", "IF", "NOT", "EXISTS"]) {
            &words[5..]
        } else if starts(&["CREATE", "SCHEMA"]) {
            &words[2..]
        } else {
            continue;
        };
        if let Some(name) = rest.first() {
            names.push(schema_name(name));
        }
    }
    Ok(names)
}

/// `"auth";` or `auth` as `auth`; unquoted names fold to lower case.
fn schema_name(word: &str) -> String {
    let word = word.trim_end_matches(';');
    match word.strip_prefix('"').and_then(|w| w.strip_suffix('"')) {
        Some(quoted) => quoted.replace("\"\"", "\""),
        None => word.to_lowercase(),
    }
}

/// The schema names of an archive's `SCHEMA` entries (`ID; OID OID SCHEMA - NAME OWNER`).
fn table_of_contents(path: &Path, copy: &Client) -> Result<Vec<String>, MigrateError> {
    let read = |source| MigrateError::ReadFile {
        path: path.to_owned(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(read)?;
    let mut list = copy.list_archive()?;
    let mut stdin = list.stdin.take().expect("stdin was piped");
    let mut stdout = list.stdout.take().expect("stdout was piped");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        stdout.read_to_string(&mut text).map(|_| text)
    });
    // pg_restore stops reading once it has the table of contents: a broken pipe here
    // is expected; its exit status says whether it got it.
    let _ = std::io::copy(&mut file, &mut stdin);
    drop(stdin);
    let text = reader
        .join()
        .map_err(|_| read(std::io::Error::other("the reading thread panicked")))?
        .map_err(read)?;
    let exited = list
        .wait(copy.runner(), None)
        .map_err(bulwark_pg::PgError::from)?;
    if !exited.status.success() {
        return Err(MigrateError::PostgresCopy {
            what: path.display().to_string(),
            detail: format!(
                "pg_restore --list failed ({}): {}",
                exited.status,
                bulwark_process::summary(&exited.stderr)
            ),
        });
    }
    Ok(text
        .lines()
        .filter(|l| !l.starts_with(';'))
        .filter_map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            match words.as_slice() {
                [_, _, _, "SCHEMA", "-", name, ..] => Some((*name).to_owned()),
                _ => None,
            }
        })
        .collect())
}

/// Creates the stand-in of each schema not in `present`, in the copy (before the dump
/// is restored, so that its foreign keys to `auth.users` and its extensions in
/// `extensions` restore). Returns what was created, for the report.
pub(crate) fn create(
    copy: &Client,
    database: &str,
    present: &BTreeSet<String>,
) -> Result<Vec<String>, MigrateError> {
    let mut created: Vec<String> = ROLES.iter().map(|r| format!("role {r}")).collect();
    for stand_in in STAND_INS.iter().filter(|s| !present.contains(s.schema)) {
        let mut sql = stand_in.sql.to_owned();
        if stand_in.schema == "extensions" {
            // Unqualified uuid_generate_v4() resolves there on the platform.
            let _ = writeln!(
                sql,
                "ALTER DATABASE {} SET search_path = \"$user\", public, extensions;",
                bulwark_pg::quote_ident(database)
            );
        }
        copy.psql(&sql).map_err(|err| MigrateError::PostgresCopy {
            what: format!("the stand-in schema {}", stand_in.schema),
            detail: err.to_string(),
        })?;
        created.push(format!("schema {}", stand_in.schema));
        created.extend(stand_in.references.iter().map(|r| {
            let name = r.trim_end_matches('(');
            if r.ends_with('(') {
                format!("function {name}()")
            } else if name.ends_with('.') {
                format!(
                    "extensions uuid-ossp, pgcrypto in {}",
                    name.trim_end_matches('.')
                )
            } else {
                format!("table {name}")
            }
        }));
    }
    Ok(created)
}

/// A `pg-stand-in` finding for each stand-in the statements in `code` (comments and
/// string literals already removed) reference, among those `created`.
#[must_use]
pub fn findings(code: &str, line: usize, created: &[String]) -> Vec<Finding> {
    // `code` separates tokens by a space: `auth.uid ( )`.
    let folded = code.to_lowercase().replace('"', "").replace(" (", "(");
    let mut found = Vec::new();
    for stand_in in &STAND_INS {
        if !created
            .iter()
            .any(|c| c == &format!("schema {}", stand_in.schema))
        {
            continue;
        }
        let hits: Vec<&str> = stand_in
            .references
            .iter()
            .filter(|r| folded.contains(*r))
            .map(|r| r.trim_end_matches(['(', '.']))
            .collect();
        if !hits.is_empty() {
            found.push(hits.join(", "));
        }
    }
    let roles: Vec<&str> = ROLES
        .iter()
        .filter(|role| {
            folded
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .any(|w| w == **role)
        })
        .copied()
        .collect();
    if !roles.is_empty() {
        found.push(format!("the roles {}", roles.join(", ")));
    }
    found
        .into_iter()
        .map(|what| {
            Finding::new(
                "pg-stand-in",
                format!(
                    "references {what}, which the dump lacks: checked against Bulwark's stand-in, not production's objects (a weaker check: production may differ)"
                ),
                Some(line),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_are_read_as_postgresql_reads_them() {
        assert_eq!(schema_name("\"auth\";"), "auth");
        assert_eq!(schema_name("Storage"), "storage");
        assert_eq!(schema_name("\"My\"\"S\""), "My\"S");
    }

    #[test]
    fn references_to_created_stand_ins_are_flagged() {
        let created = vec!["schema auth".to_owned()];
        let found = findings(
            "create policy p on t using (\"auth\".\"uid\"() = owner) to authenticated",
            3,
            &created,
        );
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].message.contains("auth.uid"));
        assert!(found[1].message.contains("the roles authenticated"));
        assert!(findings("select storage.filename('a')", 1, &created).is_empty());
    }
}

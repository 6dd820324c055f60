//! The role `supabase db push` runs as, mirrored from production into the copy.
//!
//! On hosted Supabase the `postgres` role that pushes migrations is not a superuser and
//! does not own the `auth` and `storage` tables, so a migration that needs more
//! (`ALTER TABLE auth.users …`, an untrusted extension, `ALTER ROLE … SUPERUSER`) fails
//! there with SQLSTATE 42501. The copy therefore gets every role production has, with
//! the same attributes (superuser, inherit, createrole, createdb, login, replication,
//! bypassrls; never a password) and memberships, the database's owner and privileges,
//! and the objects' owners and grants (restored from the dump); the files are then sent
//! over a session of the role production's URL logs in as.

use std::fmt::Write as _;

use bulwark_pg::{Client, quote_ident, quote_literal};
use serde::{Deserialize, Serialize};

use crate::MigrateError;

/// A role's attributes as `pg_roles` shows them (readable by every role).
#[expect(
    clippy::struct_excessive_bools,
    reason = "one field per boolean column of pg_roles"
)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleAttributes {
    /// `rolname`.
    pub name: String,
    /// `rolsuper`.
    pub superuser: bool,
    /// `rolinherit`.
    pub inherit: bool,
    /// `rolcreaterole`.
    pub createrole: bool,
    /// `rolcreatedb`.
    pub createdb: bool,
    /// `rolcanlogin`.
    pub login: bool,
    /// `rolreplication`.
    pub replication: bool,
    /// `rolbypassrls`.
    pub bypassrls: bool,
}

/// `member` is a member of `role`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
struct Membership {
    role: String,
    member: String,
    admin: bool,
}

/// One privilege of the database (`grantee` `None`: `PUBLIC`).
#[derive(Debug, Clone, Deserialize)]
struct DatabaseGrant {
    grantee: Option<String>,
    privilege: String,
    grantable: bool,
}

/// What production says about its roles and its database, read in a read-only session.
#[derive(Debug, Clone, Deserialize)]
pub struct ProductionRoles {
    /// The role the URL logs in as.
    pub session_user: String,
    /// The role statements run as (differs when the URL's options set `role`).
    pub current_user: String,
    roles: Vec<RoleAttributes>,
    memberships: Vec<Membership>,
    database_owner: String,
    /// `None`: the default privileges (`datacl` is null).
    database_acl: Option<Vec<DatabaseGrant>>,
}

/// Reads every role but PostgreSQL's own, what they are members of, and the current
/// database's owner and privileges.
const READ: &str = r"SELECT json_build_object(
 'session_user', session_user, 'current_user', current_user,
 'roles', (SELECT coalesce(json_agg(json_build_object('name', r.rolname, 'superuser', r.rolsuper,
   'inherit', r.rolinherit, 'createrole', r.rolcreaterole, 'createdb', r.rolcreatedb,
   'login', r.rolcanlogin, 'replication', r.rolreplication, 'bypassrls', r.rolbypassrls)
   ORDER BY r.rolname), '[]'::json) FROM pg_roles r WHERE r.rolname !~ '^pg_'),
 'memberships', (SELECT coalesce(json_agg(json_build_object('role', g.rolname, 'member', m.rolname,
   'admin', a.admin_option)), '[]'::json) FROM pg_auth_members a
   JOIN pg_roles g ON g.oid = a.roleid JOIN pg_roles m ON m.oid = a.member WHERE m.rolname !~ '^pg_'),
 'database_owner', (SELECT pg_get_userbyid(d.datdba) FROM pg_database d WHERE d.datname = current_database()),
 'database_acl', (SELECT json_agg(json_build_object('grantee',
   CASE WHEN x.grantee = 0 THEN NULL ELSE pg_get_userbyid(x.grantee) END,
   'privilege', x.privilege_type, 'grantable', x.is_grantable))
   FROM pg_database d, aclexplode(d.datacl) x WHERE d.datname = current_database()));
";

impl ProductionRoles {
    /// Reads them from `source` (production, in a read-only session).
    pub fn read(source: &Client) -> Result<Self, MigrateError> {
        let out = source.psql(READ)?;
        serde_json::from_str(out.trim()).map_err(|err| MigrateError::PostgresCopy {
            what: "the roles".to_owned(),
            detail: format!("unreadable role list: {err}"),
        })
    }

    /// The attributes of the role the files run as.
    #[must_use]
    pub fn applying(&self) -> Option<&RoleAttributes> {
        self.roles.iter().find(|r| r.name == self.current_user)
    }

    /// Creates every role in `copy` (whose bootstrap superuser is `superuser`) with
    /// production's attributes and memberships. Before the restore, so that owners and
    /// grants apply.
    pub fn mirror(&self, copy: &Client, superuser: &str) -> Result<(), MigrateError> {
        let mut script = String::new();
        for role in &self.roles {
            if role.name == superuser {
                // The copy's own superuser stays one; production's role of that name
                // matters only when the files run as it.
                if !role.superuser
                    && (role.name == self.current_user || role.name == self.session_user)
                {
                    return Err(MigrateError::PostgresCopy {
                        what: "the roles".to_owned(),
                        detail: format!(
                            "production's role `{superuser}` is not a superuser, but the throw-away server's superuser has that name, so the migrations cannot run with its privileges"
                        ),
                    });
                }
                continue;
            }
            let (literal, ident) = (quote_literal(&role.name), quote_ident(&role.name));
            let flag = |on: bool, name: &str| {
                if on {
                    name.to_owned()
                } else {
                    format!("NO{name}")
                }
            };
            let _ = writeln!(
                script,
                "DO $bulwark$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {literal}) THEN CREATE ROLE {ident}; END IF; END $bulwark$;\n\
                 ALTER ROLE {ident} WITH {} {} {} {} {} {} {};",
                flag(role.superuser, "SUPERUSER"),
                flag(role.inherit, "INHERIT"),
                flag(role.createrole, "CREATEROLE"),
                flag(role.createdb, "CREATEDB"),
                flag(role.login, "LOGIN"),
                flag(role.replication, "REPLICATION"),
                flag(role.bypassrls, "BYPASSRLS"),
            );
        }
        let mut memberships = self.memberships.clone();
        memberships.sort();
        memberships.dedup_by(|a, b| a.role == b.role && a.member == b.member);
        for m in &memberships {
            if m.member == superuser {
                continue;
            }
            // A PostgreSQL role of a newer version than the copy's may be missing.
            let _ = writeln!(
                script,
                "DO $bulwark$ BEGIN IF EXISTS (SELECT FROM pg_roles WHERE rolname = {}) THEN GRANT {} TO {}{}; END IF; END $bulwark$;",
                quote_literal(&m.role),
                quote_ident(&m.role),
                quote_ident(&m.member),
                if m.admin { " WITH ADMIN OPTION" } else { "" }
            );
        }
        if !script.is_empty() {
            copy.psql(&script)?;
        }
        Ok(())
    }

    /// Gives the copy's database `database` production's owner and privileges.
    pub fn grant_database(&self, copy: &Client, database: &str) -> Result<(), MigrateError> {
        let db = quote_ident(database);
        let owner = quote_ident(&self.database_owner);
        let mut script = format!("ALTER DATABASE {db} OWNER TO {owner};\n");
        if let Some(acl) = &self.database_acl {
            let _ = writeln!(
                script,
                "REVOKE ALL ON DATABASE {db} FROM PUBLIC;\nREVOKE ALL ON DATABASE {db} FROM {owner};"
            );
            for grant in acl {
                let privilege = grant.privilege.to_ascii_uppercase();
                if !["CREATE", "CONNECT", "TEMPORARY"].contains(&privilege.as_str()) {
                    continue;
                }
                let grantee = grant
                    .grantee
                    .as_deref()
                    .map_or_else(|| "PUBLIC".to_owned(), quote_ident);
                let _ = writeln!(
                    script,
                    "GRANT {privilege} ON DATABASE {db} TO {grantee}{};",
                    if grant.grantable {
                        " WITH GRANT OPTION"
                    } else {
                        ""
                    }
                );
            }
        }
        copy.psql(&script)?;
        Ok(())
    }
}

/// How the pending files were applied to the copy: as which role, and why that one.
#[derive(Debug, Clone, Serialize)]
pub struct AppliedAs {
    /// The role the session ran as.
    pub role: String,
    /// Whether it is a superuser in the copy.
    pub superuser: bool,
    /// `production` (the role production's URL logs in as, with its attributes,
    /// memberships and the objects' owners copied), or `throw-away-superuser` (a dump:
    /// production's role is unknown, privilege errors are not predicted).
    pub from: &'static str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_quoted() {
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_literal("o'k"), "'o''k'");
    }
}

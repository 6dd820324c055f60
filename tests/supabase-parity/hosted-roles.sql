-- Production as on hosted Supabase, for the cases with a `role` file (run before their
-- pre.sql): the role that pushes (app) is not a superuser and
-- does not own auth.users. Roles are the whole server's: created once for both twins.
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'app') THEN
    CREATE ROLE app LOGIN NOSUPERUSER CREATEROLE CREATEDB;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'supabase_auth_admin') THEN
    CREATE ROLE supabase_auth_admin NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticated') THEN
    CREATE ROLE authenticated NOLOGIN;
  END IF;
  IF NOT pg_has_role('app', 'authenticated', 'MEMBER') THEN
    GRANT authenticated TO app;
  END IF;
  EXECUTE format('GRANT CREATE ON DATABASE %I TO app', current_database());
END $$;
GRANT CREATE ON SCHEMA public TO app;
CREATE SCHEMA auth AUTHORIZATION supabase_auth_admin;
GRANT USAGE ON SCHEMA auth TO app;
CREATE TABLE auth.users (id uuid PRIMARY KEY, email text);
ALTER TABLE auth.users OWNER TO supabase_auth_admin;
GRANT SELECT, INSERT, REFERENCES ON auth.users TO app;
INSERT INTO auth.users VALUES ('00000000-0000-0000-0000-000000000001', 'a@example.com');

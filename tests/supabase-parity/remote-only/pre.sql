CREATE SCHEMA supabase_migrations;
CREATE TABLE supabase_migrations.schema_migrations (version text NOT NULL PRIMARY KEY, statements text[], name text);
INSERT INTO supabase_migrations.schema_migrations VALUES ('20240101000000', '{}', 'a'), ('20240105000000', '{}', 'squashed');
CREATE TABLE public.a (id int);

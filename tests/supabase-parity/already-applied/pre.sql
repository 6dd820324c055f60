CREATE SCHEMA supabase_migrations;
CREATE TABLE supabase_migrations.schema_migrations (version text NOT NULL PRIMARY KEY, statements text[], name text);
INSERT INTO supabase_migrations.schema_migrations VALUES ('20240101000000', '{}', 'base');
CREATE TABLE public.base (id int primary key);
INSERT INTO public.base SELECT generate_series(1, 50);

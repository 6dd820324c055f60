-- A trusted extension: any role with CREATE on the database may create it.
create extension if not exists pgcrypto;
set local role authenticated;
reset role;
create table public.tokens (id uuid primary key default gen_random_uuid(), digest bytea);

-- CREATEROLE does not reach the superuser attribute.
create table public.audit_log (id int primary key);
alter role authenticated superuser;

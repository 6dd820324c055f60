create table public.c1 (id int);
create index concurrently c1_id on public.c1 (id);
create table public.c2 (id int);
select 1 / (select count(*) from public.c2);

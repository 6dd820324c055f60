delete from public.base where id > 40;
alter table public.base add column note text;

create table public.x0 (id int);
begin;
create table public.x1 (id int);
insert into public.nothing values (1);
commit;

create table public.t1 (id int);
commit;
create table public.t2 (id int);
insert into public.nowhere values (1);
create table public.t3 (id int);

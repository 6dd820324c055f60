create table public.b (id int primary key);
insert into public.b values (1);

insert into public.missing_table values (1);
create table public.b2 (id int);

create table public.a (id int primary key);

create table public.base (id int primary key);

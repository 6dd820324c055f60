create table public.e (id int);

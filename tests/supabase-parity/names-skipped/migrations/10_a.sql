create table public.n4 (id int);

create table public.n3 (id int);

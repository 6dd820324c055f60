create table public.n2 (id int);

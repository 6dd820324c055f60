create table public.n1 (id int);

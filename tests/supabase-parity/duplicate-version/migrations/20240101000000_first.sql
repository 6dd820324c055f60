create table public.d1 (id int);

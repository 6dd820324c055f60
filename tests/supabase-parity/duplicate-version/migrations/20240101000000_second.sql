create table public.d2 (id int);

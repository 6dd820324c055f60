create table public.t4 (id int);

create table public.later (id int);

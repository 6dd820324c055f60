create table public.c (id int);

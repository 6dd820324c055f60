create table public.early (id int);

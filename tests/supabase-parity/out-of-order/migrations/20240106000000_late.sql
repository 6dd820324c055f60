create table public.late (id int);

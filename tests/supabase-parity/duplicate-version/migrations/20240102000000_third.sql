create table public.d3 (id int);

select 1 from public.n3;

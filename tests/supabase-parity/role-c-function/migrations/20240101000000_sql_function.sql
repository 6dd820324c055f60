-- SQL and PL/pgSQL functions are open to every role.
create function public.add_one(i int) returns int language sql immutable as $$ select i + 1 $$;

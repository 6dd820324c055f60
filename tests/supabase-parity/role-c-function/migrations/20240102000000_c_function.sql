-- C is an untrusted language: only a superuser may create functions in it.
create function public.c_lib(int) returns int as '$libdir/plpgsql', 'plpgsql_call_handler' language c;

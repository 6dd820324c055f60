-- Not trusted: only a superuser may create it.
create extension file_fdw;

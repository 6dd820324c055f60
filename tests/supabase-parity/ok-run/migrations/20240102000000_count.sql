create function public.account_count() returns bigint language sql as $$ select count(*) from public.accounts; $$;
create index accounts_email on public.accounts (email);

-- What the role owns or was granted is enough here.
create table public.audit (id int primary key, user_id uuid references auth.users (id));
grant select on public.audit to authenticated;

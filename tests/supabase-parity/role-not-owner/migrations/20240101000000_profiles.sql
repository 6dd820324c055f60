create table public.profiles (id uuid primary key references auth.users (id), name text);
alter table public.profiles enable row level security;
create policy "own profile" on public.profiles for select to authenticated using (true);
grant select on public.profiles to authenticated;
insert into public.profiles select id, email from auth.users;

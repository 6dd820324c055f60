create policy "own profile" on public.profiles for select to authenticated using (auth.uid() = id);
insert into storage.buckets (id, name, public) values ('avatars', 'avatars', true);
create policy "avatars" on storage.objects for insert to authenticated
  with check (bucket_id = 'avatars' and (storage.foldername(name))[1] = auth.uid()::text);
create table public.notes (
  id uuid primary key default extensions.uuid_generate_v4(),
  profile_id uuid references public.profiles,
  body text
);

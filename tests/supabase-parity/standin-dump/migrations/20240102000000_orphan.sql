-- No such user: the foreign key to auth.users refuses it, in production and in the copy.
insert into public.profiles (id, name) values ('00000000-0000-0000-0000-00000000000a', 'nobody');

-- Succeeds as a superuser; production's role does not own auth.users.
alter table auth.users add column nickname text;

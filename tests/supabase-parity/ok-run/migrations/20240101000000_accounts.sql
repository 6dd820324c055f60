create table public.accounts (id bigint primary key, email text not null);
insert into public.accounts values (1, 'a@example.com'), (2, 'b@example.com');

create table items (id integer primary key, n integer);
create table counts (total integer);
insert into counts values (0);

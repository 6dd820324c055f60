create table s1 (id int);

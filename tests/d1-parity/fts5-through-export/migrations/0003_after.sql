CREATE TABLE later (x);

CREATE TABLE _cf_mine (x);

CREATE TEMP TABLE scratch (x);

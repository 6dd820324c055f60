set search_path to nowhere;
set statement_timeout = '1h';

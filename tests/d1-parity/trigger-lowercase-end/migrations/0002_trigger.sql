create trigger items_count after insert on items
begin
  update counts set total = total + 1;
end;
insert into items (n) values (1);
insert into items (n) values (2);

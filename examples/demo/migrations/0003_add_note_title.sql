-- Migration number: 0003 	 notes get a title; existing notes get an empty one
ALTER TABLE notes ADD COLUMN title TEXT NOT NULL DEFAULT '';

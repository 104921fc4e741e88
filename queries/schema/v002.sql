-- installpulse schema version 2: events can be marked as having an approximate date, and the
-- import history records the text encoding a file was decoded from.
-- DuckDB 1.5 (the LTS line we run on, issue 13) refuses ADD COLUMN with a constraint, and a
-- later SET NOT NULL in the same transaction blocks the migrations' new keyed tables: the
-- column is added with its default (which fills the rows there); events.py always writes it.
alter table events add column is_approximate boolean default false;
alter table imports add column encoding varchar;

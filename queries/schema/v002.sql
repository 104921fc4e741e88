-- installpulse schema version 2: events can be marked as having an approximate date, and the
-- import history records the text encoding a file was decoded from.
alter table events add column is_approximate boolean not null default false;
alter table imports add column encoding varchar;

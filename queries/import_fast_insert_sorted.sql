-- import_fast_insert.sql for a file not in series order: sorted by series and day on the way
-- in, so observations stay clustered by series (PERFORMANCE.md).
insert into observations (series_id, date, value, import_id)
select series_id, date, value, $import_id from import_fast_rows order by series_id, date;

-- Insert sorted by series and day so observations stay clustered by series (PERFORMANCE.md).
insert into observations (series_id, date, value, import_id)
select series_id, date, value, $import_id from incoming order by series_id, date;

-- The fast pass, second read of the file: every row straight into observations with its
-- series (a join on the raw key, built on the small key table), its day (the cast the first
-- read proved equal to the rules for every date text) and its value (ip_fast_value: NaN marks
-- a value the rules refuse). Sorted by series so observations stay clustered (PERFORMANCE.md).
-- Inside the import transaction; import_fast_check.sql then checks what was written.
insert into observations (series_id, date, value, import_id)
select k.series_id, try_cast(s.date_raw as date) as date, ip_fast_value(s.value_raw), $import_id
from staged s
join import_key_series k
    on k.app_raw = s.app_raw and k.platform_raw = s.platform_raw
    and k.country_raw = s.country_raw and k.metric_raw = s.metric_raw
    and k.source_raw = s.source_raw
order by k.series_id, date;

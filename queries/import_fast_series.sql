-- After import_resolve_apps: the series each raw key is written to, and the rows to write.
create or replace temp table import_key_series as
select k.app_raw, k.platform_raw, k.country_raw, k.metric_raw, k.source_raw, s.series_id
from import_key_map k
join series s
    on s.identifier = k.app and s.platform = k.platform and s.country = k.country
    and s.metric = k.metric and s.source = k.source;

-- The fast pass's rows, in file order: every row with its series (a join on the raw key,
-- built on the small key table), its day (the cast the first read proved equal to the rules
-- for every date text of the file) and its value (ip_fast_value: NaN marks a value the rules
-- refuse). Reading it reads the file again.
create or replace temp view import_fast_rows as
select k.series_id, try_cast(s.date_raw as date) as date, ip_fast_value(s.value_raw) as value
from staged s
join import_key_series k
    on k.app_raw = s.app_raw and k.platform_raw = s.platform_raw
    and k.country_raw = s.country_raw and k.metric_raw = s.metric_raw
    and k.source_raw = s.source_raw;

-- After import_resolve_apps: the series each raw key is written to.
create or replace temp table import_key_series as
select k.app_raw, k.platform_raw, k.country_raw, k.metric_raw, k.source_raw, s.series_id
from import_key_map k
join series s
    on s.identifier = k.app and s.platform = k.platform and s.country = k.country
    and s.metric = k.metric and s.source = k.source;

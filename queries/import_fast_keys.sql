-- The fast pass, first read of the file: its distinct keys and distinct date texts, in one
-- scan with two grouping sets and nothing written per row (writing every cell of a 42M-row
-- file as text costs more than reading it twice: PERFORMANCE.md). The rules then run once per
-- key and per date text (import_fast_problems.sql), not once per cell.
create or replace temp table import_keys as
select
    grouping(date_raw) = 1 as is_key,
    app_raw,
    platform_raw,
    country_raw,
    metric_raw,
    source_raw,
    date_raw,
    any_value(app_name) as app_name,
    count(*) as rows
from staged
group by grouping sets ((app_raw, platform_raw, country_raw, metric_raw, source_raw), (date_raw));

-- Every raw key with the normalised key it is stored under (two spellings of one key, such as
-- 'US' and ' us', land in one series; days they both give are caught as duplicates).
create or replace temp table import_key_map as
select
    app_raw,
    platform_raw,
    country_raw,
    metric_raw,
    source_raw,
    app_name,
    rows,
    ip_app(app_raw) as app,
    ip_platform(platform_raw) as platform,
    ip_country(country_raw) as country,
    ip_metric(metric_raw) as metric,
    ip_source(source_raw) as source
from import_keys
where is_key;

-- Every raw date text with the day the rules read in it; the second read casts the raw text
-- directly, so the cast must agree with the rules for every text of the file.
create or replace temp table import_date_map as
select date_raw, date_text, ip_date(date_text) as date, try_cast(date_raw as date) as cast_date
from (select date_raw, ip_date_text(date_raw) as date_text from import_keys where not is_key);

-- The key resolution (import_resolve_apps.sql) reads `typed`: here one row per distinct key.
create or replace temp view typed as
select app, app_name, platform, country, metric, source from import_key_map;

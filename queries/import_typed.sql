-- Every staged value with the file's defaults applied, then parsed and checked under the rules
-- of `import_rules.sql`. Settings come from the one-row temp table `import_params` (a view
-- cannot take bound parameters).
--
-- `staged`: raw text per cell, as the file has it (only defaults filled in). Both passes
-- read it: the fast pass groups it by key and date text, the exact pass checks every cell.
create or replace temp view staged as
select
    line,
    value_column,
    date as date_raw,
    case when p.has_app then app else p.default_app end as app_raw,
    nullif(trim(app_name), '') as app_name,
    case when p.has_platform then platform else p.default_platform end as platform_raw,
    case when p.has_country then country else p.default_country end as country_raw,
    metric as metric_raw,
    value as value_raw,
    case when p.has_source then source else p.default_source end as source_raw
from staging
cross join import_params p;

-- `checked`: one row per staged value; each *_error column is NULL when that field is fine.
-- The exact pass materialises it as temp table `typed` to locate every problem.
create or replace temp view checked as
with normalised as (
    select
        s.*,
        p.min_date,
        p.max_date,
        p.max_text,
        ip_date_text(date_raw) as date_text,
        trim(value_raw) as value_text,
        ip_app(app_raw) as app,
        ip_platform(platform_raw) as platform,
        ip_country(country_raw) as country,
        ip_metric(metric_raw) as metric,
        ip_source(source_raw) as source
    from staged s
    cross join import_params p
),
parsed as (
    select
        n.*,
        ip_date(n.date_text) as date,
        ip_value_is_null(n.value_text) as value_is_null,
        ip_number(ip_value_clean(n.value_text)) as number,
        m.metric is not null as metric_known,
        coalesce(m.is_integer, true) as is_integer,
        coalesce(m.is_signed, false) as is_signed,
        c.accepted as country_accepted,
        c.hint as country_hint
    from normalised n
    left join metrics m on m.metric = n.metric
    left join import_countries c on c.country = n.country
)
select
    line,
    value_column,
    date,
    app,
    app_name,
    platform,
    country,
    metric,
    source,
    case when value_is_null then null else number end as value,
    ip_date_error(date_text, date, min_date, max_date) as date_error,
    date_text,
    ip_app_error(app, max_text) as app_error,
    app_raw,
    ip_platform_error(platform) as platform_error,
    platform_raw,
    ip_country_error(country, country_accepted, country_hint) as country_error,
    country_raw,
    ip_metric_error(metric, metric_known) as metric_error,
    metric_raw,
    ip_source_error(source) as source_error,
    source_raw,
    ip_value_error(value_text, number, value_is_null, is_integer, is_signed) as value_error,
    value_text
from parsed;

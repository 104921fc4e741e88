-- Parse and check every staged value under one set of rules (RELIABILITY.md 3.2).
-- One row per staged value; each *_error column is NULL when that field is fine.
-- A view: the fast pass streams it into the import's scratch table, the exact pass (for
-- located messages) materialises it as temp table `typed`. Its settings come from the one-row
-- temp table `import_params` (a view cannot take bound parameters).
create or replace temp view checked as
with staged as (
    select
        line,
        p.min_date,
        p.max_date,
        p.max_text,
        value_column,
        nullif(trim(date), '') as date_text,
        case when p.has_app then app else p.default_app end as app_raw,
        nullif(trim(app_name), '') as app_name,
        case when p.has_platform then platform else p.default_platform end as platform_raw,
        case when p.has_country then country else p.default_country end as country_raw,
        metric as metric_raw,
        trim(value) as value_text,
        case when p.has_source then source else p.default_source end as source_raw
    from staging
    cross join import_params p
),
normalised as (
    select
        *,
        nfc_normalize(trim(app_raw)) as app,
        lower(trim(platform_raw)) as platform,
        upper(trim(country_raw)) as country,
        -- (fast paths before each regular expression: most values are already canonical)
        case
            when regexp_matches(metric_raw, '[\s\-/A-Z]')
                then regexp_replace(lower(trim(metric_raw)), '[\s\-/]+', '_', 'g')
            else metric_raw
        end as metric,
        lower(trim(source_raw)) as source,
        case
            when regexp_full_match(date_text, '\d{4}-\d{2}-\d{2}')
                then try_strptime(date_text, '%Y-%m-%d')::date
        end as date,
        value_text is null
            or value_text = ''
            or upper(value_text) in ('NA', 'N/A', 'NAN', 'NULL', 'NONE', '-', '–', '—')
            as value_is_null,
        case
            when regexp_full_match(value_text, '[+-]?\d{1,3}(,\d{3})+(\.\d+)?')
                then replace(value_text, ',', '')
            else value_text
        end as value_clean
    from staged
),
parsed as (
    select
        n.*,
        m.metric is not null as metric_known,
        coalesce(m.is_integer, true) as is_integer,
        coalesce(m.is_signed, false) as is_signed,
        case
            when not n.value_is_null
                and regexp_full_match(n.value_clean, '[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?')
                then try_cast(n.value_clean as double)
        end as value
    from normalised n
    left join metrics m on m.metric = n.metric
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
    case when value_is_null then null else value end as value,
    case
        when date_text is null then 'missing date.'
        when date is null and regexp_full_match(date_text, '\d{4,6}(\.\d+)?')
            then 'looks like an Excel serial date; dates must be ISO YYYY-MM-DD.'
        when date is null then 'not an ISO date (YYYY-MM-DD); day/month order is never guessed.'
        when date < min_date::date then 'date before ' || min_date || ' (an Excel or epoch artefact?).'
        when date > max_date::date then 'date in the future (after ' || max_date || ').'
    end as date_error,
    date_text,
    case
        when app is null or app = '' then 'missing app.'
        when length(app) > max_text then 'app name longer than ' || max_text || ' characters.'
        -- TAB, LF and CR are whitespace a quoted field may hold (stored as given); every other
        -- control character is refused, never silently stripped (RELIABILITY.md 3.2 #44).
        when regexp_matches(app, '[\x00-\x08\x0B\x0C\x0E-\x1F\x7F]')
            then 'control character (other than TAB or newline) in the app name.'
    end as app_error,
    app_raw,
    case
        when platform is null or platform = '' then 'missing platform.'
        when platform in ('ios', 'android') then null
        when not regexp_full_match(platform, '[a-z0-9][a-z0-9_.+\-]{0,31}')
            then 'platform must be a short word such as ios or android.'
    end as platform_error,
    platform_raw,
    case
        when country is null or country = '' then 'missing country.'
        when not regexp_full_match(country, '[A-Z]{2}')
            then 'country must be an ISO 3166-1 alpha-2 code such as US (WW = worldwide).'
    end as country_error,
    country_raw,
    case
        when metric is null or metric = '' then 'missing metric.'
        when not metric_known then 'unknown metric.'
    end as metric_error,
    metric_raw,
    case
        when source is null or source = '' then 'missing source.'
        when source in ('generic', 'manual', 'demo', 'google_play', 'app_store_connect',
                        'sensortower', 'appfigures') then null
        when not regexp_full_match(source, '[a-z0-9][a-z0-9_.\-]{0,63}')
            then 'source must be a short word such as sensortower or manual.'
    end as source_error,
    source_raw,
    case
        when value_is_null then null
        when value is null and regexp_matches(value_text, '^\(.*\)$')
            then 'accounting-style negative in parentheses is not accepted.'
        when value is null and regexp_matches(value_text, '[$€£¥%]')
            then 'currency or percent signs are not accepted.'
        when value is null and regexp_full_match(value_text, '[+-]?\d{1,3}(\.\d{3})*,\d+')
            then 'decimal comma is not accepted.'
        when value is null then 'not a number.'
        when not isfinite(value) or abs(value) > 9007199254740991
            then 'out of range (larger than 9007199254740991, the largest count stored exactly).'
        when is_integer and value <> floor(value) then 'not a whole number; this metric counts.'
        when value < 0 and not is_signed then 'negative; this metric counts and cannot be negative.'
    end as value_error,
    value_text
from parsed;

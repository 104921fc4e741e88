-- installpulse schema version 4: the totals macro `ip_totals` of version 3, the same rules and
-- the same results, in fewer steps (a page rerun plans and runs it every time): the source of a
-- platform is chosen by one aggregate (arg_min over the precedence) instead of a window,
-- "ever reported" is a semi-join instead of a separate scan, and no aggregate sorts its list
-- (lists that are only counted and searched need no order; labels are sorted after). The view `daily_totals` is
-- re-created over it. Version 3 (v003.sql) stays as it was applied; this file is now the one
-- that defines the rules.
--
-- The rules, applied per app, metric and day, in this order:
--   1. Countries. With no country chosen ("all countries"), a source's worldwide row (WW)
--      for a platform and day is its total when it has a value; otherwise the sum of the
--      countries it holds. Never WW plus countries. Chosen countries are summed as chosen;
--      one chosen country (or p_by_country) keeps each country apart.
--   2. Store listings. Several identifiers of one app (aliases) on one platform and source
--      are summed.
--   3. Sources. Sources that cover the same platform, country scope and day are never summed:
--      the one with a value and the best precedence wins (p_prefer first, in order; then any
--      other source; then p_estimates, in order; ties by name).
--   4. Platforms. Platforms are disjoint and summed (also when each comes from its own
--      first-party source); one chosen platform (or p_by_platform) keeps each apart.
-- A sum is only formed when every part that has ever reported a value (a country, listing or
-- platform with a value on any day, not only in the window: a day's total never depends on
-- the range asked for) has one that day; a missing part is "not reported", never zero:
-- the value is NULL and `missing` names what is missing. `parts` counts the stored values
-- added up; a level metric (metrics.kind = 'level') with parts > 1 would be a sum of
-- snapshots, which the callers refuse and `daily_totals` leaves out.
--
-- Parameters: p_apps (display names or store identifiers, NULL = all), p_metrics,
-- p_countries, p_platforms, p_sources (NULL = all), p_start, p_end (dates, inclusive),
-- p_by_country, p_by_platform (booleans), p_prefer, p_estimates (source lists).
create or replace macro ip_totals(
    p_apps, p_metrics, p_countries, p_platforms, p_sources, p_start, p_end,
    p_by_country, p_by_platform, p_prefer, p_estimates
) as table
with chosen_apps as (
    select a.app_id, a.name
    from apps a
    where p_apps is null
       or list_contains(p_apps, a.name)
       or a.app_id in (
           select i.app_id from identifiers i where list_contains(p_apps, i.identifier)
       )
),
chosen as (
    select
        s.series_id, s.identifier, ca.name as app, s.metric, m.kind, s.source, s.country,
        s.platform,
        case when p_by_country then s.country else '*' end as country_key,
        case when p_by_platform then s.platform else '*' end as platform_key,
        -- "all countries": the worldwide row stands for the countries, never beside them
        (p_countries is null and not p_by_country and s.country = 'WW') as is_ww
    from series s
    join identifiers i using (identifier)
    join chosen_apps ca on ca.app_id = i.app_id
    join metrics m on m.metric = s.metric
    where (p_metrics is null or list_contains(p_metrics, s.metric))
      and (p_countries is null or list_contains(p_countries, s.country))
      and (p_platforms is null or list_contains(p_platforms, s.platform))
      and (p_sources is null or list_contains(p_sources, s.source))
),
-- The parts a complete total needs: the chosen series that hold a value on any day (their
-- whole history, not the window, so a day's total does not depend on the range asked for).
reported as (
    select c.*
    from chosen c
    where exists (
        select 1 from observations o where o.series_id = c.series_id and o.value is not null
    )
),
obs as (
    select
        c.app, c.metric, c.kind, c.source, c.platform, c.identifier, c.country, o.date, o.value,
        c.country_key, c.platform_key, c.is_ww
    from observations o
    join chosen c using (series_id)
    where o.date between p_start and p_end
),
-- 1. countries, per source, platform and listing
expected_countries as (
    select app, metric, source, platform, identifier, country_key, platform_key,
           list_sort(list(distinct country)) as countries
    from reported
    where not is_ww
    group by all
),
-- the countries a total covers where it sums countries (its label), per output series
group_countries as (
    select app, metric, country_key, platform_key,
           array_to_string(list_sort(list_distinct(flatten(list(countries)))), '+')
               as countries
    from expected_countries
    group by all
),
country_days as (
    select
        app, metric, kind, source, platform, identifier, country_key, platform_key, date,
        max(value) filter (where is_ww) as ww_value,
        sum(value) filter (where not is_ww) as country_sum,
        list(country) filter (where not is_ww and value is not null) as countries_present
    from obs
    group by all
),
by_country as (
    select
        d.app, d.metric, d.kind, d.source, d.platform, d.identifier, d.country_key,
        d.platform_key, d.date,
        case
            when d.ww_value is not null then d.ww_value
            when coalesce(len(d.countries_present), 0) = coalesce(len(e.countries), 0)
                then d.country_sum
        end as value,
        d.ww_value is not null as used_ww,
        case when d.ww_value is not null then 1 else coalesce(len(d.countries_present), 0) end
            as parts,
        case
            when d.ww_value is null and coalesce(len(d.countries_present), 0) < len(e.countries)
                then list_filter(
                    e.countries, lambda x: not list_contains(coalesce(d.countries_present, []), x)
                )
        end as missing
    from country_days d
    left join expected_countries e
        using (app, metric, source, platform, identifier, country_key, platform_key)
),
-- 2. store listings of one app, per source and platform
expected_listings as (
    select app, metric, source, platform, country_key,
           count(distinct identifier) as listings
    from reported
    group by all
),
by_listing as (
    select
        b.app, b.metric, b.kind, b.source, b.platform, b.country_key, b.platform_key, b.date,
        case when count(b.value) = any_value(coalesce(e.listings, 0)) then sum(b.value) end
            as value,
        bool_or(b.used_ww) as any_ww,
        bool_and(b.used_ww) as all_ww,
        sum(b.parts)::integer as parts,
        flatten(list(b.missing) filter (where b.missing is not null)) as missing
    from by_country b
    left join expected_listings e using (app, metric, source, platform, country_key)
    group by all
),
-- 3. one source per platform, country scope and day, by precedence: the first by (no value
--    last, p_prefer in order, any other source, p_estimates in order, name)
by_source as (
    select
        app, metric, any_value(kind) as kind, platform, country_key, platform_key, date,
        arg_min(
            {
                'value': value, 'source': source, 'any_ww': any_ww, 'all_ww': all_ww,
                'parts': parts, 'missing': missing
            },
            (
                value is null,
                coalesce(
                    list_position(p_prefer, source),
                    case
                        when list_contains(p_estimates, source)
                            then 2000 + list_position(p_estimates, source)
                        else 1000
                    end
                ),
                source
            )
        ) as b
    from by_listing
    group by app, metric, platform, country_key, platform_key, date
),
-- 4. platforms
expected_platforms as (
    select app, metric, country_key, platform_key,
           list_sort(list(distinct platform)) as platforms
    from reported
    group by all
),
platform_days as (
    select
        b.app,
        b.metric,
        any_value(b.kind) as kind,
        b.country_key,
        b.platform_key,
        b.date,
        sum(b.b.value) as total,
        list(b.platform) filter (where b.b.value is not null) as present,
        list(b.b.source) as sources,
        bool_or(b.b.any_ww) as any_ww,
        bool_and(b.b.all_ww) as all_ww,
        sum(b.b.parts)::integer as parts,
        flatten(list(b.b.missing) filter (where b.b.missing is not null)) as missing
    from by_source b
    group by b.app, b.metric, b.country_key, b.platform_key, b.date
),
final as (
    select
        d.app,
        d.metric,
        d.kind,
        d.country_key,
        d.platform_key,
        d.date,
        case
            when coalesce(len(d.present), 0) = coalesce(len(e.platforms), 0) then d.total
        end as value,
        array_to_string(list_sort(list_distinct(d.sources)), '+') as sources,
        array_to_string(coalesce(e.platforms, []), '+') as platforms,
        d.any_ww,
        d.all_ww,
        coalesce(c.countries, '') as countries,
        d.parts,
        case
            when d.missing is not null
                or coalesce(len(d.present), 0) < coalesce(len(e.platforms), 0)
            then array_to_string(list_sort(list_distinct(
                coalesce(d.missing, [])
                || list_filter(
                    coalesce(e.platforms, []),
                    lambda x: not list_contains(coalesce(d.present, []), x)
                )
            )), ', ')
        end as missing
    from platform_days d
    left join expected_platforms e using (app, metric, country_key, platform_key)
    left join group_countries c using (app, metric, country_key, platform_key)
)
select * from final;

-- The totals for analysts in DuckDB or a notebook: per app, metric and day, every platform
-- and "all" platforms, every country and "all" countries, with the default precedence
-- (first-party before estimates). Filter it like a table:
--   select date, value, sources, all_ww, countries from daily_totals
--   where app = 'ChatGPT' and metric = 'uninstalls' and country = 'US' and platform = 'all';
create or replace view daily_totals as
with scopes as (
    select *, country_key as country, platform_key as platform
    from ip_totals(null, null, null, null, null, date '0001-01-01', date '9999-12-31',
                   true, true, ['app_store_connect', 'google_play'],
                   ['appfigures', 'sensortower'])
    union all by name
    select *, country_key as country, 'all' as platform
    from ip_totals(null, null, null, null, null, date '0001-01-01', date '9999-12-31',
                   true, false, ['app_store_connect', 'google_play'],
                   ['appfigures', 'sensortower'])
    union all by name
    select *, 'all' as country, platform_key as platform
    from ip_totals(null, null, null, null, null, date '0001-01-01', date '9999-12-31',
                   false, true, ['app_store_connect', 'google_play'],
                   ['appfigures', 'sensortower'])
    union all by name
    select *, 'all' as country, 'all' as platform
    from ip_totals(null, null, null, null, null, date '0001-01-01', date '9999-12-31',
                   false, false, ['app_store_connect', 'google_play'],
                   ['appfigures', 'sensortower'])
)
select app, metric, country, platform, date, value, sources, all_ww, countries, parts, missing
from scopes
where not (kind = 'level' and parts > 1);

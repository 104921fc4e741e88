-- Daily series for the chosen apps and metrics over [$start, $end] (the caller adds the
-- baseline's look-back to $start). Countries/platforms are summed unless split ($by_country,
-- $by_platform); sources are never mixed. A summed day is NULL unless every component series
-- that has data in the window reported it: a missing country is not a zero.
with chosen_apps as (
    select a.app_id, a.name
    from apps a
    where a.name in (select unnest($apps::varchar[]))
       or a.app_id in (
           select i.app_id from identifiers i where i.identifier in (select unnest($apps::varchar[]))
       )
),
chosen as (
    select s.series_id, ca.name as app, s.metric, s.source, s.country, s.platform
    from series s
    join identifiers i using (identifier)
    join chosen_apps ca on ca.app_id = i.app_id
    where s.metric in (select unnest($metrics::varchar[]))
      and ($countries is null or s.country in (select unnest($countries::varchar[])))
      and ($platforms is null or s.platform in (select unnest($platforms::varchar[])))
      and ($sources is null or s.source in (select unnest($sources::varchar[])))
),
obs as (
    select c.*, o.date, o.value
    from observations o
    join chosen c using (series_id)
    where o.date between $start and $end
),
keyed as (
    select
        *,
        case when $by_country then country else '*' end as country_key,
        case when $by_platform then platform else '*' end as platform_key
    from obs
),
components as (
    select app, metric, source, country_key, platform_key,
           count(distinct series_id) filter (where value is not null) as components,
           array_to_string(list_sort(list(distinct country)), '+') as country,
           array_to_string(list_sort(list(distinct platform)), '+') as platform
    from keyed
    group by all
),
daily as (
    select app, metric, source, country_key, platform_key, date,
           sum(value) as total,
           count(value) as present
    from keyed
    group by all
)
select
    d.app, d.metric, d.source, c.country, c.platform, d.date,
    case when d.present = c.components then d.total end as value,
    c.components::integer as components,
    d.present::integer as present
from daily d
join components c using (app, metric, source, country_key, platform_key)
order by d.app, d.metric, d.source, c.country, c.platform, d.date;

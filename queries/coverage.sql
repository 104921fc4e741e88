-- Coverage: per app, metric, country and calendar month over [$start, $end], the number of
-- days with at least one value (a blank the source left is not data). Aggregated here, so
-- the page receives one row per month, never one per series and day. $apps (display names;
-- null = every app) is resolved to series ids first, so the scan reads only their rows.
with chosen as (
    select s.series_id, a.name as app, s.metric, s.country
    from series s
    join identifiers i using (identifier)
    join apps a using (app_id)
    where $apps is null or a.name in (select unnest($apps::varchar[]))
)
select
    c.app,
    c.metric,
    c.country,
    date_trunc('month', o.date)::date as month,
    count(distinct o.date) filter (where o.value is not null)::uinteger as days
from observations o
join chosen c using (series_id)
where o.date between $start and $end
group by all
order by c.app, c.metric, c.country, month;

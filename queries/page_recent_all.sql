-- Every series' daily values from $start on (the Overview's look-back window), one row per
-- series and day, not aggregated: the app's display name, metric, source, country, platform.
-- Only this window is read, so ranking movers never pulls whole tables into Python.
with named as (
    select s.series_id, a.name as app, s.metric, s.source, s.country, s.platform
    from series s
    join identifiers i using (identifier)
    join apps a using (app_id)
),
recent as (
    select o.series_id, o.date, o.value
    from observations o
    where o.date >= $start
)
select n.app, n.metric, n.source, n.country, n.platform, r.date, r.value::double as value
from recent r
join named n using (series_id)
order by n.app, n.metric, n.source, n.country, n.platform, r.date;

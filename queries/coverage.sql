-- Coverage: per app, metric, country and calendar month over [$start, $end], the number of
-- days with at least one value (a blank the source left is not data). Aggregated here, so
-- the page receives one row per month, never one per series and day.
select
    a.name as app,
    s.metric,
    s.country,
    date_trunc('month', o.date)::date as month,
    count(distinct o.date) filter (where o.value is not null)::uinteger as days
from observations o
join series s using (series_id)
join identifiers i using (identifier)
join apps a using (app_id)
where o.date between $start and $end
  and ($app is null or a.name = $app)
group by all
order by app, s.metric, s.country, month;

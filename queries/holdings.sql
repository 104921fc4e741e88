-- What the database holds, per app and metric: the overview of coverage and freshness.
select
    a.name as app,
    s.metric,
    m.kind,
    s.source,
    count(distinct s.country) as countries,
    array_to_string(list_sort(list(distinct s.platform)), '+') as platforms,
    min(o.date) as first_date,
    max(o.date) as last_date,
    count(*) as rows,
    count(o.value) as values_present
from observations o
join series s using (series_id)
join identifiers i using (identifier)
join apps a using (app_id)
join metrics m on m.metric = s.metric
group by a.name, s.metric, m.kind, s.source
order by lower(a.name), s.metric, s.source;

-- Every series' daily values over [$start, $end] (the caller puts the look-back into $start),
-- one row per series and day, never aggregated: the whole-database spike scan reads only this
-- window, not full history (PERFORMANCE.md). $metrics null = every metric. `series_id` is
-- an integer key: grouping 40,000 series by it is several times cheaper than by five names.
with named as (
    select s.series_id, a.name as app, s.metric, s.source, s.country, s.platform
    from series s
    join identifiers i using (identifier)
    join apps a using (app_id)
    where $metrics is null or s.metric in (select unnest($metrics::varchar[]))
),
recent as (
    select o.series_id, o.date, o.value
    from observations o
    where o.date between $start and $end
),
final as (
    select n.series_id, n.app, n.metric, n.source, n.country, n.platform, r.date,
           r.value::double as value
    from recent r
    join named n using (series_id)
)
select * from final
order by series_id, date;

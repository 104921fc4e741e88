-- The Overview's top movers for the last $days days of data against $method, named: read
-- from the rankings stored when the data arrived (schema v009), never scored per view.
with ranked as (
    select * from overview_movers where days = $days and method = $method
),
final as (
    select m.rank, m.series_id, a.name as app, s.metric, s.source, s.country, s.platform,
        m.date, m.value, m.score, m.baseline, m.change, m.multiple, m.method_label,
        m.reason, m.trend
    from ranked m
    join series s using (series_id)
    join identifiers i on i.identifier = s.identifier
    join apps a on a.app_id = i.app_id
)
select * from final
order by rank;

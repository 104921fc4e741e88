-- The Overview's latest spike episodes whose peak reaches $min_score, named, latest first:
-- read from the episodes stored when the data arrived (schema v009).
with chosen as (
    select * from overview_episodes where abs(peak_score) >= $min_score
),
final as (
    select a.name as app, s.metric, s.source, s.country, s.platform, e.trend, e.direction,
        e.start_date, e.end_date, e.n_days, e.peak_date, e.peak_value, e.peak_score
    from chosen e
    join series s using (series_id)
    join identifiers i on i.identifier = s.identifier
    join apps a on a.app_id = i.app_id
)
select * from final
order by end_date desc, abs(peak_score) desc, app, metric, country, platform, source
limit $limit;

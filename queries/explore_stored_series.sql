-- The stored series of some apps (display names) and metrics, with their names: which of a
-- request's totals are one stored series, whose scores are stored (semantic/scores.py).
-- $apps and $metrics NULL: every stored series (a lake keeps that per version).
with final as (
    select s.series_id, a.name as app, s.metric, s.source, s.country, s.platform
    from series s
    join identifiers i using (identifier)
    join apps a using (app_id)
    where ($apps::varchar[] is null or a.name in (select unnest($apps::varchar[])))
      and ($metrics::varchar[] is null or s.metric in (select unnest($metrics::varchar[])))
)
select * from final
order by series_id;

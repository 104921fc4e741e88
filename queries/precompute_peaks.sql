-- Per series, its most extreme stored score in [$start, $end] (the earliest such day on a
-- tie), the $limit largest |score| first, then by series id: exactly the rows
-- analytics.spikes.top_movers ranks, read from the stored scores.
with ranged as (
    select series_id, date, value, score
    from spike_scores
    where date between $start and $end and score is not null
),
-- (arg_max on (|score|, the earlier day), not a window: see import_resolve_apps.sql)
peaks as (
    select series_id, unnest(peak)
    from (
        select
            series_id,
            arg_max(
                {'date': date, 'value': value, 'score': score},
                {'size': abs(score), 'earlier': date '1970-01-01' - date}
            ) as peak
        from ranged
        group by series_id
    )
),
final as (
    select * from peaks
    order by abs(score) desc, series_id
    limit $limit
)
select * from final;

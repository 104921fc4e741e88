-- Per series, its most extreme stored score in [$start, $end] (the earliest such day on a
-- tie), the $limit largest |score| first, then by series id: exactly the rows
-- analytics.spikes.top_movers ranks, read from the stored scores.
with ranged as (
    select series_id, date, value, score
    from spike_scores
    where date between $start and $end and score is not null
),
peaks as (
    select *
    from ranged
    qualify row_number() over (partition by series_id order by abs(score) desc, date) = 1
),
final as (
    select * from peaks
    order by abs(score) desc, series_id
    limit $limit
)
select * from final;

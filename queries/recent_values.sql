-- Every series' daily values over [$start, $end] (the caller puts the look-back into $start),
-- keyed by the integer series_id only, in storage order (the analytics sort): the
-- whole-database spike scan scores on the id and names only the rows it ranks
-- (queries/series_names.sql). Carrying five name columns on each of 1.4M rows, and sorting
-- them here, was two thirds of the read at 40,000 series. $metrics null = every metric. Every
-- observation belongs to a series of an app (see analysis_last_date.sql), so these are the
-- rows of recent_all.sql.
with chosen as (
    select s.series_id
    from series s
    where s.metric in (select unnest($metrics::varchar[]))
),
final as (
    select o.series_id, o.date, o.value::double as value
    from observations o
    where o.date between $start and $end
      and ($metrics is null or o.series_id in (select series_id from chosen))
)
select * from final;

-- The values behind the scores of the ranges in the temp table precompute_ranges (one row
-- per series): each range's days and the $history days before its first day (a score
-- depends on its 34 previous days), in series and day order. $since (the earliest first day
-- minus the history) is a constant bound, so DuckDB skips the row groups before it.
select o.series_id, o.date, o.value::double as value
from observations o
join precompute_ranges r
    on r.series_id = o.series_id
    and o.date between r.first_date - $history::integer and r.last_date
where o.date >= $since
order by o.series_id, o.date;

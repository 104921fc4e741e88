-- The values behind the scores of the ranges in the temp table precompute_ranges (one row
-- per series): each range's days and the $history days before its first day (a score
-- depends on its 34 previous days), in series and day order. $since (the earliest first day
-- minus the history) and the batch's series ids [$first_series, $last_series] are constant
-- bounds: observations are stored clustered by series, so DuckDB reads only the row groups of
-- the batch's series (a date bound alone skips nothing, and every batch scanned the table).
select o.series_id, o.date, o.value::double as value
from observations o
join precompute_ranges r
    on r.series_id = o.series_id
    and o.date between r.first_date - $history::integer and r.last_date
where o.date >= $since
  and o.series_id between $first_series and $last_series
order by o.series_id, o.date;

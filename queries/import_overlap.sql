-- How many incoming rows restate a stored day (0 for a fresh series: the replace step is skipped).
select count(*)
from observations o
semi join incoming i on i.series_id = o.series_id and i.date = o.date
where o.series_id between $min_series and $max_series;

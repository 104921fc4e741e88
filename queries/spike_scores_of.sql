-- Stored scores of some series ($series_ids) over [$start, $end] (Explore's read path, where
-- a requested series is one stored series).
select series_id, date, value, score, median, mad, score_obs, is_weekday_aware
from spike_scores
where series_id in (select unnest($series_ids::integer[]))
  and date between $start and $end
order by series_id, date;

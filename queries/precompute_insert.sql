-- The recomputed scores (the registered frame precompute_rows), sorted by series and day so
-- the table stays clustered by series as observations do.
insert into spike_scores
    (series_id, date, value, score, median, mad, score_obs, is_weekday_aware)
select series_id, date, value, score, median, mad, score_obs, is_weekday_aware
from precompute_rows
order by series_id, date;

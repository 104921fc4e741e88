-- The recomputed scores (the registered frame precompute_rows), already in series and day
-- order (pipelines/precompute.py: each batch sorted, batches in series order), so the table
-- stays clustered by series as observations do. (An ORDER BY here sorted them again: 1.5 s
-- of an L rebuild.)
insert into spike_scores
    (series_id, date, value, score, median, mad, score_obs, is_weekday_aware)
select series_id, date, value, score, median, mad, score_obs, is_weekday_aware
from precompute_rows;

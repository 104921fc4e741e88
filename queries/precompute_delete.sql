-- The stored scores of the ranges about to be recomputed (delete, then insert: no keys).
delete from spike_scores s
using precompute_ranges r
where s.series_id = r.series_id and s.date between r.first_date and r.last_date;

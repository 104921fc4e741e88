-- Scores of days that fell before the stored horizon (the newest day moved on).
delete from spike_scores where date < $horizon_start;

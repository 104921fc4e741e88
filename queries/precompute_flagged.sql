-- Stored days from $since on whose |score| reaches $threshold: the days spike episodes are
-- made of.
select series_id, date, value, score,
    case when score > 0 then 'up' when score < 0 then 'down' end as direction
from spike_scores
where date >= $since and abs(score) >= $threshold
order by series_id, date;

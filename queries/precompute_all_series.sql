-- Every stored series with the days [$first_date, $last_date]: the ranges of a full rebuild,
-- or of the days a horizon moved back over (an undo of the newest days).
select s.series_id, $first_date::date as first_date, $last_date::date as last_date
from series s
order by s.series_id;

-- import_fast_days.sql for a file whose date span times its series would make the bitstrings
-- too large to hold: the same count with count(distinct date).
select count(*)
from (
    select count(*) as rows, count(distinct date) as days
    from observations
    where import_id = $import_id
    group by series_id
)
where rows <> days;

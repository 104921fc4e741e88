-- What the fast pass wrote (still uncommitted), checked per series on compact columns: the
-- value rules that depend on the metric, unusable values, and whether every row of the file
-- was written. $rows is the row count of the first read.
with written as (
    select
        series_id,
        count(*) as rows,
        min(date) as first_date,
        max(date) as last_date,
        bool_or(not isfinite(value) or abs(value) > 9007199254740991) as unusable,
        bool_or(value <> floor(value)) as fractional,
        min(value) < 0 as negative
    from observations
    where import_id = $import_id
    group by series_id
)
select
    coalesce(sum(w.rows), 0) as rows,
    count(*) as series,
    min(w.first_date) as first_date,
    max(w.last_date) as last_date,
    coalesce(sum(w.rows), 0) <> $rows
    or bool_or(w.unusable or (m.is_integer and w.fractional) or (w.negative and not m.is_signed))
        as problems
from written w
join series s using (series_id)
join metrics m using (metric);

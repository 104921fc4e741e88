-- How the first rows of the file fall into row groups (122,880 rows each): per group, the
-- span of series ids it covers (see contract._in_series_order). A few row groups of the
-- file's head are read; the rest of the file is not.
select position // 122880 as chunk, max(series_id) - min(series_id) + 1 as span, count(*) as rows
from (
    select series_id, row_number() over () - 1 as position
    from (select series_id from import_fast_rows limit $sample)
)
group by chunk;

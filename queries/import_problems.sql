-- The located problems of the typed import table, in file order.
with problems as (
    select line, 'date' as field, date_text as value, date_error as message from typed where date_error is not null
    union all
    select line, 'app', app_raw, app_error from typed where app_error is not null
    union all
    select line, 'platform', platform_raw, platform_error from typed where platform_error is not null
    union all
    select line, 'country', country_raw, country_error from typed where country_error is not null
    union all
    select line, 'metric', metric_raw, metric_error from typed where metric_error is not null
    union all
    select line, 'source', source_raw, source_error from typed where source_error is not null
    union all
    select line, value_column, value_text, value_error from typed where value_error is not null
)
-- (The total is a scalar count, not `count(*) over ()`: duckdb 1.5.5's window operator can
-- crash on an input with empty blocks, which a union of filters gives - see
-- tests/foundation/test_duckdb_line.py.)
select line, field, value, message, (select count(*) from problems) as total
from problems
order by line, field
limit $limit;

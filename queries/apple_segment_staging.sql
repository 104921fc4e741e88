-- The rows an App Store Installation and Deletion file writes: per app, day, territory and
-- metric, the sum over the files that count for that app and day (apple_live: the new file,
-- k = 0, and the stored segments it adds to). A value's line is its first line in the new
-- file, else the new file's first line for that app and day.
create or replace temp table staging as
with counted as (
    select p.*
    from apple_parts p
    semi join apple_live l on l.k = p.k and l.date_key = p.date_key and l.app_key = p.app_key
),
first_line as (
    select date_key, app_key, min(line) as line from apple_rows group by date_key, app_key
)
select
    coalesce(min(c.line) filter (where c.k = 0), any_value(f.line)) as line,
    coalesce(min(c.date) filter (where c.k = 0), min(c.date)) as date,
    coalesce(min(c.app) filter (where c.k = 0), min(c.app)) as app,
    coalesce(min(c.app_name) filter (where c.k = 0), min(c.app_name)) as app_name,
    'ios' as platform,
    c.country,
    c.metric,
    sum(c.counts)::varchar as value,
    'app_store_connect' as source,
    'counts' as value_column
from counted c
join first_line f on f.date_key = c.date_key and f.app_key = c.app_key
group by c.date_key, c.app_key, c.country, c.metric
order by line;

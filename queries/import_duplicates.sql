-- Rows of one file that give the same day twice for one series: both lines are named.
with dupes as (
    select
        list(line order by line) as lines,
        any_value(date_text) as date_text,
        any_value(app) as app,
        any_value(metric) as metric
    from typed
    group by app, platform, country, metric, source, date
    having count(*) > 1
)
select lines, date_text, app, metric, (select count(*) from dupes) as total
from dupes
order by lines[1]
limit $limit;

-- After an App Store Installation and Deletion import was undone: per app, day, territory and
-- metric, the sum over the files that still count (apple_live), and the latest of them
-- (holder), for the apps and days the undone import touched (apple_units).
create or replace temp table apple_target as
with holders as (
    select date_key, app_key, max(import_id) as holder from apple_live group by date_key, app_key
)
select
    u.app_key,
    u.day,
    upper(trim(p.country)) as country,
    p.metric,
    sum(p.counts)::double as value,
    any_value(h.holder) as holder
from apple_parts p
join apple_live l on l.k = p.k and l.date_key = p.date_key and l.app_key = p.app_key
join holders h on h.date_key = p.date_key and h.app_key = p.app_key
join apple_units u on u.date_key = p.date_key and u.app_key = p.app_key
group by u.app_key, u.day, upper(trim(p.country)), p.metric;

-- The display name of each asked app, given its name or any of its store identifiers, in one
-- query for the whole request (one row per known value; a value that is both an app's name
-- and another app's identifier means the app of that name). Unknown values have no row.
with asked as (
    select unnest($apps::varchar[]) as asked
),
found as (
    select q.asked, a.name, 0 as rank
    from asked q
    join apps a on a.name = q.asked
    union all
    select q.asked, a.name, 1 as rank
    from asked q
    join identifiers i on i.identifier = q.asked
    join apps a on a.app_id = i.app_id
)
select asked, arg_min(name, rank) as name
from found
group by asked;

-- The display name of each asked app, given its name or any of its store identifiers, in one
-- query for the whole request (one row per known value; a value that is both an app's name
-- and another app's identifier means the app of that name). Unknown values have no row.
-- $apps NULL: every name and identifier (a lake keeps that per version, reads.app_names).
with asked as (
    select unnest($apps::varchar[]) as asked
),
found as (
    select a.name as asked, a.name, 0 as rank
    from apps a
    where $apps::varchar[] is null or a.name in (select asked from asked)
    union all
    select i.identifier as asked, a.name, 1 as rank
    from identifiers i
    join apps a on a.app_id = i.app_id
    where $apps::varchar[] is null or i.identifier in (select asked from asked)
)
select asked, arg_min(name, rank) as name
from found
group by asked;

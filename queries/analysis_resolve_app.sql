-- The display name of an app given its name or any of its store identifiers (0 or 1 row).
select a.name
from apps a
where a.name = $app
   or a.app_id in (select app_id from identifiers where identifier = $app)
order by a.name = $app desc
limit 1;

-- A row of another format that a dropped row had replaced comes back (the latest, if several).
insert into observations (series_id, date, value, import_id)
-- (arg_max, not a window: see import_resolve_apps.sql; one import gives one value per day.)
select r.series_id, r.date, arg_max(r.value, r.import_id), max(r.import_id)
from replaced_observations r
join apple_dropped d on d.series_id = r.series_id and d.date = r.date and d.import_id = r.replaced_by
join imports i on i.import_id = r.import_id
where i.format is distinct from $format
group by r.series_id, r.date;

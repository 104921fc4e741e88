-- Stores restate recent days: rows stored before this import for a series and day it gives
-- again move to replaced_observations (undo brings them back). Only series that existed
-- before the import can hold such rows ($min_series..$last_old_series).
insert into replaced_observations (series_id, date, value, import_id, replaced_by)
select o.series_id, o.date, o.value, o.import_id, $import_id
from observations o
semi join (
    select series_id, date
    from observations
    where import_id = $import_id and series_id between $min_series and $last_old_series
) n using (series_id, date)
where o.import_id <> $import_id and o.series_id between $min_series and $last_old_series;

delete from observations o
where o.import_id <> $import_id
  and o.series_id between $min_series and $last_old_series
  and exists (
      select 1
      from observations n
      where n.import_id = $import_id and n.series_id = o.series_id and n.date = o.date
  );

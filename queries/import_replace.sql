-- Stores restate recent days: rows already stored for the same series and day are moved to
-- replaced_observations (so undo can bring them back) and removed before the insert.
insert into replaced_observations (series_id, date, value, import_id, replaced_by)
select o.series_id, o.date, o.value, o.import_id, $import_id
from observations o
semi join incoming i on i.series_id = o.series_id and i.date = o.date
where o.series_id between $min_series and $max_series;

delete from observations o
where o.series_id between $min_series and $max_series
  and exists (select 1 from incoming i where i.series_id = o.series_id and i.date = o.date);

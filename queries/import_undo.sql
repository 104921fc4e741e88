-- Undo one import inside a transaction: its rows go, the rows it replaced come back unless a
-- later import holds that day now (then they stay archived, now replaced by that import).
delete from observations where import_id = $import_id;

insert into observations (series_id, date, value, import_id)
select r.series_id, r.date, r.value, r.import_id
from replaced_observations r
anti join observations o on o.series_id = r.series_id and o.date = r.date
where r.replaced_by = $import_id;

update replaced_observations r
set replaced_by = o.import_id
from observations o
where r.replaced_by = $import_id
  and o.series_id = r.series_id and o.date = r.date and o.import_id <> r.import_id;

delete from replaced_observations
where replaced_by = $import_id or import_id = $import_id;

delete from series s
where not exists (select 1 from observations o where o.series_id = s.series_id)
  and not exists (select 1 from replaced_observations r where r.series_id = s.series_id);

update imports set status = 'undone', undone_at = current_timestamp where import_id = $import_id;

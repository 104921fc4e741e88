-- Rows apple_segment_settle_restore.sql brought back are no longer kept aside.
delete from replaced_observations r
using apple_dropped d, observations o
where r.series_id = d.series_id and r.date = d.date and r.replaced_by = d.import_id
  and o.series_id = r.series_id and o.date = r.date and o.import_id = r.import_id;

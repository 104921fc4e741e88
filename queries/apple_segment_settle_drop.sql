-- The rows apple_segment_settle_dropped.sql found leave observations.
delete from observations o
using apple_dropped d
where o.series_id = d.series_id and o.date = d.date and o.import_id = d.import_id;

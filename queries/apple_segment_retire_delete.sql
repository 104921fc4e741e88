-- The rows apple_segment_retire.sql moved aside leave observations.
delete from observations o
using series s, apple_units u, imports i
where s.series_id = o.series_id and u.app_key = s.identifier and u.day = o.date
  and i.import_id = o.import_id
  and s.platform = 'ios' and s.source = 'app_store_connect'
  and o.import_id <> $import_id and i.format = $format;

-- ... and so do their rows kept under another format's row (undoing that file brings them back).
update replaced_observations r
set value = t.value
from series s, apple_target t, imports i, imports b
where s.series_id = r.series_id and s.identifier = t.app_key and s.country = t.country
  and s.metric = t.metric and r.date = t.day
  and s.platform = 'ios' and s.source = 'app_store_connect'
  and i.import_id = r.import_id and i.format = $format
  and b.import_id = r.replaced_by and b.format is distinct from $format
  and r.value is distinct from t.value;

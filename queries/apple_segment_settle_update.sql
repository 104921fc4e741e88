-- Stored rows of App Store Installation and Deletion imports take the sums of the files that
-- still count (apple_target).
update observations o
set value = t.value
from series s, apple_target t, imports i
where s.series_id = o.series_id and s.identifier = t.app_key and s.country = t.country
  and s.metric = t.metric and o.date = t.day
  and s.platform = 'ios' and s.source = 'app_store_connect'
  and i.import_id = o.import_id and i.format = $format
  and o.value is distinct from t.value;

-- A sum with no stored row at all (its row went with the undone file) is written under the
-- latest file that still counts for that app and day.
insert into observations (series_id, date, value, import_id)
select s.series_id, t.day, t.value, t.holder
from apple_target t
join series s
    on s.identifier = t.app_key and s.country = t.country and s.metric = t.metric
    and s.platform = 'ios' and s.source = 'app_store_connect'
anti join observations o on o.series_id = s.series_id and o.date = t.day;

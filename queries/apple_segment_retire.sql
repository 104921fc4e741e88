-- After an App Store Installation and Deletion import wrote its totals: rows that earlier files
-- of that format still hold for its apps and days are series the new totals lack (only a
-- restated file had them); they move to replaced_observations, so undo brings them back.
insert into replaced_observations (series_id, date, value, import_id, replaced_by)
select o.series_id, o.date, o.value, o.import_id, $import_id
from observations o
join series s on s.series_id = o.series_id
join apple_units u on u.app_key = s.identifier and u.day = o.date
join imports i on i.import_id = o.import_id
where s.platform = 'ios' and s.source = 'app_store_connect'
  and o.import_id <> $import_id and i.format = $format;

-- Stored rows of App Store Installation and Deletion imports for series no file that still
-- counts has (only the undone file, or a file it had restated, had them).
create or replace temp table apple_dropped as
select o.series_id, o.date, o.import_id
from observations o
join series s on s.series_id = o.series_id
join apple_units u on u.app_key = s.identifier and u.day = o.date
join imports i on i.import_id = o.import_id
where s.platform = 'ios' and s.source = 'app_store_connect' and i.format = $format
  and not exists (
      select 1
      from apple_target t
      where t.app_key = s.identifier and t.day = o.date and t.country = s.country
        and t.metric = s.metric
  );

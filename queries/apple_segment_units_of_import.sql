-- The apps and days an App Store Installation and Deletion import holds or held rows for (its
-- own rows, stored or kept for undo, and the rows it moved aside), before it is undone.
create or replace temp table apple_units as
select distinct strftime(x.date, '%Y-%m-%d') as date_key, s.identifier as app_key, x.date as day
from (
    select series_id, date from observations where import_id = $import_id
    union all
    select series_id, date from replaced_observations
    where import_id = $import_id or replaced_by = $import_id
) x
join series s using (series_id)
where s.platform = 'ios' and s.source = 'app_store_connect';

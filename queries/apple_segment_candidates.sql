-- The stored imports of one App Store Analytics Reports format ($format: Installation and
-- Deletion, App Downloads) holding rows (stored or kept for
-- undo) for the apps and days in temp table apple_units, oldest first: the files a new file
-- is compared with, detail row by detail row (apple_installs.py).
with wanted as (
    select s.series_id, u.day
    from series s
    join apple_units u on u.app_key = s.identifier
    where s.platform = 'ios' and s.source = 'app_store_connect' and u.day is not null
),
holders as (
    select o.import_id
    from observations o
    join wanted w on w.series_id = o.series_id and w.day = o.date
    union
    select r.import_id
    from replaced_observations r
    join wanted w on w.series_id = r.series_id and w.day = r.date
)
select i.import_id, i.file_name, i.sha256, i.archive_path, i.options
from imports i
semi join holders h on h.import_id = i.import_id
where i.status = 'ok' and i.format = $format
order by i.import_id;

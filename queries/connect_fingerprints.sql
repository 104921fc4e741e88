-- Fingerprints of files whose import still stands (an undone import is fetched again).
select f.fingerprint
from sync_files f
join imports i using (import_id)
where f.connection_id = $connection_id and i.status = 'ok';

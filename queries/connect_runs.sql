select run_id, connection_name, started_at, finished_at, result, files_imported,
       files_unchanged, message
from sync_runs
where connection_id = $connection_id
order by run_id desc
limit $limit;

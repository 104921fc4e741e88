-- Ids are max + 1 (portable: DuckLake has no sequences nor RETURNING): every writer holds the
-- write lock (a PostgreSQL advisory lock on a lake), so no two writers number at once.
insert into sync_runs (run_id, connection_id, connection_name, pid, result)
select coalesce(max(run_id), 0) + 1, $connection_id, $connection_name, $pid, 'running'
from sync_runs;
select max(run_id) from sync_runs;

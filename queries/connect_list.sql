select c.connection_id, c.name, c.kind, c.config, c.secret_ref, c.apps, c.created_at,
       r.started_at as last_sync, r.finished_at as last_sync_finished, r.result as last_result,
       r.files_imported as last_files_imported, r.message as last_message
from connections c
left join (
    -- (each connection's newest run by a join on its max, not a window: see
    -- import_resolve_apps.sql)
    select r.*
    from sync_runs r
    join (select connection_id, max(run_id) as run_id from sync_runs group by connection_id)
        using (connection_id, run_id)
) r using (connection_id)
order by c.name;

select c.connection_id, c.name, c.kind, c.config, c.secret_ref, c.apps, c.created_at,
       r.started_at as last_sync, r.finished_at as last_sync_finished, r.result as last_result,
       r.files_imported as last_files_imported, r.message as last_message
from connections c
left join (
    select * from sync_runs
    qualify row_number() over (partition by connection_id order by run_id desc) = 1
) r using (connection_id)
order by c.name;

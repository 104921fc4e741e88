insert into sync_runs (run_id, connection_id, connection_name, pid, result)
values (nextval('sync_run_id_seq'), $connection_id, $connection_name, $pid, 'running')
returning run_id;

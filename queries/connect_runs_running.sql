select run_id, pid from sync_runs where connection_id = $connection_id and result = 'running';

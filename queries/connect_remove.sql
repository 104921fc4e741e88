delete from sync_files where connection_id = $connection_id;
delete from sync_state where connection_id = $connection_id;
delete from sync_runs where connection_id = $connection_id;
delete from connections where connection_id = $connection_id;

select app, last_day from sync_state where connection_id = $connection_id;

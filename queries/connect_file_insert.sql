insert into sync_files (connection_id, fingerprint, app, file_name, import_id, last_day)
select $connection_id, $fingerprint, $app, $file_name, $import_id, $last_day
-- (uniqueness checked here, not by a key: DuckLake has none)
where not exists (
    select 1 from sync_files where connection_id = $connection_id and fingerprint = $fingerprint
);

insert into sync_files (connection_id, fingerprint, app, file_name, import_id, last_day)
values ($connection_id, $fingerprint, $app, $file_name, $import_id, $last_day)
on conflict do nothing;

update sync_runs
set finished_at = current_timestamp, result = $result, files_imported = $files_imported,
    files_unchanged = $files_unchanged, message = $message
where run_id = $run_id;

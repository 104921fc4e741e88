update imports
set status = 'failed', message = $message, finished_at = current_timestamp
where import_id = $import_id;

update imports
set status = 'ok', rows_written = $rows, rows_replaced = $replaced, series_touched = $series,
    first_date = $first_date, last_date = $last_date, format = $format,
    finished_at = current_timestamp
where import_id = $import_id;

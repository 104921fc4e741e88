select import_id, started_at, imported_by, file_name, format, status, rows_written, rows_replaced,
       series_touched, first_date, last_date, encoding, sha256, archive_path, message,
       undone_by, undone_at
from imports
order by import_id desc
limit $limit;

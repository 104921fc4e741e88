select import_id, started_at, file_name, format, status, rows_written, rows_replaced,
       series_touched, first_date, last_date, encoding, sha256, archive_path, message
from imports
order by import_id desc
limit $limit;

-- Ids are max + 1 (portable: DuckLake has no sequences nor RETURNING): every writer holds the
-- write lock (a PostgreSQL advisory lock on a lake), so no two writers number at once.
insert into imports (import_id, file_name, sha256, format, status, options, encoding,
                     imported_by)
select coalesce(max(import_id), 0) + 1, $file_name, $sha256, $format, $status, $options,
       $encoding, $actor
from imports;
select max(import_id) from imports;

-- The fast pass, second read of the file: every row straight into observations, in file
-- order (the caller has checked that the file arrives in series order; import_fast_order).
-- Inside the import transaction; import_fast_check.sql then checks what was written.
insert into observations (series_id, date, value, import_id)
select series_id, date, value, $import_id from import_fast_rows;

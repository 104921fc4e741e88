-- The series of the file's first rows, in the order they would be written (a few row groups of
-- the file's head are read; the rest of the file is not). contract._head_chunks cuts them into
-- row groups of 122,880 rows: per group, the span of series ids it covers
-- (see contract._in_series_order). (The position is counted in Python, not by
-- `row_number() over ()`: duckdb 1.5.5's window operator can crash on an input with empty
-- blocks; see tests/foundation/test_duckdb_line.py.)
select series_id from import_fast_rows limit $sample;

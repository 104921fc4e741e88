-- Small inserts DuckLake kept in the catalog's tables, written out as Parquet files.
select count(*) from ducklake_flush_inlined_data('lake')

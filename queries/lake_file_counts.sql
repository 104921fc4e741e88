-- A lake's files and snapshots (installpulse maintain): data files of the current snapshot,
-- snapshots kept, data and delete files the catalog lists (those of older snapshots included).
select
    (select count(*) from __ducklake_metadata_lake.ducklake_data_file where end_snapshot is null)
        as live_files,
    (select count(*) from ducklake_snapshots('lake')) as snapshots,
    (select count(*) from __ducklake_metadata_lake.ducklake_data_file)
    + (select count(*) from __ducklake_metadata_lake.ducklake_delete_file) as listed_files

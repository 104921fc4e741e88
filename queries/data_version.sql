-- Changes on every import, undo, alias and event edit: the UI's cache key for query results
-- on a database file (a lake's key is its catalog's newest snapshot: lake.LakeStore.version).
-- The newest import that committed data, not the newest history row: an import's 'running'
-- row is committed before its data (a failure must leave its row), and on a lake, whose
-- readers see every commit, a page rerun during the import cached the old data under a key
-- that then did not change when the data came (the load test's sessions never saw it).
select
    coalesce((select max(import_id) from imports where status in ('ok', 'undone')), 0) || ':' ||
    coalesce((select count(*) from imports where status = 'undone'), 0) || ':' ||
    coalesce((select count(*) from identifiers), 0) || ':' ||
    coalesce((select count(*) from apps), 0) || ':' ||
    coalesce((select max(event_id) from events), 0) || ':' ||
    coalesce((select count(*) from events), 0) || ':' ||
    coalesce((select max(updated_at)::varchar from events), '')
    as version;

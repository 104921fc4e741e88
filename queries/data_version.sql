-- Changes on every import, undo, alias and event edit: the UI's cache key for query results.
select
    coalesce((select max(import_id) from imports), 0) || ':' ||
    coalesce((select count(*) from imports where status = 'undone'), 0) || ':' ||
    coalesce((select count(*) from identifiers), 0) || ':' ||
    coalesce((select count(*) from apps), 0) || ':' ||
    coalesce((select max(event_id) from events), 0) || ':' ||
    coalesce((select count(*) from events), 0) || ':' ||
    coalesce((select max(updated_at)::varchar from events), '')
    as version;

-- Ids are max + 1 (portable: DuckLake has no sequences nor RETURNING): every writer holds the
-- write lock (a PostgreSQL advisory lock on a lake), so no two writers number at once.
-- A new event: its author is also its last editor until someone edits it.
insert into events (event_id, start_date, end_date, title, description, tags, is_approximate,
                    import_id, created_by, updated_by)
select coalesce(max(event_id), 0) + 1, $start_date, $end_date, $title, $description,
       $tags::varchar[], $is_approximate, $import_id, $actor, $actor
from events;
select max(event_id) from events;

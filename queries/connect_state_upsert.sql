-- (MERGE rather than ON CONFLICT: DuckLake has no keys)
merge into sync_state s
using (select $connection_id::integer as connection_id, $app::varchar as app,
              $last_day::date as last_day) n
on s.connection_id = n.connection_id and s.app = n.app
when matched then update
    set last_day = greatest(s.last_day, n.last_day), updated_at = get_current_timestamp()
when not matched then insert (connection_id, app, last_day)
    values (n.connection_id, n.app, n.last_day);

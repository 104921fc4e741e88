insert into sync_state (connection_id, app, last_day)
values ($connection_id, $app, $last_day)
on conflict (connection_id, app) do update
set last_day = greatest(sync_state.last_day, excluded.last_day),
    updated_at = get_current_timestamp();

-- (read first, then updated, under the write lock: DuckLake refuses RETURNING)
select event_id from events where event_id = $event_id;
update events
set start_date = $start_date, end_date = $end_date, title = $title, description = $description,
    tags = $tags::varchar[], is_approximate = $is_approximate, updated_at = current_timestamp,
    updated_by = $actor
where event_id = $event_id;

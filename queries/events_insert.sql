-- A new event: its author is also its last editor until someone edits it.
insert into events (event_id, start_date, end_date, title, description, tags, is_approximate,
                    import_id, created_by, updated_by)
values (nextval('event_id_seq'), $start_date, $end_date, $title, $description, $tags::varchar[],
        $is_approximate, $import_id, $actor, $actor)
returning event_id;

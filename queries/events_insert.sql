insert into events (event_id, start_date, end_date, title, description, tags, is_approximate, import_id)
values (nextval('event_id_seq'), $start_date, $end_date, $title, $description, $tags::varchar[],
        $is_approximate, $import_id)
returning event_id;

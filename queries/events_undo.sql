-- Events that came in with an import go with it.
delete from event_apps where event_id in (select event_id from events where import_id = $import_id);
delete from events where import_id = $import_id;

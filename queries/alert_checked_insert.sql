-- Mark imports as evaluated (an import evaluated twice is harmless: episodes are matched).
insert into alert_checked (import_id, checked_at)
select unnest($import_ids::integer[]), $now
on conflict do nothing;

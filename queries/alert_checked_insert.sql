-- Mark imports as evaluated (an import evaluated twice is harmless: episodes are matched).
insert into alert_checked (import_id, checked_at)
select distinct n.import_id, $now::timestamp
from (select unnest($import_ids::integer[]) as import_id) n
-- (uniqueness checked here, not by a key: DuckLake has none)
anti join alert_checked c on c.import_id = n.import_id;

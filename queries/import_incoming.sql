-- The exact pass's rows to write: every checked value with its series (after
-- import_resolve_apps gave every key one).
create or replace temp view incoming as
select s.series_id, t.date, t.value
from typed t
join series s
    on s.identifier = t.app and s.platform = t.platform and s.country = t.country
    and s.metric = t.metric and s.source = t.source;

-- Give every new identifier an app: an existing app of that name (or of the file's display
-- name for it), else a new app named after it; then a series for every new key. Runs inside
-- the import transaction and reads relation `typed` (the exact pass: every checked row; the
-- fast pass: one row per distinct key).
create or replace temp table new_identifiers as
select t.app as identifier, coalesce(any_value(t.app_name), t.app) as name
from typed t
anti join identifiers i on i.identifier = t.app
group by t.app;

insert into apps (app_id, name)
select nextval('app_id_seq'), name
from (select distinct name from new_identifiers) n
anti join apps a on a.name = n.name;

insert into identifiers (identifier, app_id)
select n.identifier, a.app_id
from new_identifiers n
join apps a on a.name = n.name;

-- New series are numbered in key order: a file grouped by app (as exports are) then arrives
-- in series order, and the fast pass can write it without sorting (import_fast_order.sql).
insert into series (series_id, identifier, platform, country, metric, source)
select nextval('series_id_seq'), app, platform, country, metric, source
from (
    select k.app, k.platform, k.country, k.metric, k.source
    from (select distinct app, platform, country, metric, source from typed) k
    anti join series s
        on s.identifier = k.app and s.platform = k.platform and s.country = k.country
        and s.metric = k.metric and s.source = k.source
    order by k.app, k.platform, k.country, k.metric, k.source
);

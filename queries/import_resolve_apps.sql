-- Give every new identifier an app: an existing app of that name (or of the file's display
-- name for it), else a new app named after it; then a series for every new key. Runs inside
-- the import transaction and reads relation `typed` (the exact pass: every checked row; the
-- fast pass: one row per distinct key).
--
-- A display name names an app, it is not the app: two store identifiers of one platform and
-- source that carry the same name (Sales and Trends titles repeat across apps) are two apps.
-- Such a name - shared with a new identifier of the file that sorts first, or held by an app
-- that already has another identifier with series of that platform and source - names the new
-- app "Name (identifier)". An identifier's own name (no display name) is unique already.
create or replace temp table new_identifier_keys as
select t.app as identifier, any_value(t.app_name) as hint,
       list(distinct t.platform || '|' || t.source) as scopes
from typed t
anti join identifiers i on i.identifier = t.app
group by t.app;

create or replace temp table new_identifiers as
select
    n.identifier,
    case
        when n.hint is null then n.identifier
        when exists (
                select 1
                from new_identifier_keys o
                where o.hint = n.hint and o.identifier < n.identifier
                  and len(list_intersect(o.scopes, n.scopes)) > 0
            )
            or exists (
                select 1
                from apps a
                join identifiers i on i.app_id = a.app_id
                join series s on s.identifier = i.identifier
                where a.name = n.hint and i.identifier <> n.identifier
                  and list_contains(n.scopes, s.platform || '|' || s.source)
            )
            then n.hint || ' (' || n.identifier || ')'
        else n.hint
    end as name
from new_identifier_keys n;

-- New apps are numbered in name order: the same file gives the same ids whatever the number
-- of threads (a replay or a retry under a memory cap stores the same tables). Ids are max + 1
-- on (portable: DuckLake has no sequences); the import holds the write lock.
-- (Numbered by position in one ordered list, not by `row_number() over`: duckdb 1.5.5's window
-- operator can crash on an input with empty blocks, which an anti join gives; see
-- tests/foundation/test_duckdb_line.py.)
insert into apps (app_id, name)
select (select coalesce(max(app_id), 0) from apps) + generate_subscripts(names, 1), unnest(names)
from (
    select list(n.name order by n.name) as names
    from (select distinct name from new_identifiers) n
    anti join apps a on a.name = n.name
);

insert into identifiers (identifier, app_id)
select n.identifier, a.app_id
from new_identifiers n
join apps a on a.name = n.name;

-- New series are numbered in key order: a file grouped by app (as exports are) then arrives
-- in series order, and the fast pass can write it without sorting (import_fast_order.sql).
insert into series (series_id, identifier, platform, country, metric, source)
select
    (select coalesce(max(series_id), 0) from series) + generate_subscripts(keys, 1),
    unnest(keys, recursive := true)
from (
    select
        list(
            {'app': k.app, 'platform': k.platform, 'country': k.country, 'metric': k.metric,
             'source': k.source}
            order by k.app, k.platform, k.country, k.metric, k.source
        ) as keys
    from (select distinct app, platform, country, metric, source from typed) k
    anti join series s
        on s.identifier = k.app and s.platform = k.platform and s.country = k.country
        and s.metric = k.metric and s.source = k.source
);

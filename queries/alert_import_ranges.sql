-- What the given imports changed, per app and metric: the first and last day of the rows they
-- wrote and of the rows they replaced (restated days), by the apps' display names.
with chosen as (
    select unnest($import_ids::integer[]) as import_id
),
touched as (
    select o.series_id, o.date, o.import_id
    from observations o
    where o.import_id in (select import_id from chosen)
    union all
    select r.series_id, r.date, r.replaced_by as import_id
    from replaced_observations r
    where r.replaced_by in (select import_id from chosen)
),
final as (
    select a.name as app, s.metric, t.import_id, min(t.date) as first_date,
        max(t.date) as last_date
    from touched t
    join series s using (series_id)
    join identifiers i on i.identifier = s.identifier
    join apps a on a.app_id = i.app_id
    group by a.name, s.metric, t.import_id
)
select * from final
order by import_id, app, metric;

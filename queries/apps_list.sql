-- Apps with their identifiers and what they hold.
with ids as (
    select app_id, list(identifier order by identifier) as identifiers
    from identifiers group by app_id
),
held as (
    select i.app_id,
           count(distinct s.series_id) as series,
           list(distinct s.platform order by s.platform) as platforms,
           list(distinct s.metric order by s.metric) as metrics
    from series s join identifiers i using (identifier)
    group by i.app_id
)
select a.app_id, a.name, coalesce(ids.identifiers, []) as identifiers,
       coalesce(held.series, 0) as series, coalesce(held.platforms, []) as platforms,
       coalesce(held.metrics, []) as metrics
from apps a
left join ids using (app_id)
left join held using (app_id)
order by lower(a.name);

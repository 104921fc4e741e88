-- Events overlapping [$start, $end]; $app keeps that app's events and the all-app ones.
with scoped as (
    select e.event_id, list(a.name order by a.name) filter (where a.name is not null) as apps
    from events e
    left join event_apps ea using (event_id)
    left join apps a using (app_id)
    group by e.event_id
)
select e.event_id, e.start_date, e.end_date, e.title, e.description, e.tags,
       coalesce(s.apps, []) as apps, e.is_approximate, e.import_id, e.created_by, e.created_at,
       e.updated_by, e.updated_at
from events e
join scoped s using (event_id)
where e.end_date >= $start and e.start_date <= $end
  and ($app is null or len(coalesce(s.apps, [])) = 0 or list_contains(s.apps, $app))
  and ($tag is null or list_contains(e.tags, $tag))
  and ($text is null or lower(e.title) like $text or lower(e.description) like $text)
order by e.start_date, e.event_id;

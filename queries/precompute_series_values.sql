-- The values of some series ($series_ids) over [$start, $end]: the baselines, changes and
-- sparklines of the ranked rows.
select o.series_id, o.date, o.value::double as value
from observations o
where o.series_id in (select unnest($series_ids::integer[]))
  and o.date between $start and $end
order by o.series_id, o.date;

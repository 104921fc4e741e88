-- Days with data per app / country / metric (for the coverage view), over [$start, $end].
select a.name as app, s.country, s.metric, s.source, o.date,
       count(o.value) as series_with_value
from observations o
join series s using (series_id)
join identifiers i using (identifier)
join apps a using (app_id)
where o.date between $start and $end
  and ($app is null or a.name = $app)
group by all
order by app, s.country, s.metric, o.date;

-- The last observed date, optionally of some metrics and of one app (display name or any store
-- identifier): the default end of the analysis commands' date range.
with chosen_series as (
    select s.series_id
    from series s
    join identifiers i using (identifier)
    join apps a using (app_id)
    where ($metrics is null or s.metric in (select unnest($metrics::varchar[])))
      and ($app is null or a.name = $app
           or a.app_id in (select app_id from identifiers where identifier = $app))
),
final as (
    select max(o.date) as last_date
    from observations o
    where o.series_id in (select series_id from chosen_series)
)
select * from final;

-- Every series' names (app display name, metric, source, country, platform) by integer id,
-- $metrics null = every metric: what the whole-database scan puts back on the rows it ranks.
with final as (
    select s.series_id, a.name as app, s.metric, s.source, s.country, s.platform
    from series s
    join identifiers i using (identifier)
    join apps a using (app_id)
    where $metrics is null or s.metric in (select unnest($metrics::varchar[]))
)
select * from final;

-- The values the explorer's pickers offer.
select
    (select list(name order by lower(name)) from apps
      where app_id in (select app_id from identifiers i join series s using (identifier))) as apps,
    (select list(distinct metric order by metric) from series) as metrics,
    (select list(distinct country order by country) from series) as countries,
    (select list(distinct platform order by platform) from series) as platforms,
    (select list(distinct source order by source) from series) as sources,
    (select min(date) from observations) as first_date,
    (select max(date) from observations) as last_date;

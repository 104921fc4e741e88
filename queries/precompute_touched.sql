-- What one import changed, per series: the first and last day of the rows it wrote and of
-- the rows it replaced (restated days), read inside its transaction (after the write, or
-- before an undo). With $widen, every series of the same store identifier counts for those
-- days: App Store report segments rewrite other imports' rows of the same app and day in
-- place (apple_segment_settle_*), rows that carry neither this import's id nor replaced_by.
with touched as (
    select o.series_id, o.date
    from observations o
    where o.import_id = $import_id
    union all
    select r.series_id, r.date
    from replaced_observations r
    where r.replaced_by = $import_id
    union all
    -- (App Store: the import's own rows a later segment folded into its sum, whose days an
    -- undo settles again)
    select r.series_id, r.date
    from replaced_observations r
    where $widen and r.import_id = $import_id
),
per_series as (
    select series_id, min(date) as first_date, max(date) as last_date
    from touched
    group by series_id
),
widened as (
    select s2.series_id, min(p.first_date) as first_date, max(p.last_date) as last_date
    from per_series p
    join series s1 on s1.series_id = p.series_id
    join series s2 on s2.identifier = s1.identifier
    where $widen
    group by s2.series_id
),
final as (
    select * from per_series where not $widen
    union all
    select * from widened
)
select * from final
order by series_id;

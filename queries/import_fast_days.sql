-- Series of this import given the same day twice. Each series' days are set bits of one
-- bitstring over the file's date span ($span days from $first): exact, and several times
-- cheaper than count(distinct date) per series.
select count(*)
from (
    select
        count(*) as rows,
        bit_count(bitstring_agg((date - $first::date)::integer, 0, $span - 1)) as days
    from observations
    where import_id = $import_id
    group by series_id
)
where rows <> days;

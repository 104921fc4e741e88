-- Daily totals of the chosen apps and metrics over [$start, $end] (the caller adds the
-- baseline's look-back to $start), by the totals rules of the macro ip_totals
-- (queries/schema/v004.sql; semantic/totals.py). Everything that totals series reads here.
select *
from ip_totals(
    $apps::varchar[], $metrics::varchar[], $countries::varchar[], $platforms::varchar[],
    $sources::varchar[], $start::date, $end::date, $by_country::boolean, $by_platform::boolean,
    $prefer::varchar[], $estimates::varchar[]
)
order by app, metric, country_key, platform_key, date;

-- The catalogue entry of each asked metric ($metrics NULL: every metric).
select metric, kind, unit, definition
from metrics
where $metrics::varchar[] is null or metric in (select unnest($metrics::varchar[]));

select metric, kind, unit, definition from metrics where metric in (select unnest($metrics::varchar[]));

select metric, kind, unit, is_integer, is_signed, definition from metrics order by metric;

-- The fast pass, inside the import transaction: one streaming scan of the file into a
-- scratch table (DuckDB writes large uncommitted appends to disk compressed, so memory stays
-- flat), keeping only what the write needs and whether any rule failed.
create table import_scratch as
select
    line, app, app_name, platform, country, metric, source, date, value,
    coalesce(date_error, app_error, platform_error, country_error, metric_error, source_error,
             value_error) is not null as bad
from checked;

create or replace temp view typed as select * from import_scratch;

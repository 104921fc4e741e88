-- The tables of an attached store ($database: ip_from or ip_to in `installpulse lake copy`).
select table_name
from duckdb_tables()
where database_name = $database and schema_name = 'main' and not temporary
order by table_name

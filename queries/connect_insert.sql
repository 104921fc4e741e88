-- Ids are max + 1 (portable: DuckLake has no sequences nor RETURNING): every writer holds the
-- write lock (a PostgreSQL advisory lock on a lake), so no two writers number at once.
insert into connections (connection_id, name, kind, config, secret_ref, apps, created_by)
select coalesce(max(connection_id), 0) + 1, $conn_name, $kind, $config, $secret_ref,
       $apps::varchar[], $actor
from connections;
select max(connection_id) from connections;

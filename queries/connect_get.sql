select connection_id, name, kind, config, secret_ref, apps
from connections
where name = $conn_name;

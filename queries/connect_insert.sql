insert into connections (connection_id, name, kind, config, secret_ref, apps)
values (nextval('connection_id_seq'), $conn_name, $kind, $config, $secret_ref, $apps::varchar[])
returning connection_id;

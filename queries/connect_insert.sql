insert into connections (connection_id, name, kind, config, secret_ref, apps, created_by)
values (nextval('connection_id_seq'), $conn_name, $kind, $config, $secret_ref, $apps::varchar[],
        $actor)
returning connection_id;

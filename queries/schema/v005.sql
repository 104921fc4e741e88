-- installpulse schema version 5 (issue 12, connectors): connections to the store and estimate
-- APIs, what each has imported, and its sync runs. No secret is ever stored here: a
-- connection holds a reference to where its secret lives (`file:PATH` or `env:NAME`).

create sequence connection_id_seq start 1;
create table connections (
    connection_id integer primary key,
    name varchar not null unique,
    kind varchar not null,
    config varchar not null,        -- JSON of the kind's options (never a secret)
    secret_ref varchar not null,    -- file:/abs/path/key.p8 or env:VARIABLE_NAME
    apps varchar[] not null,        -- store identifiers to fetch
    created_at timestamp not null default current_timestamp,
    updated_at timestamp not null default current_timestamp
);

-- The last day held per connection and app: the next sync starts the day after.
create table sync_state (
    connection_id integer not null,
    app varchar not null,
    last_day date not null,
    updated_at timestamp not null default current_timestamp,
    primary key (connection_id, app)
);

-- Provider fingerprints (checksum, md5Hash, etag) of files a connection has imported: an
-- unchanged file is skipped. Written in the import's own transaction.
create table sync_files (
    connection_id integer not null,
    fingerprint varchar not null,
    app varchar not null,
    file_name varchar not null,
    import_id integer not null,
    last_day date,
    imported_at timestamp not null default current_timestamp,
    primary key (connection_id, fingerprint)
);

create sequence sync_run_id_seq start 1;
create table sync_runs (
    run_id integer primary key,
    connection_id integer not null,
    connection_name varchar not null,
    pid integer,
    started_at timestamp not null default current_timestamp,
    finished_at timestamp,
    result varchar not null check (result in ('running', 'ok', 'failed', 'interrupted')),
    files_imported integer not null default 0,
    files_unchanged integer not null default 0,
    message varchar
);

-- installpulse schema version 1: the store every page and the CLI read.
-- Observations are keyed by series and kept clustered by series_id (imports insert sorted),
-- so DuckDB's zone maps skip everything a query does not ask for (PERFORMANCE.md).

create table schema_version (
    version integer not null,
    applied_at timestamp not null default current_timestamp,
    installpulse_version varchar
);

create sequence app_id_seq start 1;
create table apps (
    app_id integer primary key,
    name varchar not null unique,
    created_at timestamp not null default current_timestamp
);

-- A store identifier (package name, Apple id) or a name a file used for the app.
-- Several identifiers map to one app (`installpulse apps alias`).
create table identifiers (
    identifier varchar primary key,
    app_id integer not null,
    created_at timestamp not null default current_timestamp
);

create table metrics (
    metric varchar primary key,
    kind varchar not null check (kind in ('event', 'level')),
    unit varchar not null,
    is_integer boolean not null,
    is_signed boolean not null,
    definition varchar not null
);

create sequence series_id_seq start 1;
create table series (
    series_id integer primary key,
    identifier varchar not null,
    platform varchar not null,
    country varchar not null,
    metric varchar not null,
    source varchar not null,
    unique (identifier, platform, country, metric, source)
);

-- One row per (series_id, date); the import contract keeps that unique (no index: an ART
-- index over tens of millions of rows would have to fit in memory).
create table observations (
    series_id integer not null,
    date date not null,
    value double,
    import_id integer not null
);

-- Rows a later import replaced (stores restate recent days); kept so undo can restore them.
create table replaced_observations (
    series_id integer not null,
    date date not null,
    value double,
    import_id integer not null,
    replaced_by integer not null
);

create sequence import_id_seq start 1;
create table imports (
    import_id integer primary key,
    file_name varchar not null,
    sha256 varchar,
    format varchar,
    status varchar not null check (status in ('running', 'ok', 'failed', 'undone')),
    rows_written bigint not null default 0,
    rows_replaced bigint not null default 0,
    series_touched bigint not null default 0,
    first_date date,
    last_date date,
    message varchar,
    archive_path varchar,
    options varchar,
    started_at timestamp not null default current_timestamp,
    finished_at timestamp,
    undone_at timestamp
);

create sequence event_id_seq start 1;
create table events (
    event_id integer primary key,
    start_date date not null,
    end_date date not null,
    title varchar not null,
    description varchar not null default '',
    tags varchar[] not null default [],
    import_id integer,
    created_at timestamp not null default current_timestamp,
    updated_at timestamp not null default current_timestamp,
    check (end_date >= start_date)
);

-- Scope of an event: no rows = all apps.
create table event_apps (
    event_id integer not null,
    app_id integer not null,
    primary key (event_id, app_id)
);

create view daily_metrics as
select
    apps.name as app,
    series.platform,
    series.country,
    observations.date,
    series.metric,
    observations.value,
    series.source
from observations
join series using (series_id)
join identifiers on identifiers.identifier = series.identifier
join apps on apps.app_id = identifiers.app_id;

insert into metrics values
    ('installs', 'event', 'users', true, false, 'New installs (users) that day, as the source defines them (Play: Daily User Installs; App Store: first-time downloads + redownloads).'),
    ('uninstalls', 'event', 'users', true, false, 'Uninstalls/deletions that day (Play: Daily User Uninstalls; App Store: Delete events).'),
    ('downloads', 'event', 'downloads', true, false, 'First-time downloads that day (store units or an estimate: see the source).'),
    ('redownloads', 'event', 'downloads', true, false, 'Re-downloads by accounts that had the app before.'),
    ('first_time_downloads', 'event', 'downloads', true, false, 'App Store first-time downloads (Installation and Deletion report).'),
    ('updates', 'event', 'downloads', true, false, 'App updates (manual updates where the source separates them).'),
    ('restores', 'event', 'downloads', true, false, 'App Store restores onto a device.'),
    ('device_installs', 'event', 'devices', true, false, 'Google Play Daily Device Installs.'),
    ('device_uninstalls', 'event', 'devices', true, false, 'Google Play Daily Device Uninstalls.'),
    ('device_upgrades', 'event', 'devices', true, false, 'Google Play Daily Device Upgrades.'),
    ('install_events', 'event', 'events', true, false, 'Google Play Install events (incl. re-installs on known devices).'),
    ('update_events', 'event', 'events', true, false, 'Google Play Update events.'),
    ('uninstall_events', 'event', 'events', true, false, 'Google Play Uninstall events.'),
    ('total_user_installs', 'level', 'users', true, false, 'Google Play Total User Installs: a cumulative level, never summed over days.'),
    ('active_devices', 'level', 'devices', true, false, 'Google Play Active Device Installs: devices with the app installed and active; a level, never summed over days.'),
    ('one_star_reviews', 'event', 'reviews', true, false, 'Number of 1-star ratings/reviews posted that day.'),
    ('reviews', 'event', 'reviews', true, false, 'Number of ratings/reviews posted that day.'),
    ('revenue_usd', 'event', 'USD', false, true, 'Revenue in US dollars (estimates convert from cents); signed because refunds exist.'),
    ('re_downloads', 'event', 'downloads', true, false, 'Appfigures re_downloads estimate.'),
    ('net_downloads', 'event', 'downloads', true, true, 'Downloads minus returns (Appfigures legacy metric); may be negative.'),
    ('sessions', 'event', 'sessions', true, false, 'App sessions that day.'),
    ('active_users', 'level', 'users', true, false, 'Daily active users: a level, never summed over days.');

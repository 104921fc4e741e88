-- installpulse schema version 7: alerts (README "Alerts").
-- A watch rule names apps, a metric and a slice, and fires on a robust spike score or on a
-- change vs a baseline method; each run of consecutive firing days of one rule and app is one
-- episode, sent once to the rule's webhook. Imports an evaluation has looked at are listed in
-- alert_checked, so an import is evaluated once even when several processes import.

create sequence alert_rule_id_seq start 1;
create table alert_rules (
    rule_id integer primary key,
    apps varchar[] not null,
    metric varchar not null,
    countries varchar[] not null default [],
    platforms varchar[] not null default [],
    -- 'score': |robust spike score| >= threshold; 'change': change vs `baseline` >= threshold
    -- (a fraction: 1.0 = +100%) in the rule's direction
    kind varchar not null check (kind in ('score', 'change')),
    threshold double not null check (threshold > 0),
    direction varchar not null check (direction in ('up', 'down', 'both')),
    baseline varchar not null,
    -- a Slack-compatible incoming webhook: a secret; shown by host only
    webhook_url varchar not null,
    is_enabled boolean not null default true,
    -- the last import when the rule was made: it watches the imports after it
    after_import_id integer not null default 0,
    created_by varchar not null,
    created_at timestamp not null default current_timestamp,
    removed_at timestamp
);

create table alert_checked (
    import_id integer primary key,
    checked_at timestamp not null default current_timestamp
);

create sequence alert_episode_id_seq start 1;
create table alert_episodes (
    episode_id integer primary key,
    rule_id integer not null,
    app varchar not null,
    metric varchar not null,
    country varchar,
    platform varchar,
    source varchar,
    direction varchar not null,
    start_date date not null,
    end_date date not null,
    n_days integer not null,
    peak_date date not null,
    value double,
    baseline double,
    change double,
    multiple double,
    method varchar,
    method_label varchar,
    score double,
    median double,
    sentence varchar not null,
    explore_url varchar not null,
    -- the exact JSON body sent (and re-sent by retries): the numbers as found
    payload varchar not null,
    status varchar not null check (status in ('pending', 'sent', 'failed', 'withdrawn')),
    attempts integer not null default 0,
    last_error varchar,
    next_attempt_at timestamp,
    lease_until timestamp,
    sent_at timestamp,
    found_by integer,
    created_at timestamp not null default current_timestamp,
    -- a later restatement removed the spike: recorded, never "un-sent"
    withdrawn_at timestamp,
    withdrawn_by integer
);

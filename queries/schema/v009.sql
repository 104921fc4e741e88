-- installpulse schema version 9 (issue 13, work done once): robust spike scores and the
-- Overview's rankings are computed when data arrives and stored here, inside the transaction
-- of the import or undo that changed the data (pipelines/precompute.py), so every session
-- reads them instead of scoring every series per view.
-- No sequence, key or unique constraint (the DuckLake backend has none): rows are replaced by
-- delete-then-insert inside that transaction, one row per series and day.

-- spikes.score(..., weekday_aware="trailing") of each stored series on each day from
-- precompute_state.horizon_start on: the score of a day depends on its 34 previous days
-- alone, so an import recomputes only the days it changed and the 34 after each.
create table spike_scores (
    series_id integer not null,
    date date not null,
    value double,
    score double,
    median double,
    mad double,
    score_obs integer,
    is_weekday_aware boolean not null
);

-- The Overview's top movers: per range (the last `days` days of data) and change method, the
-- series ranked by their most extreme stored score (rank 1 = largest |score|), with the
-- change on that day against `method` and the series' last 42 days of values (`trend`).
create table overview_movers (
    days integer not null,
    method varchar not null,
    rank integer not null,
    series_id integer not null,
    date date not null,
    value double,
    score double,
    baseline double,
    change double,
    multiple double,
    method_label varchar,
    reason varchar,
    trend double[]
);

-- The Overview's latest spike episodes: runs of stored days with |score| >= 3.5 ending in
-- the last 90 days of data, latest first, with the values from 28 days before to 7 after.
create table overview_episodes (
    series_id integer not null,
    direction varchar not null,
    start_date date not null,
    end_date date not null,
    n_days integer not null,
    peak_date date not null,
    peak_value double,
    peak_score double,
    trend double[]
);

-- One row. A file migrated from schema 8 holds data but no scores yet: is_filled = false
-- until `installpulse precompute --all` or the next import or undo fills them (pages
-- compute on the fly meanwhile). Filling is polars work under the write lock (minutes for
-- 40,000 series), which a migration - run by whichever process opens the file first, a page
-- included - must not do.
create table precompute_state (
    is_filled boolean not null,
    horizon_start date,
    last_date date,
    episode_since date,
    computed_at timestamp
);
insert into precompute_state values (false, null, null, null, null);

-- After a refresh or a rebuild: what is stored now.
update precompute_state
set is_filled = true, horizon_start = $horizon_start, last_date = $last_date,
    episode_since = $episode_since, computed_at = current_timestamp;

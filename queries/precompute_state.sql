-- The stored scores' state (schema v009): whether they are filled, the first day stored, the
-- newest day of data they were computed for, and when.
select is_filled, horizon_start, last_date, episode_since, computed_at
from precompute_state;

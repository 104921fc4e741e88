-- A rule's episodes that end on or after $since (the ones an evaluation may meet again).
select episode_id, app, direction, start_date, end_date, n_days, status, withdrawn_at
from alert_episodes
where rule_id = $rule_id and end_date >= $since
order by episode_id;

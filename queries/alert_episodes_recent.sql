-- The latest episodes, newest first (alerts list, the Overview's alerts panel).
select
    episode_id, rule_id, status, app, metric, country, platform, direction, start_date,
    end_date, n_days, peak_date, value, baseline, change, multiple, method_label, score,
    sentence, explore_url, attempts, last_error, next_attempt_at, sent_at, created_at,
    withdrawn_at, withdrawn_by, found_by
from alert_episodes
where ($statuses is null or list_contains($statuses::varchar[], status))
order by created_at desc, episode_id desc
limit $limit;

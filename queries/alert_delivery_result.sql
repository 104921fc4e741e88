-- The outcome of one delivery round of one message.
update alert_episodes
set status = $status,
    attempts = attempts + $attempts,
    last_error = $last_error,
    next_attempt_at = $next_attempt_at,
    lease_until = null,
    sent_at = case when $status = 'sent' then $now else sent_at end
where episode_id = $episode_id;

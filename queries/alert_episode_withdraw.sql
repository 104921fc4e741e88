-- A restatement removed the spike: recorded on the episode. A message already sent stays sent
-- (it cannot be taken back); one not yet delivered is not sent.
update alert_episodes
set withdrawn_at = $now,
    withdrawn_by = $import_id,
    status = case when status = 'pending' then 'withdrawn' else status end,
    lease_until = null
where episode_id = $episode_id and withdrawn_at is null;

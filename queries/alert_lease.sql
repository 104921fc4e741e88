-- Take the pending messages that are due (no Retry-After still running) and not being sent by
-- another process: each is leased until $lease_until, so two processes never send one twice.
-- (read first, then leased, under the write lock: DuckLake refuses RETURNING)
select episode_id
from alert_episodes
where status = 'pending'
  and (next_attempt_at is null or next_attempt_at <= $now)
  and (lease_until is null or lease_until < $now);
update alert_episodes
set lease_until = $lease_until
where status = 'pending'
  and (next_attempt_at is null or next_attempt_at <= $now)
  and (lease_until is null or lease_until < $now);

-- The leased messages with what is needed to send them.
select e.episode_id, e.rule_id, e.payload, r.webhook_url, e.attempts
from alert_episodes e
join alert_rules r using (rule_id)
where e.episode_id in (select unnest($episode_ids::integer[]))
order by e.episode_id;

-- A removed rule's messages not yet delivered are not sent any more.
update alert_episodes
set status = 'failed', last_error = 'the rule was removed before the message was delivered',
    lease_until = null
where rule_id = $rule_id and status = 'pending';

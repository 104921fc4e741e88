-- Remove a rule: kept (its episodes' history names it) but no longer listed or evaluated.
update alert_rules
set removed_at = $now, is_enabled = false
where rule_id = $rule_id and removed_at is null
returning rule_id;

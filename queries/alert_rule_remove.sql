-- Remove a rule: kept (its episodes' history names it) but no longer listed or evaluated.
select rule_id from alert_rules where rule_id = $rule_id and removed_at is null;
update alert_rules
set removed_at = $now, is_enabled = false
where rule_id = $rule_id and removed_at is null;

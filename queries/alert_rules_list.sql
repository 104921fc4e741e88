-- The rules not removed (only the enabled ones when $enabled_only), oldest first.
select
    rule_id, apps, metric, countries, platforms, kind, threshold, direction, baseline,
    webhook_url, is_enabled, after_import_id, created_by, created_at
from alert_rules
where removed_at is null
  and (not $enabled_only or is_enabled)
order by rule_id;

-- A new watch rule. It watches the imports made after it (after_import_id = the last import so
-- far): adding a rule never sends messages about data already in the database.
insert into alert_rules (
    rule_id, apps, metric, countries, platforms, kind, threshold, direction, baseline,
    webhook_url, is_enabled, after_import_id, created_by
)
values (
    nextval('alert_rule_id_seq'), $apps::varchar[], $metric, $countries::varchar[],
    $platforms::varchar[], $kind, $threshold, $direction, $baseline, $webhook_url, true,
    (select coalesce(max(import_id), 0) from imports), $created_by
)
returning rule_id;

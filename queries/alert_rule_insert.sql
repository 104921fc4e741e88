-- A new watch rule. It watches the imports made after it (after_import_id = the last import so
-- far): adding a rule never sends messages about data already in the database.
insert into alert_rules (
    rule_id, apps, metric, countries, platforms, kind, threshold, direction, baseline,
    webhook_url, is_enabled, after_import_id, created_by
)
select
    (select coalesce(max(rule_id), 0) + 1 from alert_rules), $apps::varchar[], $metric,
    $countries::varchar[], $platforms::varchar[], $kind, $threshold, $direction, $baseline,
    $webhook_url, true, (select coalesce(max(import_id), 0) from imports), $created_by;
-- Ids are max + 1 (portable: DuckLake has no sequences nor RETURNING): every writer holds the
-- write lock (a PostgreSQL advisory lock on a lake), so no two writers number at once.
select max(rule_id) from alert_rules;

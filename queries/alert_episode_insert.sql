-- A new episode, pending delivery - unless one of the same rule, app and direction already
-- overlaps or touches its days (then nothing is inserted: an episode is sent once).
-- Ids are max + 1 under the write lock (DuckLake has no sequences nor RETURNING): the new id
-- is read first, and only when the episode will be inserted.
select coalesce(max(episode_id), 0) + 1
from alert_episodes
where not exists (
    select 1 from alert_episodes e
    where e.rule_id = $rule_id and e.app = $app and e.direction = $direction
      and e.start_date <= $end_date::date + 1 and e.end_date >= $start_date::date - 1
);
insert into alert_episodes (
    episode_id, rule_id, app, metric, country, platform, source, direction, start_date,
    end_date, n_days, peak_date, value, baseline, change, multiple, method, method_label, score,
    median, sentence, explore_url, payload, status, found_by, created_at
)
select
    (select coalesce(max(episode_id), 0) + 1 from alert_episodes), $rule_id, $app, $metric,
    $country, $platform, $source, $direction, $start_date, $end_date, $n_days, $peak_date,
    $value, $baseline, $change, $multiple, $method, $method_label, $score, $median, $sentence, $explore_url, $payload,
    'pending', $found_by, $now
where not exists (
    select 1 from alert_episodes e
    where e.rule_id = $rule_id and e.app = $app and e.direction = $direction
      and e.start_date <= $end_date::date + 1 and e.end_date >= $start_date::date - 1
);

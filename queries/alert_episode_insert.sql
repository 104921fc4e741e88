-- A new episode, pending delivery - unless one of the same rule, app and direction already
-- overlaps or touches its days (then nothing is inserted: an episode is sent once).
insert into alert_episodes (
    episode_id, rule_id, app, metric, country, platform, source, direction, start_date,
    end_date, n_days, peak_date, value, baseline, change, multiple, method, method_label, score,
    median, sentence, explore_url, payload, status, found_by, created_at
)
select
    nextval('alert_episode_id_seq'), $rule_id, $app, $metric, $country, $platform, $source,
    $direction, $start_date, $end_date, $n_days, $peak_date, $value, $baseline, $change,
    $multiple, $method, $method_label, $score, $median, $sentence, $explore_url, $payload,
    'pending', $found_by, $now
where not exists (
    select 1 from alert_episodes e
    where e.rule_id = $rule_id and e.app = $app and e.direction = $direction
      and e.start_date <= $end_date::date + 1 and e.end_date >= $start_date::date - 1
)
returning episode_id;

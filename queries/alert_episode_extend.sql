-- An episode already known met again (a later day of the same run, or a restatement that
-- keeps it): its days grow; no message is sent again. A spike that a restatement had removed
-- and a later one brings back is no longer withdrawn (a withdrawn, never-sent one is pending).
update alert_episodes
set start_date = least(start_date, $start_date),
    end_date = greatest(end_date, $end_date),
    n_days = greatest(n_days, $n_days),
    status = case when status = 'withdrawn' then 'pending' else status end,
    withdrawn_at = null,
    withdrawn_by = null
where episode_id = $episode_id;

-- How many distinct keys or date texts break a rule: any sends the import to the exact pass,
-- which names every line (the fast pass never reports, it only proves a file clean).
select
    (
        select count(*)
        from import_key_map k
        cross join import_params p
        left join metrics m on m.metric = k.metric
        left join import_countries c on c.country = k.country
        where coalesce(
            ip_app_error(k.app, p.max_text),
            ip_platform_error(k.platform),
            ip_country_error(k.country, c.accepted, c.hint),
            ip_metric_error(k.metric, m.metric is not null),
            ip_source_error(k.source)
        ) is not null
    )
    + (
        select count(*)
        from import_date_map d
        cross join import_params p
        where ip_date_error(d.date_text, d.date, p.min_date, p.max_date) is not null
            or d.cast_date is distinct from d.date
    ) as problems;

select
    (select count(*) from apps) as apps,
    (select count(*) from series) as series,
    (select count(*) from observations) as observations,
    (select min(date) from observations) as first_date,
    (select max(date) from observations) as last_date,
    (select count(*) from events) as events,
    (select count(*) from imports where status = 'ok') as imports,
    (select max(finished_at) from imports where status = 'ok') as last_import_at;

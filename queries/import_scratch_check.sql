-- Any rule broken, or a day given twice for one series? (A hash collision can only cause a
-- false alarm, which sends the import to the exact pass; never a missed duplicate.)
select
    count(*) filter (where bad) as bad,
    count(*) - count(distinct hash(app, platform, country, metric, source, date)) as duplicates
from import_scratch;

-- import_fast_order_sample.sql for the rows this import wrote without sorting (row ids of an
-- uncommitted append are dense and in insertion order): did the whole file keep the order
-- its head promised?
select
    (rowid - $first_rowid) // 122880 as chunk,
    max(series_id) - min(series_id) + 1 as span,
    count(*) as rows
from observations
where import_id = $import_id
group by chunk;

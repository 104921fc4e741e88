-- Successful imports no evaluation has looked at yet, after the oldest enabled rule's start.
select i.import_id
from imports i
where i.status = 'ok'
  and i.import_id > $after
  and not exists (select 1 from alert_checked c where c.import_id = i.import_id)
order by i.import_id;

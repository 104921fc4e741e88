-- Would mapping $identifier to app $app_id give that app two series for the same key?
select other.identifier, other.platform, other.country, other.metric, other.source
from series mine
join series other
    on other.platform = mine.platform and other.country = mine.country
    and other.metric = mine.metric and other.source = mine.source
join identifiers i on i.identifier = other.identifier
where mine.identifier = $identifier
  and other.identifier <> $identifier
  and i.app_id = $app_id
limit 1;

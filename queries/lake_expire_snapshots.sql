-- Snapshots older than $days days expired (time travel before then is given up).
select count(*)
from ducklake_expire_snapshots(
    'lake', older_than => now() - to_microseconds(cast($days * 86400000000 as bigint))
)

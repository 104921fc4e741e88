-- Files no snapshot needs any more, scheduled for deletion more than $days days ago.
select count(*)
from ducklake_cleanup_old_files(
    'lake', older_than => now() - to_microseconds(cast($days * 86400000000 as bigint))
)

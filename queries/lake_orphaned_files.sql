-- Files in the data folder the catalog never listed (an importer that died before its
-- commit), written more than $days days ago.
select count(*)
from ducklake_delete_orphaned_files(
    'lake', older_than => now() - to_microseconds(cast($days * 86400000000 as bigint))
)

-- Adjacent small data files merged: (files merged, files written).
select coalesce(sum(files_processed), 0), coalesce(sum(files_created), 0)
from ducklake_merge_adjacent_files('lake')
